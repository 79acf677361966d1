"""Resolution: group a document's items into phrases and turn each phrase into a Mention.

Adjacent items are grouped into one phrase: ``[the] [Country] ['s|of] [sector words] [Person|Name]``,
or ``[Country] [Organisation] [sector words]`` ("Iranian Foreign Minister Mohammad Javad Zarif",
"Ukraine's parliament", "the president of France", "Hamas fighters"). Two countries never join:
"Japan and South Korea" and "US-China" are two mentions each.

Each phrase is resolved: known person (role on the story date) > organisation (row valid on the
date) > unknown named person (country + title) > "the <title>" (coreference, then the office
holder) > country with sector (highest-priority sector keyword; ties go to the head, i.e. the
last word) > sector alone (code "---"). Then, over the whole story: country mentions after a
locative preposition are marked as locations, national teams in sport sentences are dropped, and
"---" mentions get a country from context (``resolve_unknown``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from detente.coding.actors import coreference
from detente.coding.actors.matching import POSSESSIVE, Item
from detente.coding.actors.state import DocState, PersonRef
from detente.coding.actors.tables import (
    COUNTRY,
    NAME,
    ORG,
    PERSON,
    PRONOUN,
    SECTOR,
    SURNAME,
    TWO_ANY,
    TWO_PERSONS,
    UNKNOWN_CODE,
    ActorTables,
)
from detente.lexicon import words
from detente.model import Actor, Mention
from detente.resources import read_table

if TYPE_CHECKING:
    from spacy.tokens import Doc

_DETERMINERS = frozenset({"the"})
_NO_STORY_COUNTRY = frozenset({"IGO", "NGO"})
_NONSTATE = frozenset({"REB", "UAF", "SEP", "CRM"})
# Items that never join a phrase: they refer back to an earlier mention.
_REFERRING = frozenset({PRONOUN, TWO_PERSONS, TWO_ANY, SURNAME})
_LOCATIVE = words("actor_locative_prepositions")
_DIRECTIONS = words("actor_location_modifiers")
_PLACE_NOUNS = words("actor_place_nouns")
_SPORT_WORDS = words("sport_words")
_COUP_WORDS = words("coup_words")
# ethnic / stateless-nation adjective -> candidate home states; -> states where its forces are REB
_ETHNIC = {r["word"]: tuple(r["home_states"].split("|")) for r in read_table("lexicon/ethnic_groups.tsv")}
_ETHNIC_NONSTATE = {
    r["word"]: tuple(r["nonstate_in"].split("|"))
    for r in read_table("lexicon/ethnic_groups.tsv")
    if r["nonstate_in"]
}


def resolve(tables: ActorTables, st: DocState) -> list[Mention]:
    """The mentions of a document whose items are in ``st``."""
    for chunk in group(st.items, st.doc, st.lows):
        first = chunk[0]
        start, end = first.start, chunk[-1].end
        if first.kind == PRONOUN:
            coreference.resolve_pronoun(st, start, end)
        elif first.kind in (TWO_PERSONS, TWO_ANY):
            coreference.resolve_two(tables, st, first.kind, start, end)
        elif first.kind == SURNAME:
            coreference.resolve_surname(st, first)
        else:
            _resolve_phrase(tables, st, chunk)
    if st.place_cands:
        _mark_places(st)
        _drop_sport_teams(st)
    if st.unknown:
        resolve_unknown(tables, st)
    return st.out


def _resolve_phrase(tables: ActorTables, st: DocState, chunk: list[Item]) -> None:
    """Resolve one phrase and note what the story-level passes need to look at again."""
    n0 = len(st.out)
    _Phrase(tables, st, chunk).resolve()
    if len(st.out) != n0 + 1:
        return
    if len(chunk) == 1 and chunk[0].kind in (COUNTRY, ORG):
        st.place_cands.append(n0)
    elif st.out[n0].actor.code == UNKNOWN_CODE and st.out[n0].antecedent is None:
        last = chunk[-1]
        title = last.entry.keyword if (last.kind == SECTOR and last.entry.person_title) else None
        if any(it.kind == SECTOR and it.entry.junta for it in chunk):
            st.junta.add(n0)
        st.unknown.append((n0, title))


# ---------------------------------------------------------------------- grouping
def group(items: list[Item], doc: Doc, lows: list[str]) -> list[list[Item]]:
    chunks: list[list[Item]] = []
    for it in items:
        if chunks and can_join(chunks[-1], it, doc, lows):
            chunks[-1].append(it)
        else:
            chunks.append([it])
    return chunks


def can_join(chunk: list[Item], nxt: Item, doc: Doc, lows: list[str]) -> bool:
    last = chunk[-1]
    if nxt.kind in _REFERRING or last.kind in _REFERRING:
        return False
    kinds = {it.kind for it in chunk}
    gap = nxt.start - last.end
    if gap >= 1 and _modified_sector(chunk, nxt, kinds, doc, lows):
        return True
    if gap == 1:
        verdict = _join_across(lows[last.end], last, nxt, kinds)
        if verdict is not None:
            return verdict
    elif gap != 0:
        return False
    return _join_adjacent(last, nxt, kinds, gap)


def _modified_sector(chunk: list[Item], nxt: Item, kinds: set[str], doc, lows: list[str]) -> bool:
    """ "Poland's nationalist government", "Israel's far-right finance minister", "the Polish
    nationalist government": a country, then only modifiers of the sector phrase that follows."""
    last = chunk[-1]
    if not (last.kind == COUNTRY and nxt.kind == SECTOR and last.entry.sector is None):
        return False
    if kinds & {PERSON, ORG, NAME}:
        return False
    j = last.end + 1 if lows[last.end] in POSSESSIVE else last.end
    return j < nxt.start and _adjective_filler(doc, j, nxt.start, nxt.end)


