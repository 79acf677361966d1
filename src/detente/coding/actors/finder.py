"""Actor stage: find and resolve actor mentions (who) in a parsed document.

Tables (``src/detente/data``; all hand-written for Detente, see each file's header):

* ``countries.tsv``      ISO alpha-3 code, name, aliases, adjectives/demonyms, capitals (capital -> GOV)
* ``actors_metonyms.tsv`` national institutions/metonyms with a fixed sector ("the Pentagon" -> USA MIL),
                          plus *blockers* (empty code: "New Mexico", "Persian Gulf" are not actors)
* ``organisations.tsv``  IGOs, NGOs and armed groups, date-bounded (Taliban REB -> AFG GOV 2021-08-15)
* ``people.tsv``         political figures with date-bounded roles (one row per role)
* ``sectors.tsv``        keyword -> CAMEO sector ("troops" -> MIL, "foreign minister" -> GOV)

Codes (``Actor.code``)
    * state actors: ISO 3166 alpha-3 of the state (``Actor.country`` = the same code);
    * IGOs: the organisation's acronym (``UNO`` United Nations, ``EUR`` European Union, ``NATO``...),
      ``kind="igo"``, ``country=None``;
    * NGOs: acronym (``ICRC``, ``AMN``, ``HRW``...), ``kind="group"``, ``country=None``;
    * armed groups: ISO code of the home state with sector REB/UAF/SEP (GOV when they govern),
      ``kind="group"``; transnational groups use user-assigned codes ``XIS`` (Islamic State) and ``XAQ``
      (al-Qaeda), ``country=None``;
    * people: the code of the state/organisation they act for on the story date, ``kind="person"``;
    * nothing known about the country ("the police", "Foreign Minister John Smith"): code ``"---"``
      (the CAMEO/Phoenix "unknown country" code), ``kind="unknown"`` (or ``"person"`` for a named
      person), low confidence.

How ``find`` works (one left-to-right pass, no regex, no per-call compilation):

1. Every token is looked up (lowercase) in a first-token index of all table phrases; the longest
   phrase whose case constraints hold wins ("US" must be upper case, "China" capitalised, so "us"
   and "china" never match; sector keywords match in any case). A one-token non-person match inside
   a longer spaCy PERSON entity ("Michael Jordan", "Chad Smith") is skipped, as is "Georgia" in a
   sentence with U.S.-state context.
2. Unmatched spaCy PERSON entities become *name* items; a later capitalised token equal to such a
   name's surname refers back to it.
3. Adjacent items are grouped into one phrase: ``[the] [Country] ['s|of] [sector words] [Person|Name]``,
   or ``[Country] [Organisation] [sector words]`` ("Iranian Foreign Minister Mohammad Javad Zarif",
   "Ukraine's parliament", "the president of France", "Hamas fighters"). Two countries never join:
   "Japan and South Korea" and "US-China" are two mentions each.
4. Each phrase is resolved: known person (role on the story date) > organisation (row valid on the
   date) > unknown named person (country + title) > country with sector (highest-priority sector
   keyword; ties go to the head, i.e. the last word) > sector alone (code "---").

Coreference (``Mention.antecedent`` = index in the returned list of the earlier *full* mention; the
Actor is copied with ``text`` = the new words):

* surname or other short alias of a person already mentioned ("Xi", "Putin"); risky short aliases
  (``~`` in people.tsv, e.g. "May", "Kim") resolve *only* this way;
* surname of an unknown named person ("Mohammad Rezaei ... Rezaei said");
* "the <title>" / "the <Country> <title>" with no name ("the Chinese leader", "the president",
  "the foreign minister"): most recent person mention whose role/title fits and whose country fits;
  without a country the match must be unambiguous (one distinct person fits), else it resolves to
  a plain country/sector actor;
* pronouns he/him/his/she/her in subject, object or possessive position: the most recent person
  mention of compatible gender (people.tsv has a gender column) within the last three sentences;
* "the two leaders" / "both presidents" / "the two countries" / "both sides": the last two distinct
  person (or, for countries/sides/nations/governments, any) actors. **Representation:** two
  Mention objects with the *same* token span, one per referent, each with its own antecedent. This
  is the only case where mentions overlap; consumers wanting a flat list can dedupe on
  ``(start, end)``.

Performance: tables are loaded once per ActorFinder; ``find`` touches each token once plus a
dict lookup (≈0.1 ms per sentence of 25 tokens on top of the spaCy parse).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import spacy

from detente.model import Actor, Mention
from detente.nlp.load import load_nlp
from detente.nlp.normalise import normalise_text
from detente.resources import DATA_DIR, read_table

UNKNOWN_CODE = "---"

# Priority of table kinds when the same words match several tables (first wins).
_P, _O, _C, _S, _B = "P", "O", "C", "S", "B"
_KIND_ORDER = {_B: 0, _P: 1, _O: 2, _C: 3, _S: 4}

_POSSESSIVE = frozenset({"'s", "’s", "'", "’"})
_DETERMINERS = frozenset({"the"})
_PRONOUN_GENDER = {
    "he": "m",
    "him": "m",
    "his": "m",
    "himself": "m",
    "she": "f",
    "her": "f",
    "hers": "f",
    "herself": "f",
}
_PRONOUN_DEPS = frozenset(
    {"nsubj", "nsubjpass", "dobj", "pobj", "poss", "iobj", "dative", "agent", "appos", "conj"}
)
_BACKED = frozenset(
    {
        "backed",
        "allied",
        "aligned",
        "sponsored",
        "funded",
        "supported",
        "affiliated",
        "linked",
        "friendly",
        "leaning",
        "born",
        "based",
        "made",
        "style",
    }
)
_LOCATIVE = frozenset({"in", "at", "inside", "near", "across", "throughout", "within", "around", "outside"})
_DIRECTIONS = frozenset(
    {
        "northern",
        "southern",
        "eastern",
        "western",
        "central",
        "north",
        "south",
        "east",
        "west",
        "northeastern",
        "northwestern",
        "southeastern",
        "southwestern",
        "north-east",
        "north-west",
        "south-east",
        "south-west",
        "north-eastern",
        "north-western",
        "south-eastern",
        "south-western",
        "rural",
        "downtown",
        "occupied",
        "neighbouring",
        "neighboring",
        "mainland",
        "war-torn",
        "all",
        "parts",
        "of",
    }
)
# Ethnic / stateless-nation adjectives before a sector word ("Kurdish fighters"): candidate home
# states in order of preference; the first one the story mentions wins (a single candidate always).
# Kurdish armed groups are coded by where they are based: Syria (YPG/SDF), Iraq (KRG Peshmerga),
# Turkey (PKK), Iran (PJAK); their "forces" are non-state (REB) except in Iraq, where the Peshmerga
# are the Kurdistan Region's forces (MIL).
_ETHNIC = {
    "kurdish": ("SYR", "IRQ", "TUR", "IRN"),
    "kurds": ("SYR", "IRQ", "TUR", "IRN"),
    "rohingya": ("MMR",),
    "uyghur": ("CHN",),
    "uighur": ("CHN",),
    "uyghurs": ("CHN",),
    "tamil": ("LKA",),
    "baloch": ("PAK",),
    "baluch": ("PAK",),
    "tibetan": ("CHN",),
    "chechen": ("RUS",),
    "druze": ("SYR", "LBN", "ISR"),
    "alawite": ("SYR",),
    "houthi": ("YEM",),
    "tigrayan": ("ETH",),
    "amhara": ("ETH",),
    "oromo": ("ETH",),
}
_ETHNIC_NONSTATE = {
    "kurdish": ("SYR", "TUR", "IRN"),
    "kurds": ("SYR", "TUR", "IRN"),
    "tigrayan": ("ETH",),
    "baloch": ("PAK",),
    "baluch": ("PAK",),
    "houthi": ("YEM",),
}
# A sentence with one of these words is about sport: bare country names in it are national teams.
_SPORT_WORDS = frozenset(
    {
        "rugby",
        "cricket",
        "tennis",
        "football",
        "footballer",
        "soccer",
        "striker",
        "midfielder",
        "goalkeeper",
        "batsman",
        "batter",
        "wicket",
        "innings",
        "semi-final",
        "quarter-final",
        "semifinal",
        "quarterfinal",
        "fixture",
        "fixtures",
        "scrum",
        "knockout",
        "goalless",
        "olympics",
        "olympic",
        "paralympics",
        "medal",
        "medals",
        "squad",
        "unbeaten",
        "hat-trick",
        "grand slam",
        "f1",
        "formula",
        "t20",
        "odi",
        "fifa",
        "uefa",
        "premiership",
        "championship",
        "playoff",
        "playoffs",
        "euros",
    }
)
_PLACE_NOUNS = frozenset(
    {
        "capital",
        "city",
        "cities",
        "region",
        "regions",
        "province",
        "provinces",
        "border",
        "borders",
        "territory",
        "coast",
        "north",
        "south",
        "east",
        "west",
        "largest",
        "second",
        "port",
        "town",
        "towns",
        "villages",
        "village",
        "state",
    }
)
# Country names that are also given names/surnames: a lone one tagged PERSON is a person.
# (spaCy also tags adjectives such as "Moldovan" PERSON at a headline start: those stay countries.)
_NAME_LIKE_COUNTRIES = frozenset(
    {
        "jordan",
        "chad",
        "georgia",
        "israel",
        "india",
        "kenya",
        "niger",
        "cuba",
        "china",
        "mali",
        "guinea",
        "peru",
        "france",
        "chile",
        "oman",
        "ireland",
        "holland",
        "england",
        "wales",
        "scotland",
        "victoria",
        "jamaica",
        "sudan",
        "iran",
        "iraq",
        "syria",
        "malta",
        "angola",
    }
)
_NO_STORY_COUNTRY = frozenset({"IGO", "NGO"})
_COUP_WORDS = frozenset(
    {"coup", "coups", "putsch", "overthrew", "overthrown", "ousted", "deposed", "junta", "takeover"}
)
_LIST_SEPS = frozenset({",", "and", "or", "&"})
_NONSTATE = frozenset({"REB", "UAF", "SEP", "CRM"})
_TWO_WORDS = frozenset({"two", "both"})
_PLURAL_PERSON = frozenset(
    {
        "leaders",
        "presidents",
        "ministers",
        "men",
        "women",
        "premiers",
        "heads",
        "chancellors",
        "counterparts",
        "envoys",
        "diplomats",
    }
)
_PLURAL_STATES = frozenset(
    {"countries", "nations", "governments", "states", "capitals", "neighbours", "neighbors"}
)
_PLURAL_ANY = frozenset(
    {
        "countries",
        "nations",
        "sides",
        "governments",
        "states",
        "neighbours",
        "neighbors",
        "allies",
        "rivals",
        "parties",
        "capitals",
    }
)
# One-token names that are also common given names/other places: skipped inside a PERSON entity
# or when spaCy labels the single token PERSON.
_US_STATE_CONTEXT = frozenset(
    {
        "atlanta",
        "savannah",
        "gov.",
        "county",
        "counties",
        "republican",
        "republicans",
        "democrat",
        "democrats",
        "democratic",
        "gop",
        "state's",
        "statewide",
        "u.s. state",
        "governor",
        "legislature",
        "senate",
        "georgians",
        "alabama",
        "florida",
        "tennessee",
        "carolina",
    }
)
_TITLE_ROLE_WORDS = {
    # "the <title>" -> role words that fit (matched against the person's role text)
    "leader": None,  # any head of state/government or group leader
    "president": ("president",),
    "prime minister": ("prime minister", "premier"),
    "premier": ("premier", "prime minister"),
    "chancellor": ("chancellor",),
    "minister": ("minister", "secretary"),
    "foreign minister": (
        "foreign minister",
        "foreign secretary",
        "secretary of state",
        "minister of foreign affairs",
    ),
    "foreign secretary": ("foreign secretary", "foreign minister"),
    "secretary of state": ("secretary of state",),
    "defence minister": (
        "defence minister",
        "defense minister",
        "defense secretary",
        "defence secretary",
        "secretary of defense",
        "minister of defence",
    ),
    "defense minister": ("defence minister", "defense minister", "defense secretary", "secretary of defense"),
    "defense secretary": ("defense secretary", "secretary of defense", "defence secretary"),
    "defence secretary": ("defence secretary", "defense secretary"),
    "secretary": ("secretary",),
    "king": ("king",),
    "queen": ("queen",),
    "emir": ("emir",),
    "crown prince": ("crown prince",),
    "supreme leader": ("supreme leader",),
    "vice president": ("vice president",),
    "president-elect": ("president-elect",),
    "president - elect": ("president-elect",),
    "secretary-general": ("secretary-general",),
    "secretary general": ("secretary-general",),
    "senator": ("senator",),
    "general": ("general", "commander", "chief"),
    "commander": ("commander", "general", "chief"),
}
_LEADER_ROLES = (
    "president",
    "prime minister",
    "premier",
    "chancellor",
    "king",
    "queen",
    "emir",
    "leader",
    "secretary-general",
    "head",
    "chairman",
    "crown prince",
    "sultan",
)


def _norm_date(s: str) -> dt.date | None:
    s = (s or "").strip()
    return dt.date.fromisoformat(s) if s else None


def _fold(s: str) -> str:
    """Accent- and apostrophe-folded form used for matching ("Erdoğan" = "Erdogan", "’" = "'")."""
    if s.isascii():
        return s
    s = s.replace("’", "'").replace("‘", "'")
    if s.isascii():
        return s
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def _split(s: str) -> list[str]:
    return [x.strip() for x in (s or "").split("|") if x.strip()]


def _case_mode(tok: str) -> int:
    """0: any case; 1: first letter must be upper case; 2: exact (acronyms such as US, UN, NATO)."""
    letters = [c for c in tok if c.isalpha()]
    if not letters:
        return 0
    if len(tok) >= 2 and all(c.isupper() for c in letters) and (len(letters) >= 2 or not tok.isalpha()):
        return 2
    if letters[0].isupper():
        return 2 if any(c.isupper() for c in letters[1:]) else 1  # "AfD", "LeT": exact
    return 0


def _plurals(word: str) -> list[str]:
    w = word.lower()
    if w.endswith(("ese", "sh", "ch", "s", "z", "x", "men")) or not word[-1].isalpha():
        return []
    if w.endswith("man"):
        return [word[:-3] + "men"]
    return [word + "s"]


@dataclass(frozen=True)
class _Entry:
    kind: str  # P person, O organisation, C country/metonym, S sector keyword, B blocker
    key: Any  # P: tuple of person ids; O: org key; C: code; S: sector
    sector: str | None = None
    name: str | None = None
    priority: int = 2  # S: sector priority
    person_title: bool = False
    keyword: str = ""  # S: the keyword; P: the alias
    doc_only: bool = False  # P: resolves only to a person already mentioned in the document
    full: bool = False  # P: full name (not a surname / short alias)
    modifier: bool = False  # S: adjective-like ("military support" is no actor); flag "mod"
    junta: bool = False  # S: refers to the military rulers the story names; flag "junta"


@dataclass
class _Item:
    start: int
    end: int
    entry: _Entry | None  # None for name (N) / surname-of-name (R) items
    kind: str  # P O C S N R
    ref: int = -1  # R: index of the N item it refers to


@dataclass
class _Role:
    code: str
    sector: str
    role: str
    start: dt.date | None
    end: dt.date | None
    country: str | None


@dataclass
class _Person:
    pid: str
    name: str
    gender: str | None
    roles: list[_Role]


class ActorFinder:
    """Find actor mentions in a spaCy Doc. Build once (loads the tables), call ``find`` many times."""

    MAX_PHRASE = 10

    def __init__(self, data_dir: str | Path | None = None):
        self.data_dir = Path(data_dir) if data_dir is not None else DATA_DIR

        self._tokenizer = spacy.blank("en").tokenizer
        # first lowercase token -> list of (lower tokens, case modes, entry), longest first
        self._index: dict[str, list[tuple[tuple[str, ...], tuple[int, ...], tuple[str, ...], _Entry]]] = {}
        self._seen_patterns: set = set()
        self._mod_heads: set[str] = set()  # nouns that keep a preceding "mod" keyword an actor
        self.country_names: dict[str, str] = {}
        self.orgs: dict[str, list[dict[str, Any]]] = {}
        self.people: dict[str, _Person] = {}
        self._load_countries()
        self._load_metonyms()
        self._load_orgs()
        self._load_people()
        self._load_sectors()
        for lst in self._index.values():
            lst.sort(key=lambda x: (-len(x[0]), _KIND_ORDER[x[3].kind]))
        self._seen_patterns.clear()
        self._nlp = None

    # ------------------------------------------------------------------ loading
    def _add(self, phrase: str, entry: _Entry, any_case: bool = False) -> None:
        phrase = phrase.strip()
        if not phrase:
            return
        if phrase.lower().startswith("the ") and entry.kind != _S:
            phrase = phrase[4:]
        toks = [_fold(t.text) for t in self._tokenizer(phrase)]
        if not toks or len(toks) > self.MAX_PHRASE:
            return
        low = tuple(t.lower() for t in toks)
        modes = tuple(0 for _ in toks) if any_case else tuple(_case_mode(t) for t in toks)
        pat = (low, modes, tuple(toks), entry)
        if pat in self._seen_patterns:
            return
        self._seen_patterns.add(pat)
        self._index.setdefault(low[0], []).append(pat)

    def _load_countries(self) -> None:
        for r in read_table(self.data_dir / "countries.tsv"):
            code, name = r["code"], r["name"]
            self.country_names[code] = name
            e = _Entry(_C, code, None, name)
            for a in [name] + _split(r.get("aliases", "")):
                self._add(a, e)
            for a in _split(r.get("adjectives", "")):
                self._add(a, e)
                for p in _plurals(a):
                    self._add(p, e)
            cap = _Entry(_C, code, "GOV", name)
            for a in _split(r.get("capitals", "")):
                self._add(a, cap)

    def _load_metonyms(self) -> None:
        path = self.data_dir / "actors_metonyms.tsv"
        if not path.exists():
            return
        for r in read_table(path):
            code = r.get("code", "")
            if not code:
                self._add(r["phrase"], _Entry(_B, None))
            else:
                self._add(
                    r["phrase"],
                    _Entry(_C, code, r.get("sector") or None, r.get("name") or self.country_names.get(code)),
                )

    def _load_orgs(self) -> None:
        for r in read_table(self.data_dir / "organisations.tsv"):
            key = r["name"]
            row = {
                "code": r["code"],
                "name": r["name"],
                "kind": r.get("kind") or "group",
                "sector": r.get("sector") or None,
                "country": r.get("country") or None,
                "start": _norm_date(r.get("start", "")),
                "end": _norm_date(r.get("end", "")),
            }
            self.orgs.setdefault(key, []).append(row)
            e = _Entry(_O, key, row["sector"], key)
            for a in [r["name"]] + _split(r.get("aliases", "")):
                self._add(a, e)

    def _load_people(self) -> None:
        path = self.data_dir / "people.tsv"
        aliases: dict[str, set[str]] = {}
        for r in read_table(path):
            pid = r["name"]
            p = self.people.get(pid)
            if p is None:
                p = self.people[pid] = _Person(pid, pid, (r.get("gender") or None), [])
            country = r.get("country") or None
            p.roles.append(
                _Role(
                    r.get("code") or country or UNKNOWN_CODE,
                    r.get("sector") or "GOV",
                    r.get("role", ""),
                    _norm_date(r.get("start", "")),
                    _norm_date(r.get("end", "")),
                    country,
                )
            )
            for a in [pid] + _split(r.get("aliases", "")):
                aliases.setdefault(a, set()).add(pid)
        self._office: dict[tuple[str, str], list[tuple[str, _Role]]] = {}
        for p in self.people.values():
            p.roles.sort(key=lambda x: x.start or dt.date.min)
            for r in p.roles:
                self._office.setdefault((r.code, r.role), []).append((p.pid, r))
        for alias, pids in aliases.items():
            doc_only = alias.startswith("~")
            a = alias.lstrip("~")
            full = any(a == pid for pid in pids) or len(a.split()) >= 2
            self._add(a, _Entry(_P, tuple(sorted(pids)), keyword=a, doc_only=doc_only, full=full))

    def _load_sectors(self) -> None:
        for r in read_table(self.data_dir / "sectors.tsv"):
            kw = r["keyword"]
            flags = set(_split(r.get("flags", "").replace(",", "|")))
            if "head" in flags or r["sector"] == "*":
                self._mod_heads.add(kw.lower())
                continue
            self._add(
                kw,
                _Entry(
                    _S,
                    r["sector"],
                    r["sector"],
                    priority=int(r.get("priority") or 2),
                    person_title=r.get("person", "0") == "1",
                    keyword=kw,
                    modifier="mod" in flags,
                    junta="junta" in flags,
                ),
                any_case=True,
            )

    # ------------------------------------------------------------------ resolution helpers
    def person_role(self, pid: str, date: dt.date | None) -> _Role | None:
        """The role a person holds on `date` (most recent role when date is None; a former office
        holder after their last role is ELI of their country)."""
        p = self.people.get(pid)
        if p is None or not p.roles:
            return None
        roles = p.roles
        if date is None:
            return roles[-1]
        active = [
            r for r in roles if (r.start is None or r.start <= date) and (r.end is None or date <= r.end)
        ]
        if active:
            return active[-1]
        past = [r for r in roles if r.end is not None and r.end < date]
        if past:
            last = max(past, key=lambda r: r.end)
            return _Role(
                last.country or last.code,
                "ELI",
                "former " + last.role,
                last.end,
                None,
                last.country or last.code,
            )
        first = roles[0]
        return _Role(first.country or first.code, "ELI", "", None, first.start, first.country or first.code)

    def _person_active(self, pid: str, date: dt.date | None) -> bool:
        if date is None:
            return True
        p = self.people[pid]
        return any((r.start is None or r.start <= date) and (r.end is None or date <= r.end) for r in p.roles)

    def person_actor(self, pid: str, date: dt.date | None, text: str = "") -> Actor | None:
        role = self.person_role(pid, date)
        if role is None:
            return None
        country = role.country or (role.code if role.code in self.country_names else None)
        return Actor(code=role.code, sector=role.sector, text=text, name=pid, kind="person", country=country)

    def org_actor(self, key: str, date: dt.date | None, text: str = "") -> Actor:
        rows = self.orgs[key]
        row = rows[-1]
        if date is not None:
            for r in rows:
                if (r["start"] is None or r["start"] <= date) and (r["end"] is None or date <= r["end"]):
                    row = r
                    break
        kind = "igo" if row["kind"] == "igo" else "group"
        return Actor(
            code=row["code"],
            sector=row["sector"],
            text=text,
            name=row["name"],
            kind=kind,
            country=row["country"],
        )

    # ------------------------------------------------------------------ matching
    def _match_at(self, i: int, lows: list[str], texts: list[str], n: int):
        cands = self._index.get(lows[i])
        if not cands:
            return None
        for low, modes, orig, entry in cands:
            k = len(low)
            if i + k > n:
                continue
            ok = True
            for j in range(k):
                if lows[i + j] != low[j]:
                    ok = False
                    break
                m = modes[j]
                if m == 1:
                    if not texts[i + j][:1].isupper():
                        ok = False
                        break
                elif m == 2 and texts[i + j] != orig[j]:
                    ok = False
                    break
            if ok:
                return k, entry
        return None

    def find(self, doc, story_date: dt.date | None = None) -> list[Mention]:
        """All actor mentions in the doc, sorted by start token, non-overlapping (except the two
        mentions of a "the two leaders" phrase, which share a span); offsets are doc-level."""
        n = len(doc)
        if n == 0:
            return []
        texts = [_fold(t.text) for t in doc]
        lows = [t.lower() for t in texts]
        # entity info: PERSON spans
        person_end = {}
        person_start_of = {}
        for ent in doc.ents:
            if ent.label_ == "PERSON":
                person_end[ent.start] = ent.end
                for k in range(ent.start, ent.end):
                    person_start_of[k] = ent.start
        items: list[_Item] = []
        surnames: dict[str, int] = {}  # surname of an unknown named person -> its N item index
        i = 0
        while i < n:
            low = lows[i]
            # "the two leaders" / "both sides"
            if low in _TWO_WORDS and i + 1 < n:
                j = i + 1
                if (
                    lows[j] in ("foreign", "defence", "defense", "heads")
                    and j + 1 < n
                    and lows[j + 1] in ("ministers", "of", "secretaries")
                ):
                    j += 1
                if lows[j] in _PLURAL_PERSON or lows[j] in _PLURAL_ANY:
                    start = i - 1 if i > 0 and lows[i - 1] == "the" else i
                    items.append(_Item(start, j + 1, None, "2P" if lows[j] in _PLURAL_PERSON else "2A"))
                    i = j + 1
                    continue
            m = self._match_at(i, lows, texts, n)
            if m is not None:
                k, entry = m
                if self._reject(doc, i, k, entry, lows, person_start_of, person_end):
                    m = None
                else:
                    if entry.kind != _B:
                        if entry.kind == _C and entry.sector and items:
                            entry = self._foreign_institution(items[-1], i, entry, lows)
                        items.append(_Item(i, i + k, entry, entry.kind))
                    i += k
                    continue
            t = texts[i]
            if t in surnames and t[:1].isupper() and person_end.get(i, i + 1) == i + 1:
                items.append(_Item(i, i + 1, None, "R", ref=surnames[t]))
                i += 1
                continue
            if i in person_start_of:  # unknown named person (spaCy PERSON, not in the tables)
                e = person_end[person_start_of[i]]
                # trim trailing possessive / sector words inside the entity
                if e - i >= 1:
                    items.append(_Item(i, e, None, "N"))
                    if e - i >= 2 and texts[e - 1][:1].isupper():
                        surnames[texts[e - 1]] = len(items) - 1
                    i = e
                    continue
            if low in _PRONOUN_GENDER:
                items.append(_Item(i, i + 1, None, "PR"))
            i += 1
        if not items:
            return []
        return self._resolve(doc, items, story_date, lows, texts)

    def _foreign_institution(self, prev: _Item, i: int, entry: _Entry, lows) -> _Entry:
        """ "Brazil's Congress", "the Philippine Congress", "Germany's Foreign Office": a national
        institution metonym (not a capital) right after another country's name or adjective is that
        country's institution, so it becomes a plain sector word."""
        if prev.kind != _C or prev.entry.sector is not None or prev.entry.key == entry.key:
            return entry
        if entry.name == self.country_names.get(entry.key):  # a capital
            return entry
        gap = i - prev.end
        if gap == 0 or (gap == 1 and lows[prev.end] in _POSSESSIVE):
            return _Entry(_S, entry.sector, entry.sector, priority=2, keyword=lows[i])
        return entry

    def _country_at(self, i: int, lows, texts, n: int) -> int:
        """Length of a plain country name/adjective match at token i (0 if none)."""
        if i < 0 or i >= n:
            return 0
        m = self._match_at(i, lows, texts, n)
        return m[0] if m is not None and m[1].kind == _C and m[1].sector is None else 0

    def _country_context(self, doc, i: int, lows) -> bool:
        """A name-like country ("Niger", "Mali", "Jordan") that spaCy tagged PERSON is still the country
        (1) before "'s" + a sector word ("Mali's military government") or (2) in a list of countries
        ("Niger, Mali and Burkina Faso") holding a member that is not itself a name-like country tagged
        PERSON, or holding three or more countries."""
        n = len(lows)
        texts = [_fold(t.text) for t in doc[max(0, i - 12) : min(n, i + 14)]]
        off = max(0, i - 12)
        lw = lows[off : off + len(texts)]
        nn = len(lw)
        li = i - off
        if li + 2 < nn and lw[li + 1] in _POSSESSIVE:
            for j in range(li + 2, min(nn, li + 6)):
                m = self._match_at(j, lw, texts, nn)
                if m is not None and m[1].kind == _S:
                    return True
                if doc[off + j].dep_ not in ("amod", "compound", "advmod", "punct", "nmod"):
                    break

        def weak(j: int, k: int) -> bool:
            return k == 1 and lw[j] in _NAME_LIKE_COUNTRIES and doc[off + j].ent_type_ == "PERSON"

        members = [(li, 1)]
        j = li + 1  # rightwards: ", X", "and X", ", and X"
        while j < nn and lw[j] in _LIST_SEPS:
            j2 = j + 1 if j + 1 < nn and lw[j + 1] in _LIST_SEPS else j
            k = self._country_at(j2 + 1, lw, texts, nn)
            if not k:
                break
            members.append((j2 + 1, k))
            j = j2 + 1 + k
        j = li - 1  # leftwards: "X ,", "X and"
        while j >= 1 and lw[j] in _LIST_SEPS:
            e = j - 1 if lw[j - 1] in _LIST_SEPS else j
            found = 0
            for st in range(max(0, e - 4), e):
                k = self._country_at(st, lw, texts, nn)
                if k and st + k == e:
                    found = st
                    members.append((st, k))
                    break
            else:
                break
            j = found - 1
        if len(members) < 2:
            return False
        return len(members) >= 3 or any(not weak(j, k) for j, k in members)

    def _reject(self, doc, i: int, k: int, entry: _Entry, lows, person_start_of, person_end) -> bool:
        if entry.kind in (_C, _O) and k == 1 and i in person_start_of:
            s = person_start_of[i]
            e = person_end[s]
            if e - s > 1:  # "Michael Jordan", "Chad Smith", "George Washington"
                return True
            if (
                entry.kind == _C
                and entry.sector is None
                and doc[i].ent_type_ == "PERSON"
                and lows[i] in _NAME_LIKE_COUNTRIES
                and not self._country_context(doc, i, lows)
            ):
                return True  # a lone "Jordan" tagged PERSON
        if entry.kind == _C and entry.key == "GEO" and lows[i] == "georgia":
            sent = doc[i].sent
            for t in sent:
                if t.lower_ in _US_STATE_CONTEXT:
                    return True
        if entry.kind == _C and i + k + 1 < len(lows) and lows[i + k] == "-" and lows[i + k + 1] in _BACKED:
            return True  # "Iranian-backed group" is not Iran
        if entry.kind == _S and entry.person_title and k == 1 and doc[i].tag_ == "JJ":
            return True  # "general election", "official figures"
        return False

    # ------------------------------------------------------------------ grouping and resolution
    def _can_join(self, chunk: list[_Item], nxt: _Item, doc, lows) -> bool:
        last = chunk[-1]
        kinds = {it.kind for it in chunk}
        if nxt.kind in ("PR", "2P", "2A", "R"):
            return False
        if last.kind in ("2P", "2A", "PR", "R"):
            return False
        gap = nxt.start - last.end
        if (
            gap >= 1
            and last.kind == _C
            and nxt.kind == _S
            and last.entry.sector is None
            and not (kinds & {_P, _O, "N"})
        ):
            j = last.end + 1 if lows[last.end] in _POSSESSIVE else last.end
            if j < nxt.start and self._adjective_filler(doc, j, nxt.start, nxt.end):
                # "Poland's nationalist government", "Israel's far-right finance minister",
                # "the Polish nationalist government"
                return True
        if gap == 1:
            g = lows[last.end]
            if g in _POSSESSIVE:
                if last.kind != _C or nxt.kind not in (_S, _P, "N") or kinds & {_P, _O, "N"}:
                    return False
            elif g == "of":
                if last.kind != _S or nxt.kind not in (_C,) or kinds & {_C, _P, _O, "N"}:
                    return False
            elif g == "in":  # "officials in France", "police in Pakistan"
                return (
                    kinds == {_S}
                    and nxt.kind == _C
                    and nxt.entry.sector is None
                    and not last.entry.person_title
                )
            else:
                return False
        elif gap != 0:
            return False
        if kinds & {_P, "N"}:
            # "Trump administration": a person followed by a non-person sector word
            return nxt.kind == _S and not nxt.entry.person_title and last.kind in (_P, "N")
        if nxt.kind == _C:
            return not (kinds & {_C, _O}) and last.kind == _S and (gap == 1 or not last.entry.person_title)
        if nxt.kind == _O:
            return not (kinds & {_O})
        if nxt.kind in (_P, "N"):
            return last.kind in (_S, _C) and (last.kind != _S or last.entry.person_title or kinds & {_C})
        return True  # S

    @staticmethod
    def _adjective_filler(doc, a: int, b: int, head_end: int) -> bool:
        """Tokens a..b-1 only modify the sector phrase ending at head_end (adjectives, hyphenated
        compounds, adverbs: "nationalist", "right-wing", "far-right", "newly elected")."""
        if b - a > 5:
            return False
        for t in doc[a:b]:
            if (
                t.dep_ not in ("amod", "compound", "advmod", "punct", "nmod", "npadvmod", "hyph")
                or not (a <= t.head.i < head_end)
                or t.tag_ not in ("JJ", "JJR", "JJS", "VBN", "RB", "RBS", "HYPH", "NN", "NNP")
            ):
                return False
        return True

    def _resolve(self, doc, items: list[_Item], date, lows, texts) -> list[Mention]:
        # group
        chunks: list[list[_Item]] = []
        for it in items:
            if chunks and self._can_join(chunks[-1], it, doc, lows):
                chunks[-1].append(it)
            else:
                chunks.append([it])
        out: list[Mention] = []
        place_cands: list[int] = []  # mention indices of lone country/IGO chunks
        unknown: list[tuple[int, str | None]] = []  # "---" mentions (index, person title or None)
        junta: set[int] = set()  # "---" mentions of "the junta"
        item_mention: dict[int, int] = {}  # id(N item) -> mention index
        person_full: dict[str, int] = {}  # person key -> index of the latest full mention
        person_meta: list[
            tuple[int, str | None, str, str | None]
        ] = []  # (mention idx, gender, role, country)
        sent_starts = None

        def sent_index(tok_i: int) -> int:
            nonlocal sent_starts
            if sent_starts is None:
                sent_starts = [s.start for s in doc.sents]
            lo, hi = 0, len(sent_starts)
            while lo + 1 < hi:
                mid = (lo + hi) // 2
                if sent_starts[mid] <= tok_i:
                    lo = mid
                else:
                    hi = mid
            return lo

        def add(start, end, actor, conf=1.0, ante=None):
            span = doc[start:end]
            actor = replace(actor, text=span.text)
            out.append(Mention(start, end, span.start_char, span.end_char, span.text, actor, conf, ante))
            return len(out) - 1

        def copy_from(idx, start, end, conf):
            src = out[idx]
            full = src.antecedent if src.antecedent is not None else idx
            return add(start, end, out[idx].actor, conf, full)

        for chunk in chunks:
            first = chunk[0]
            kind = first.kind
            start, end = first.start, chunk[-1].end
            if kind == "PR":
                g = _PRONOUN_GENDER[lows[start]]
                tok = doc[start]
                if tok.dep_ not in _PRONOUN_DEPS:
                    continue
                si = sent_index(start)
                for idx, pg, _role, _c in reversed(person_meta):
                    if sent_index(out[idx].start) < si - 2:
                        break
                    if pg is None or pg == g:
                        copy_from(idx, start, end, 0.7)
                        break
                continue
            if kind in ("2P", "2A"):
                picked: list[int] = []
                keys: set = set()
                states = kind == "2A" and lows[end - 1] in _PLURAL_STATES
                for idx in range(len(out) - 1, -1, -1):
                    a = out[idx].actor
                    if kind == "2P" and a.kind != "person":
                        continue
                    if kind == "2A" and a.kind == "unknown":
                        continue
                    if states:  # "the two countries" are states, never the UN or a group
                        c = a.country if a.kind == "person" else a.code
                        if a.kind not in ("country", "person") or c not in self.country_names:
                            continue
                        key = ("country", c)
                    else:
                        key = (a.kind, a.name if a.kind == "person" else a.code)
                    if key in keys:
                        continue
                    keys.add(key)
                    picked.append(idx)
                    if len(picked) == 2:
                        break
                if len(picked) == 2:
                    for idx in reversed(picked):
                        a = out[idx].actor
                        if states and a.kind == "person":  # "Putin and Xi ... the two countries"
                            full = out[idx].antecedent if out[idx].antecedent is not None else idx
                            add(
                                start,
                                end,
                                Actor(
                                    code=a.country,
                                    sector=None,
                                    kind="country",
                                    name=self.country_names.get(a.country),
                                    country=a.country,
                                ),
                                0.6,
                                full,
                            )
                        else:
                            copy_from(idx, start, end, 0.6)
                continue
            if kind == "R":
                mi = item_mention.get(first.ref)
                if mi is not None:
                    copy_from(mi, start, end, 0.8)
                continue
            n0 = len(out)
            self._resolve_chunk(
                doc,
                chunk,
                date,
                lows,
                texts,
                out,
                add,
                copy_from,
                person_full,
                person_meta,
                item_mention,
                items,
            )
            if len(out) == n0 + 1:
                if len(chunk) == 1 and chunk[0].kind in (_C, _O):
                    place_cands.append(n0)
                elif out[n0].actor.code == UNKNOWN_CODE and out[n0].antecedent is None:
                    last = chunk[-1]
                    title = last.entry.keyword if (last.kind == _S and last.entry.person_title) else None
                    if any(it.kind == _S and it.entry.junta for it in chunk):
                        junta.add(n0)
                    unknown.append((n0, title))
        if place_cands:
            self._mark_places(out, place_cands, lows)
            sport = [i for i, w in enumerate(lows) if w in _SPORT_WORDS]
            if sport:
                sport_sents = {sent_index(i) for i in sport}
                drop = {
                    i
                    for i in place_cands
                    if out[i].actor.kind == "country"
                    and out[i].actor.sector is None
                    and sent_index(out[i].start) in sport_sents
                }
                if drop:  # "Scotland beat England": national teams, not state actors
                    remap, kept = {}, []
                    for i, m in enumerate(out):
                        if i in drop:
                            continue
                        remap[i] = len(kept)
                        kept.append(m)
                    for m in kept:
                        if m.antecedent is not None:
                            m.antecedent = remap.get(m.antecedent)
                    unknown = [(remap[i], t) for i, t in unknown if i in remap]
                    junta = {remap[i] for i in junta if i in remap}
                    out[:] = kept
        if unknown:
            self._resolve_unknown(out, unknown, lows, date, doc, junta)
        return out

    def _mark_places(self, out: list[Mention], cands: list[int], lows) -> None:
        """Set ``Mention.is_location`` on a country/capital/institution/IGO mention that follows a
        locative preposition ("in Paris", "at the United Nations", "in northern Syria", "in Turkey
        and Syria"); such mentions name where something happens, not who does it."""
        prev_loc_end = -1
        for idx in cands:
            m = out[idx]
            a = m.actor
            if a.kind not in ("country", "igo"):
                continue
            j = m.start - 1
            while j >= 0 and (lows[j] in _DETERMINERS or lows[j] in _DIRECTIONS):
                j -= 1
            loc = j >= 0 and lows[j] in _LOCATIVE
            if (
                loc
                and m.end + 1 < len(lows)
                and lows[m.end] in _POSSESSIVE
                and lows[m.end + 1] not in _DIRECTIONS
                and lows[m.end + 1] not in _PLACE_NOUNS
            ):
                loc = False  # "in Russia's war on Ukraine": the possessor acts
            if not loc and prev_loc_end >= 0:
                # "in Turkey and Syria", "in Iraq, Syria or Yemen"
                between = lows[prev_loc_end : m.start]
                loc = 0 < len(between) <= 2 and all(w in (",", "and", "or", "the") for w in between)
            if loc:
                m.is_location = True
                prev_loc_end = m.end
            else:
                prev_loc_end = -1

    def _resolve_unknown(
        self,
        out: list[Mention],
        unknown: list[tuple[int, str | None]],
        lows,
        date,
        doc,
        junta: set[int] = frozenset(),
    ) -> None:
        """Give a country to "---" sector mentions from context:

        * an ethnic/national-group adjective right before the phrase ("Kurdish fighters"): the group's
          home state, picked among the states the story mentions (see ``_ETHNIC``);
        * otherwise the story's dominant country (the code of most country/person/group mentions: at
          least two, at least a third of them, strictly more than any other): "the government", "police", "the chancellor"
          (then resolved to the office holder of that country on the story date when people.tsv knows
          one). Confidence 0.5 (or the office holder's 0.6);
        * "the junta" (``junta`` flag in sectors.tsv): see ``_junta_country`` (never the dominant
          country by count alone: a story about a junta is often mostly about a foreign state)."""
        counts: dict[str, int] = {}
        for m in out:
            c = m.actor.country
            if c and c in self.country_names and m.actor.kind in ("country", "person", "group"):
                counts[c] = counts.get(c, 0) + 1
        ranked = sorted(counts.items(), key=lambda x: -x[1])
        dominant = None
        total = sum(counts.values())
        if (
            ranked
            and ranked[0][1] >= 2
            and 3 * ranked[0][1] >= total
            and (len(ranked) == 1 or ranked[0][1] > ranked[1][1])
        ):
            dominant = ranked[0][0]
        for idx, title in unknown:
            m = out[idx]
            a = m.actor
            if a.sector in _NO_STORY_COUNTRY:
                continue
            if idx in junta:
                code = self._junta_country(out, idx, lows, doc)
                if code is not None:
                    m.actor = replace(
                        a, code=code, country=code, kind="country", name=self.country_names.get(code)
                    )
                    m.confidence = 0.6
                continue
            prev = lows[m.start - 1] if m.start > 0 else ""
            eth = _ETHNIC.get(prev)
            if eth is not None and a.kind == "unknown":
                code = next((c for c in eth if c in counts), None) or (eth[0] if len(eth) == 1 else None)
                if code is not None:
                    sector = a.sector
                    if sector == "MIL" and code in _ETHNIC_NONSTATE.get(prev, ()):
                        sector = "REB"
                    span = doc[m.start - 1 : m.end]
                    out[idx] = Mention(
                        span.start,
                        span.end,
                        span.start_char,
                        span.end_char,
                        span.text,
                        replace(
                            a,
                            code=code,
                            country=code,
                            sector=sector,
                            kind="country",
                            name=self.country_names.get(code),
                            text=span.text,
                        ),
                        0.6,
                        None,
                    )
                    continue
            if dominant is None or a.sector in _NONSTATE:
                continue  # "militants", "foreign fighters": often not of the story's country
            if title and a.kind == "unknown":
                pid = self._office_holder(dominant, title, date)
                if pid is not None:
                    pa = self.person_actor(pid, date)
                    if pa is not None:
                        m.actor = replace(pa, text=m.text)
                        m.confidence = 0.6
                        continue
            kind = "person" if a.kind == "person" else "country"
            name = a.name if a.kind == "person" else self.country_names.get(dominant)
            m.actor = replace(a, code=dominant, country=dominant, kind=kind, name=name)
            m.confidence = 0.5

    def _junta_country(self, out: list[Mention], idx: int, lows, doc) -> str | None:
        """Country of "the junta": (1) the latest earlier military-government mention ("Mali's military
        government", "Niger's junta"); (2) the latest country named in a sentence about a coup ("the
        army seized power in Niger"); (3) the one country named bare (no sector) in the story."""

        def ok(a) -> bool:
            return bool(a.country) and a.country in self.country_names and a.kind in ("country", "person")

        for j in range(idx - 1, -1, -1):
            a = out[j].actor
            words = lows[out[j].start : out[j].end]
            if ok(a) and (
                any(w in ("junta", "juntas") for w in words)
                or (a.sector in ("GOV", "MIL") and "military" in words and len(words) > 1)
            ):
                return a.country
        for j in range(idx - 1, -1, -1):
            a = out[j].actor
            if ok(a) and a.kind == "country" and a.sector is None:
                sent = doc[out[j].start].sent
                sl = [lows[k] for k in range(sent.start, sent.end)]
                if any(w in _COUP_WORDS for w in sl) or any(
                    w in ("seized", "seize", "seizing", "took", "take", "taking")
                    and k + 1 < len(sl)
                    and sl[k + 1] == "power"
                    for k, w in enumerate(sl)
                ):
                    return a.country
        bare = {
            m.actor.code
            for m in out
            if m.actor.kind == "country" and m.actor.sector is None and m.actor.code in self.country_names
        }
        return bare.pop() if len(bare) == 1 else None

    def _resolve_chunk(
        self,
        doc,
        chunk,
        date,
        lows,
        texts,
        out,
        add,
        copy_from,
        person_full,
        person_meta,
        item_mention,
        items,
    ) -> None:
        start, end = chunk[0].start, chunk[-1].end
        pers = [it for it in chunk if it.kind == _P]
        orgs = [it for it in chunk if it.kind == _O]
        names = [it for it in chunk if it.kind == "N"]
        ctry = [it for it in chunk if it.kind == _C]
        secs = [it for it in chunk if it.kind == _S]
        country_code = ctry[0].entry.key if ctry else None

        def best_sector(extra: list[tuple[int, int, str]] | None = None, only_after: int = -1):
            best = None
            cands = [(it.entry.priority, it.start, it.entry.sector) for it in secs if it.start > only_after]
            if extra:
                cands += extra
            for pr, pos, s in cands:
                if best is None or pr > best[0] or (pr == best[0] and pos > best[1]):
                    best = (pr, pos, s)
            return best[2] if best else None

        def remember_person(idx: int, pid: str | None, gender: str | None, role: str, country: str | None):
            person_meta.append((idx, gender, role, country))
            if pid is not None:
                person_full[pid] = idx

        # -- known person
        if pers:
            p_item = pers[0]
            pid = self._pick_person(p_item.entry, date, person_full)
            if pid is not None:
                after = [it for it in secs if it.start >= p_item.end]
                if after:  # "Trump administration", "Putin regime"
                    a = self.person_actor(pid, date)
                    sector = best_sector(only_after=p_item.end - 1)
                    add(
                        start,
                        end,
                        Actor(
                            code=a.country or a.code,
                            sector=sector,
                            kind="country",
                            name=self.country_names.get(a.country or a.code),
                            country=a.country or a.code,
                        ),
                    )
                    return
                actor = self.person_actor(pid, date)
                ante = None
                if not p_item.entry.full or p_item.entry.doc_only:
                    ante = person_full.get(pid)
                idx = add(start, end, actor, 1.0 if ante is None else 0.9, ante)
                role = self.person_role(pid, date)
                if ante is None or pid not in person_full:
                    person_full[pid] = idx
                person_meta.append((idx, self.people[pid].gender, role.role if role else "", actor.country))
                return
            # unresolvable surname: fall through using the rest of the chunk
        # -- organisation
        if orgs:
            key = orgs[0].entry.key
            actor = self.org_actor(key, date)
            add(start, end, actor)
            return
        # -- unknown named person
        if names:
            nm = names[0]
            title_secs = [it for it in secs if it.start < nm.start]
            sector = best_sector([(2, -1, ctry[0].entry.sector)] if ctry and ctry[0].entry.sector else None)
            if not ctry and not title_secs:
                # a bare name with no title or country: not an actor we can code; remember it for
                # surname/pronoun coreference only if a later mention gives more information
                return
            name = doc[nm.start : nm.end].text
            code = country_code or UNKNOWN_CODE
            conf = 0.7 if ctry else 0.4
            idx = add(
                start,
                end,
                Actor(code=code, sector=sector, name=name, kind="person", country=country_code),
                conf,
            )
            item_mention[items.index(nm)] = idx
            role = " ".join(it.entry.keyword for it in title_secs)
            person_meta.append((idx, None, role, country_code))
            return
        # -- "the <title>" coreference
        title = None
        if (
            secs
            and secs[-1].entry.person_title
            and (secs[-1] is chunk[-1] or (chunk[-1].kind == _C and chunk[-1].start == secs[-1].end + 1))
        ):
            title = secs[-1].entry.keyword
        has_det = start > 0 and lows[start - 1] in _DETERMINERS
        if title and has_det and (not ctry or ctry[0].entry.sector is None):
            idx = self._title_antecedent(title, country_code, person_meta, out)
            if idx is not None:
                copy_from(idx, start, end, 0.7)
                return
        if title and country_code and not ctry[0].entry.sector:
            pid = self._office_holder(country_code, title, date)
            if pid is not None:
                actor = self.person_actor(pid, date)
                idx = add(start, end, actor, 0.8, person_full.get(pid))
                if pid not in person_full:
                    person_full[pid] = idx
                role = self.person_role(pid, date)
                person_meta.append((idx, self.people[pid].gender, role.role if role else "", actor.country))
                return
        if title and not ctry and title in ("president-elect", "president - elect") and has_det and date:
            holders = [
                pid
                for (c, r), lst in self._office.items()
                if r == "president-elect"
                for pid, ro in lst
                if (ro.start is None or ro.start <= date) and (ro.end is None or date <= ro.end)
            ]
            if len(set(holders)) == 1:
                pid = holders[0]
                idx = add(start, end, self.person_actor(pid, date), 0.8, person_full.get(pid))
                person_full.setdefault(pid, idx)
                person_meta.append(
                    (idx, self.people[pid].gender, "president-elect", self.person_actor(pid, date).country)
                )
                return
        if ctry:
            extra = None
            if ctry[0].entry.sector:
                extra = [(2, ctry[0].start, ctry[0].entry.sector)]
            sector = best_sector(extra)
            e = ctry[0].entry
            name = (
                e.name
                if e.sector and e.name and e.name != self.country_names.get(e.key)
                else self.country_names.get(e.key, e.name)
            )
            add(start, end, Actor(code=e.key, sector=sector, name=name, kind="country", country=e.key))
            return
        if secs:
            if chunk[-1].kind == _S and chunk[-1].entry.modifier and self._modifier_use(doc, end, lows):
                return  # "military support", "police reform", "government bonds": no actor
            sector = best_sector()
            add(start, end, Actor(code=UNKNOWN_CODE, sector=sector, kind="unknown"), 0.3)

    def _modifier_use(self, doc, end: int, lows) -> bool:
        """True when the adjective-like sector word ending at token ``end`` modifies a following
        noun that does not keep it an actor: "military support", "police reform", "government
        bonds", "government-backed" (but not "army officers", "military coup", "police raid")."""
        n = len(doc)
        if end >= n:
            return False
        if lows[end] == "-":  # "government-backed", "military-run"
            return end + 1 < n and doc[end + 1].is_alpha and lows[end + 1] not in self._mod_heads
        if doc[end].tag_ not in ("NN", "NNS"):
            return False
        tok = doc[end - 1]
        head = tok.head.i
        if head < end or tok.dep_ not in ("compound", "amod", "nmod", "npadvmod") or head - end > 3:
            return False
        return not any(lows[j] in self._mod_heads for j in range(end, head + 1))

    def _office_holder(self, code: str, title: str, date) -> str | None:
        """The one person holding `title` ("president", "foreign minister") for `code` on `date`
        (undated: the open-ended current holder), from people.tsv; None if unknown or ambiguous."""
        fits = _TITLE_ROLE_WORDS.get(title)
        if not fits:
            return None
        found = set()
        for role in fits:
            for pid, r in self._office.get((code, role), ()):
                if date is None:
                    ok = r.end is None and self.people[pid].roles[-1] is r
                else:
                    ok = (r.start is None or r.start <= date) and (r.end is None or date <= r.end)
                if ok:
                    found.add(pid)
        return found.pop() if len(found) == 1 else None

    def _pick_person(self, entry: _Entry, date, person_full) -> str | None:
        pids = entry.key
        seen = [p for p in pids if p in person_full]
        if seen:
            return max(seen, key=lambda p: person_full[p])
        if entry.doc_only:
            return None
        if len(pids) == 1:
            return pids[0]
        active = [p for p in pids if self._person_active(p, date)]
        if len(active) == 1:
            return active[0]
        return None

    def _title_antecedent(self, title: str, country: str | None, person_meta, out) -> int | None:
        fits = _TITLE_ROLE_WORDS.get(title, "missing")
        if fits == "missing":
            return None
        cands = []
        for idx, _g, role, pc in reversed(person_meta):
            if country and pc != country and out[idx].actor.code != country:
                continue
            r = (role or "").lower()
            if fits is None:
                ok = any(w in r for w in _LEADER_ROLES) or out[idx].actor.sector in ("REB", "UAF")
            else:
                ok = any(w in r for w in fits)
            if ok:
                cands.append(idx)
        if not cands:
            return None
        if country:
            return cands[0]
        names = {out[i].actor.name for i in cands}
        return cands[0] if len(names) == 1 else None

    # ------------------------------------------------------------------ free text
    def resolve_text(self, text: str, story_date: dt.date | None = None) -> Actor | None:
        """Resolve a free phrase ('Iranian Foreign Minister Mohammad Javad Zarif', 'the Kremlin',
        'a U.S. Supreme Court decision') to one Actor (the longest mention found), or None."""
        if not text or not text.strip():
            return None

        text = normalise_text(text)
        if not text:
            return None
        if self._nlp is None:
            self._nlp = load_nlp()
        mentions = self.find(self._nlp(text), story_date)
        if not mentions:
            return None
        best = max(mentions, key=lambda m: (m.actor.kind != "unknown", m.end - m.start, -m.start))
        return best.actor
