"""Event finding: triggers from the lexicon + dependency rules give candidate (source, trigger,
target) triples; the learned relation classifier (classifier.py) re-scores/re-types each candidate.

Conventions (documented behaviour):
  * One Event per dyad: compound actors ("Japan and South Korea met Australia") give one event per
    conjunct (JPN->AUS, KOR->AUS).
  * Symmetric events (CONSULT/COOPERATE between parties, e.g. "A and B met", "A met B", "A held talks
    with B") are emitted as one dyad each way (A->B and B->A), both with symmetric=True.
  * Passive voice: the by-agent is the actor, the passive subject the recipient.
  * Reported speech: the speaker of a reporting verb (say, claim, report...) is not the actor of the
    reported event; reporting verbs produce no event by themselves.
  * Negation: explicit negation ("did not attack", "no talks") gives the event with
    flags['negated']=True (set `keep_negated=False` to drop those). A denied act ("denied hacking")
    does NOT produce the act at all; the denial itself is a REJECT (denier -> recipient of the act,
    or the accuser if one is named).
  * Embedded events under a trigger verb that governs them (threaten/urge/promise/refuse/deny/...)
    are absorbed into that event (its mode/context/CAMEO refined from the embedded act). Intention
    to cooperate or meet ("plans to meet", "pledged to work with") is AGREE (future=True);
    "will meet" stays CONSULT with future=True.
  * Hypothetical: modal should/could/would/might/may or an "if" clause; future: will/shall/going
    to/plan/intend/expected/scheduled; historical: "in 1999"-type background years more than one
    year before the story date.
"""
from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from .model import Actor, Event, FLAG_NAMES, Mention, PLOVER_TYPES
from .ontology import Ontology, Trigger, load_ontology

# --- word classes used by the rules -----------------------------------------------------------
REPORTING = {"say", "tell", "report", "claim", "state", "announce", "add", "note", "insist",
             "believe", "think", "write", "argue", "suggest", "confirm", "acknowledge", "admit",
             "explain", "declare", "assert", "reveal", "indicate", "show", "know", "hope", "fear",
             "expect", "understand"}
NO_COMMENT = {"comment", "elaborate", "speculate", "respond", "say", "confirm", "discuss", "answer"}
DENIAL = {"deny", "dismiss", "refute", "rebut"}
REFUSAL = {"refuse", "decline", "reject", "fail", "oppose", "avoid", "stop"}
INTENTION = {"plan", "intend", "want", "hope", "aim", "seek", "prepare", "expect", "wish",
             "decide", "agree", "promise", "pledge", "vow", "offer", "commit", "resolve", "consider",
             "propose", "be", "set", "due", "schedule", "ready", "willing", "try", "attempt",
             "move", "look", "go", "begin", "start", "continue", "need", "have"}
INTENT_AGREE = {"plan", "intend", "want", "hope", "aim", "seek", "wish", "agree", "promise",
                "pledge", "vow", "offer", "commit", "resolve", "propose", "ready", "willing",
                "decide", "consider"}
FUTURE_HEADS = {"plan", "intend", "expect", "schedule", "set", "due", "prepare", "aim"}
MODAL_HYPO = {"should", "could", "would", "might", "may", "must", "ought"}
MODAL_FUTURE = {"will", "shall", "'ll", "wo"}
LIGHT_VERBS = {"launch", "carry", "conduct", "stage", "stag", "hold", "impose", "announce", "issue",
               "make", "level", "file", "pay", "mount", "deliver", "begin", "start", "order",
               "unleash", "step", "lodge", "give", "take", "have", "do", "extend", "offer",
               "provide", "send", "express", "voice", "sign", "reach", "slap", "put", "place",
               "introduce", "expand", "tighten", "unveil", "adopt", "approve", "receive", "hit"}
# triggers that govern (embed) another event and absorb it
EMBEDDING = {"THREATEN", "REQUEST", "AGREE", "REJECT"}
TARGET_PREPS = {"with", "against", "on", "to", "at", "toward", "towards", "into", "upon", "over",
                "around", "near", "from", "for", "of", "about", "in"}
