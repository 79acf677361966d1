"""Triggers that govern other triggers: a governing trigger absorbs the act it embeds (threaten to
strike, urge to halt, promise to work with), a denial or refusal negates or replaces it, and a
verb of intention, planning or proposal sets its flags."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from spacy.tokens import Doc

from detente.coding.events.candidates import Candidate
from detente.coding.events.flags import _has_condition
from detente.coding.events.vocabulary import (
    CONFLICT_EVENTS,
    COOP_EVENTS,
    DENIAL,
    EMBEDDING,
    FUTURE_HEADS,
    HYPO_HEADS,
    INTENT_AGREE,
    REFUSAL,
    REPORTING,
)
from detente.lexicon import words
from detente.lexicon.ontology import Ontology
from detente.resources import read_table

_CLIMB_DEPS = ("xcomp", "ccomp", "dobj", "pobj", "pcomp", "prep", "advcl", "conj")
# verbs of ending an act: asked of someone, they make the request a demand to yield
_CESSATION = words("cessation_verbs")
_COERCION_THREAT_MODE = {"arrest": "arrest", "deport": "expel", "seize": "territory"}


def _load_codes() -> dict[tuple[str, str, str], tuple[str, tuple[str, ...], str]]:
    """(governing, embedded, embedded context) -> (mode, context, CAMEO), from
    data/embedded_event_codes.tsv (see its header)."""
    return {
        (r["governing"], r["embedded"], r["embedded_context"]): (
            r["mode"],
            (r["context"],) if r["context"] else (),
            r["cameo"],
        )
        for r in read_table("embedded_event_codes.tsv")
    }


_CODES = _load_codes()


@dataclass
class Step:
    """One link of the climb from an embedded trigger's clause to the word governing it."""

    cand: Candidate
    cur: object  # the token climbed from
    parent: object  # its head
    lemma: str  # the head's lemma, lowercased
    gov: Candidate | None  # the candidate whose trigger is the head, if any


MakeCandidate = Callable[[object, object, str], Candidate]


def _take_targets(gov: Candidate, emb: Candidate) -> None:
    if not gov.targets:
        gov.targets = [t for t in emb.targets if t not in gov.sources]


def _denied(s: Step, doc, cands: list[Candidate], make: MakeCandidate) -> bool:
    if s.lemma not in DENIAL or s.cand.event == "REJECT":
        return False
    # "denied hacking": the act does not happen; the denial is the REJECT
    s.cand.suppressed = True
    gov = s.gov
    if gov is None:
        gov = make(doc, s.parent, "REJECT")
        cands.append(gov)
    _take_targets(gov, s.cand)
    return True


def _refused(s: Step) -> bool:
    if s.lemma not in REFUSAL or s.cand.event == "REJECT":
        return False
    if s.gov is not None and s.gov.event == "REJECT":
        s.cand.suppressed = True
        _take_targets(s.gov, s.cand)
        _refine_reject(s.gov, s.cand)
    else:
        s.cand.flags["negated"] = True
        s.cand.suppressed = False
    return True


def _planned_conflict(s: Step) -> bool:
    gov, c = s.gov, s.cand
    if not (
        gov is not None
        and gov is not c
        and gov.event == "AGREE"
        and c.event in CONFLICT_EVENTS
        and s.lemma in FUTURE_HEADS | HYPO_HEADS
        and s.cur.dep_ in ("xcomp", "ccomp", "dobj")
    ):
        return False
    # "intends/plans to impose sanctions": not an agreement to cooperate; the
    # embedded act is coded, planned (future) or only proposed (hypothetical)
    gov.suppressed = True
    if s.lemma in HYPO_HEADS:
        c.flags["hypothetical"] = True
    elif s.lemma in FUTURE_HEADS:
        c.flags["future"] = True
    return True


def _absorbed(s: Step, onto: Ontology) -> bool:
    gov, c = s.gov, s.cand
    if not (
        gov is not None
        and gov is not c
        and gov.event in EMBEDDING
        and s.cur.dep_ in ("xcomp", "ccomp", "dobj", "pobj", "pcomp", "prep")
    ):
        return False
    # absorb: THREATEN to impose tariffs / urge to halt / promise to work with
    c.suppressed = True
    if not gov.targets or gov.event in ("THREATEN", "AGREE"):
        extra = [t for t in c.targets if t not in gov.sources and t not in gov.targets]
        gov.targets = gov.targets + extra
    _refine(gov, c, onto)
    for k in ("future", "hypothetical"):
        gov.flags[k] = gov.flags[k] or False
    return True


def _intended_cooperation(s: Step) -> bool:
    c = s.cand
    if not (
        s.lemma in INTENT_AGREE and c.event in COOP_EVENTS and c.event != "AGREE" and s.cur.dep_ == "xcomp"
    ):
        return False
    # intention to cooperate/meet -> AGREE
    c.cameo = _agree_code(c)
    c.event, c.mode = "AGREE", None
    if s.lemma in FUTURE_HEADS:
        c.flags["future"] = True
    return True


def _proposed(s: Step) -> bool:
    c = s.cand
    if not (
        s.lemma in HYPO_HEADS and s.cur.dep_ in ("xcomp", "ccomp", "dobj", "pcomp") and not c.flags["negated"]
    ):
        return False
    # "urged X to halt", "threatened to strike", "is considering sanctions": the
    # embedded act (when no REQUEST/THREATEN trigger absorbed it) is hypothetical
    c.flags["hypothetical"] = True
    c.flags["future"] = False
    return True


