"""The actor dictionaries (src/detente/data/*.tsv) loaded into one phrase index and lookups by date.

* ``countries.tsv``       ISO alpha-3 code, name, aliases, adjectives/demonyms, capitals (capital -> GOV)
* ``actors_metonyms.tsv`` national institutions/metonyms with a fixed sector ("the Pentagon" -> USA MIL),
                          plus *blockers* (empty code: "New Mexico", "Persian Gulf" are not actors)
* ``organisations.tsv``   IGOs, NGOs and armed groups, date-bounded (Taliban REB -> AFG GOV 2021-08-15)
* ``people.tsv``          political figures with date-bounded roles (one row per role)
* ``sectors.tsv``         keyword -> CAMEO sector ("troops" -> MIL, "foreign minister" -> GOV)

Every phrase is indexed by its first lower-case token; ``ActorTables.match_at`` finds the longest
phrase starting at a token whose case constraints hold ("US" must be upper case, "China"
capitalised, sector keywords match in any case)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import spacy

from detente.model import Actor
from detente.resources import DATA_DIR, read_table

UNKNOWN_CODE = "---"

# Kinds of table entries and of the items found in a document.
PERSON, ORG, COUNTRY, SECTOR, BLOCKER = "P", "O", "C", "S", "B"
NAME, SURNAME, PRONOUN, TWO_PERSONS, TWO_ANY = "N", "R", "PR", "2P", "2A"
# Priority of table kinds when the same words match several tables (first wins).
_KIND_ORDER = {BLOCKER: 0, PERSON: 1, ORG: 2, COUNTRY: 3, SECTOR: 4}

# "the <title>" -> role words that fit (None: any leader role), from data/lexicon/title_roles.tsv
TITLE_ROLE_WORDS: dict[str, tuple[str, ...] | None] = {
    r["title"]: None if r["roles"] == "*" else tuple(r["roles"].split("|"))
    for r in read_table("lexicon/title_roles.tsv")
}


def _norm_date(s: str) -> dt.date | None:
    s = (s or "").strip()
    return dt.date.fromisoformat(s) if s else None


def fold(s: str) -> str:
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


def _active(start: dt.date | None, end: dt.date | None, date: dt.date) -> bool:
    return (start is None or start <= date) and (end is None or date <= end)


@dataclass(frozen=True)
class Entry:
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


@dataclass(frozen=True)
class Phrase:
    """One indexed phrase: its lower-case tokens, case modes (see _case_mode), folded tokens."""

    lows: tuple[str, ...]
    modes: tuple[int, ...]
    tokens: tuple[str, ...]
    entry: Entry

    def matches(self, i: int, lows: list[str], texts: list[str]) -> bool:
        for j, low in enumerate(self.lows):
            if lows[i + j] != low:
                return False
            m = self.modes[j]
            if m == 1:
                if not texts[i + j][:1].isupper():
                    return False
            elif m == 2 and texts[i + j] != self.tokens[j]:
                return False
        return True


@dataclass
class Role:
    code: str
    sector: str
    role: str
    start: dt.date | None
    end: dt.date | None
    country: str | None


@dataclass
class Person:
    pid: str
    name: str
    gender: str | None
    roles: list[Role]


class ActorTables:
    """The dictionaries, loaded once: the phrase index, countries, organisations, people, offices."""

    MAX_PHRASE = 10

    def __init__(self, data_dir: str | Path | None = None):
        self.data_dir = Path(data_dir) if data_dir is not None else DATA_DIR
        self._tokenizer = spacy.blank("en").tokenizer
        # first lowercase token -> phrases starting with it, longest first
        self.index: dict[str, list[Phrase]] = {}
        self._seen_patterns: set[Phrase] = set()
        self.mod_heads: set[str] = set()  # nouns that keep a preceding "mod" keyword an actor
        self.country_names: dict[str, str] = {}
        self.orgs: dict[str, list[dict[str, Any]]] = {}
        self.people: dict[str, Person] = {}
        self.office: dict[tuple[str, str], list[tuple[str, Role]]] = {}
        self._load_countries()
        self._load_metonyms()
        self._load_orgs()
        self._load_people()
        self._load_sectors()
        for lst in self.index.values():
            lst.sort(key=lambda x: (-len(x.lows), _KIND_ORDER[x.entry.kind]))
        self._seen_patterns.clear()

    # ------------------------------------------------------------------ loading
    def _add(self, phrase: str, entry: Entry, any_case: bool = False) -> None:
        phrase = phrase.strip()
        if not phrase:
            return
        if phrase.lower().startswith("the ") and entry.kind != SECTOR:
            phrase = phrase[4:]
        toks = [fold(t.text) for t in self._tokenizer(phrase)]
        if not toks or len(toks) > self.MAX_PHRASE:
            return
        low = tuple(t.lower() for t in toks)
        modes = tuple(0 for _ in toks) if any_case else tuple(_case_mode(t) for t in toks)
        pat = Phrase(low, modes, tuple(toks), entry)
        if pat in self._seen_patterns:
            return
        self._seen_patterns.add(pat)
        self.index.setdefault(low[0], []).append(pat)

    def _load_countries(self) -> None:
        for r in read_table(self.data_dir / "countries.tsv"):
            code, name = r["code"], r["name"]
            self.country_names[code] = name
            e = Entry(COUNTRY, code, None, name)
            for a in [name, *_split(r.get("aliases", ""))]:
                self._add(a, e)
            for a in _split(r.get("adjectives", "")):
                self._add(a, e)
                for p in _plurals(a):
                    self._add(p, e)
            cap = Entry(COUNTRY, code, "GOV", name)
            for a in _split(r.get("capitals", "")):
                self._add(a, cap)

    def _load_metonyms(self) -> None:
        path = self.data_dir / "actors_metonyms.tsv"
        if not path.exists():
            return
        for r in read_table(path):
            code = r.get("code", "")
            if not code:
                self._add(r["phrase"], Entry(BLOCKER, None))
            else:
                name = r.get("name") or self.country_names.get(code)
                self._add(r["phrase"], Entry(COUNTRY, code, r.get("sector") or None, name))

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
            e = Entry(ORG, key, row["sector"], key)
            for a in [r["name"], *_split(r.get("aliases", ""))]:
                self._add(a, e)

    def _load_people(self) -> None:
        aliases: dict[str, set[str]] = {}
        for r in read_table(self.data_dir / "people.tsv"):
            pid = r["name"]
            p = self.people.get(pid)
            if p is None:
                p = self.people[pid] = Person(pid, pid, (r.get("gender") or None), [])
            country = r.get("country") or None
            p.roles.append(
                Role(
                    r.get("code") or country or UNKNOWN_CODE,
                    r.get("sector") or "GOV",
                    r.get("role", ""),
                    _norm_date(r.get("start", "")),
                    _norm_date(r.get("end", "")),
                    country,
                )
            )
            for a in [pid, *_split(r.get("aliases", ""))]:
                aliases.setdefault(a, set()).add(pid)
        for p in self.people.values():
            p.roles.sort(key=lambda x: x.start or dt.date.min)
            for r in p.roles:
                self.office.setdefault((r.code, r.role), []).append((p.pid, r))
        for alias, pids in aliases.items():
            doc_only = alias.startswith("~")
            a = alias.lstrip("~")
            full = any(a == pid for pid in pids) or len(a.split()) >= 2
            self._add(a, Entry(PERSON, tuple(sorted(pids)), keyword=a, doc_only=doc_only, full=full))

    def _load_sectors(self) -> None:
        for r in read_table(self.data_dir / "sectors.tsv"):
            kw = r["keyword"]
            flags = set(_split(r.get("flags", "").replace(",", "|")))
            if "head" in flags or r["sector"] == "*":
                self.mod_heads.add(kw.lower())
                continue
            entry = Entry(
                SECTOR,
                r["sector"],
                r["sector"],
                priority=int(r.get("priority") or 2),
                person_title=r.get("person", "0") == "1",
                keyword=kw,
                modifier="mod" in flags,
                junta="junta" in flags,
            )
            self._add(kw, entry, any_case=True)

    # ------------------------------------------------------------------ lookups
    def match_at(self, i: int, lows: list[str], texts: list[str], n: int) -> tuple[int, Entry] | None:
        """(length, entry) of the longest indexed phrase starting at token i, or None."""
        for phrase in self.index.get(lows[i], ()):
            k = len(phrase.lows)
            if i + k <= n and phrase.matches(i, lows, texts):
                return k, phrase.entry
        return None

    def person_role(self, pid: str, date: dt.date | None) -> Role | None:
        """The role a person holds on `date` (most recent role when date is None; a former office
        holder after their last role is ELI of their country)."""
        p = self.people.get(pid)
        if p is None or not p.roles:
            return None
        roles = p.roles
        if date is None:
            return roles[-1]
        active = [r for r in roles if _active(r.start, r.end, date)]
        if active:
            return active[-1]
        past = [r for r in roles if r.end is not None and r.end < date]
        if past:
            last = max(past, key=lambda r: r.end)
            home = last.country or last.code
            return Role(home, "ELI", "former " + last.role, last.end, None, home)
        first = roles[0]
        return Role(first.country or first.code, "ELI", "", None, first.start, first.country or first.code)

    def person_active(self, pid: str, date: dt.date | None) -> bool:
        if date is None:
            return True
        return any(_active(r.start, r.end, date) for r in self.people[pid].roles)

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
            row = next((r for r in rows if _active(r["start"], r["end"], date)), row)
        kind = "igo" if row["kind"] == "igo" else "group"
        return Actor(
            code=row["code"],
            sector=row["sector"],
            text=text,
            name=row["name"],
            kind=kind,
            country=row["country"],
        )

    def country_actor(self, code: str | None, sector: str | None = None) -> Actor:
        """A state actor by its code, named as in countries.tsv."""
        return Actor(
            code=code, sector=sector, kind="country", name=self.country_names.get(code), country=code
        )

    def office_holder(self, code: str, title: str, date: dt.date | None) -> str | None:
        """The one person holding `title` ("president", "foreign minister") for `code` on `date`
        (undated: the open-ended current holder), from people.tsv; None if unknown or ambiguous."""
        fits = TITLE_ROLE_WORDS.get(title)
        if not fits:
            return None
        found = set()
        for role in fits:
            for pid, r in self.office.get((code, role), ()):
                if date is None:
                    ok = r.end is None and self.people[pid].roles[-1] is r
                else:
                    ok = _active(r.start, r.end, date)
                if ok:
                    found.add(pid)
        return found.pop() if len(found) == 1 else None

    def president_elect(self, date: dt.date) -> str | None:
        """The one person who is somebody's president-elect on `date`, else None."""
        holders = [
            pid
            for (_c, r), lst in self.office.items()
            if r == "president-elect"
            for pid, ro in lst
            if _active(ro.start, ro.end, date)
        ]
        return holders[0] if len(set(holders)) == 1 else None