SYMMETRIC_TYPES = {"CONSULT", "COOPERATE"}
SYMMETRIC_LEMMAS = {"meet", "meeting", "talk", "summit", "negotiate", "negotiation", "discuss",
                    "discussion", "confer", "consult", "consultation", "cooperate", "cooperation",
                    "collaborate", "partner", "clash", "fight", "fighting", "trade"}
YEAR_RE = re.compile(r"^(1[89]\d\d|20\d\d)$")
COOP_EVENTS = {"AGREE", "CONSULT", "SUPPORT", "CONCEDE", "COOPERATE", "AID", "RETREAT"}


@dataclass
class Candidate:
    """A trigger occurrence with its arguments (token indices, doc-level)."""
    trigger: Trigger
    tokens: list[int]               # trigger tokens
    head: int                       # the trigger's main token
    verb: int                       # the clause verb carrying subject/object (== head for verbs)
    sources: list[int] = field(default_factory=list)
    targets: list[int] = field(default_factory=list)
    flags: dict[str, bool] = field(default_factory=lambda: {f: False for f in FLAG_NAMES})
    absorbed: list["Candidate"] = field(default_factory=list)
    suppressed: bool = False
    event: str = ""
    mode: str | None = None
    context: tuple[str, ...] = ()
    cameo: str = ""


class TriggerIndex:
    def __init__(self, triggers: list[Trigger]):
        self.single: dict[str, list[Trigger]] = defaultdict(list)
        self.child: dict[str, list[tuple[str, Trigger]]] = defaultdict(list)
        self.multi: dict[str, list[tuple[tuple[str, ...], Trigger]]] = defaultdict(list)
        for t in triggers:
            if "+" in t.pattern:
                v, c = t.pattern.split("+", 1)
                self.child[v].append((c, t))
            elif " " in t.pattern:
                parts = tuple(t.pattern.split())
                self.multi[parts[0]].append((parts, t))
            else:
                self.single[t.pattern].append(t)

    @staticmethod
    def _pos_ok(trig: Trigger, tok) -> bool:
        if trig.pos == "ANY":
            return tok.pos_ in ("VERB", "NOUN", "PROPN", "ADJ", "AUX")
        if trig.pos == "VERB":
            return tok.pos_ in ("VERB", "AUX") or (tok.tag_.startswith("VB"))
        if trig.pos == "NOUN":
            return tok.pos_ in ("NOUN", "PROPN")
        return tok.pos_ == trig.pos

    def match(self, sent) -> list[tuple[Trigger, list[int], int]]:
        """(trigger, token indices, head token) for the sentence, most specific match per token."""
        out: dict[int, tuple[Trigger, list[int], int, int]] = {}  # head -> (trig, toks, head, specificity)
        toks = list(sent)
        for k, tok in enumerate(toks):
            lem = tok.lemma_.lower()
            low = tok.text.lower()
            found: list[tuple[Trigger, list[int], int, int]] = []
            for key in {lem, low}:
                for parts, trig in self.multi.get(key, ()):
                    n = len(parts)
                    seq = toks[k:k + n]
                    if len(seq) == n and all(s.lemma_.lower() == p or s.text.lower() == p
                                             for s, p in zip(seq, parts)):
                        found.append((trig, [s.i for s in seq], seq[-1].i, 3))
                for c, trig in self.child.get(key, ()):
                    if not self._pos_ok(trig, tok):
                        continue
                    for ch in tok.children:
                        if ch.i > tok.i and (ch.lemma_.lower() == c or ch.text.lower() == c):
                            found.append((trig, [tok.i, ch.i], tok.i, 2))
                            break
                for trig in self.single.get(key, ()):
                    if self._pos_ok(trig, tok):
                        found.append((trig, [tok.i], tok.i, 1))
            for f in found:
                cur = out.get(f[2])
                if cur is None or (f[3], f[0].weight) > (cur[3], cur[0].weight):
                    out[f[2]] = f
        return [(t, toks_, h) for t, toks_, h, _ in out.values()]