def _join_across(word: str, last: Item, nxt: Item, kinds: set[str]) -> bool | None:
    """Whether one word between two items lets them join: False (never), True/False (decided),
    None (allowed; the adjacency rules decide)."""
    if word in POSSESSIVE:
        if last.kind != COUNTRY or nxt.kind not in (SECTOR, PERSON, NAME) or kinds & {PERSON, ORG, NAME}:
            return False
        return None
    if word == "of":
        if last.kind != SECTOR or nxt.kind != COUNTRY or kinds & {COUNTRY, PERSON, ORG, NAME}:
            return False
        return None
    if word == "in":  # "officials in France", "police in Pakistan"
        return (
            kinds == {SECTOR}
            and nxt.kind == COUNTRY
            and nxt.entry.sector is None
            and not last.entry.person_title
        )
    return False


def _join_adjacent(last: Item, nxt: Item, kinds: set[str], gap: int) -> bool:
    if kinds & {PERSON, NAME}:
        # "Trump administration": a person followed by a non-person sector word
        return nxt.kind == SECTOR and not nxt.entry.person_title and last.kind in (PERSON, NAME)
    if nxt.kind == COUNTRY:
        return (
            not (kinds & {COUNTRY, ORG}) and last.kind == SECTOR and (gap == 1 or not last.entry.person_title)
        )
    if nxt.kind == ORG:
        return not (kinds & {ORG})
    if nxt.kind in (PERSON, NAME):
        return last.kind in (SECTOR, COUNTRY) and bool(
            last.kind != SECTOR or last.entry.person_title or kinds & {COUNTRY}
        )
    return True  # S


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


