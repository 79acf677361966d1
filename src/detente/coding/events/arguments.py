"""A trigger's arguments in the dependency parse: its clause verb, the subject (actor side) and the
objects (recipient side), as token indices in priority order."""

from __future__ import annotations

from spacy.tokens import Doc, Token

from detente.coding.events.candidates import Candidate
from detente.coding.events.vocabulary import (
    FUTURE_HEADS,
    LIGHT_VERBS,
    OBJECT_CONTROL,
    PREP_RANK,
    TARGET_PREPS,
    VICTIM_VERBS,
)

_VERBS = ("VERB", "AUX")
_NOMINALS = ("NOUN", "PROPN")
_OBJECT_DEPS = ("dobj", "dative", "iobj", "obj")


def is_verbal(tok: Token) -> bool:
    """A verb by part of speech or by tag (the small model tags some verbs NOUN with a VB tag)."""
    return tok.pos_ in _VERBS or tok.tag_.startswith("VB")


def _governing_verb(tok):
    """Clause verb a (noun) trigger hangs from: 'launched an attack' -> launched."""
    cur = tok
    for _ in range(3):
        if (
            cur.dep_ in ("dobj", "nsubj", "nsubjpass", "attr", "oprd", "conj", "appos")
            and cur.head.pos_ in _VERBS
        ):
            return cur.head
        if cur.dep_ == "pobj" and cur.head.dep_ in ("prep", "agent") and cur.head.head.pos_ in _VERBS:
            return cur.head.head
        if cur.dep_ in ("compound", "amod") and cur.head.pos_ in _NOMINALS:
            cur = cur.head
            continue
        if (
            cur.dep_ == "pobj"
            and cur.head.dep_ == "prep"
            and cur.head.lower_ == "of"
            and cur.head.head.pos_ in _NOMINALS
        ):
            cur = cur.head.head  # "a package of sanctions", "a round of talks"
            continue
        break
    return None


def clause_verb(tok: Token) -> Token:
    """The token carrying a trigger's subject and objects: itself for a verb, else its governing verb."""
    return tok if is_verbal(tok) else (_governing_verb(tok) or tok)


def _conjuncts(tok) -> list:
    out = [tok]
    for c in tok.conjuncts:
        if c.i != tok.i and c.pos_ in ("NOUN", "PROPN", "PRON") and tok.pos_ in ("NOUN", "PROPN", "PRON"):
            out.append(c)
    return out


def _direct_subjects(verb) -> tuple[list, list, list]:
    """(subject, passive agent, passive subject) tokens among the verb's own children."""
    subj, agent, psubj = [], [], []
    for ch in verb.children:
        if ch.dep_ in ("nsubj", "csubj", "expl"):
            subj.extend(_conjuncts(ch))
        elif ch.dep_ == "nsubjpass":
            psubj.extend(_conjuncts(ch))
        elif ch.dep_ == "agent":
            for p in ch.children:
                if p.dep_ == "pobj":
                    agent.extend(_conjuncts(p))
    if not subj and not psubj:
        # small-model parse slip: sentence-initial proper noun tagged npadvmod ("Turkey hosted ...")
        subj = [ch for ch in verb.children if ch.dep_ == "npadvmod" and ch.i < verb.i and ch.pos_ == "PROPN"]
    return subj, agent, psubj


def _is_controlled(verb) -> bool:
    """An infinitive complement ("vowed to retaliate", "urged Israel to halt")."""
    return verb.dep_ == "xcomp" or (
        verb.dep_ == "advcl" and any(c.dep_ == "aux" and c.lower_ == "to" for c in verb.children)
    )


def _controlled_subject(verb, depth: int) -> tuple[list, list, list]:
    h = verb.head
    # object control ("urged Israel to halt") else subject control ("vowed to retaliate")
    objs = [c for c in h.children if c.dep_ == "dobj"]
    if objs and h.lemma_.lower() in OBJECT_CONTROL:
        return [t for o in objs for t in _conjuncts(o)], [], []
    s, a, p = _subject(h, depth + 1)
    # "Poland is set/expected/scheduled to host": the passive subject of a raising head
    # is the actor of the embedded verb
    return (a or s or (p if h.lemma_.lower() in FUTURE_HEADS else [])), [], []