def _governing_verb(tok):
    """Clause verb a (noun) trigger hangs from: 'launched an attack' -> launched."""
    cur = tok
    for _ in range(3):
        if cur.dep_ in ("dobj", "nsubj", "nsubjpass", "attr", "oprd", "conj", "appos") and \
                cur.head.pos_ in ("VERB", "AUX"):
            return cur.head
        if cur.dep_ == "pobj" and cur.head.dep_ in ("prep", "agent") and cur.head.head.pos_ in ("VERB", "AUX"):
            return cur.head.head
        if cur.dep_ in ("compound", "amod") and cur.head.pos_ in ("NOUN", "PROPN"):
            cur = cur.head
            continue
        if cur.dep_ == "pobj" and cur.head.dep_ == "prep" and cur.head.lower_ == "of" and \
                cur.head.head.pos_ in ("NOUN", "PROPN"):
            cur = cur.head.head          # "a package of sanctions", "a round of talks"
            continue
        break
    return None


def _conjuncts(tok) -> list:
    out = [tok]
    for c in tok.conjuncts:
        if c.i != tok.i and c.pos_ in ("NOUN", "PROPN", "PRON") and tok.pos_ in ("NOUN", "PROPN", "PRON"):
            out.append(c)
    return out


def _subject(verb, _depth=0):
    """(subject tokens, passive_agent_tokens, passive_subject_tokens) of a verb, following
    xcomp control, conj sharing and relative clauses."""
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
        subj = [ch for ch in verb.children if ch.dep_ == "npadvmod" and ch.i < verb.i
                and ch.pos_ == "PROPN"]
    if not subj and not psubj and _depth < 3:
        h = verb.head
        if verb.dep_ == "xcomp" or (verb.dep_ in ("advcl",) and any(c.dep_ == "aux" and c.lower_ == "to" for c in verb.children)):
            # object control ("urged Israel to halt") else subject control ("vowed to retaliate")
            objs = [c for c in h.children if c.dep_ in ("dobj",)]
            if objs and h.lemma_.lower() in OBJECT_CONTROL:
                return [t for o in objs for t in _conjuncts(o)], [], []
            s, a, p = _subject(h, _depth + 1)
            return (a or s), [], []
        if verb.dep_ == "conj":
            return _subject(h, _depth + 1)
        if verb.dep_ in ("relcl", "acl") and h.pos_ in ("NOUN", "PROPN"):
            if verb.dep_ == "relcl":
                return [h], [], []
            if verb.tag_ == "VBN":        # "the embassy attacked by protesters"
                return [], agent, [h]
            return [h], [], []
    return subj, agent, psubj


OBJECT_CONTROL = {"urge", "ask", "call", "press", "push", "encourage", "force", "order", "tell",
                  "invite", "persuade", "convince", "help", "allow", "permit", "pressure", "warn",
                  "request", "implore", "beg", "advise", "want", "expect"}


def _objects(tok) -> list:
    """Targets governed by a verb or noun: dobj, dative, prepositional objects."""
    out = []
    for ch in tok.children:
        if ch.dep_ in ("dobj", "dative", "iobj", "obj"):
            out.extend(_conjuncts(ch))
        elif ch.dep_ == "prep" and ch.lower_ in TARGET_PREPS:
            for p in ch.children:
                if p.dep_ == "pobj":
                    out.extend(_conjuncts(p))
    return out


