"""Event finding: triggers from the lexicon + dependency rules give candidate (source, trigger,
target) triples; the learned relation classifier (relation.linear) re-scores/re-types each candidate.

Conventions (documented behaviour):
  * One Event per dyad: compound actors ("Japan and South Korea met Australia") give one event per
    conjunct (JPN->AUS, KOR->AUS).
  * Symmetric events (CONSULT/COOPERATE between parties, e.g. "A and B met", "A met B", "A held talks
    with B") are emitted as one dyad each way (A->B and B->A), both with symmetric=True.
  * Passive voice: the by-agent is the actor, the passive subject the recipient.
  * Reported speech: the speaker of a reporting verb (say, claim, report...) is not the actor of the
    reported event; reporting verbs produce no event by themselves.
  * Negation: explicit negation ("did not attack", "no talks", "never recognised", "no longer
    supports", "failed to reach a deal") gives the event with flags['negated']=True (set
    `keep_negated=False` to drop those). A denied act ("denied hacking") does NOT produce the act
    at all; the denial itself is a REJECT (denier -> recipient of the act, or the accuser if one
    is named).
  * Embedded events under a trigger verb that governs them (threaten/urge/promise/refuse/deny/...)
    are absorbed into that event (its mode/context/CAMEO refined from the embedded act). Intention
    to cooperate or meet ("plans to meet", "pledged to work with") is AGREE (future=True);
    "will meet" stays CONSULT with future=True.
  * Hypothetical: modal should/could/would/might/may, an "if" clause, or an act embedded under
    urge/threaten/warn/demand/consider that no REQUEST/THREATEN trigger absorbed; future:
    will/shall/going to/plan/intend/expected/scheduled/set/due to, "next week", "tomorrow".
    The word lists are data (data/event_modifiers.tsv, data/lexicon/*.txt). Historical: "in
    1999"-type background years here, and the story-date test of temporal.DateResolver in the coder.

The steps live next to this module: arguments (subject/objects in the parse), flags, dedup,
embedding (governing triggers), participants (argument heads -> actor mentions) and candidates
(the dataclasses passed between them).
"""

from __future__ import annotations

import dataclasses
from datetime import date

from spacy.tokens import Doc

from detente.coding.events.arguments import _governing_verb, clause_verb, find_arguments
from detente.coding.events.candidates import Candidate, Dyad
from detente.coding.events.dedup import dedup
from detente.coding.events.embedding import embed
from detente.coding.events.flags import set_flags
from detente.coding.events.participants import (
    DocMentions,
    arg_mentions,
    country_of,
    deep_target,
    discourse_target,
    place_target,
    upgrade_unknown,
)
from detente.coding.events.vocabulary import (
    ANAPHORIC_TYPES,
    LOCATION_TARGET_TYPES,
    NO_COMMENT,
    PAIRWISE_LEMMAS,
    PRIVATE_SECTORS,
    REFUSAL,
    STATE_ONLY_TYPES,
    SYMMETRIC_LEMMAS,
    SYMMETRIC_TYPES,
    UNKNOWN,
    UNTARGETED_TYPES,
    VERBAL_ATTACK,
)
from detente.coding.relation.features import RelItem
from detente.coding.relation.linear import RelationClassifier
from detente.lexicon.ontology import Ontology, Trigger, load_ontology
from detente.lexicon.triggers import TriggerIndex, default_trigger_index, sentence_matches
from detente.model import Actor, Event, Mention

# Imported from here by coding/events/decision.py (the learned decision) and training code.
__all__ = ["Candidate", "Dyad", "EventFinder", "RelItem", "_copy_actor", "_governing_verb"]

Recent = list[tuple[int, int, int | None]]  # (sentence index, source, target) of kept dyads