# ---------------------------------------------------------------------- one phrase
class _Phrase:
    """One group of items and the steps that may resolve it, tried in order of priority."""

    def __init__(self, tables: ActorTables, st: DocState, chunk: list[Item]):
        self.tables = tables
        self.st = st
        self.chunk = chunk
        self.start, self.end = chunk[0].start, chunk[-1].end
        self.persons = [it for it in chunk if it.kind == PERSON]
        self.orgs = [it for it in chunk if it.kind == ORG]
        self.names = [it for it in chunk if it.kind == NAME]
        self.countries = [it for it in chunk if it.kind == COUNTRY]
        self.sectors = [it for it in chunk if it.kind == SECTOR]
        self.country_code = self.countries[0].entry.key if self.countries else None

    def resolve(self) -> None:
        steps = (
            self._known_person,
            self._organisation,
            self._named_person,
            self._titled_person,
            self._country,
            self._sector,
        )
        for step in steps:
            if step():
                return

    def best_sector(
        self, extra: list[tuple[int, int, str]] | None = None, only_after: int = -1
    ) -> str | None:
        """The highest-priority sector keyword (ties: the later one, i.e. the head)."""
        best = None
        cands = [
            (it.entry.priority, it.start, it.entry.sector) for it in self.sectors if it.start > only_after
        ]
        if extra:
            cands += extra
        for pr, pos, s in cands:
            if best is None or pr > best[0] or (pr == best[0] and pos > best[1]):
                best = (pr, pos, s)
        return best[2] if best else None

    def _remember(self, idx: int, pid: str, role: str | None = None) -> None:
        """Note a known person's mention for titles and pronouns (its role on the story date)."""
        tables, date = self.tables, self.st.date
        if role is None:
            r = tables.person_role(pid, date)
            role = r.role if r else ""
        country = tables.person_actor(pid, date).country
        self.st.person_refs.append(PersonRef(idx, tables.people[pid].gender, role, country))

    def _known_person(self) -> bool:
        if not self.persons:
            return False
        tables, st = self.tables, self.st
        p_item = self.persons[0]
        pid = coreference.pick_person(tables, p_item.entry, st)
        if pid is None:
            return False  # unresolvable surname: the rest of the phrase decides
        a = tables.person_actor(pid, st.date)
        if any(it.start >= p_item.end for it in self.sectors):  # "Trump administration", "Putin regime"
            sector = self.best_sector(only_after=p_item.end - 1)
            st.add(self.start, self.end, tables.country_actor(a.country or a.code, sector))
            return True
        ante = None
        if not p_item.entry.full or p_item.entry.doc_only:
            ante = st.person_full.get(pid)
        idx = st.add(self.start, self.end, a, 1.0 if ante is None else 0.9, ante)
        if ante is None or pid not in st.person_full:
            st.person_full[pid] = idx
        self._remember(idx, pid)
        return True

    def _organisation(self) -> bool:
        if not self.orgs:
            return False
        self.st.add(self.start, self.end, self.tables.org_actor(self.orgs[0].entry.key, self.st.date))
        return True

    def _named_person(self) -> bool:
        """An unknown named person with a title or a country ("Iranian General Mohammad Bagheri")."""
        if not self.names:
            return False
        st, ctry = self.st, self.countries
        nm = self.names[0]
        title_secs = [it for it in self.sectors if it.start < nm.start]
        sector = self.best_sector([(2, -1, ctry[0].entry.sector)] if ctry and ctry[0].entry.sector else None)
        if not ctry and not title_secs:
            # a bare name with no title or country: not an actor we can code; remember it for
            # surname/pronoun coreference only if a later mention gives more information
            return True
        actor = Actor(
            code=self.country_code or UNKNOWN_CODE,
            sector=sector,
            name=st.doc[nm.start : nm.end].text,
            kind="person",
            country=self.country_code,
        )
        idx = st.add(self.start, self.end, actor, 0.7 if ctry else 0.4)
        st.item_mention[st.items.index(nm)] = idx
        role = " ".join(it.entry.keyword for it in title_secs)
        st.person_refs.append(PersonRef(idx, None, role, self.country_code))
        return True

    def _title(self) -> str | None:
        """The person title the phrase ends with ("the president", "the French president of ...")."""
        secs, last = self.sectors, self.chunk[-1]
        if (
            secs
            and secs[-1].entry.person_title
            and (secs[-1] is last or (last.kind == COUNTRY and last.start == secs[-1].end + 1))
        ):
            return secs[-1].entry.keyword
        return None

    def _titled_person(self) -> bool:
        """ "the president", "the Chinese leader": an earlier mention of a fitting person, else the
        country's office holder on the story date, else the one president-elect."""
        title = self._title()
        if not title:
            return False
        st, ctry = self.st, self.countries
        has_det = self.start > 0 and st.lows[self.start - 1] in _DETERMINERS
        if has_det and (not ctry or ctry[0].entry.sector is None):
            idx = coreference.title_antecedent(title, self.country_code, st)
            if idx is not None:
                st.copy_from(idx, self.start, self.end, 0.7)
                return True
        if self.country_code and not ctry[0].entry.sector:
            pid = self.tables.office_holder(self.country_code, title, st.date)
            if pid is not None:
                self._add_office_holder(pid)
                return True
        if not ctry and title in ("president-elect", "president - elect") and has_det and st.date:
            pid = self.tables.president_elect(st.date)
            if pid is not None:
                self._add_office_holder(pid, "president-elect")
                return True
        return False

    def _add_office_holder(self, pid: str, role: str | None = None) -> None:
        st = self.st
        idx = st.add(
            self.start, self.end, self.tables.person_actor(pid, st.date), 0.8, st.person_full.get(pid)
        )
        st.person_full.setdefault(pid, idx)
        self._remember(idx, pid, role)

    def _country(self) -> bool:
        if not self.countries:
            return False
        first = self.countries[0]
        e = first.entry
        sector = self.best_sector([(2, first.start, e.sector)] if e.sector else None)
        names = self.tables.country_names
        name = e.name if e.sector and e.name and e.name != names.get(e.key) else names.get(e.key, e.name)
        self.st.add(
            self.start, self.end, Actor(code=e.key, sector=sector, name=name, kind="country", country=e.key)
        )
        return True

    def _sector(self) -> bool:
        if not self.sectors:
            return False
        last = self.chunk[-1]
        if last.kind == SECTOR and last.entry.modifier and _modifier_use(self.tables, self.st, self.end):
            return True  # "military support", "police reform", "government bonds": no actor
        actor = Actor(code=UNKNOWN_CODE, sector=self.best_sector(), kind="unknown")
        self.st.add(self.start, self.end, actor, 0.3)
        return True