class EventFinder:
    """Finds PLOVER events in a parsed spaCy Doc given actor mentions (see module doc)."""

    def __init__(self, ontology: Ontology | None = None, classifier=None, keep_negated: bool = True,
                 use_classifier: bool = True, lexicon_weight: float = 0.6):
        self.onto = ontology or load_ontology()
        self.index = TriggerIndex(self.onto.triggers)
        self.keep_negated = keep_negated
        self.lexicon_weight = lexicon_weight
        if classifier is None and use_classifier:
            from .classifier import RelationClassifier
            try:
                classifier = RelationClassifier.load_default()
            except FileNotFoundError:
                classifier = None
        self.classifier = classifier

    # ------------------------------------------------------------------ public API
    def roles(self, doc, mentions: list[Mention], story_date: date | None = None) -> list[tuple[int, int | None]]:
        """(source mention index, target mention index or None) of every candidate event."""
        return [(a, b) for _c, a, b, *_ in self._pending(doc, mentions, story_date)]

    def find(self, doc, mentions: list[Mention], story_date: date | None, doc_id: str) -> list[Event]:
        events: list[Event] = []
        pending = self._pending(doc, mentions, story_date)
        if not pending:
            return events
        probs = None
        if self.classifier is not None:
            items = []
            for c, a, b, sent, si, sym in pending:
                ms = mentions[a]
                mt = mentions[b] if b is not None else None
                items.append(RelItem(sent=sent, src=(ms.start, ms.end),
                                     tgt=(mt.start, mt.end) if mt else None, trigger=c.head))
            probs = self.classifier.predict_proba(items)
        for k, (c, a, b, sent, si, sym) in enumerate(pending):
            ev_type, conf = self._decide(c, probs[k] if probs is not None else None, b is not None)
            if c.flags["negated"] and not self.keep_negated:
                continue
            cameo = c.cameo if ev_type == c.event else self.onto.default_cameo(ev_type)
            mode = c.mode if ev_type == c.event else None
            context = list(c.context) if ev_type == c.event else []
            ts = [doc[i] for i in sorted(c.tokens)]
            ev = Event(
                doc_id=doc_id, event=ev_type,
                actor=[_copy_actor(mentions[a])],
                recipient=[_copy_actor(mentions[b])] if b is not None else [],
                text=sent.text, span=(sent.start_char, sent.end_char),
                event_text=" ".join(t.text for t in ts),
                trigger_span=(ts[0].idx, ts[-1].idx + len(ts[-1].text)),
                mode=mode, context=context, cameo_code=cameo,
                quad_code=self.onto.quad(ev_type),
                goldstein=self.onto.goldstein(cameo, ev_type),
                event_scale=self.onto.plover_score(ev_type, mode),
                confidence=conf, flags=dict(c.flags), symmetric=sym, sentence_index=si)
            events.append(ev)
        return events

    def _pending(self, doc, mentions, story_date):
        tok2m: dict[int, int] = {}
        for mi, m in enumerate(mentions):
            for i in range(m.start, m.end):
                tok2m.setdefault(i, mi)
        pending: list[tuple] = []     # (cand, src_mention, tgt_mention, sent, sent_index)
        for si, sent in enumerate(doc.sents):
            cands = self._candidates(sent, story_date)
            for c in cands:
                if c.suppressed:
                    continue
                srcs = self._resolve(doc, c.sources, tok2m, mentions)
                tgts = []
                for ti in c.targets:       # targets are in priority order: first resolving group wins
                    got = self._resolve(doc, [ti], tok2m, mentions)
                    got = [g for g in got if g not in srcs]
                    if got:
                        group = {ti} | {x.i for x in doc[ti].conjuncts}
                        tgts = self._resolve(doc, [t for t in c.targets if t in group], tok2m, mentions)
                        break
                tgts = [t for t in tgts if t not in srcs and not any(
                    _same_actor(mentions[t].actor, mentions[a].actor) for a in srcs)]
                if not srcs:
                    continue
                symmetric = (c.event in SYMMETRIC_TYPES and
                             any(doc[i].lemma_.lower() in SYMMETRIC_LEMMAS for i in c.tokens))
                if symmetric and len(srcs) > 1 and not any(
                        doc[t].dep_ in ("dobj", "nsubjpass") or (doc[t].dep_ == "pobj" and doc[t].head.lower_ == "with")
                        for t in c.targets):
                    # "A and B met": every pair, each way
                    pairs = [(a, b) for a in srcs for b in srcs if a != b]
                else:
                    pairs = [(a, b) for a in srcs for b in (tgts or [None])]
                    if symmetric and tgts:
                        pairs += [(b, a) for a, b in pairs if b is not None]
                seen = set()
                for a, b in pairs:
                    if (a, b) in seen:
                        continue
                    seen.add((a, b))
                    if b is not None and _same_actor(mentions[a].actor, mentions[b].actor):
                        continue
                    pending.append((c, a, b, sent, si, symmetric and b is not None))
        return pending

    # ------------------------------------------------------------------ decisions
    def _decide(self, c: Candidate, p, has_target: bool = True) -> tuple[str, float]:
        """Combine the lexicon prior (trigger weight) with classifier probabilities."""
        lex = c.event
        w = c.trigger.weight
        if p is None:
            return lex, round(0.35 + 0.5 * w, 3)
        classes = self.classifier.classes
        plv_lex = "YIELD" if lex in ("CONCEDE", "RETREAT") else lex
        lw = self.lexicon_weight * w
        if not has_target:          # the classifier was trained on dyads: trust the lexicon more
            lw = max(lw, 0.6)
        mix = {cl: (1 - lw) * float(pi) for cl, pi in zip(classes, p)}
        mix[plv_lex] = mix.get(plv_lex, 0.0) + lw
        best = max(mix, key=mix.get)
        conf = mix[best]
        if best == "YIELD":
            best = lex if lex in ("CONCEDE", "RETREAT") else "RETREAT"
        if best == plv_lex:
            best = lex
        return best, round(min(0.99, conf), 3)

    # ------------------------------------------------------------------ candidates
    def _candidates(self, sent, story_date) -> list[Candidate]:
        doc = sent.doc
        cands: list[Candidate] = []
        for trig, toks, head in self.index.match(sent):
            tok = doc[head]
            if tok.pos_ in ("VERB", "AUX") or tok.tag_.startswith("VB"):
                verb = tok
            else:
                verb = _governing_verb(tok) or tok
            if tok.lemma_.lower() in REFUSAL | {"decline"} and any(
                    ch.dep_ == "xcomp" and ch.lemma_.lower() in NO_COMMENT for ch in tok.children):
                continue          # "declined to comment" is a statement, not a rejection
            c = Candidate(trigger=trig, tokens=toks, head=head, verb=verb.i, event=trig.event,
                          mode=trig.mode, context=trig.context, cameo=trig.cameo)
            self._arguments(c, doc)
            self._flags(c, doc, story_date)
            cands.append(c)
        cands = self._dedup(cands, doc)
        self._embed(cands, doc)
        return cands

    @staticmethod
    def _dedup(cands: list[Candidate], doc) -> list[Candidate]:
        """One candidate per trigger occurrence: overlapping tokens -> the more specific match;
        a light verb governing a stronger noun trigger ('imposed sanctions') -> the noun; the same
        event twice on one clause ('met ... at the summit') -> the verb."""
        keep = sorted(cands, key=lambda c: (-len(c.tokens), -c.trigger.weight))
        out: list[Candidate] = []
        used: set[int] = set()
        for c in keep:
            if used & set(c.tokens):
                continue
            out.append(c)
            used |= set(c.tokens)
        drop = set()
        for a in out:
            for b in out:
                if a is b or id(a) in drop or id(b) in drop:
                    continue
                # b is a noun trigger hanging from verb trigger a
                if b.verb == a.head and b.head != b.verb:
                    if a.event == b.event:
                        if b.trigger.weight > a.trigger.weight and doc[a.head].lemma_.lower() in LIGHT_VERBS:
                            if not b.sources:
                                b.sources = a.sources
                            b.flags = a.flags if any(a.flags.values()) else b.flags
                            drop.add(id(a))
                        else:
                            drop.add(id(b))
                    elif doc[a.head].lemma_.lower() in LIGHT_VERBS and a.trigger.weight <= b.trigger.weight:
                        if not b.sources:
                            b.sources = a.sources
                        drop.add(id(a))
        return [c for c in out if id(c) not in drop]

    def _arguments(self, c: Candidate, doc) -> None:
        tok, verb = doc[c.head], doc[c.verb]
        sources, targets = [], []
        if tok.i == verb.i and (tok.pos_ in ("VERB", "AUX") or tok.tag_.startswith("VB")):
            subj, agent, psubj = _subject(verb)
            if agent or psubj:
                sources = agent
                targets = psubj + [t for t in _objects(verb)]
            else:
                sources = subj
                targets = _objects(verb)
        else:
            # noun (or adjective) trigger: own possessor / modifiers / prepositions first
            own_src = [ch for ch in tok.children if ch.dep_ == "poss"]
            mods = [ch for ch in tok.children if ch.dep_ in ("compound", "amod", "nmod")]
            own_tgt = _objects(tok)
            subj, agent, psubj = _subject(verb)
            vs, vt = (agent, psubj) if (agent or psubj) else (subj, [])
            if tok.dep_ in ("nsubj", "nsubjpass"):
                vs = []           # "the attack killed X": the verb's subject is the trigger itself
            sources = own_src or vs or mods
            targets = own_tgt + ([m for m in mods if m not in sources] if sources else []) + vt
            if verb.i != tok.i and verb.lemma_.lower() in LIGHT_VERBS | {"stag"}:
                targets += [t for t in _objects(verb) if t.i != tok.i]
        c.sources = [t.i for t in sources]
        seen, ordered = set(), []
        for t in sorted(targets, key=_target_rank):
            if t.i not in seen and t.i not in c.sources:
                seen.add(t.i)
                ordered.append(t.i)
        c.targets = ordered

    def _flags(self, c: Candidate, doc, story_date) -> None:
        tok, verb = doc[c.head], doc[c.verb]
        f = c.flags
        chain = [tok] + ([verb] if verb.i != tok.i else [])
        # climb through xcomp/ccomp/conj heads for modality of the governing clause
        cur = verb
        for _ in range(3):
            if cur.dep_ in ("xcomp", "conj", "ccomp", "advcl", "pcomp") and cur.head.i != cur.i:
                cur = cur.head
                chain.append(cur)
            else:
                break
        for t in chain:
            for ch in t.children:
                low = ch.lower_
                if ch.dep_ == "neg" or (ch.dep_ == "det" and low == "no") or low in ("never",):
                    if t in (tok, verb):
                        f["negated"] = True
                if ch.dep_ == "aux" or ch.tag_ == "MD":
                    if low in MODAL_HYPO:
                        f["hypothetical"] = True
                    elif low in MODAL_FUTURE:
                        f["future"] = True
                if ch.dep_ == "mark" and low in ("if", "unless", "whether"):
                    f["hypothetical"] = True
            lem = t.lemma_.lower()
            if t is not tok and t is not verb:
                if lem in FUTURE_HEADS:
                    f["future"] = True
            if t.dep_ == "xcomp" and t.head.lemma_.lower() == "go" and any(
                    a.lower_ == "to" for a in t.children):
                f["future"] = True
        # "be going to", "be set/due/expected to" on the clause verb itself
        for ch in verb.children:
            if ch.dep_ in ("aux",) and ch.lower_ in MODAL_FUTURE:
                f["future"] = True
        for t in chain:
            if t.dep_ == "advcl" and any(ch.dep_ == "mark" and ch.lower_ in ("if", "unless") for ch in t.children):
                f["hypothetical"] = True
        # background year: "in 1999"
        if story_date is not None:
            for t in chain[:2]:
                for ch in t.children:
                    if ch.dep_ == "prep" and ch.lower_ in ("in", "during", "since"):
                        for p in ch.subtree:
                            if YEAR_RE.match(p.text) and int(p.text) < story_date.year - 1:
                                f["historical"] = True

    def _embed(self, cands: list[Candidate], doc) -> None:
        """Let governing triggers absorb embedded ones; apply denial/refusal/intention rules."""
        by_tok = {}
        for c in cands:
            for i in c.tokens:
                by_tok[i] = c
        for c in cands:
            tok = doc[c.head]
            # climb from the trigger's clause to find a governing trigger or special verb
            cur = doc[c.verb]
            hops = 0
            while hops < 3 and cur.dep_ in ("xcomp", "ccomp", "dobj", "pobj", "pcomp", "prep", "advcl",
                                           "conj") and cur.head.i != cur.i:
                if cur.dep_ == "conj":
                    break
                parent = cur.head
                hops += 1
                plem = parent.lemma_.lower()
                gov = by_tok.get(parent.i)
                if plem in DENIAL and c.event not in ("REJECT",):
                    # "denied hacking": the act does not happen; the denial is the REJECT
                    c.suppressed = True
                    if gov is None:
                        r = self._make(doc, parent, "REJECT")
                        cands.append(r)
                        gov = r
                    if not gov.targets:
                        gov.targets = [t for t in c.targets if t not in gov.sources]
                    break
                if plem in REFUSAL and c.event not in ("REJECT",):
                    c.suppressed = True
                    if gov is not None and gov.event == "REJECT":
                        if not gov.targets:
                            gov.targets = [t for t in c.targets if t not in gov.sources]
                        _refine_reject(gov, c)
                    else:
                        c.flags["negated"] = True
                        c.suppressed = False
                    break
                if gov is not None and gov is not c and gov.event in EMBEDDING and \
                        cur.dep_ in ("xcomp", "ccomp", "dobj", "pobj", "pcomp", "prep"):
                    # absorb: THREATEN to impose tariffs / urge to halt / promise to work with
                    c.suppressed = True
                    if not gov.targets or gov.event in ("THREATEN", "AGREE"):
                        extra = [t for t in c.targets if t not in gov.sources and t not in gov.targets]
                        gov.targets = gov.targets + extra
                    _refine(gov, c, self.onto)
                    for k in ("future", "hypothetical"):
                        gov.flags[k] = gov.flags[k] or False
                    break
                if gov is not None and gov.event == "ACCUSE" and gov is not c:
                    # "accused Russia of shelling": keep the alleged act, lower confidence later
                    break
                if plem in INTENT_AGREE and c.event in COOP_EVENTS and c.event != "AGREE" \
                        and cur.dep_ == "xcomp":
                    # intention to cooperate/meet -> AGREE
                    c.cameo = _agree_code(c)
                    c.event, c.mode = "AGREE", None
                    c.flags["future"] = True
                    break
                if plem in FUTURE_HEADS and cur.dep_ == "xcomp":
                    c.flags["future"] = True
                if plem in REPORTING:
                    break
                cur = parent
        # THREATEN/AGREE that absorbed something: future intention
        for c in cands:
            if c.event in ("THREATEN", "AGREE") and not c.suppressed:
                c.flags["future"] = c.flags["future"] or c.event == "AGREE" and bool(c.absorbed)

    def _make(self, doc, tok, event) -> Candidate:
        trig = Trigger(pattern=tok.lemma_.lower(), pos="VERB", event=event, mode=None, context=(),
                       cameo=self.onto.default_cameo(event), weight=0.7)
        c = Candidate(trigger=trig, tokens=[tok.i], head=tok.i, verb=tok.i, event=event,
                      cameo=trig.cameo)
        self._arguments(c, doc)
        self._flags(c, doc, None)
        return c

    # ------------------------------------------------------------------ mentions
    @staticmethod
    def _resolve(doc, toks: list[int], tok2m: dict[int, int], mentions: list[Mention]) -> list[int]:
        """Mention indices for argument head tokens: the mention covering the token, else the
        nearest mention inside its noun-phrase subtree (not crossing clauses)."""
        out: list[int] = []
        for i in toks:
            if i in tok2m:
                mi = tok2m[i]
            else:
                mi = _nearest_in_subtree(doc[i], tok2m)
            if mi is not None and mi not in out:
                out.append(mi)
                # "imports from Canada and Mexico": the conjuncts of the mention found
                m = mentions[mi]
                root = doc[m.start:m.end].root
                for cj in root.conjuncts:
                    cm = tok2m.get(cj.i)
                    if cm is not None and cm not in out:
                        out.append(cm)
        return out


