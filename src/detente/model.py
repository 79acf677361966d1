"""The plain data model passed between pipeline stages.

read -> normalise -> parse -> find actors -> find events -> resolve (who, when, where) -> store

Every stage takes and returns these objects; nothing here knows about spaCy, DuckDB or HTTP, so a
stage can be tested alone or swapped for another implementation.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from detente.version import __version__

CODER_VERSION = f"detente-{__version__}"

# The 16 PLOVER event types (draft 0.8), grouped by quad class.
PLOVER_TYPES = (
    "AGREE",
    "CONSULT",
    "SUPPORT",
    "CONCEDE",  # verbal cooperation (quad 1)
    "COOPERATE",
    "AID",
    "RETREAT",  # material cooperation (quad 2)
    "REQUEST",
    "ACCUSE",
    "REJECT",
    "THREATEN",  # verbal conflict (quad 3)
    "PROTEST",
    "SANCTION",
    "MOBILIZE",
    "COERCE",
    "ASSAULT",  # material conflict (quad 4)
)
FLAG_NAMES = ("negated", "hypothetical", "future", "historical")


def content_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class Document:
    """One news story as read from any input format, after normalisation."""

    id: str
    text: str
    date: dt.date | None = None  # the story (publication) date
    title: str | None = None
    url: str | None = None
    source: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    origin: str | None = None  # file path (and line) it was read from, for error messages

    def __post_init__(self):
        # The Python API is called with ISO strings and datetimes as often as with dates; the
        # resolvers compare dates, so take the date part here rather than fail deep inside.
        if isinstance(self.date, dt.datetime):
            self.date = self.date.date()
        elif isinstance(self.date, str):
            try:
                self.date = dt.date.fromisoformat(self.date.strip()[:10])
            except ValueError:
                raise ValueError(
                    f"Document {self.id!r}: date {self.date!r} is not an ISO date (YYYY-MM-DD)"
                ) from None

    @property
    def content_hash(self) -> str:
        return content_hash(self.text)


@dataclass
class Actor:
    """A resolved actor: who a mention refers to, as of the story date."""

    code: str  # ISO 3166 alpha-3, or an organisation code (IGO, NATO, UNO, ...)
    sector: str | None = None  # GOV, MIL, LEG, JUD, REB, UAF, OPP, PTY, BUS, MED, CVL, REF, ELI, IGO...
    text: str = ""  # the words in the story
    name: str | None = None  # canonical name (person or organisation), if known
    kind: str = "country"  # country | igo | group | person | unknown
    country: str | None = None  # country an organisation/group/person belongs to, if any

    def to_record(self) -> dict[str, Any]:
        rec = {"code": self.code, "sector": self.sector, "text": self.text}
        if self.name:
            rec["name"] = self.name
        return rec


@dataclass
class Mention:
    """An actor mention found in a parsed document (token and character offsets are document-level)."""

    start: int  # first token index
    end: int  # one past the last token
    start_char: int
    end_char: int
    text: str
    actor: Actor
    confidence: float = 1.0
    antecedent: int | None = None  # index of the mention this one corefers with (surname, pronoun...)
    is_location: bool = False  # a place after a locative preposition ("in Paris", "at the Kremlin"):
    # set by the actor stage; not an event participant


@dataclass
class Location:
    text: str
    name: str | None = None
    country_code: str | None = None  # ISO alpha-3
    lat: float | None = None
    lon: float | None = None
    geonameid: int | None = None

    def to_record(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class Event:
    """One coded event with its evidence. `to_record()` gives the PLOVER JSON record."""

    doc_id: str
    event: str  # PLOVER type
    actor: list[Actor]
    recipient: list[Actor]
    text: str  # evidence sentence
    span: tuple[int, int]  # sentence character offsets in the document
    event_text: str = ""  # trigger words
    trigger_span: tuple[int, int] | None = None
    mode: str | None = None
    context: list[str] = field(default_factory=list)
    cameo_code: str | None = None
    quad_code: int | None = None
    goldstein: float | None = None
    event_scale: float | None = None  # PLOVER conflict-cooperation score
    date: dt.date | None = None
    event_loc: Location | None = None
    confidence: float = 0.5
    flags: dict[str, bool] = field(default_factory=lambda: {f: False for f in FLAG_NAMES})
    symmetric: bool = False
    sentence_index: int = 0
    coder_version: str = CODER_VERSION
    id: str = ""
    # How much of `date` the text says: day | week | month | year ("" = not given: day if dated).
    date_precision: str = ""
    # Every sentence of the document that tells this event (character offsets, the evidence
    # sentence `span` first): a headline and its lead reporting one event give one event with two
    # evidence mentions. Empty: `span` alone.
    evidence: list[tuple[int, int]] = field(default_factory=list)

    def __setattr__(self, name: str, value: Any) -> None:
        # The date resolver returns a date that knows its precision and whether it lies after the
        # story (temporal.ResolvedDate): keep both on the event, store a plain date. An event
        # dated after its story is a future event by definition.
        if name == "date":
            if isinstance(value, dt.date) and hasattr(value, "precision"):
                object.__setattr__(self, "date_precision", value.precision)
                if getattr(value, "after_story", False) and isinstance(self.__dict__.get("flags"), dict):
                    self.flags["future"] = True
                value = dt.date(value.year, value.month, value.day)
            elif "date" in self.__dict__:
                object.__setattr__(self, "date_precision", "")
        elif name == "date_precision" and not value and self.__dict__.get("date_precision"):
            return  # the dataclass default must not undo what `date` set
        object.__setattr__(self, name, value)

    def make_id(self) -> str:
        """Stable id: same document, sentence, trigger, type and actors give the same id.

        An actor is its code, sector *and* canonical name when known: two different people or
        bodies with the same code and sector (Rishi Sunak and "leaders", both GBR:GOV; von der
        Leyen and Michel, both EUR:IGO) are different participants, and a reciprocal meeting
        between them is emitted once each way. Keyed by code and sector alone, those events
        shared an id and all but one were lost when stored (3 in 1,500 RSS stories)."""

        def who(actors: list[Actor]) -> str:
            return ",".join(
                a.code + ":" + (a.sector or "") + (":" + a.name if a.name else "") for a in actors
            )

        key = "|".join(
            [
                self.doc_id,
                str(self.span[0]),
                str(self.trigger_span),
                self.event,
                who(self.actor),
                who(self.recipient),
            ]
        )
        self.id = hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()[:20]
        return self.id

    def to_record(self) -> dict[str, Any]:
        if not self.id:
            self.make_id()
        return {
            "id": self.id,
            "doc_id": self.doc_id,
            "date": self.date.isoformat() if self.date else None,
            "date_precision": (self.date_precision or "day") if self.date else None,
            "actor": [a.to_record() for a in self.actor],
            "recipient": [a.to_record() for a in self.recipient],
            "event": self.event,
            "mode": self.mode,
            "context": list(self.context),
            "quad_code": self.quad_code,
            "cameo_code": self.cameo_code,
            "goldstein": self.goldstein,
            "event_scale": self.event_scale,
            "event_loc": self.event_loc.to_record() if self.event_loc else None,
            "event_text": self.event_text,
            "text": self.text,
            "span": {"start": self.span[0], "end": self.span[1]},
            "evidence": [{"start": a, "end": b} for a, b in (self.evidence or [self.span])],
            "confidence": round(float(self.confidence), 4),
            "flags": dict(self.flags),
            "symmetric": self.symmetric,
            "coder_version": self.coder_version,
        }