def _modifier_use(tables: ActorTables, st: DocState, end: int) -> bool:
    """True when the adjective-like sector word ending at token ``end`` modifies a following
    noun that does not keep it an actor: "military support", "police reform", "government
    bonds", "government-backed" (but not "army officers", "military coup", "police raid")."""
    doc, lows = st.doc, st.lows
    n = len(doc)
    if end >= n:
        return False
    if lows[end] == "-":  # "government-backed", "military-run"
        return end + 1 < n and doc[end + 1].is_alpha and lows[end + 1] not in tables.mod_heads
    if doc[end].tag_ not in ("NN", "NNS"):
        return False
    tok = doc[end - 1]
    head = tok.head.i
    if head < end or tok.dep_ not in ("compound", "amod", "nmod", "npadvmod") or head - end > 3:
        return False
    return not any(lows[j] in tables.mod_heads for j in range(end, head + 1))


# ---------------------------------------------------------------------- story-level passes
def _mark_places(st: DocState) -> None:
    """Set ``Mention.is_location`` on a country/capital/institution/IGO mention that follows a
    locative preposition ("in Paris", "at the United Nations", "in northern Syria", "in Turkey
    and Syria"); such mentions name where something happens, not who does it."""
    lows = st.lows
    prev_loc_end = -1
    for idx in st.place_cands:
        m = st.out[idx]
        if m.actor.kind not in ("country", "igo"):
            continue
        loc = _after_locative(lows, m)
        if not loc and prev_loc_end >= 0:
            # "in Turkey and Syria", "in Iraq, Syria or Yemen"
            between = lows[prev_loc_end : m.start]
            loc = 0 < len(between) <= 2 and all(w in (",", "and", "or", "the") for w in between)
        if loc:
            m.is_location = True
            prev_loc_end = m.end
        else:
            prev_loc_end = -1


