"""Matching: one left-to-right pass over a document's tokens turning them into actor *items*.

An item is a table match (person, organisation, country, sector keyword), an unknown named person
(a spaCy PERSON entity not in the tables), a later surname of such a name, a pronoun, or a "the two
leaders" / "both sides" phrase. Grouping items into phrases and resolving them is resolution.py's job.

* The longest table phrase whose case constraints hold wins. A one-token non-person match inside
  a longer spaCy PERSON entity ("Michael Jordan", "Chad Smith") is skipped, as is "Georgia" in a
  sentence with U.S.-state context, and "Iranian-backed".
* Unmatched PERSON entities become name items; a later capitalised token equal to such a name's
  surname refers back to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from detente.coding.actors.tables import (
    BLOCKER,
    COUNTRY,
    NAME,
    ORG,
    PRONOUN,
    SECTOR,
    SURNAME,
    TWO_ANY,
    TWO_PERSONS,
    ActorTables,
    Entry,
    fold,
)
from detente.lexicon import words
from detente.resources import read_table

if TYPE_CHECKING:
    from spacy.tokens import Doc

POSSESSIVE = frozenset({"'s", "’s", "'", "’"})
_LIST_SEPS = frozenset({",", "and", "or", "&"})
_TWO_WORDS = frozenset({"two", "both"})
# "the two foreign ministers", "both heads of state": a qualifier between "two" and the plural
_TWO_QUALIFIERS = frozenset({"foreign", "defence", "defense", "heads"})
_TWO_QUALIFIED = frozenset({"ministers", "of", "secretaries"})
PRONOUN_GENDER = {r["pronoun"]: r["gender"] for r in read_table("lexicon/pronoun_genders.tsv")}
PLURAL_PERSON = words("plural_person_nouns")
PLURAL_ANY = words("plural_referent_nouns")
_BACKED = words("backed_suffixes")
_NAME_LIKE_COUNTRIES = words("name_like_countries")
_US_STATE_CONTEXT = words("us_state_context")


@dataclass
class Item:
    start: int
    end: int
    entry: Entry | None  # None for name (N) / surname-of-name (R) / pronoun / "two" items
    kind: str  # P O C S N R PR 2P 2A
    ref: int = -1  # R: index of the N item it refers to


class _Scan:
    """The state of one pass over a document: token forms, PERSON entities, items so far."""

    def __init__(self, tables: ActorTables, doc):
        self.tables = tables
        self.doc = doc
        self.n = len(doc)
        self.texts = [fold(t.text) for t in doc]
        self.lows = [t.lower() for t in self.texts]
        self.person_end: dict[int, int] = {}  # PERSON entity start -> end
        self.person_start_of: dict[int, int] = {}  # token inside a PERSON entity -> its start
        for ent in doc.ents:
            if ent.label_ == "PERSON":
                self.person_end[ent.start] = ent.end
                for k in range(ent.start, ent.end):
                    self.person_start_of[k] = ent.start
        self.items: list[Item] = []
        self.surnames: dict[str, int] = {}  # surname of an unknown named person -> its N item index

    def run(self) -> list[Item]:
        # The cheap membership tests here skip the steps that cannot apply to a token: this loop
        # runs once per token of every document.
        lows, texts, index = self.lows, self.texts, self.tables.index
        i = 0
        while i < self.n:
            low = lows[i]
            nxt = self._two_referents(i) if low in _TWO_WORDS else None
            if nxt is None and low in index:
                nxt = self._table_match(i)
            if nxt is None and (texts[i] in self.surnames or i in self.person_start_of):
                nxt = self._name(i)
            if nxt is None:
                if low in PRONOUN_GENDER:
                    self.items.append(Item(i, i + 1, None, PRONOUN))
                nxt = i + 1
            i = nxt
        return self.items

    def _two_referents(self, i: int) -> int | None:
        """ "the two leaders" / "both sides": one item; returns the next token index."""
        lows, n = self.lows, self.n
        if i + 1 >= n:
            return None
        j = i + 1
        if lows[j] in _TWO_QUALIFIERS and j + 1 < n and lows[j + 1] in _TWO_QUALIFIED:
            j += 1
        if lows[j] not in PLURAL_PERSON and lows[j] not in PLURAL_ANY:
            return None
        start = i - 1 if i > 0 and lows[i - 1] == "the" else i
        self.items.append(Item(start, j + 1, None, TWO_PERSONS if lows[j] in PLURAL_PERSON else TWO_ANY))
        return j + 1

    def _table_match(self, i: int) -> int | None:
        m = self.tables.match_at(i, self.lows, self.texts, self.n)
        if m is None:
            return None
        k, entry = m
        if self._reject(i, k, entry):
            return None
        if entry.kind != BLOCKER:
            if entry.kind == COUNTRY and entry.sector and self.items:
                entry = self._foreign_institution(self.items[-1], i, entry)
            self.items.append(Item(i, i + k, entry, entry.kind))
        return i + k

    def _name(self, i: int) -> int | None:
        """A surname of an earlier unknown named person, or an unknown named person (a spaCy
        PERSON entity not in the tables)."""
        t = self.texts[i]
        if t in self.surnames and t[:1].isupper() and self.person_end.get(i, i + 1) == i + 1:
            self.items.append(Item(i, i + 1, None, SURNAME, ref=self.surnames[t]))
            return i + 1
        if i not in self.person_start_of:
            return None
        e = self.person_end[self.person_start_of[i]]
        if e - i < 1:
            return None
        self.items.append(Item(i, e, None, NAME))
        if e - i >= 2 and self.texts[e - 1][:1].isupper():
            self.surnames[self.texts[e - 1]] = len(self.items) - 1
        return e

    def _foreign_institution(self, prev: Item, i: int, entry: Entry) -> Entry:
        """ "Brazil's Congress", "the Philippine Congress", "Germany's Foreign Office": a national
        institution metonym (not a capital) right after another country's name or adjective is that
        country's institution, so it becomes a plain sector word."""
        if prev.kind != COUNTRY or prev.entry.sector is not None or prev.entry.key == entry.key:
            return entry
        if entry.name == self.tables.country_names.get(entry.key):  # a capital
            return entry
        gap = i - prev.end
        if gap == 0 or (gap == 1 and self.lows[prev.end] in POSSESSIVE):
            return Entry(SECTOR, entry.sector, entry.sector, priority=2, keyword=self.lows[i])
        return entry

    def _reject(self, i: int, k: int, entry: Entry) -> bool:
        doc, lows = self.doc, self.lows
        if entry.kind in (COUNTRY, ORG) and k == 1 and i in self.person_start_of:
            s = self.person_start_of[i]
            if self.person_end[s] - s > 1:  # "Michael Jordan", "Chad Smith", "George Washington"
                return True
            if (
                entry.kind == COUNTRY
                and entry.sector is None
                and doc[i].ent_type_ == "PERSON"
                and lows[i] in _NAME_LIKE_COUNTRIES
                and not _country_context(self.tables, doc, i, lows)
            ):
                return True  # a lone "Jordan" tagged PERSON
        if (
            entry.kind == COUNTRY
            and entry.key == "GEO"
            and lows[i] == "georgia"
            and any(t.lower_ in _US_STATE_CONTEXT for t in doc[i].sent)
        ):
            return True  # the U.S. state
        if (
            entry.kind == COUNTRY
            and i + k + 1 < len(lows)
            and lows[i + k] == "-"
            and lows[i + k + 1] in _BACKED
        ):
            return True  # "Iranian-backed group" is not Iran
        # "general election", "official figures"
        return entry.kind == SECTOR and entry.person_title and k == 1 and doc[i].tag_ == "JJ"


