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
    The word lists are in data/event_modifiers.tsv. Historical: "in 1999"-type background years
    here, and the story-date test of temporal.DateResolver in the pipeline.
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from importlib import resources

from detente.coding.places import PlaceResolver
from detente.coding.relation.linear import RelationClassifier
from detente.lexicon.ontology import Ontology, Trigger, load_ontology
from detente.lexicon.triggers import TriggerIndex
from detente.model import FLAG_NAMES, Actor, Event, Mention

# --- word classes used by the rules -----------------------------------------------------------
REPORTING = {
    "say",
    "tell",
    "report",
    "claim",
    "state",
    "announce",
    "add",
    "note",
    "insist",
    "believe",
    "think",
    "write",
    "argue",
    "suggest",
    "confirm",
    "acknowledge",
    "admit",
    "explain",
    "declare",
    "assert",
    "reveal",
    "indicate",
    "show",
    "know",
    "hope",
    "fear",
    "expect",
    "understand",
}
NO_COMMENT = {"comment", "elaborate", "speculate", "respond", "say", "confirm", "discuss", "answer"}
DENIAL = {"deny", "dismiss", "refute", "rebut"}
INTENTION = {
    "plan",
    "intend",
    "want",
    "hope",
    "aim",
    "seek",
    "prepare",
    "expect",
    "wish",
    "decide",
    "agree",
    "promise",
    "pledge",
    "vow",
    "offer",
    "commit",
    "resolve",
    "consider",
    "propose",
    "be",
    "set",
    "due",
    "schedule",
    "ready",
    "willing",
    "try",
    "attempt",
    "move",
    "look",
    "go",
    "begin",
    "start",
    "continue",
    "need",
    "have",
}
INTENT_AGREE = {
    "plan",
    "intend",
    "want",
    "hope",
    "aim",
    "seek",
    "wish",
    "agree",
    "promise",
    "pledge",
    "vow",
    "offer",
    "commit",
    "resolve",
    "propose",
    "ready",
    "willing",
    "decide",
    "consider",
}


def _load_modifiers() -> dict[str, set[str]]:
    """Flag words by class from data/event_modifiers.tsv (see that file's header)."""
    out: dict[str, set[str]] = defaultdict(set)
    text = resources.files("detente").joinpath("data", "event_modifiers.tsv").read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("class\t"):
            continue
        cls, _, word = line.partition("\t")
        out[cls.strip()].add(word.strip().lower())
    return out