def _after_locative(lows: list[str], m: Mention) -> bool:
    j = m.start - 1
    while j >= 0 and (lows[j] in _DETERMINERS or lows[j] in _DIRECTIONS):
        j -= 1
    if not (j >= 0 and lows[j] in _LOCATIVE):
        return False
    # "in Russia's war on Ukraine": the possessor acts
    return not (
        m.end + 1 < len(lows)
        and lows[m.end] in POSSESSIVE
        and lows[m.end + 1] not in _DIRECTIONS
        and lows[m.end + 1] not in _PLACE_NOUNS
    )


def _drop_sport_teams(st: DocState) -> None:
    """ "Scotland beat England": bare country mentions in a sentence about sport are national
    teams, not state actors; they are removed (antecedent and pending indices remapped)."""
    sport = [i for i, w in enumerate(st.lows) if w in _SPORT_WORDS]
    if not sport:
        return
    sport_sents = {st.sent_index(i) for i in sport}
    out = st.out
    drop = {
        i
        for i in st.place_cands
        if out[i].actor.kind == "country"
        and out[i].actor.sector is None
        and st.sent_index(out[i].start) in sport_sents
    }
    if not drop:
        return
    remap, kept = {}, []
    for i, m in enumerate(out):
        if i in drop:
            continue
        remap[i] = len(kept)
        kept.append(m)
    for m in kept:
        if m.antecedent is not None:
            m.antecedent = remap.get(m.antecedent)
    st.unknown = [(remap[i], t) for i, t in st.unknown if i in remap]
    st.junta = {remap[i] for i in st.junta if i in remap}
    out[:] = kept


def resolve_unknown(tables: ActorTables, st: DocState) -> None:
    """Give a country to "---" sector mentions from context:

    * an ethnic/national-group adjective right before the phrase ("Kurdish fighters"): the group's
      home state, picked among the states the story mentions (data/lexicon/ethnic_groups.tsv);
    * otherwise the story's dominant country (the code of most country/person/group mentions: at
      least two, at least a third of them, strictly more than any other): "the government", "police",
      "the chancellor" (then resolved to the office holder of that country on the story date when
      people.tsv knows one). Confidence 0.5 (or the office holder's 0.6);
    * "the junta" (``junta`` flag in sectors.tsv): see ``_junta_country`` (never the dominant
      country by count alone: a story about a junta is often mostly about a foreign state)."""
    counts = _country_counts(tables, st.out)
    dominant = _dominant(counts)
    for idx, title in st.unknown:
        a = st.out[idx].actor
        if a.sector in _NO_STORY_COUNTRY:
            continue
        if idx in st.junta:
            _resolve_junta(tables, st, idx)
            continue
        if _resolve_ethnic(tables, st, idx, counts):
            continue
        if dominant is None or a.sector in _NONSTATE:
            continue  # "militants", "foreign fighters": often not of the story's country
        _resolve_by_story_country(tables, st, idx, title, dominant)