def _inherited_subject(verb, depth: int, agent: list) -> tuple[list, list, list] | None:
    """The subject a verb without its own takes from the clause above, or None."""
    h = verb.head
    if _is_controlled(verb):
        return _controlled_subject(verb, depth)
    if verb.dep_ == "conj":
        return _subject(h, depth + 1)
    if verb.dep_ in ("relcl", "acl") and h.pos_ in _NOMINALS:
        if verb.dep_ == "acl" and verb.tag_ == "VBN":  # "the embassy attacked by protesters"
            return [], agent, [h]
        return [h], [], []
    return None


def _subject(verb, _depth=0):
    """(subject tokens, passive_agent_tokens, passive_subject_tokens) of a verb, following
    xcomp control, conj sharing and relative clauses."""
    subj, agent, psubj = _direct_subjects(verb)
    if not subj and not psubj and _depth < 3:
        inherited = _inherited_subject(verb, _depth, agent)
        if inherited is not None:
            return inherited
    return subj, agent, psubj


def _objects(tok) -> list:
    """Targets governed by a verb or noun: dobj, dative, prepositional objects."""
    out = []
    for ch in tok.children:
        if ch.dep_ in _OBJECT_DEPS:
            out.extend(_conjuncts(ch))
        elif ch.dep_ == "prep" and ch.lower_ in TARGET_PREPS:
            for p in ch.children:
                if p.dep_ == "pobj":
                    out.extend(_conjuncts(p))
    return out


def _target_rank(t) -> tuple[int, int]:
    if t.dep_ in ("nsubjpass", *_OBJECT_DEPS):
        return (0, t.i)
    if t.dep_ == "pobj":
        return (1 + PREP_RANK.get(t.head.lower_, 20), t.i)
    if t.dep_ == "conj":
        return _target_rank(t.head)
    return (30, t.i)


def _verb_arguments(verb) -> tuple[list, list]:
    subj, agent, psubj = _subject(verb)
    if agent or psubj:
        return agent, psubj + list(_objects(verb))
    return subj, _objects(verb)


def _verb_side_sources(tok, verb) -> tuple[list, list]:
    """Actor and recipient a noun trigger takes from its clause verb."""
    subj, agent, psubj = _subject(verb)
    vs, vt = (agent, psubj) if (agent or psubj) else (subj, [])
    if tok.dep_ in ("nsubj", "nsubjpass"):
        vs = []  # "the attack killed X": the verb's subject is the trigger itself
    vs = [t for t in vs if t.i != tok.i]  # "triggered by the invasion of X": not X
    if tok.dep_ == "pobj" and (
        verb.lemma_.lower() in VICTIM_VERBS or any(ch.dep_ == "auxpass" for ch in verb.children)
    ):
        vs = []  # "soldiers died in a strike", "X was hit in an attack": victims
    return vs, vt


def _noun_arguments(tok, verb) -> tuple[list, list]:
    # noun (or adjective) trigger: own possessor / modifiers / prepositions first
    own_src = [ch for ch in tok.children if ch.dep_ == "poss"]
    mods = [ch for ch in tok.children if ch.dep_ in ("compound", "amod", "nmod")]
    own_tgt = _objects(tok)
    vs, vt = _verb_side_sources(tok, verb)
    sources = own_src or vs or mods
    targets = own_tgt + ([m for m in mods if m not in sources] if sources else []) + vt
    if verb.i != tok.i and verb.lemma_.lower() in LIGHT_VERBS:
        targets += [t for t in _objects(verb) if t.i != tok.i]
    return sources, targets


def find_arguments(c: Candidate, doc: Doc) -> None:
    """Set c.sources (actor heads) and c.targets (recipient heads, best first) from the parse."""
    tok, verb = doc[c.head], doc[c.verb]
    if tok.i == verb.i and is_verbal(tok):
        sources, targets = _verb_arguments(verb)
    else:
        sources, targets = _noun_arguments(tok, verb)
    c.sources = [t.i for t in sources]
    seen, ordered = set(), []
    for t in sorted(targets, key=_target_rank):
        if t.i not in seen and t.i not in c.sources:
            seen.add(t.i)
            ordered.append(t.i)
    c.targets = ordered