_MODIFIERS = _load_modifiers()
FUTURE_HEADS = _MODIFIERS["future_head"]  # plan, intend, expect, schedule, set, due ...
MODAL_HYPO = _MODIFIERS["modal_hypo"]  # should, could, would, might, may, must, ought
MODAL_FUTURE = _MODIFIERS["modal_future"]  # will, shall, 'll, wo
FUTURE_TIME = _MODIFIERS["future_time"]  # tomorrow, next (week), upcoming, later
HYPO_MARKS = _MODIFIERS["hypo_mark"]  # if, unless
NEG_ADVERBS = _MODIFIERS["neg_adverb"]  # never, "no longer"
REFUSAL = _MODIFIERS["neg_head"]  # refuse, decline, reject, fail, oppose, avoid, stop
HYPO_HEADS = _MODIFIERS["hypo_head"]  # urge, threaten, warn, ask, demand, consider ...
LIGHT_VERBS = {
    "launch",
    "carry",
    "conduct",
    "stage",
    "stag",
    "hold",
    "impose",
    "announce",
    "issue",
    "make",
    "level",
    "file",
    "pay",
    "mount",
    "deliver",
    "begin",
    "start",
    "order",
    "unleash",
    "step",
    "lodge",
    "give",
    "take",
    "have",
    "do",
    "extend",
    "offer",
    "provide",
    "send",
    "express",
    "voice",
    "sign",
    "reach",
    "slap",
    "put",
    "place",
    "introduce",
    "expand",
    "tighten",
    "unveil",
    "adopt",
    "approve",
    "receive",
    "hit",
}
# triggers that govern (embed) another event and absorb it
EMBEDDING = {"THREATEN", "REQUEST", "AGREE", "REJECT"}
TARGET_PREPS = {
    "with",
    "against",
    "on",
    "to",
    "at",
    "toward",
    "towards",
    "into",
    "upon",
    "over",
    "around",
    "near",
    "from",
    "for",
    "of",
    "about",
    "in",
}
SYMMETRIC_TYPES = {"CONSULT", "COOPERATE"}
SYMMETRIC_LEMMAS = {
    "meet",
    "meeting",
    "talk",
    "summit",
    "negotiate",
    "negotiation",
    "discuss",
    "discussion",
    "confer",
    "consult",
    "consultation",
    "cooperate",
    "cooperation",
    "collaborate",
    "partner",
    "clash",
    "fight",
    "fighting",
    "trade",
    "joint",
}
UNKNOWN = "---"
# Event types only political/state actors perform, and the private sectors that cannot.
STATE_ONLY_TYPES = {"CONSULT", "AID", "MOBILIZE", "SANCTION"}
PRIVATE_SECTORS = {"CVL", "REF", "BUS", "MED", "EDU", "HLH", "LAB", "REL", "SPT"}
# Verbs whose subject undergoes the event named in their prepositional phrase ("died in a strike").
VICTIM_VERBS = {
    "die",
    "perish",
    "suffer",
    "survive",
    "lose",
    "flee",
    "mourn",
    "injure",
    "wound",
    "kill",
    "hurt",
    "escape",
    "face",
    "endure",
    "recover",
    "be",
    "remain",
    "go",
}
# Verbal "attacks" by people are criticism ("Starmer attacks Westminster's politics").
VERBAL_ATTACK = {"attack", "slam", "blast", "hit", "savage", "lash"}
# Event types that are coded without a recipient (deploy, withdraw, protest, arrest, attack...).
UNTARGETED_TYPES = {"MOBILIZE", "RETREAT", "PROTEST", "COERCE", "ASSAULT"}
# Types whose recipient may be a place the actor acts upon ("struck targets near Kharkiv").
LOCATION_TARGET_TYPES = {"ASSAULT", "MOBILIZE"}
# Prepositions introducing the place an attack hits ("struck energy sites in Kharkiv").
PLACE_PREPS = {"in", "on", "at", "near", "around", "outside", "across", "over", "into", "onto"}
# Reactions whose recipient is often only implied by the previous sentence ("rejected the proposal").
ANAPHORIC_TYPES = {"ACCUSE", "REJECT", "SUPPORT", "CONCEDE", "THREATEN", "SANCTION"}
ANAPHORIC_DETS = {"the", "this", "that", "these", "those", "its", "such"}
ANAPHORIC_NOUNS = {
    "move",
    "decision",
    "proposal",
    "plan",
    "demand",
    "threat",
    "measure",
    "step",
    "vote",
    "call",
    "offer",
    "request",
    "decree",
    "ruling",
    "announcement",
    "it",
    "this",
    "that",
    "them",
    "accusation",
    "claim",
    "allegation",
    "statement",
}
PAIRWISE_LEMMAS = {
    "agree",
    "agreement",
    "deal",
    "sign",
    "accord",
    "pact",
    "treaty",
    "reconcile",
    "truce",
    "exchange",
    "clash",
    "fight",
    "fighting",
    "war",
}
LOCATIVE_PREPS = {
    "in",
    "at",
    "inside",
    "near",
    "across",
    "throughout",
    "within",
    "around",
    "outside",
    "during",
    "since",
    "after",
    "before",
    "until",
    "amid",
}
SOURCE_PREPS = {"of", "from"}
DEEP_DEPS = {
    "dobj",
    "pobj",
    "prep",
    "poss",
    "compound",
    "amod",
    "nmod",
    "dative",
    "iobj",
    "obj",
    "xcomp",
    "acl",
    "appos",
    "conj",
    "oprd",
    "attr",
}
# Heads that are never political agents by themselves (weather, disasters, accidents, diseases).
NON_AGENT = {
    "flood",
    "floods",
    "earthquake",
    "quake",
    "storm",
    "hurricane",
    "typhoon",
    "cyclone",
    "fire",
    "wildfire",
    "blaze",
    "landslide",
    "avalanche",
    "heatwave",
    "drought",
    "tsunami",
    "eruption",
    "volcano",
    "crash",
    "accident",
    "collision",
    "derailment",
    "disease",
    "virus",
    "covid",
    "covid-19",
    "pandemic",
    "epidemic",
    "outbreak",
    "cholera",
    "weather",
    "rain",
    "snow",
    "lightning",
    "tornado",
    "inflation",
    "recession",
    "market",
    "price",
    "prices",
    "stock",
    "shares",
    "sales",
    "demand",
    "economy",
}
# Nouns that make a nationality adjective an actor ("Russian missiles", "Chinese warships").
AGENT_HEADS = {
    "missile",
    "rocket",
    "drone",
    "jet",
    "warplane",
    "plane",
    "aircraft",
    "warship",
    "ship",
    "vessel",
    "boat",
    "submarine",
    "tank",
    "artillery",
    "gunboat",
    "helicopter",
    "fighter",
    "bomber",
    "shell",
    "strike",
    "airstrike",
    "attack",
    "shelling",
    "bombardment",
    "unit",
    "battalion",
    "brigade",
    "division",
    "regiment",
    "delegation",
    "negotiator",
    "side",
    "authority",
    "state",
    "nation",
    "country",
    "government",
    "official",
    "navy",
    "army",
    "force",
    "troop",
    "soldier",
    "police",
    "guard",
    "agent",
    "spy",
    "hacker",
    "operative",
    "diplomat",
    "envoy",
    "regime",
    "junta",
    "coalition",
    "ally",
    "counterpart",
    "counterparts",
    "leader",
    "minister",
    "president",
    "team",
    "satellite",
    "balloon",
    "militia",
    "militant",
    "rebel",
    "insurgent",
    "gunman",
    "forces",
    "troops",
    "sanction",
    "tariff",
    "measure",
    "decision",
    "proposal",
    "offer",
    "demand",
    "request",
    "statement",
    "move",
    "action",
    "operation",
    "offensive",
    "invasion",
    "occupation",
    "blockade",
    "retaliation",
    "response",
    "parliament",
    "court",
    "media",
    "television",
    "agency",
    "company",
    "firm",
    "lender",
    "bank",
}
YEAR_RE = re.compile(r"^(1[89]\d\d|20\d\d)$")
CONFLICT_EVENTS = {"SANCTION", "ASSAULT", "COERCE", "MOBILIZE"}
COOP_EVENTS = {"AGREE", "CONSULT", "SUPPORT", "CONCEDE", "COOPERATE", "AID", "RETREAT"}


