"""One candidate per trigger occurrence, and one per event told twice on one clause."""

from __future__ import annotations

from spacy.tokens import Doc

from detente.coding.events.candidates import Candidate
from detente.coding.events.vocabulary import LIGHT_VERBS


def _take_sources(into: Candidate, frm: Candidate) -> None:
    if not into.sources:
        into.sources = frm.sources


def _same_event_on_verb(a: Candidate, b: Candidate, doc) -> Candidate:
    """Verb trigger `a` and noun trigger `b` under it say the same event: the one to drop."""
    if b.trigger.weight > a.trigger.weight and doc[a.head].lemma_.lower() in LIGHT_VERBS:
        _take_sources(b, a)
        b.flags = a.flags if any(a.flags.values()) else b.flags
        return a
    return b


def _noun_is_topic(a: Candidate, b: Candidate, doc) -> bool:
    # the noun is what the verb event is about, not a second event by the verb's subject:
    # 'lifted sanctions', 'condemned the attack', 'discuss aid'
    noun = doc[b.head]
    return (
        doc[a.head].lemma_.lower() not in LIGHT_VERBS
        and noun.pos_ in ("NOUN", "PROPN")
        and noun.dep_ in ("dobj", "nsubjpass", "pobj")
        and not any(ch.dep_ == "poss" for ch in noun.children)
    )


def _nested_drop(a: Candidate, b: Candidate, doc) -> Candidate | None:
    """Which of a verb trigger `a` and a noun trigger `b` hanging from it to drop, if any."""
    if a.event == b.event:
        return _same_event_on_verb(a, b, doc)
    if doc[a.head].lemma_.lower() in LIGHT_VERBS and a.trigger.weight <= b.trigger.weight:
        _take_sources(b, a)
        return a
    if _noun_is_topic(a, b, doc):
        return b
    return None


def _by_tokens(cands: list[Candidate]) -> list[Candidate]:
    """Overlapping tokens: the longer (then stronger) match wins."""
    keep = sorted(cands, key=lambda c: (-len(c.tokens), -c.trigger.weight))
    out: list[Candidate] = []
    used: set[int] = set()
    for c in keep:
        if used & set(c.tokens):
            continue
        out.append(c)
        used |= set(c.tokens)
    return out


def dedup(cands: list[Candidate], doc: Doc) -> list[Candidate]:
    """One candidate per trigger occurrence: overlapping tokens -> the more specific match;
    a light verb governing a stronger noun trigger ('imposed sanctions') -> the noun; the same
    event twice on one clause ('met ... at the summit') -> the verb."""
    out = _by_tokens(cands)
    drop: set[int] = set()  # positions in `out`
    for ia, a in enumerate(out):
        for ib, b in enumerate(out):
            if ia == ib or ia in drop or ib in drop:
                continue
            # "joint exercises/patrols": the modifier makes the activity a cooperation
            if a.event == "COOPERATE" and doc[a.head].dep_ == "amod" and doc[a.head].head.i == b.head:
                a.tokens = sorted(set(a.tokens) | set(b.tokens))
                drop.add(ib)
                continue
            # b is a noun trigger hanging from verb trigger a
            if b.verb == a.head and b.head != b.verb:
                gone = _nested_drop(a, b, doc)
                if gone is not None:
                    drop.add(ia if gone is a else ib)
    return [c for k, c in enumerate(out) if k not in drop]
