"""The spaCy components of nlp/components.py in a real pipeline: triggers, actors and events
written to doc.spans and Doc extensions, the story date passed in with the doc, and the same
events as the coder's stages called directly."""

from __future__ import annotations

import datetime as dt

import pytest
import spacy

from detente.coding.events.decision import PairDecider
from detente.coding.relation.features import RelItem, featurize
from detente.lexicon.triggers import MATCHES_KEY, default_trigger_index, sentence_matches
from detente.nlp.components import ActorComponent, EventComponent, TriggerComponent
from detente.nlp.load import SPACY_MODEL

STORY = (
    "Russia launched missile strikes on Ukraine on Monday.\n"
    "Japan and South Korea held talks in Tokyo on trade.\n"
    "In 1999, Serbia attacked Kosovo."
)
STORY_DATE = dt.date(2024, 5, 1)


@pytest.fixture(scope="module")
def pipeline(nlp):
    """A separate copy of the model (the shared one stays parse-only) with the three components."""
    pipe = spacy.load(SPACY_MODEL)
    pipe.add_pipe("detente_newline_sentences", before="parser")
    pipe.add_pipe("detente_triggers")
    pipe.add_pipe("detente_actors")
    pipe.add_pipe("detente_events", config={"rules_only": True})
    return pipe


def _coded(pipeline, story_date, text=STORY):
    doc = pipeline.make_doc(text)
    doc._.story_date, doc._.doc_id = story_date, "story-1"
    return pipeline(doc)


def test_components_are_registered_factories(pipeline):
    assert pipeline.pipe_names[-3:] == ["detente_triggers", "detente_actors", "detente_events"]
    assert isinstance(pipeline.get_pipe("detente_triggers"), TriggerComponent)
    assert isinstance(pipeline.get_pipe("detente_actors"), ActorComponent)
    assert isinstance(pipeline.get_pipe("detente_events"), EventComponent)
    assert pipeline.get_pipe("detente_events").pair_decider is None  # rules_only from the config


def test_triggers_actors_events_on_the_doc(pipeline):
    doc = _coded(pipeline, STORY_DATE)
    triggers = {(s.text, s.label_) for s in doc.spans["triggers"]}
    assert {("missile", "ASSAULT"), ("talks", "CONSULT"), ("attacked", "ASSAULT")} <= triggers
    attacked = next(s for s in doc.spans["triggers"] if s.text == "attacked")
    assert attacked._.trigger.event == "ASSAULT" and attacked._.trigger.pattern == "attack"
    actors = {(s.text, s.label_) for s in doc.spans["actors"]}
    assert {("Russia", "RUS"), ("Ukraine", "UKR"), ("Japan", "JPN")} <= actors
    assert [m.actor.code for m in doc._.mentions] == [s.label_ for s in doc.spans["actors"]]
    dyads = {(e.actor[0].code, e.event, e.recipient[0].code if e.recipient else None) for e in doc._.events}
    assert ("RUS", "ASSAULT", "UKR") in dyads
    assert {("JPN", "CONSULT", "KOR"), ("KOR", "CONSULT", "JPN")} <= dyads
    assert all(e.doc_id == "story-1" for e in doc._.events)
    assert [(s.text, s.label_) for s in doc.spans["events"]] == [
        (e.event_text, e.event) for e in doc._.events
    ]


def test_story_date_travels_with_the_doc(pipeline):
    """'In 1999' is background (historical) for a 2024 story; without a story date it is not."""

    def serbia_flags(story_date):
        doc = _coded(pipeline, story_date)
        return [e.flags["historical"] for e in doc._.events if e.actor[0].code == "SRB"]

    assert serbia_flags(STORY_DATE) == [True]
    assert serbia_flags(None) == [False]


def test_same_events_as_the_stages_called_directly(pipeline, nlp, af):
    """The components are the stages: the learned decision over the rule path, as the coder runs it."""
    events_pipe = pipeline.get_pipe("detente_events")
    component = EventComponent(events_pipe.finder, PairDecider(events_pipe.finder))
    doc = _coded(pipeline, STORY_DATE)
    got = [e.to_record() for e in component(doc)._.events]

    plain = nlp(STORY)
    mentions = af.find(plain, STORY_DATE)
    rule = events_pipe.finder.find(plain, mentions, story_date=STORY_DATE, doc_id="story-1")
    want = [e.to_record() for e in component.pair_decider.find(plain, mentions, rule, STORY_DATE, "story-1")]
    assert got == want and got


def test_trigger_matches_are_kept_on_the_doc(nlp):
    """The finder, the trigger component and the relation features share one match per sentence,
    stored on the Doc itself (no process-wide cache keyed on object ids)."""
    doc = nlp(STORY)
    sent = next(iter(doc.sents))
    index = default_trigger_index()
    first = sentence_matches(sent, index)
    assert first == index.match(sent) and first
    assert sentence_matches(sent, index) is first
    assert doc.user_data[MATCHES_KEY] == {(sent.start, sent.end): first}
    other = nlp(STORY)  # a new Doc starts empty and gets equal matches of its own
    assert MATCHES_KEY not in other.user_data
    item = RelItem(sent=sent, src=(0, 1), tgt=(6, 7))
    other_item = RelItem(sent=next(iter(other.sents)), src=(0, 1), tgt=(6, 7))
    assert featurize(item) == featurize(other_item)
