"""Detente's spaCy components and Doc/Span extensions, registered in one place (the way spaCy's
own pipeline/factories.py registers its components).

    nlp = load_nlp()
    nlp.add_pipe("detente_triggers")   # doc.spans["triggers"]: trigger heads, label = event type,
                                       #   span._.trigger = the lexicon entry
    nlp.add_pipe("detente_actors")     # doc._.mentions (list[Mention]); doc.spans["actors"],
                                       #   label = actor code
    nlp.add_pipe("detente_events")     # doc._.events (list[Event]); doc.spans["events"]: the
                                       #   trigger words, label = event type
    doc = nlp.make_doc(text)
    doc._.story_date, doc._.doc_id = date(2024, 5, 1), "story-1"   # passed in with the doc
    doc = nlp(doc)

The Coder runs the same component objects on each parsed chunk (coding/coder.py), so the finders
it was given are the ones used. The sentence-boundary rule (`detente_newline_sentences`) is
registered by nlp/load.py, not here: every stage, the actor finder included, loads the parser
through nlp.load, and this module imports the stages (nlp.load -> here would be an import cycle).
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span

from detente.coding.actors import ActorFinder
from detente.coding.events.decision import PairDecider
from detente.coding.events.finder import EventFinder
from detente.lexicon.triggers import TriggerIndex, default_trigger_index, sentence_matches

for _name in ("story_date", "doc_id", "mentions", "events"):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)
if not Span.has_extension("trigger"):
    Span.set_extension("trigger", default=None)


class TriggerComponent:
    """Marks the trigger-lexicon matches of every sentence (doc.spans["triggers"]). The matches
    stay on the Doc for the event finder and the relation features."""

    def __init__(self, index: TriggerIndex) -> None:
        self.index = index

    def __call__(self, doc: Doc) -> Doc:
        spans = []
        for sent in doc.sents:
            for trig, _toks, head in sentence_matches(sent, self.index):
                span = Span(doc, head, head + 1, label=trig.event)
                span._.trigger = trig
                spans.append(span)
        doc.spans["triggers"] = spans
        return doc


class ActorComponent:
    """Actor mentions (doc._.mentions) found by an ActorFinder, dated by doc._.story_date."""

    def __init__(self, finder: ActorFinder) -> None:
        self.finder = finder

    def __call__(self, doc: Doc) -> Doc:
        mentions = self.finder.find(doc, doc._.story_date)
        doc._.mentions = mentions
        doc.spans["actors"] = [Span(doc, m.start, m.end, label=m.actor.code) for m in mentions]
        return doc


class EventComponent:
    """Events (doc._.events) of the rule path (EventFinder) and, unless `pair_decider` is None,
    the learned pair decision over them; needs doc._.mentions (the actor component)."""

    def __init__(self, finder: EventFinder, pair_decider: PairDecider | None = None) -> None:
        self.finder = finder
        self.pair_decider = pair_decider

    def __call__(self, doc: Doc) -> Doc:
        mentions = doc._.mentions if doc._.mentions is not None else []
        story_date, doc_id = doc._.story_date, doc._.doc_id
        events = self.finder.find(doc, mentions, story_date=story_date, doc_id=doc_id)
        if self.pair_decider is not None:
            events = self.pair_decider.find(doc, mentions, events, story_date, doc_id)
        doc._.events = events
        spans = (
            doc.char_span(*e.trigger_span, label=e.event, alignment_mode="expand")
            for e in events
            if e.trigger_span
        )
        doc.spans["events"] = [s for s in spans if s is not None]
        return doc


@Language.factory("detente_triggers")
def make_trigger_component(nlp: Language, name: str) -> TriggerComponent:
    return TriggerComponent(default_trigger_index())


@Language.factory("detente_actors")
def make_actor_component(nlp: Language, name: str) -> ActorComponent:
    return ActorComponent(ActorFinder())


@Language.factory("detente_events", default_config={"rules_only": False})
def make_event_component(nlp: Language, name: str, rules_only: bool) -> EventComponent:
    finder = EventFinder()
    return EventComponent(finder, None if rules_only else PairDecider(finder))
