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

How ``find`` works (one left-to-right pass, no regex, no per-call compilation), in modules:

* ``tables.py``      the dictionaries above, indexed by first token (loaded once per ActorFinder);
* ``matching.py``    tokens -> items (table matches, unknown named persons, surnames, pronouns);
* ``resolution.py``  items -> phrases -> mentions (person > organisation > named person > title >
                     country with sector > sector alone), then the story-level passes (locations,
                     sport teams, a country for "---" mentions);
* ``coreference.py`` surnames, "the <title>", pronouns, "the two leaders" (see there);
* ``state.py``       ``DocState``, the per-document state those steps share.

Performance: tables are loaded once per ActorFinder; ``find`` touches each token once plus a
dict lookup (≈0.1 ms per sentence of 25 tokens on top of the spaCy parse).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from detente.coding.actors.matching import scan
from detente.coding.actors.resolution import resolve
from detente.coding.actors.state import DocState
from detente.coding.actors.tables import UNKNOWN_CODE, ActorTables, Role
from detente.model import Actor, Mention
from detente.nlp.load import load_nlp
from detente.nlp.normalise import normalise_text

if TYPE_CHECKING:
    from spacy.tokens import Doc

__all__ = ["UNKNOWN_CODE", "ActorFinder"]


class ActorFinder:
    """Find actor mentions in a spaCy Doc. Build once (loads the tables), call ``find`` many times."""

    MAX_PHRASE = ActorTables.MAX_PHRASE

    def __init__(self, data_dir: str | Path | None = None):
        self.tables = ActorTables(data_dir)
        self.data_dir = self.tables.data_dir
        self.country_names = self.tables.country_names
        self.orgs = self.tables.orgs
        self.people = self.tables.people
        self._nlp = None

    def find(self, doc: Doc, story_date: dt.date | None = None) -> list[Mention]:
        """All actor mentions in the doc, sorted by start token, non-overlapping (except the two
        mentions of a "the two leaders" phrase, which share a span); offsets are doc-level."""
        if len(doc) == 0:
            return []
        items, texts, lows = scan(self.tables, doc)
        if not items:
            return []
        return resolve(self.tables, DocState(doc, story_date, lows, texts, items))

    def person_role(self, pid: str, date: dt.date | None) -> Role | None:
        """The role a person holds on `date` (most recent role when date is None; a former office
        holder after their last role is ELI of their country)."""
        return self.tables.person_role(pid, date)

    def person_actor(self, pid: str, date: dt.date | None, text: str = "") -> Actor | None:
        return self.tables.person_actor(pid, date, text)

    def org_actor(self, key: str, date: dt.date | None, text: str = "") -> Actor:
        return self.tables.org_actor(key, date, text)

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