def _apply_step(s: Step, doc, cands: list[Candidate], onto: Ontology, make: MakeCandidate) -> bool:
    """Apply the first rule that matches this link; True when the climb stops here."""
    if _denied(s, doc, cands, make) or _refused(s) or _planned_conflict(s) or _absorbed(s, onto):
        return True
    if s.gov is not None and s.gov.event == "ACCUSE" and s.gov is not s.cand:
        # "accused Russia of shelling": keep the alleged act, lower confidence later
        return True
    if _intended_cooperation(s):
        return True
    if s.lemma in FUTURE_HEADS and s.cur.dep_ == "xcomp":
        c = s.cand
        c.flags["future"] = True
    return _proposed(s) or s.lemma in REPORTING


def _climb(c: Candidate, doc, by_tok: dict[int, Candidate], cands, onto: Ontology, make) -> None:
    """Climb from the trigger's clause (up to three links) to a governing trigger or special verb."""
    cur = doc[c.verb]
    hops = 0
    while hops < 3 and cur.dep_ in _CLIMB_DEPS and cur.head.i != cur.i:
        if cur.dep_ == "conj":
            break
        parent = cur.head
        hops += 1
        step = Step(c, cur, parent, parent.lemma_.lower(), by_tok.get(parent.i))
        if _apply_step(step, doc, cands, onto, make):
            break
        cur = parent


def _conditional_threat(c: Candidate, doc) -> None:
    """ "X said it would impose tariffs unless Y ...": a conditional use of force or sanctions
    announced (reported speech) is a threat (an event now), not a hypothetical one."""
    v = doc[c.verb]
    mods = {ch.lower_ for ch in v.children if ch.dep_ == "aux" or ch.tag_ == "MD"}
    if (
        mods & {"would", "will", "'ll"}
        and not mods & {"could", "should", "might", "may", "must"}
        and not c.flags["negated"]
        and _has_condition(v)
        and v.dep_ == "ccomp"
        and v.head.lemma_.lower() in REPORTING | {"warn", "vow", "threaten"}
    ):
        c.mode, _context, c.cameo = _CODES[("conditional", c.event, "")]
        c.event = "THREATEN"
        c.flags["hypothetical"] = False
        c.flags["future"] = False


def embed(cands: list[Candidate], doc: Doc, onto: Ontology, make: MakeCandidate) -> None:
    """Let governing triggers absorb embedded ones; apply denial/refusal/intention rules.
    `make(doc, token, event)` builds the REJECT candidate of a denial without a trigger."""
    by_tok = {}
    for c in cands:
        for i in c.tokens:
            by_tok[i] = c
    # a denial appends its REJECT to `cands`: the loop visits it too
    for c in cands:
        _climb(c, doc, by_tok, cands, onto, make)
    for c in cands:
        if not c.suppressed and c.event in CONFLICT_EVENTS:
            _conditional_threat(c, doc)


def _refine_threat(gov: Candidate, emb: Candidate) -> None:
    ev = emb.event
    if ("THREATEN", ev, "") in _CODES:
        gov.mode, gov.context, gov.cameo = _CODES[("THREATEN", ev, "")]
        if ev == "SANCTION" and emb.mode == "withdraw":
            gov.mode, gov.context, gov.cameo = "relations", ("diplomatic",), "1313"
    elif ev == "COERCE":
        gov.mode = _COERCION_THREAT_MODE.get(emb.mode or "", "restrict")
        gov.cameo = "132" if gov.mode != "territory" else "1382"


def _refine_request(gov: Candidate, emb: Candidate, onto: Ontology) -> None:
    ev = emb.event
    gov.mode, gov.cameo = _mode_and_code("REQUEST", gov, ev)
    if ev in ("SANCTION", "ASSAULT", "MOBILIZE", "COERCE") and emb.trigger.pattern in _CESSATION:
        gov.mode, gov.cameo = "yield", "105"
    if gov.trigger.cameo.startswith("02") and gov.cameo.startswith("10"):
        # appeals (urge, call on, ask) stay in the CAMEO 02 family
        code = "02" + gov.cameo[2:]
        while code not in onto.cameo and len(code) > 3:
            code = code[:-1]
        gov.cameo = code if code in onto.cameo else "020"


def _refine(gov: Candidate, emb: Candidate, onto: Ontology) -> None:
    gov.absorbed.append(emb)
    if gov.event == "THREATEN":
        _refine_threat(gov, emb)
    elif gov.event == "AGREE":
        gov.cameo = _agree_code(emb)
        if emb.context:
            gov.context = emb.context
    elif gov.event == "REQUEST":
        _refine_request(gov, emb, onto)
    elif gov.event == "REJECT":
        _refine_reject(gov, emb)


def _refine_reject(gov: Candidate, emb: Candidate) -> None:
    gov.mode, gov.cameo = _mode_and_code("REJECT", gov, emb.event)


def _mode_and_code(governing: str, gov: Candidate, embedded: str) -> tuple[str | None, str]:
    """The governing event's (mode, CAMEO) for the embedded act; unchanged when not listed."""
    row = _CODES.get((governing, embedded, ""))
    return (row[0], row[2]) if row is not None else (gov.mode, gov.cameo)


def _agree_code(c: Candidate) -> str:
    """The CAMEO code of an agreement to do the act of `c` (by its event, then its context)."""
    context = next(iter(set(c.context)), "")
    row = _CODES.get(("AGREE", c.event, context)) or _CODES.get(("AGREE", c.event, ""))
    return row[2] if row is not None else "030"