class EventFinder:
    """Finds PLOVER events in a parsed spaCy Doc given actor mentions (see module doc)."""

    def __init__(
        self,
        ontology: Ontology | None = None,
        classifier: RelationClassifier | None = None,
        keep_negated: bool = True,
        use_classifier: bool = True,
        lexicon_weight: float = 0.6,
        require_target: bool = True,
        keep_unknown: bool = False,
    ) -> None:
        self.onto = ontology or load_ontology()
        # the shipped lexicon's index is shared with the relation features (matches kept per Doc)
        self.index = default_trigger_index() if ontology is None else TriggerIndex(self.onto.triggers)
        self.keep_negated = keep_negated
        # require_target: drop events without a recipient unless their type is coded without one
        # (UNTARGETED_TYPES) and the actor is a known political actor; keep_unknown: keep events
        # whose actor country is unknown ("---")
        self.require_target = require_target
        self.keep_unknown = keep_unknown
        self.lexicon_weight = lexicon_weight
        if classifier is None and use_classifier:
            try:
                classifier = RelationClassifier.load_default()
            except FileNotFoundError:
                classifier = None
        self.classifier = classifier

    # ------------------------------------------------------------------ public API
    def roles(
        self, doc: Doc, mentions: list[Mention], story_date: date | None = None
    ) -> list[tuple[int, int | None]]:
        """(source mention index, target mention index or None) of every candidate event."""
        n = len(mentions)
        pending, ms = self._pending(doc, mentions, story_date)

        # inferred actors (extra mentions past the input list) are reported by the mention they
        # came from, so indices always point into `mentions`
        def original(k: int) -> int:
            return ms[k].antecedent if k >= n else k

        return [(original(d.src), original(d.tgt) if d.tgt is not None else None) for d in pending]

    def find(self, doc: Doc, mentions: list[Mention], story_date: date | None, doc_id: str) -> list[Event]:
        pending, mentions = self._pending(doc, mentions, story_date)
        if not pending:
            return []
        probs = self._classify(pending, mentions)
        events: list[Event] = []
        for k, d in enumerate(pending):
            if d.cand.flags["negated"] and not self.keep_negated:
                continue
            events.append(self._event(doc, d, mentions, probs[k] if probs is not None else None, doc_id))
        return events

    def _classify(self, pending: list[Dyad], mentions: list[Mention]):
        """The relation classifier's probabilities for every dyad (None without a classifier)."""
        if self.classifier is None:
            return None
        items = []
        for d in pending:
            ms = mentions[d.src]
            mt = mentions[d.tgt] if d.tgt is not None else None
            items.append(
                RelItem(
                    sent=d.sent,
                    src=(ms.start, ms.end),
                    tgt=(mt.start, mt.end) if mt else None,
                    trigger=d.cand.head,
                )
            )
        return self.classifier.predict_proba(items)

    def _event(self, doc, d: Dyad, mentions: list[Mention], p, doc_id: str) -> Event:
        c, sent = d.cand, d.sent
        ev_type, conf = self._decide(c, p, d.tgt is not None)
        conf = round(conf * d.factor, 3)
        if (
            ev_type == "ASSAULT"
            and mentions[d.src].actor.kind == "person"
            and doc[c.head].lemma_.lower() in VERBAL_ATTACK
            and doc[c.head].pos_ in ("VERB", "NOUN")
        ):
            # a named politician "attacks"/"launches an attack on" someone: criticism
            ev_type = "ACCUSE"
        own = ev_type == c.event
        cameo = c.cameo if own else self.onto.default_cameo(ev_type)
        mode = c.mode if own else None
        ts = [doc[i] for i in sorted(c.tokens)]
        return Event(
            doc_id=doc_id,
            event=ev_type,
            actor=[_copy_actor(mentions[d.src])],
            recipient=[_copy_actor(mentions[d.tgt])] if d.tgt is not None else [],
            text=sent.text,
            span=(sent.start_char, sent.end_char),
            event_text=" ".join(t.text for t in ts),
            trigger_span=(ts[0].idx, ts[-1].idx + len(ts[-1].text)),
            mode=mode,
            context=list(c.context) if own else [],
            cameo_code=cameo,
            quad_code=self.onto.quad(ev_type),
            goldstein=self.onto.goldstein(cameo, ev_type),
            event_scale=self.onto.plover_score(ev_type, mode),
            confidence=conf,
            flags=dict(c.flags),
            symmetric=d.symmetric,
            sentence_index=d.sent_index,
        )

    # ------------------------------------------------------------------ dyads
    def _pending(self, doc, mentions, story_date) -> tuple[list[Dyad], list[Mention]]:
        """Candidate dyads and the mention list they index (the input plus actors inferred here,
        e.g. "ministers from A and B" -> A's and B's ministers)."""
        st = DocMentions.build(doc, mentions, self.keep_unknown)
        pending: list[Dyad] = []
        recent: Recent = []
        for si, sent in enumerate(doc.sents):
            for c in self._candidates(sent, story_date):
                if not c.suppressed:
                    pending += self._dyads(st, c, sent, si, recent)
        return pending, st.mentions

    def _sources(self, st: DocMentions, c: Candidate) -> list[int]:
        srcs: list[int] = []
        for ti in c.sources:
            for mi in arg_mentions(st, st.doc[ti], "source"):
                if mi not in srcs:
                    srcs.append(mi)
        srcs = upgrade_unknown(st, srcs)
        if srcs and not self.keep_unknown:
            srcs = [a for a in srcs if st.mentions[a].actor.code != UNKNOWN]
        return srcs

    def _targets(
        self, st: DocMentions, c: Candidate, si: int, srcs: list[int], recent: Recent
    ) -> tuple[list[int], float]:
        """Recipients (a group of mentions) and the confidence factor of how they were found."""
        pen = 1.0
        src_codes = {country_of(st.mentions[a]) for a in srcs}
        tgts: list[int] = []
        for ti in c.targets:  # targets are in priority order: first resolving group wins
            tgts = [
                g for g in arg_mentions(st, st.doc[ti], "target", c.event) if g not in srcs and st.known(g)
            ]
            if tgts:
                break
        if not tgts and c.event not in UNTARGETED_TYPES | {"PROTEST"}:
            tgts = deep_target(st, c, srcs)
            if tgts:
                pen *= 0.85
        tgts = [
            t
            for t in tgts
            if t not in srcs
            and not any(_same_actor(st.mentions[t].actor, st.mentions[a].actor) for a in srcs)
        ]
        if not tgts and c.event in ANAPHORIC_TYPES and self.require_target:
            tgts = discourse_target(st, c, si, recent, src_codes)
            if tgts:
                pen *= 0.75
        if not tgts and c.event in LOCATION_TARGET_TYPES - {"MOBILIZE"}:
            # "Russian missiles struck facilities in the Kharkiv region": the country of
            # the place attacked is the recipient
            tgts = place_target(st, c, src_codes)
            if tgts:
                pen *= 0.9
        return tgts, pen

    @staticmethod
    def _pairs(st: DocMentions, c: Candidate, srcs: list[int], tgts: list[int]):
        """(symmetric, ordered (source, target) pairs) of a candidate."""
        doc = st.doc
        lemmas = {doc[i].lemma_.lower() for i in c.tokens}
        symmetric = c.event in SYMMETRIC_TYPES and bool(lemmas & SYMMETRIC_LEMMAS)
        distinct_src = len({country_of(st.mentions[a]) for a in srcs}) > 1
        all_ways = [(a, b) for a in srcs for b in srcs if a != b]
        if distinct_src and not tgts and (symmetric or lemmas & PAIRWISE_LEMMAS):
            # "A and B met / agreed / fought": every pair, each way
            return True, all_ways
        if (
            symmetric
            and len(srcs) > 1
            and not any(
                doc[t].dep_ in ("dobj", "nsubjpass")
                or (doc[t].dep_ == "pobj" and doc[t].head.lower_ == "with")
                for t in c.targets
            )
        ):
            return symmetric, all_ways
        pairs = [(a, b) for a in srcs for b in (tgts or [None])]
        if symmetric and tgts:
            pairs += [(b, a) for a, b in pairs if b is not None]
        return symmetric, pairs

    def _pair_ok(self, st: DocMentions, c: Candidate, a: int, b: int | None) -> bool:
        ma = st.mentions[a]
        mb = st.mentions[b] if b is not None else None
        if mb is not None and _same_actor(ma.actor, mb.actor):
            return False
        if mb is None and self.require_target and not self._untargeted_ok(c, st.doc, ma):
            return False
        if c.event in STATE_ONLY_TYPES and ma.actor.sector in PRIVATE_SECTORS:
            return False  # "citizens travelled to Syria" is not a visit, "firms sent" no aid
        return self.keep_unknown or not (
            ma.actor.code == UNKNOWN or (mb is not None and mb.actor.code == UNKNOWN)
        )

    @staticmethod
    def _factor(st: DocMentions, c: Candidate, pen: float, a: int, b: int | None) -> float:
        f = (
            pen
            * _mention_factor(st.mentions[a])
            * (_mention_factor(st.mentions[b]) if b is not None else 1.0)
        )
        if st.doc[c.head].pos_ in ("NOUN", "PROPN"):
            f *= 0.92  # nominal trigger
        if b is None:
            f *= 0.9
        return f

    def _dyads(self, st: DocMentions, c: Candidate, sent, si: int, recent: Recent) -> list[Dyad]:
        """The dyads of one candidate; dyads of asserted events are remembered in `recent`."""
        srcs = self._sources(st, c)
        if not srcs:
            return []
        tgts, pen = self._targets(st, c, si, srcs, recent)
        symmetric, pairs = self._pairs(st, c, srcs, tgts)
        out = []
        seen = set()
        for a, b in pairs:
            if (a, b) in seen:
                continue
            seen.add((a, b))
            if not self._pair_ok(st, c, a, b):
                continue
            out.append(Dyad(c, a, b, sent, si, symmetric and b is not None, self._factor(st, c, pen, a, b)))
            if not (c.flags["negated"] or c.flags["hypothetical"]):
                recent.append((si, a, b))
        return out

    def _untargeted_ok(self, c: Candidate, doc, m: Mention) -> bool:
        """An event without a recipient is kept only for types coded without one (deploy, withdraw,
        protest, arrest, attack) from a verbal or strong trigger and a known actor."""
        if c.event not in UNTARGETED_TYPES:
            return False
        if m.actor.code == UNKNOWN or m.confidence < 0.5:
            return False
        return c.trigger.weight >= 0.6 and (doc[c.head].pos_ in ("VERB", "AUX") or c.trigger.weight >= 0.8)

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
        if not has_target:  # the classifier was trained on dyads: trust the lexicon more
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
    @staticmethod
    def _not_an_event(trig: Trigger, tok, verb) -> bool:
        """Trigger words used otherwise: "declined to comment", "called the vote a sham"."""
        if tok.lemma_.lower() in REFUSAL | {"decline"} and any(
            ch.dep_ == "xcomp" and ch.lemma_.lower() in NO_COMMENT for ch in tok.children
        ):
            return True  # "declined to comment" is a statement, not a rejection
        if trig.mode != "phone" or tok.lemma_.lower() != "call" or verb is not tok:
            return False
        deps = {ch.dep_ for ch in tok.children if ch.pos_ in ("NOUN", "PROPN", "PRON", "ADJ")}
        # "called the vote a sham", "called for": naming, not a phone call
        return ("dobj" in deps and bool(deps & {"oprd", "ccomp", "xcomp", "attr"})) or not deps & {
            "dobj",
            "oprd",
        }

    def _candidates(self, sent, story_date) -> list[Candidate]:
        doc = sent.doc
        cands: list[Candidate] = []
        for trig, toks, head in sentence_matches(sent, self.index):
            tok = doc[head]
            verb = clause_verb(tok)
            if self._not_an_event(trig, tok, verb):
                continue
            c = Candidate(
                trigger=trig,
                tokens=list(toks),
                head=head,
                verb=verb.i,
                event=trig.event,
                mode=trig.mode,
                context=trig.context,
                cameo=trig.cameo,
            )
            find_arguments(c, doc)
            set_flags(c, doc, story_date)
            cands.append(c)
        cands = dedup(cands, doc)
        embed(cands, doc, self.onto, self._make)
        return cands

    # The steps as methods: the learned decision (decision.py) calls _flags and _make.
    def _arguments(self, c: Candidate, doc) -> None:
        find_arguments(c, doc)

    def _flags(self, c: Candidate, doc, story_date) -> None:
        set_flags(c, doc, story_date)

    def _make(self, doc, tok, event) -> Candidate:
        """A candidate for a word that is no lexicon trigger (the REJECT of a denial)."""
        trig = Trigger(
            pattern=tok.lemma_.lower(),
            pos="VERB",
            event=event,
            mode=None,
            context=(),
            cameo=self.onto.default_cameo(event),
            weight=0.7,
        )
        c = Candidate(trigger=trig, tokens=[tok.i], head=tok.i, verb=tok.i, event=event, cameo=trig.cameo)
        find_arguments(c, doc)
        set_flags(c, doc, None)
        return c


def _mention_factor(m: Mention) -> float:
    """Confidence factor of an actor: inferred/unknown actors make weaker events."""
    f = 0.6 + 0.4 * max(0.0, min(1.0, m.confidence))
    if m.actor.code == UNKNOWN:
        f *= 0.7
    return f


def _same_actor(x: Actor, y: Actor) -> bool:
    return x.code == y.code and x.sector == y.sector and (x.name or "") == (y.name or "")


def _copy_actor(m: Mention) -> Actor:
    return dataclasses.replace(m.actor, text=m.text)