def scan(tables: ActorTables, doc: Doc) -> tuple[list[Item], list[str], list[str]]:
    """(items, folded token texts, their lower-case forms) of a document."""
    s = _Scan(tables, doc)
    return s.run(), s.texts, s.lows


def _country_at(tables: ActorTables, i: int, lows, texts, n: int) -> int:
    """Length of a plain country name/adjective match at token i (0 if none)."""
    if i < 0 or i >= n:
        return 0
    m = tables.match_at(i, lows, texts, n)
    return m[0] if m is not None and m[1].kind == COUNTRY and m[1].sector is None else 0


def _country_context(tables: ActorTables, doc, i: int, lows) -> bool:
    """A name-like country ("Niger", "Mali", "Jordan") that spaCy tagged PERSON is still the country
    (1) before "'s" + a sector word ("Mali's military government") or (2) in a list of countries
    ("Niger, Mali and Burkina Faso") holding a member that is not itself a name-like country tagged
    PERSON, or holding three or more countries."""
    n = len(lows)
    off = max(0, i - 12)
    texts = [fold(t.text) for t in doc[off : min(n, i + 14)]]
    lw = lows[off : off + len(texts)]
    li = i - off
    if _possessive_sector(tables, doc, off, li, lw, texts):
        return True
    members = [(li, 1), *_list_right(tables, li, lw, texts), *_list_left(tables, li, lw, texts)]
    if len(members) < 2:
        return False

    def weak(j: int, k: int) -> bool:
        return k == 1 and lw[j] in _NAME_LIKE_COUNTRIES and doc[off + j].ent_type_ == "PERSON"

    return len(members) >= 3 or any(not weak(j, k) for j, k in members)


def _possessive_sector(tables: ActorTables, doc, off: int, li: int, lw, texts) -> bool:
    """ "Mali's military government": "'s" then a sector word after modifiers only."""
    nn = len(lw)
    if not (li + 2 < nn and lw[li + 1] in POSSESSIVE):
        return False
    for j in range(li + 2, min(nn, li + 6)):
        m = tables.match_at(j, lw, texts, nn)
        if m is not None and m[1].kind == SECTOR:
            return True
        if doc[off + j].dep_ not in ("amod", "compound", "advmod", "punct", "nmod"):
            break
    return False


def _list_right(tables: ActorTables, li: int, lw, texts) -> list[tuple[int, int]]:
    """Countries listed after token li: ", X", "and X", ", and X" -> [(start, length)]."""
    nn = len(lw)
    members = []
    j = li + 1
    while j < nn and lw[j] in _LIST_SEPS:
        j2 = j + 1 if j + 1 < nn and lw[j + 1] in _LIST_SEPS else j
        k = _country_at(tables, j2 + 1, lw, texts, nn)
        if not k:
            break
        members.append((j2 + 1, k))
        j = j2 + 1 + k
    return members


def _list_left(tables: ActorTables, li: int, lw, texts) -> list[tuple[int, int]]:
    """Countries listed before token li: "X ,", "X and" -> [(start, length)]."""
    nn = len(lw)
    members = []
    j = li - 1
    while j >= 1 and lw[j] in _LIST_SEPS:
        e = j - 1 if lw[j - 1] in _LIST_SEPS else j
        found = None
        for st in range(max(0, e - 4), e):
            k = _country_at(tables, st, lw, texts, nn)
            if k and st + k == e:
                found = st
                members.append((st, k))
                break
        if found is None:
            break
        j = found - 1
    return members