PREP_RANK = {p: k for k, p in enumerate(
    ["against", "on", "with", "to", "at", "toward", "towards", "into", "upon", "over", "around", "near",
     "of", "from", "for", "about", "in"])}


def _target_rank(t) -> tuple[int, int]:
    if t.dep_ in ("nsubjpass", "dobj", "dative", "iobj", "obj"):
        return (0, t.i)
    if t.dep_ == "pobj":
        return (1 + PREP_RANK.get(t.head.lower_, 20), t.i)
    if t.dep_ == "conj":
        return _target_rank(t.head)
    return (30, t.i)


def _nearest_in_subtree(tok, tok2m):
    best, best_d = None, 99
    stack = [(tok, 0)]
    while stack:
        t, d = stack.pop()
        if t.i in tok2m and d < best_d:
            best, best_d = tok2m[t.i], d
        if d >= 3:
            continue
        for ch in t.children:
            if ch.dep_ in ("relcl", "acl", "advcl", "ccomp", "xcomp", "appos", "conj", "cc", "punct"):
                continue
            stack.append((ch, d + 1))
    return best


def _same_actor(x: Actor, y: Actor) -> bool:
    return x.code == y.code and x.sector == y.sector and (x.name or "") == (y.name or "")


def _copy_actor(m: Mention) -> Actor:
    return dataclasses.replace(m.actor, text=m.text)