def _country_counts(tables: ActorTables, out: list[Mention]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for m in out:
        c = m.actor.country
        if c and c in tables.country_names and m.actor.kind in ("country", "person", "group"):
            counts[c] = counts.get(c, 0) + 1
    return counts


def _dominant(counts: dict[str, int]) -> str | None:
    ranked = sorted(counts.items(), key=lambda x: -x[1])
    total = sum(counts.values())
    if (
        ranked
        and ranked[0][1] >= 2
        and 3 * ranked[0][1] >= total
        and (len(ranked) == 1 or ranked[0][1] > ranked[1][1])
    ):
        return ranked[0][0]
    return None


def _resolve_junta(tables: ActorTables, st: DocState, idx: int) -> None:
    code = _junta_country(tables, st, idx)
    if code is not None:
        m = st.out[idx]
        m.actor = replace(
            m.actor, code=code, country=code, kind="country", name=tables.country_names.get(code)
        )
        m.confidence = 0.6


def _resolve_ethnic(tables: ActorTables, st: DocState, idx: int, counts: dict[str, int]) -> bool:
    """ "Kurdish fighters": the mention grows to include the adjective and gets its home state."""
    m = st.out[idx]
    a = m.actor
    prev = st.lows[m.start - 1] if m.start > 0 else ""
    eth = _ETHNIC.get(prev)
    if eth is None or a.kind != "unknown":
        return False
    code = next((c for c in eth if c in counts), None) or (eth[0] if len(eth) == 1 else None)
    if code is None:
        return False
    sector = a.sector
    if sector == "MIL" and code in _ETHNIC_NONSTATE.get(prev, ()):
        sector = "REB"
    span = st.doc[m.start - 1 : m.end]
    actor = replace(
        a,
        code=code,
        country=code,
        sector=sector,
        kind="country",
        name=tables.country_names.get(code),
        text=span.text,
    )
    st.out[idx] = Mention(span.start, span.end, span.start_char, span.end_char, span.text, actor, 0.6, None)
    return True


def _resolve_by_story_country(
    tables: ActorTables, st: DocState, idx: int, title: str | None, dominant: str
) -> None:
    m = st.out[idx]
    a = m.actor
    if title and a.kind == "unknown":
        pid = tables.office_holder(dominant, title, st.date)
        if pid is not None:
            pa = tables.person_actor(pid, st.date)
            if pa is not None:
                m.actor = replace(pa, text=m.text)
                m.confidence = 0.6
                return
    kind = "person" if a.kind == "person" else "country"
    name = a.name if a.kind == "person" else tables.country_names.get(dominant)
    m.actor = replace(a, code=dominant, country=dominant, kind=kind, name=name)
    m.confidence = 0.5


def _junta_country(tables: ActorTables, st: DocState, idx: int) -> str | None:
    """Country of "the junta": (1) the latest earlier military-government mention ("Mali's military
    government", "Niger's junta"); (2) the latest country named in a sentence about a coup ("the
    army seized power in Niger"); (3) the one country named bare (no sector) in the story."""
    out, lows = st.out, st.lows

    def ok(a) -> bool:
        return bool(a.country) and a.country in tables.country_names and a.kind in ("country", "person")

    for j in range(idx - 1, -1, -1):
        a = out[j].actor
        words_ = lows[out[j].start : out[j].end]
        if ok(a) and (
            any(w in ("junta", "juntas") for w in words_)
            or (a.sector in ("GOV", "MIL") and "military" in words_ and len(words_) > 1)
        ):
            return a.country
    for j in range(idx - 1, -1, -1):
        a = out[j].actor
        if ok(a) and a.kind == "country" and a.sector is None and _coup_sentence(st, out[j].start):
            return a.country
    bare = {
        m.actor.code
        for m in out
        if m.actor.kind == "country" and m.actor.sector is None and m.actor.code in tables.country_names
    }
    return bare.pop() if len(bare) == 1 else None


def _coup_sentence(st: DocState, tok_i: int) -> bool:
    """The sentence of token tok_i is about a coup ("coup", "junta", "seized power", ...)."""
    sent = st.doc[tok_i].sent
    sl = [st.lows[k] for k in range(sent.start, sent.end)]
    return any(w in _COUP_WORDS for w in sl) or any(
        w in ("seized", "seize", "seizing", "took", "take", "taking")
        and k + 1 < len(sl)
        and sl[k + 1] == "power"
        for k, w in enumerate(sl)
    )