@dataclass
class Candidate:
    """A trigger occurrence with its arguments (token indices, doc-level)."""

    trigger: Trigger
    tokens: list[int]  # trigger tokens
    head: int  # the trigger's main token
    verb: int  # the clause verb carrying subject/object (== head for verbs)
    sources: list[int] = field(default_factory=list)
    targets: list[int] = field(default_factory=list)
    flags: dict[str, bool] = field(default_factory=lambda: {f: False for f in FLAG_NAMES})
    absorbed: list[Candidate] = field(default_factory=list)
    suppressed: bool = False
    event: str = ""
    mode: str | None = None
    context: tuple[str, ...] = ()
    cameo: str = ""


def _governing_verb(tok):
    """Clause verb a (noun) trigger hangs from: 'launched an attack' -> launched."""
    cur = tok
    for _ in range(3):
        if cur.dep_ in ("dobj", "nsubj", "nsubjpass", "attr", "oprd", "conj", "appos") and cur.head.pos_ in (
            "VERB",
            "AUX",
        ):
            return cur.head
        if (
            cur.dep_ == "pobj"
            and cur.head.dep_ in ("prep", "agent")
            and cur.head.head.pos_ in ("VERB", "AUX")
        ):
            return cur.head.head
        if cur.dep_ in ("compound", "amod") and cur.head.pos_ in ("NOUN", "PROPN"):
            cur = cur.head
            continue
        if (
            cur.dep_ == "pobj"
            and cur.head.dep_ == "prep"
            and cur.head.lower_ == "of"
            and cur.head.head.pos_ in ("NOUN", "PROPN")
        ):
            cur = cur.head.head  # "a package of sanctions", "a round of talks"
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
        subj = [ch for ch in verb.children if ch.dep_ == "npadvmod" and ch.i < verb.i and ch.pos_ == "PROPN"]
    if not subj and not psubj and _depth < 3:
        h = verb.head
        if verb.dep_ == "xcomp" or (
            verb.dep_ in ("advcl",) and any(c.dep_ == "aux" and c.lower_ == "to" for c in verb.children)
        ):
            # object control ("urged Israel to halt") else subject control ("vowed to retaliate")
            objs = [c for c in h.children if c.dep_ in ("dobj",)]
            if objs and h.lemma_.lower() in OBJECT_CONTROL:
                return [t for o in objs for t in _conjuncts(o)], [], []
            s, a, p = _subject(h, _depth + 1)
            # "Poland is set/expected/scheduled to host": the passive subject of a raising head
            # is the actor of the embedded verb
            return (a or s or (p if h.lemma_.lower() in FUTURE_HEADS else [])), [], []
        if verb.dep_ == "conj":
            return _subject(h, _depth + 1)
        if verb.dep_ in ("relcl", "acl") and h.pos_ in ("NOUN", "PROPN"):
            if verb.dep_ == "relcl":
                return [h], [], []
            if verb.tag_ == "VBN":  # "the embassy attacked by protesters"
                return [], agent, [h]
            return [h], [], []
    return subj, agent, psubj