def _refine(gov: Candidate, emb: Candidate, onto: Ontology) -> None:
    gov.absorbed.append(emb)
    ev = emb.event
    if gov.event == "THREATEN":
        if ev in ("ASSAULT", "MOBILIZE"):
            gov.mode, gov.context, gov.cameo = "violence", ("military",), "138"
        elif ev == "SANCTION":
            gov.mode, gov.context, gov.cameo = "restrict", ("economic",), "1312"
            if emb.mode == "withdraw":
                gov.mode, gov.context, gov.cameo = "relations", ("diplomatic",), "1313"
        elif ev == "COERCE":
            gov.mode = {"arrest": "arrest", "deport": "expel", "seize": "territory"}.get(emb.mode or "", "restrict")
            gov.cameo = "132" if gov.mode != "territory" else "1382"
    elif gov.event == "AGREE":
        gov.cameo = _agree_code(emb)
        if emb.context:
            gov.context = emb.context
    elif gov.event == "REQUEST":
        gov.mode, gov.cameo = {
            "COOPERATE": ("assist", "101"), "AID": ("assist", "103"), "CONSULT": ("meet", "106"),
            "AGREE": ("meet", "107"), "RETREAT": ("yield", "105"), "CONCEDE": ("yield", "105"),
            "SANCTION": ("yield", "1056"), "ASSAULT": ("yield", "1056"), "MOBILIZE": ("yield", "1056"),
            "COERCE": ("yield", "105"), "SUPPORT": ("assist", "102"),
        }.get(ev, (gov.mode, gov.cameo))
        if ev in ("SANCTION", "ASSAULT", "MOBILIZE", "COERCE") and emb.trigger.pattern in (
                "halt", "suspend", "stop", "cease", "end", "withdraw", "release", "lift", "ease"):
            gov.mode, gov.cameo = "yield", "105"
        if gov.trigger.cameo.startswith("02") and gov.cameo.startswith("10"):
            # appeals (urge, call on, ask) stay in the CAMEO 02 family
            code = "02" + gov.cameo[2:]
            while code not in onto.cameo and len(code) > 3:
                code = code[:-1]
            gov.cameo = code if code in onto.cameo else "020"
    elif gov.event == "REJECT":
        _refine_reject(gov, emb)


