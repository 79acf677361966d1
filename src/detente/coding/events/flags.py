"""An event's auxiliary flags read off the parse around its trigger: negated, hypothetical,
future and historical (PLOVER's auxiliary modes; the word lists are data/event_modifiers.tsv)."""

from __future__ import annotations

from datetime import date

from spacy.tokens import Doc

from detente.coding.events.candidates import Candidate
from detente.coding.events.vocabulary import (
    FUTURE_TIME,
    HYPO_MARKS,
    MODAL_FUTURE,
    MODAL_HYPO,
    NEG_ADVERBS,
    REPORTING,
    YEAR_RE,
)

_CLIMB_DEPS = ("xcomp", "conj", "ccomp", "advcl", "pcomp")
# governing verbs after which 'would' in reported speech is the future of the past
_REPORTED_FUTURE_HEADS = REPORTING | {"promise", "pledge", "vow", "warn"}


def _neg_adverb(tok) -> bool:
    """'never', 'nowhere', or 'longer' in 'no longer' (event_modifiers.tsv neg_adverb)."""
    low = tok.lower_
    if low in NEG_ADVERBS:
        return True
    prev = tok.nbor(-1) if tok.i > 0 else None
    return prev is not None and f"{prev.lower_} {low}" in NEG_ADVERBS


def _future_time(tok) -> bool:
    """A time modifier pointing ahead: 'tomorrow', 'next week', 'later this month', 'in the
    coming days' (event_modifiers.tsv future_time)."""
    if tok.dep_ not in ("npadvmod", "advmod", "prep", "tmod", "obl"):
        return False
    words = [t.lower_ for t in tok.subtree][:5]
    if tok.dep_ == "prep" and tok.lower_ not in ("in", "on", "during", "by", "within"):
        return False
    return any(w in FUTURE_TIME for w in words) or (tok.dep_ == "prep" and "coming" in words)


def _has_condition(verb) -> bool:
    """The clause has an if/unless condition ("would impose tariffs unless ...")."""
    return any(
        ch.dep_ == "advcl" and any(g.dep_ == "mark" and g.lower_ in ("if", "unless") for g in ch.children)
        for ch in verb.children
    )


def _modal_chain(tok, verb) -> list:
    """The trigger, its clause verb and up to three governing clause heads (xcomp/ccomp/conj...),
    whose modality is the event's."""
    chain = [tok] + ([verb] if verb.i != tok.i else [])
    cur = verb
    for _ in range(3):
        if cur.dep_ in _CLIMB_DEPS and cur.head.i != cur.i:
            cur = cur.head
            chain.append(cur)
        else:
            break
    return chain


def _is_negation(ch) -> bool:
    return ch.dep_ == "neg" or (ch.dep_ == "det" and ch.lower_ == "no") or _neg_adverb(ch)


def _chain_flags(f: dict[str, bool], chain: list, tok, verb) -> None:
    """Negation on the trigger or its verb; modals and if/whether marks anywhere on the chain."""
    for t in chain:
        for ch in t.children:
            low = ch.lower_
            if _is_negation(ch) and t in (tok, verb):
                f["negated"] = True
            if ch.dep_ == "aux" or ch.tag_ == "MD":
                if low in MODAL_HYPO:
                    f["hypothetical"] = True
                elif low in MODAL_FUTURE:
                    f["future"] = True
            if ch.dep_ == "mark" and (low in HYPO_MARKS or low == "whether"):
                f["hypothetical"] = True


def _future_on_clause(f: dict[str, bool], chain: list, tok, verb) -> None:
    # a time word pointing ahead on the event's own clause ("meet next week", "visit tomorrow")
    if verb.tag_ not in ("VBD", "VBN") and any(_future_time(ch) for t in (tok, verb) for ch in t.children):
        f["future"] = True
    # "be going to", "be set/due/expected to" on the clause verb itself
    if any(ch.dep_ == "aux" and ch.lower_ in MODAL_FUTURE for ch in verb.children):
        f["future"] = True
    if any(
        t.dep_ == "advcl" and any(ch.dep_ == "mark" and ch.lower_ in ("if", "unless") for ch in t.children)
        for t in chain
    ):
        f["hypothetical"] = True


def _reported_would(f: dict[str, bool], tok, verb) -> None:
    """ "Mexico said it would announce countermeasures": 'would' in reported speech after a past
    reporting verb is the future of the past, not a hypothetical, unless a condition ("if",
    "unless") or another modal (could, should) is present."""
    if not f["hypothetical"]:
        return
    mods = {ch.lower_ for t in (tok, verb) for ch in t.children if ch.dep_ == "aux" or ch.tag_ == "MD"}
    # ... but a nominal trigger that is the subject of the 'would' clause is a supposition:
    # "officials said an attack on X would lead to war" (the attack has not happened)
    nominal_subject = tok.i != verb.i and tok.dep_ in ("nsubj", "nsubjpass")
    if (
        "would" in mods
        and not (mods & (MODAL_HYPO - {"would"}))
        and not nominal_subject
        and verb.dep_ == "ccomp"
        and verb.head.lemma_.lower() in _REPORTED_FUTURE_HEADS
        and verb.head.tag_ in ("VBD", "VBN")
        and not _has_condition(verb)
    ):
        f["hypothetical"] = False
        f["future"] = True


def _background_year(f: dict[str, bool], chain: list, story_date: date | None) -> None:
    """ "in 1999": a year before last year in a locative phrase of the trigger or its verb."""
    if story_date is None:
        return
    for t in chain[:2]:
        for ch in t.children:
            if ch.dep_ == "prep" and ch.lower_ in ("in", "during", "since"):
                for p in ch.subtree:
                    if YEAR_RE.match(p.text) and int(p.text) < story_date.year - 1:
                        f["historical"] = True


def set_flags(c: Candidate, doc: Doc, story_date: date | None) -> None:
    """Set c.flags from the trigger's clause and the clauses governing it."""
    tok, verb = doc[c.head], doc[c.verb]
    chain = _modal_chain(tok, verb)
    _chain_flags(c.flags, chain, tok, verb)
    _future_on_clause(c.flags, chain, tok, verb)
    _reported_would(c.flags, tok, verb)
    _background_year(c.flags, chain, story_date)