OBJECT_CONTROL = {
    "urge",
    "ask",
    "call",
    "press",
    "push",
    "encourage",
    "force",
    "order",
    "tell",
    "invite",
    "persuade",
    "convince",
    "help",
    "allow",
    "permit",
    "pressure",
    "warn",
    "request",
    "implore",
    "beg",
    "advise",
    "want",
    "expect",
}


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

    def __init__(
        self,
        ontology: Ontology | None = None,
        classifier=None,
        keep_negated: bool = True,
        use_classifier: bool = True,
        lexicon_weight: float = 0.6,
        require_target: bool = True,
        keep_unknown: bool = False,
    ):
        self.onto = ontology or load_ontology()
        self.index = TriggerIndex(self.onto.triggers)
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
        self, doc, mentions: list[Mention], story_date: date | None = None
    ) -> list[tuple[int, int | None]]:
        """(source mention index, target mention index or None) of every candidate event."""
        n = len(mentions)
        pending, _ms = self._pending(doc, mentions, story_date)
        # inferred actors (extra mentions past the input list) are reported by the mention they
        # came from, so indices always point into `mentions`
        return [
            (
                _ms[a].antecedent if a >= n else a,
                (_ms[b].antecedent if b >= n else b) if b is not None else None,
            )
            for _c, a, b, *_ in pending
        ]

    def find(self, doc, mentions: list[Mention], story_date: date | None, doc_id: str) -> list[Event]:
        events: list[Event] = []
        pending, mentions = self._pending(doc, mentions, story_date)
        if not pending:
            return events
        probs = None
        if self.classifier is not None:
            items = []
            for c, a, b, sent, si, sym, _pen in pending:
                ms = mentions[a]
                mt = mentions[b] if b is not None else None
                items.append(
                    RelItem(
                        sent=sent,
                        src=(ms.start, ms.end),
                        tgt=(mt.start, mt.end) if mt else None,
                        trigger=c.head,
                    )
                )
            probs = self.classifier.predict_proba(items)
        for k, (c, a, b, sent, si, sym, pen) in enumerate(pending):
            ev_type, conf = self._decide(c, probs[k] if probs is not None else None, b is not None)
            conf = round(conf * pen, 3)
            if (
                ev_type == "ASSAULT"
                and mentions[a].actor.kind == "person"
                and doc[c.head].lemma_.lower() in VERBAL_ATTACK
                and doc[c.head].pos_ in ("VERB", "NOUN")
            ):
                # a named politician "attacks"/"launches an attack on" someone: criticism
                ev_type = "ACCUSE"
            if c.flags["negated"] and not self.keep_negated:
                continue
            cameo = c.cameo if ev_type == c.event else self.onto.default_cameo(ev_type)
            mode = c.mode if ev_type == c.event else None
            context = list(c.context) if ev_type == c.event else []
            ts = [doc[i] for i in sorted(c.tokens)]
            ev = Event(
                doc_id=doc_id,
                event=ev_type,
                actor=[_copy_actor(mentions[a])],
                recipient=[_copy_actor(mentions[b])] if b is not None else [],
                text=sent.text,
                span=(sent.start_char, sent.end_char),
                event_text=" ".join(t.text for t in ts),
                trigger_span=(ts[0].idx, ts[-1].idx + len(ts[-1].text)),
                mode=mode,
                context=context,
                cameo_code=cameo,
                quad_code=self.onto.quad(ev_type),
                goldstein=self.onto.goldstein(cameo, ev_type),
                event_scale=self.onto.plover_score(ev_type, mode),
                confidence=conf,
                flags=dict(c.flags),
                symmetric=sym,
                sentence_index=si,
            )
            events.append(ev)
        return events

    def _pending(self, doc, mentions, story_date):
        """Candidate dyads: [(cand, src, tgt, sent, sent_index, symmetric, confidence factor)] and
        the mention list they index (the input plus actors inferred here, e.g. "ministers from A
        and B" -> A's and B's ministers)."""
        mentions = list(mentions)
        n_in = len(mentions)
        tok2m: dict[int, list[int]] = {}
        for mi, m in enumerate(mentions):
            for i in range(m.start, m.end):
                tok2m.setdefault(i, []).append(mi)
        pending: list[tuple] = []
        recent: list[tuple[int, int, int | None]] = []  # (sent index, src, tgt) of kept dyads
        for si, sent in enumerate(doc.sents):
            cands = self._candidates(sent, story_date)
            for c in cands:
                if c.suppressed:
                    continue
                pen = 1.0
                srcs: list[int] = []
                for ti in c.sources:
                    for mi in self._arg_mentions(doc, doc[ti], tok2m, mentions, "source"):
                        if mi not in srcs:
                            srcs.append(mi)
                srcs = self._upgrade_unknown(doc, srcs, tok2m, mentions)
                if not srcs:
                    continue
                if not self.keep_unknown:
                    srcs = [a for a in srcs if mentions[a].actor.code != UNKNOWN]
                    if not srcs:
                        continue
                src_codes = {_country_of(mentions[a]) for a in srcs}
                tgts: list[int] = []
                for ti in c.targets:  # targets are in priority order: first resolving group wins
                    got = [
                        g
                        for g in self._arg_mentions(doc, doc[ti], tok2m, mentions, "target", c.event)
                        if g not in srcs and (self.keep_unknown or mentions[g].actor.code != UNKNOWN)
                    ]
                    if got:
                        tgts = got
                        break
                if not tgts and c.event not in UNTARGETED_TYPES | {"PROTEST"}:
                    tgts = self._deep_target(doc, c, tok2m, mentions, srcs)
                    if tgts:
                        pen *= 0.85
                tgts = [
                    t
                    for t in tgts
                    if t not in srcs
                    and not any(_same_actor(mentions[t].actor, mentions[a].actor) for a in srcs)
                ]
                if not tgts and c.event in ANAPHORIC_TYPES and self.require_target:
                    tgts = self._discourse_target(doc, c, si, recent, mentions, src_codes)
                    if tgts:
                        pen *= 0.75
                if not tgts and c.event in LOCATION_TARGET_TYPES - {"MOBILIZE"}:
                    # "Russian missiles struck facilities in the Kharkiv region": the country of
                    # the place attacked is the recipient
                    tgts = self._place_target(doc, c, mentions, src_codes)
                    if tgts:
                        pen *= 0.9
                lemmas = {doc[i].lemma_.lower() for i in c.tokens}
                symmetric = c.event in SYMMETRIC_TYPES and bool(lemmas & SYMMETRIC_LEMMAS)
                distinct_src = len({_country_of(mentions[a]) for a in srcs}) > 1
                if distinct_src and not tgts and (symmetric or lemmas & PAIRWISE_LEMMAS):
                    # "A and B met / agreed / fought": every pair, each way
                    symmetric = True
                    pairs = [(a, b) for a in srcs for b in srcs if a != b]
                elif (
                    symmetric
                    and len(srcs) > 1
                    and not any(
                        doc[t].dep_ in ("dobj", "nsubjpass")
                        or (doc[t].dep_ == "pobj" and doc[t].head.lower_ == "with")
                        for t in c.targets
                    )
                ):
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
                    if b is None and self.require_target and not self._untargeted_ok(c, doc, mentions[a]):
                        continue
                    if c.event in STATE_ONLY_TYPES and mentions[a].actor.sector in PRIVATE_SECTORS:
                        continue  # "citizens travelled to Syria" is not a visit, "firms sent" no aid
                    if not self.keep_unknown and (
                        mentions[a].actor.code == UNKNOWN
                        or (b is not None and mentions[b].actor.code == UNKNOWN)
                    ):
                        continue
                    f = (
                        pen
                        * _mention_factor(mentions[a])
                        * (_mention_factor(mentions[b]) if b is not None else 1.0)
                    )
                    if doc[c.head].pos_ in ("NOUN", "PROPN"):
                        f *= 0.92  # nominal trigger
                    if b is None:
                        f *= 0.9
                    pending.append((c, a, b, sent, si, symmetric and b is not None, f))
                    if not (c.flags["negated"] or c.flags["hypothetical"]):
                        recent.append((si, a, b))
        return pending, mentions

    def _untargeted_ok(self, c: Candidate, doc, m: Mention) -> bool:
        """An event without a recipient is kept only for types coded without one (deploy, withdraw,
        protest, arrest, attack) from a verbal or strong trigger and a known actor."""
        if c.event not in UNTARGETED_TYPES:
            return False
        if m.actor.code == UNKNOWN or m.confidence < 0.5:
            return False
        return c.trigger.weight >= 0.6 and (doc[c.head].pos_ in ("VERB", "AUX") or c.trigger.weight >= 0.8)

    # ------------------------------------------------------------------ argument -> mentions
    def _arg_mentions(self, doc, tok, tok2m, mentions, role: str, event: str = "") -> list[int]:
        """Mentions an argument head stands for: the mention covering it, else the nearest one in
        its noun phrase reached through possessives, modifiers and of/from/by phrases ("Russia's
        army", "ministers from Armenia"). Places ("in Paris") are never participants, except the
        target of an attack or deployment on foreign soil. Conjuncts of the mention found are
        added ("imports from Canada and Mexico"). Same-span mentions ("the two leaders") all count."""
        own_poss = any(
            ch.dep_ == "poss" and ch.lower_ in ("its", "their", "our") for ch in tok.children
        ) and all(mentions[mi].actor.code == UNKNOWN for mi in tok2m.get(tok.i, ()))
        if tok.i in tok2m and not own_poss:
            found = list(tok2m[tok.i])
            via_mod = False
        elif (
            role == "source"
            and (tok.lower_ in ("it", "they", "we") or own_poss)
            and tok.head.dep_ == "ccomp"
            and tok.head.head.lemma_.lower() in REPORTING | {"warn", "vow", "threaten", "promise", "pledge"}
        ):
            # ("The army said its soldiers did not fire": 'its soldiers' are the speaker's)
            # "Peru said it would expel ...": the pronoun subject of reported speech is the speaker
            found, via_mod = [], False
            for ch in tok.head.head.children:
                if ch.dep_ == "nsubj":
                    for t in [ch] + list(ch.conjuncts):
                        found += [mi for mi in tok2m.get(t.i, ()) if mi not in found]
            if not found:
                return []
        else:
            if tok.lemma_.lower() in NON_AGENT and role == "source":
                return []
            found, via_mod = _subtree_mentions(tok, tok2m, mentions, role)
            if (
                role == "source"
                and via_mod
                and tok.lemma_.lower() not in AGENT_HEADS
                and tok.pos_ in ("NOUN", "PROPN")
            ):
                # "a British man", "Iranian actor": a nationality on a private person/thing
                return []
        out = []
        for mi in found:
            m = mentions[mi]
            if m.is_location and not (role == "target" and event in LOCATION_TARGET_TYPES):
                continue
            if mi not in out:
                out.append(mi)
        for mi in list(out):
            m = mentions[mi]
            # conjuncts of the mention's head or of its modifier ("Armenian and Azerbaijani
            # negotiators", "Japan and the Philippines")
            cjs = [cj for t in doc[m.start : m.end] for cj in t.conjuncts if not (m.start <= cj.i < m.end)]
            for cj in cjs:
                for cm in tok2m.get(cj.i, ()):
                    if cm not in out and not (mentions[cm].is_location and role == "source"):
                        out.append(cm)
        return out

    def _upgrade_unknown(self, doc, srcs, tok2m, mentions) -> list[int]:
        """'Foreign ministers from Armenia and Azerbaijan': an unknown-country actor whose phrase
        names countries with of/from becomes one actor per country, keeping its sector."""
        out = []
        for a in srcs:
            m = mentions[a]
            if m.actor.code != UNKNOWN:
                out.append(a)
                continue
            root = doc[m.start : m.end].root
            extra = []
            for ch in root.children:
                if ch.dep_ == "prep" and ch.lower_ in ("of", "from"):
                    for p in ch.children:
                        if p.dep_ != "pobj":
                            continue
                        for t in [p] + list(p.conjuncts):
                            for cm in tok2m.get(t.i, ()):
                                cmm = mentions[cm]
                                if cmm.actor.kind in ("country", "igo") and not cmm.is_location:
                                    extra.append(cm)
            if not extra:
                out.append(a)
                continue
            for cm in extra:
                cmm = mentions[cm]
                act = dataclasses.replace(cmm.actor, sector=m.actor.sector or cmm.actor.sector, text=m.text)
                nm = dataclasses.replace(
                    m, actor=act, confidence=min(1.0, cmm.confidence) * 0.9, antecedent=a
                )
                mentions.append(nm)
                out.append(len(mentions) - 1)
        return out

    def _deep_target(self, doc, c: Candidate, tok2m, mentions, srcs) -> list[int]:
        """Recipient nested deeper in the trigger's (or light verb's) object phrases: 'curbs on
        travellers from China', 'work with the administration of President-elect Trump'."""
        starts = [doc[c.head]]
        if c.verb != c.head:
            starts.append(doc[c.verb])
        src_set = set(srcs)
        src_codes = {_country_of(mentions[a]) for a in srcs}
        best, best_d = [], 99
        for st in starts:
            stack = [
                (ch, 1)
                for ch in st.children
                if ch.dep_ in DEEP_DEPS and not (ch.dep_ == "prep" and ch.lower_ in LOCATIVE_PREPS)
            ]
            while stack:
                t, d = stack.pop()
                if d > 5 or d >= best_d:
                    continue
                if t.i in tok2m:
                    ms = [
                        mi
                        for mi in tok2m[t.i]
                        if mi not in src_set
                        and _country_of(mentions[mi]) not in src_codes
                        and not mentions[mi].is_location
                        and (self.keep_unknown or mentions[mi].actor.code != UNKNOWN)
                    ]
                    if ms:
                        best, best_d = ms, d
                        continue
                for ch in t.children:
                    if ch.dep_ in DEEP_DEPS and not (ch.dep_ == "prep" and ch.lower_ in LOCATIVE_PREPS):
                        stack.append((ch, d + 1))
        return best

    def _place_target(self, doc, c: Candidate, mentions, src_codes) -> list[int]:
        """A place (spaCy GPE/LOC entity) in the attacked object's phrase or in a locative phrase
        of the trigger's clause, geocoded to a country other than the attacker's: a new country
        mention appended to `mentions` (its index returned)."""
        heads = [doc[i] for i in c.targets]
        for t in (doc[c.head], doc[c.verb]):
            heads += [
                p
                for ch in t.children
                if ch.dep_ == "prep" and ch.lower_ in PLACE_PREPS
                for p in ch.children
                if p.dep_ == "pobj"
            ]
        idx: set[int] = set()
        for h in heads:
            idx |= {t.i for t in h.subtree if abs(t.i - h.i) <= 6}
        ents = [e for e in doc.ents if e.label_ in ("GPE", "LOC") and any(t.i in idx for t in e)]
        # the small parser often leaves city names untagged ("attacked Odesa"): proper-noun runs
        taken = {i for m in mentions for i in range(m.start, m.end)} | {t.i for e in ents for t in e}
        i = min(idx, default=0)
        while idx and i <= max(idx):
            if (
                i in idx
                and i not in taken
                and doc[i].pos_ == "PROPN"
                and doc[i].ent_type_ in ("", "GPE", "LOC")
            ):
                j = i
                while j + 1 in idx and j + 1 not in taken and doc[j + 1].pos_ == "PROPN":
                    j += 1
                ents.append(doc[i : j + 1])
                i = j + 1
            else:
                i += 1
        if not ents:
            return []
        resolver = PlaceResolver()
        for e in ents:
            loc = resolver.lookup(e.text)
            code = loc.country_code if loc else None
            if not code or code in src_codes:
                continue
            actor = Actor(code=code, sector=None, text=e.text, kind="country", country=code)
            mentions.append(
                Mention(
                    start=e.start,
                    end=e.end,
                    start_char=e.start_char,
                    end_char=e.end_char,
                    text=e.text,
                    actor=actor,
                    confidence=0.7,
                )
            )
            return [len(mentions) - 1]
        return []

    def _discourse_target(self, doc, c: Candidate, si, recent, mentions, src_codes) -> list[int]:
        """A reaction with no recipient in its sentence ('Beijing condemned the move', 'Mexico
        rejected the threat', 'Canada vowed to retaliate') answers the latest event of the last
        two sentences involving another party: its actor is the recipient."""
        tok = doc[c.head]
        objs = [
            ch for ch in list(tok.children) + list(doc[c.verb].children) if ch.dep_ in ("dobj", "nsubjpass")
        ]
        if objs and not all(
            any(g.lower_ in ANAPHORIC_DETS for g in o.children) or o.lemma_.lower() in ANAPHORIC_NOUNS
            for o in objs
        ):
            return []  # the object is a fresh thing, not a reference to what came before
        for s_i, a, b in reversed(recent):
            if s_i >= si:
                continue
            if si - s_i > 2:
                break
            ca = _country_of(mentions[a])
            if ca not in src_codes and ca != UNKNOWN:
                return [a]
            if b is not None and ca in src_codes:
                cb = _country_of(mentions[b])
                if cb not in src_codes and cb != UNKNOWN:
                    return [b]
        return []

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
                ch.dep_ == "xcomp" and ch.lemma_.lower() in NO_COMMENT for ch in tok.children
            ):
                continue  # "declined to comment" is a statement, not a rejection
            deps = {ch.dep_ for ch in tok.children if ch.pos_ in ("NOUN", "PROPN", "PRON", "ADJ")}
            if (
                trig.mode == "phone"
                and tok.lemma_.lower() == "call"
                and verb is tok
                and (
                    ("dobj" in deps and deps & {"oprd", "ccomp", "xcomp", "attr"})
                    or not deps & {"dobj", "oprd"}
                )
            ):
                continue  # "called the vote a sham", "called for": naming, not a phone call
            c = Candidate(
                trigger=trig,
                tokens=toks,
                head=head,
                verb=verb.i,
                event=trig.event,
                mode=trig.mode,
                context=trig.context,
                cameo=trig.cameo,
            )
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
                # "joint exercises/patrols": the modifier makes the activity a cooperation
                if a.event == "COOPERATE" and doc[a.head].dep_ == "amod" and doc[a.head].head.i == b.head:
                    a.tokens = sorted(set(a.tokens) | set(b.tokens))
                    drop.add(id(b))
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
                    elif (
                        doc[a.head].lemma_.lower() not in LIGHT_VERBS
                        and doc[b.head].pos_ in ("NOUN", "PROPN")
                        and doc[b.head].dep_ in ("dobj", "nsubjpass", "pobj")
                        and not any(ch.dep_ == "poss" for ch in doc[b.head].children)
                    ):
                        # the noun is what the verb event is about, not a second event by the
                        # verb's subject: 'lifted sanctions', 'condemned the attack', 'discuss aid'
                        drop.add(id(b))
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
                vs = []  # "the attack killed X": the verb's subject is the trigger itself
            vs = [t for t in vs if t.i != tok.i]  # "triggered by the invasion of X": not X
            if tok.dep_ == "pobj" and (
                verb.lemma_.lower() in VICTIM_VERBS or any(ch.dep_ == "auxpass" for ch in verb.children)
            ):
                vs = []  # "soldiers died in a strike", "X was hit in an attack": victims
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
                if ch.dep_ == "neg" or (ch.dep_ == "det" and low == "no") or _neg_adverb(ch):
                    if t in (tok, verb):
                        f["negated"] = True
                if ch.dep_ == "aux" or ch.tag_ == "MD":
                    if low in MODAL_HYPO:
                        f["hypothetical"] = True
                    elif low in MODAL_FUTURE:
                        f["future"] = True
                if ch.dep_ == "mark" and (low in HYPO_MARKS or low == "whether"):
                    f["hypothetical"] = True
        # a time word pointing ahead on the event's own clause ("meet next week", "visit tomorrow")
        if verb.tag_ not in ("VBD", "VBN") and any(
            _future_time(ch) for t in (tok, verb) for ch in t.children
        ):
            f["future"] = True
            lem = t.lemma_.lower()
            if t is not tok and t is not verb:
                if lem in FUTURE_HEADS:
                    f["future"] = True
            if (
                t.dep_ == "xcomp"
                and t.head.lemma_.lower() == "go"
                and any(a.lower_ == "to" for a in t.children)
            ):
                f["future"] = True
        # "be going to", "be set/due/expected to" on the clause verb itself
        for ch in verb.children:
            if ch.dep_ in ("aux",) and ch.lower_ in MODAL_FUTURE:
                f["future"] = True
        for t in chain:
            if t.dep_ == "advcl" and any(
                ch.dep_ == "mark" and ch.lower_ in ("if", "unless") for ch in t.children
            ):
                f["hypothetical"] = True
        # "Mexico said it would announce countermeasures": 'would' in reported speech after a
        # past reporting verb is the future of the past, not a hypothetical, unless a condition
        # ("if", "unless") or another modal (could, should) is present
        mods = {ch.lower_ for t in (tok, verb) for ch in t.children if ch.dep_ == "aux" or ch.tag_ == "MD"}
        # ... but a nominal trigger that is the subject of the 'would' clause is a supposition:
        # "officials said an attack on X would lead to war" (the attack has not happened)
        nominal_subject = tok.i != verb.i and tok.dep_ in ("nsubj", "nsubjpass")
        if (
            f["hypothetical"]
            and "would" in mods
            and not (mods & (MODAL_HYPO - {"would"}))
            and not nominal_subject
            and verb.dep_ == "ccomp"
            and verb.head.lemma_.lower() in REPORTING | {"promise", "pledge", "vow", "warn"}
            and verb.head.tag_ in ("VBD", "VBN")
            and not _has_condition(verb)
        ):
            f["hypothetical"] = False
            f["future"] = True
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
            while (
                hops < 3
                and cur.dep_ in ("xcomp", "ccomp", "dobj", "pobj", "pcomp", "prep", "advcl", "conj")
                and cur.head.i != cur.i
            ):
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
                if (
                    gov is not None
                    and gov is not c
                    and gov.event == "AGREE"
                    and c.event in CONFLICT_EVENTS
                    and plem in FUTURE_HEADS | HYPO_HEADS
                    and cur.dep_ in ("xcomp", "ccomp", "dobj")
                ):
                    # "intends/plans to impose sanctions": not an agreement to cooperate; the
                    # embedded act is coded, planned (future) or only proposed (hypothetical)
                    gov.suppressed = True
                    if plem in HYPO_HEADS:
                        c.flags["hypothetical"] = True
                    elif plem in FUTURE_HEADS:
                        c.flags["future"] = True
                    break
                if (
                    gov is not None
                    and gov is not c
                    and gov.event in EMBEDDING
                    and cur.dep_ in ("xcomp", "ccomp", "dobj", "pobj", "pcomp", "prep")
                ):
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
                if (
                    plem in INTENT_AGREE
                    and c.event in COOP_EVENTS
                    and c.event != "AGREE"
                    and cur.dep_ == "xcomp"
                ):
                    # intention to cooperate/meet -> AGREE
                    c.cameo = _agree_code(c)
                    c.event, c.mode = "AGREE", None
                    if plem in FUTURE_HEADS:
                        c.flags["future"] = True
                    break
                if plem in FUTURE_HEADS and cur.dep_ == "xcomp":
                    c.flags["future"] = True
                if (
                    plem in HYPO_HEADS
                    and cur.dep_ in ("xcomp", "ccomp", "dobj", "pcomp")
                    and not c.flags["negated"]
                ):
                    # "urged X to halt", "threatened to strike", "is considering sanctions": the
                    # embedded act (when no REQUEST/THREATEN trigger absorbed it) is hypothetical
                    c.flags["hypothetical"] = True
                    c.flags["future"] = False
                    break
                if plem in REPORTING:
                    break
                cur = parent
        # "X said it would impose tariffs unless Y ...": a conditional use of force or sanctions
        # announced (reported speech) is a threat (an event now), not a hypothetical one
        for c in cands:
            if c.suppressed or c.event not in ("SANCTION", "ASSAULT", "COERCE", "MOBILIZE"):
                continue
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
                c.cameo = {"SANCTION": "1312", "ASSAULT": "138", "MOBILIZE": "138"}.get(c.event, "130")
                c.mode = {"SANCTION": "restrict", "ASSAULT": "violence", "MOBILIZE": "violence"}.get(
                    c.event, "restrict"
                )
                c.event = "THREATEN"
                c.flags["hypothetical"] = False
                c.flags["future"] = False

    def _make(self, doc, tok, event) -> Candidate:
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
        self._arguments(c, doc)
        self._flags(c, doc, None)
        return c