def _refine_reject(gov: Candidate, emb: Candidate) -> None:
    gov.mode, gov.cameo = {
        "CONSULT": ("meet", "125"), "AGREE": ("meet", "127"), "COOPERATE": ("assist", "121"),
        "AID": ("assist", "122"), "RETREAT": ("yield", "124"), "CONCEDE": ("yield", "124"),
        "REQUEST": ("change", "123"),
    }.get(emb.event, (gov.mode, gov.cameo))


def _agree_code(c: Candidate) -> str:
    ev = c.event
    ctx = set(c.context)
    if ev == "CONSULT":
        return "036"
    if ev == "AID":
        return {"economic": "0331", "military": "0332", "humanitarian": "0333"}.get(next(iter(ctx), ""), "033")
    if ev == "COOPERATE":
        return {"economic": "0311", "military": "0312", "legal": "0313", "intelligence": "0314"}.get(
            next(iter(ctx), ""), "031")
    if ev in ("RETREAT", "CONCEDE"):
        return "035"
    if ev == "SUPPORT":
        return "032"
    return "030"


@dataclass
class RelItem:
    """One (source, target) relation instance for the classifier: token ranges are doc-level."""
    sent: object                     # spaCy Span (the sentence)
    src: tuple[int, int] | None
    tgt: tuple[int, int] | None
    trigger: int | None = None
