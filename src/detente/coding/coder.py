"""The coding pipeline: one spaCy parse per document, then small stages over it.

    Document --normalise--> text --parse--> spacy Doc (doc._.story_date, doc._.doc_id)
             --detente_triggers--> doc.spans["triggers"]
             --detente_actors (ActorFinder)--> doc._.mentions
             --detente_events (EventFinder, PairDecider)--> doc._.events
             --resolve dates/places--> [Event]

Each stage is an object with one method, built once and reused for every document, so that a
different classifier or gazetteer can be swapped in by passing another object to `Coder`. The
middle three are the spaCy components of nlp/components.py, run on each parsed chunk.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from spacy.language import Language
from spacy.tokens import Doc

from detente.coding.actors import ActorFinder
from detente.coding.events.decision import PairDecider
from detente.coding.events.finder import EventFinder
from detente.coding.places import PlaceResolver
from detente.coding.temporal import DateResolver
from detente.io.readers import parse_date
from detente.model import Document, Event
from detente.nlp.components import ActorComponent, EventComponent, TriggerComponent
from detente.nlp.load import MAX_CHUNK_CHARS, load_nlp
from detente.nlp.normalise import normalise_text
from detente.settings import PIPE_BATCH


def split_long_text(text: str, limit: int = MAX_CHUNK_CHARS) -> list[tuple[int, str]]:
    """Cut text into (offset, chunk) pieces of at most `limit` chars, preferring paragraph,
    then sentence-ish, then whitespace boundaries."""
    if len(text) <= limit:
        return [(0, text)]
    pieces: list[tuple[int, str]] = []
    pos = 0
    n = len(text)
    while pos < n:
        end = min(pos + limit, n)
        if end < n:
            window = text[pos:end]
            cut = -1
            for sep in ("\n\n", "\n", ". ", " "):
                cut = window.rfind(sep, limit // 2)
                if cut != -1:
                    cut += len(sep)
                    break
            if cut > 0:
                end = pos + cut
        pieces.append((pos, text[pos:end]))
        pos = end
    return pieces


class Coder:
    """Turns documents into events. Build once; call `code()` or `code_many()` many times."""

    def __init__(
        self,
        nlp: Language | None = None,
        actor_finder: ActorFinder | None = None,
        event_finder: EventFinder | None = None,
        date_resolver: DateResolver | None = None,
        place_resolver: PlaceResolver | None = None,
        accurate: bool | None = None,
        pair_decider: PairDecider | None = None,
        rules_only: bool = False,
    ) -> None:
        """accurate: let the fine-tuned relation reader give a second opinion on the event type of pairs
        the fast classifier is unsure of (slower; see tuned.py). None: $DETENTE_ENCODER
        (unset: off), which is how `detente code --accurate` reaches worker processes.
        pair_decider: the learned event decision (decision.PairDecider; default: the shipped
        model). rules_only: events straight from the rule path (the coder before 0.2; for
        comparison and for the rule path's own tests)."""

        self.nlp = nlp if nlp is not None else load_nlp()
        self.actor_finder = actor_finder or ActorFinder()
        self.event_finder = event_finder or EventFinder()
        self.date_resolver = date_resolver or DateResolver()
        self.place_resolver = place_resolver or PlaceResolver()
        clf = getattr(self.event_finder, "classifier", None)
        if accurate is not None and clf is not None:
            clf.use_encoder = bool(accurate)
        if pair_decider is None and not rules_only:
            pair_decider = PairDecider(self.event_finder)
        self._events = EventComponent(self.event_finder, None if rules_only else pair_decider)
        self.components = [
            TriggerComponent(self.event_finder.index),
            ActorComponent(self.actor_finder),
            self._events,
        ]

    # The learned decision lives in the events component (one place): `detente eval events --cv`
    # swaps in each fold's model here, and a copy kept on the Coder would leave the component
    # scoring with the shipped model, which was trained on the very items being scored.
    @property
    def pair_decider(self) -> PairDecider | None:
        return self._events.pair_decider

    @pair_decider.setter
    def pair_decider(self, decider: PairDecider | None) -> None:
        self._events.pair_decider = decider

    # -- one parsed chunk -> events
    def _code_parsed(self, sdoc, document: Document, offset: int) -> list[Event]:
        story_date = document.date
        # code_many passes the date and id in with the Doc; set here too for Docs parsed elsewhere
        sdoc._.story_date, sdoc._.doc_id = story_date, document.id
        for component in self.components:
            sdoc = component(sdoc)
        events = sdoc._.events
        for ev in events:
            sent = sdoc[_sent_index_token(sdoc, ev.span[0])].sent
            trigger = ev.trigger_span[0] if ev.trigger_span else None  # chunk-relative, like sent
            ev.date, historical = self.date_resolver.resolve(sent, story_date, trigger=trigger)
            if historical:
                ev.flags["historical"] = True
            countries = [a.country or a.code for a in ev.actor + ev.recipient]
            ev.event_loc = self.place_resolver.resolve(sent, countries)
            # Evidence is the sentence without the line breaks and spaces spaCy attaches to it.
            ev.span = _strip_span(sdoc.text, ev.span, offset)
            ev.text = sdoc.text[ev.span[0] - offset : ev.span[1] - offset]
            ev.evidence = [_strip_span(sdoc.text, s, offset) for s in ev.evidence] or [ev.span]
            if offset and ev.trigger_span:
                ev.trigger_span = (ev.trigger_span[0] + offset, ev.trigger_span[1] + offset)
            ev.make_id()
        return events

    def code(self, document: Document) -> list[Event]:
        return next(iter(self.code_many([document])))[1]

    def code_many(
        self, documents: Iterable[Document], batch_size: int = 32
    ) -> Iterator[tuple[Document, list[Event]]]:
        """Parse with nlp.pipe (batched) and yield (document, events) in input order."""

        def chunks() -> Iterator[tuple[Doc, tuple[Document, int, bool]]]:
            for d in documents:
                d.text = normalise_text(d.text)
                parts = split_long_text(d.text)
                for i, (off, chunk) in enumerate(parts):
                    # the story date and id travel with the Doc, for the components
                    doc = self.nlp.make_doc(chunk)
                    doc._.story_date, doc._.doc_id = d.date, d.id
                    yield doc, (d, off, i == len(parts) - 1)

        pending: list[Event] = []
        for sdoc, (d, off, last) in self.nlp.pipe(chunks(), as_tuples=True, batch_size=batch_size):
            pending.extend(self._code_parsed(sdoc, d, off))
            if last:
                yield d, pending
                pending = []


class ParseOnlyCoder:
    """The spaCy parse alone, through exactly the same normalise/chunk/nlp.pipe path as the real
    Coder, producing no events. Used by the throughput benchmark as the baseline."""

    def __init__(self, nlp: Language | None = None) -> None:
        self.nlp = nlp if nlp is not None else load_nlp()

    def _code_parsed(self, sdoc, document: Document, offset: int) -> list[Event]:
        return []

    def code_many(
        self, documents: Iterable[Document], batch_size: int = PIPE_BATCH
    ) -> Iterator[tuple[Document, list[Event]]]:
        return Coder.code_many(self, documents, batch_size=batch_size)

    def code(self, document: Document) -> list[Event]:
        return next(iter(self.code_many([document])))[1]


def _strip_span(text: str, span: tuple[int, int], offset: int) -> tuple[int, int]:
    """A sentence's (chunk-relative) span without surrounding white space, made document-level."""
    a, b = span
    piece = text[a:b]
    stripped = piece.strip()
    if stripped and stripped != piece:
        a += len(piece) - len(piece.lstrip())
        b = a + len(stripped)
    return a + offset, b + offset


def _sent_index_token(sdoc, char_offset: int) -> int:
    """Token index of the token starting at or containing char_offset (chunk-relative)."""
    span = sdoc.char_span(char_offset, char_offset + 1, alignment_mode="expand")
    return span.start if span is not None else 0


def code_text(
    text: str,
    date: dt.date | str | None = None,
    doc_id: str = "doc",
    title: str | None = None,
    coder: Coder | None = None,
) -> list[dict]:
    """Code one story and return its PLOVER event records (the Python API entry point)."""

    if isinstance(date, str):
        date = parse_date(date)
    elif isinstance(date, dt.datetime):
        date = date.date()
    coder = coder or default_coder()
    return [e.to_record() for e in coder.code(Document(id=doc_id, text=text, date=date, title=title))]


_DEFAULT: list[Coder] = []


def default_coder() -> Coder:
    """The Coder of `code_text`, built on first use and kept for the process."""
    if not _DEFAULT:
        _DEFAULT.append(Coder())
    return _DEFAULT[0]