PREP_RANK = {
    p: k
    for k, p in enumerate(
        [
            "against",
            "on",
            "with",
            "to",
            "at",
            "toward",
            "towards",
            "into",
            "upon",
            "over",
            "around",
            "near",
            "of",
            "from",
            "for",
            "about",
            "in",
        ]
    )
}


def _target_rank(t) -> tuple[int, int]:
    if t.dep_ in ("nsubjpass", "dobj", "dative", "iobj", "obj"):
        return (0, t.i)
    if t.dep_ == "pobj":
        return (1 + PREP_RANK.get(t.head.lower_, 20), t.i)
    if t.dep_ == "conj":
        return _target_rank(t.head)
    return (30, t.i)


def _subtree_mentions(tok, tok2m, mentions, role):
    """Nearest mentions below a noun through possessive/modifier/of-phrase links (not across
    clauses). Returns (mention indices, reached only through an adjective/compound modifier)."""
    best, best_d, best_mod = [], 99, False
    max_d = 2 if role == "source" else 3
    stack = [(tok, 0, True)]
    while stack:
        t, d, mod_only = stack.pop()
        if d and t.i in tok2m and d <= best_d:
            if d < best_d:
                best, best_d, best_mod = [], d, True
            best += [mi for mi in tok2m[t.i] if mi not in best]
            best_mod = best_mod and mod_only
            continue
        if d >= max_d:
            continue
        for ch in t.children:
            dep = ch.dep_
            if dep in ("poss",):
                stack.append((ch, d + 1, False))
            elif dep in ("compound", "amod", "nmod", "nummod"):
                stack.append((ch, d + 1, mod_only))
            elif dep == "prep" and (
                ch.lower_ in SOURCE_PREPS if role == "source" else ch.lower_ not in LOCATIVE_PREPS
            ):
                stack.append((ch, d + 1, False))
            elif dep == "pobj" and t.dep_ == "prep":
                stack.append((ch, d, mod_only))
    return best, best_mod


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


def _country_of(m: Mention) -> str:
    return m.actor.country or m.actor.code


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
            gov.mode = {"arrest": "arrest", "deport": "expel", "seize": "territory"}.get(
                emb.mode or "", "restrict"
            )
            gov.cameo = "132" if gov.mode != "territory" else "1382"
    elif gov.event == "AGREE":
        gov.cameo = _agree_code(emb)
        if emb.context:
            gov.context = emb.context
    elif gov.event == "REQUEST":
        gov.mode, gov.cameo = {
            "COOPERATE": ("assist", "101"),
            "AID": ("assist", "103"),
            "CONSULT": ("meet", "106"),
            "AGREE": ("meet", "107"),
            "RETREAT": ("yield", "105"),
            "CONCEDE": ("yield", "105"),
            "SANCTION": ("yield", "1056"),
            "ASSAULT": ("yield", "1056"),
            "MOBILIZE": ("yield", "1056"),
            "COERCE": ("yield", "105"),
            "SUPPORT": ("assist", "102"),
        }.get(ev, (gov.mode, gov.cameo))
        if ev in ("SANCTION", "ASSAULT", "MOBILIZE", "COERCE") and emb.trigger.pattern in (
            "halt",
            "suspend",
            "stop",
            "cease",
            "end",
            "withdraw",
            "release",
            "lift",
            "ease",
        ):
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
        "CONSULT": ("meet", "125"),
        "AGREE": ("meet", "127"),
        "COOPERATE": ("assist", "121"),
        "AID": ("assist", "122"),
        "RETREAT": ("yield", "124"),
        "CONCEDE": ("yield", "124"),
        "REQUEST": ("change", "123"),
    }.get(emb.event, (gov.mode, gov.cameo))


def _agree_code(c: Candidate) -> str:
    ev = c.event
    ctx = set(c.context)
    if ev == "CONSULT":
        return "036"
    if ev == "AID":
        return {"economic": "0331", "military": "0332", "humanitarian": "0333"}.get(
            next(iter(ctx), ""), "033"
        )
    if ev == "COOPERATE":
        return {"economic": "0311", "military": "0312", "legal": "0313", "intelligence": "0314"}.get(
            next(iter(ctx), ""), "031"
        )
    if ev in ("RETREAT", "CONCEDE"):
        return "035"
    if ev == "SUPPORT":
        return "032"
    return "030"


@dataclass
class RelItem:
    """One (source, target) relation instance for the classifier: token ranges are doc-level."""

    sent: object  # spaCy Span (the sentence)
    src: tuple[int, int] | None
    tgt: tuple[int, int] | None
    trigger: int | None = None
