"""The learned event decision: every ordered pair of actor mentions in a sentence is a candidate.

    mentions --candidates--> [PairCandidate] --pair_features--> [dict] --PairModel--> P(type | pair)
             --decide (per document)--> one Event per (source, type, target), with every sentence
               that tells it as evidence

Why: the rule path (events.EventFinder) only proposes a pair where a lexicon trigger and a
dependency rule line up; on real headlines ("Israeli strikes hit Rafah overnight", "Chinese hackers
breached US networks") that misses most events. Here the lexicon, the dependency path, the rule
path's own output and the relation classifier's opinion (classifier.RelationClassifier, trained on
PLV) are *features* of a linear model per PLOVER type, trained on annotated real news
(`detente train`, training/pairs data in data/models/pairs.*).

Decision per document (the unit the codebook counts): the score of (source, type, target) is the
best score of any pair of mentions of those two actors; the top type of a dyad is kept when it
reaches `threshold`, a second type when it reaches `second` (a pair can carry two events: "met and
agreed"); in accurate mode a type may have its own figure, and an item where no dyad reaches them
keeps its single most likely event at a lower `fallback` (events/reader.py says how they were
chosen). The same event told in the title and again in the lead is one event whose evidence lists
both sentences.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from detente.coding.events.finder import Candidate, RelItem, _copy_actor, _governing_verb
from detente.coding.events.reader import PairReader
from detente.coding.places import PlaceResolver
from detente.coding.relation.linear import (
    PLV_CLASSES,
    _dep_path,
    _root,
    featurize,
    placeholder_text,
    sparse_dot,
)
from detente.lexicon import words
from detente.model import Actor, Event, Mention

MODEL_NAME = "pairs"
# The 15 classes scored (CONCEDE and RETREAT are one class, YIELD, as in the PLV data and the scorer).
PAIR_CLASSES = PLV_CLASSES
UNKNOWN = "---"
# Contextual-vector features of the relation classifier are left out: they cost training time
# and did not help cross-validated news F1 (0.432 without vs 0.433 with, 2026-12-01).
_TENSOR_KEY = re.compile(r"^t\d+$")
# Types that are the same act seen from both sides when both directions are decided.
SYMMETRIC_TYPES = {"CONSULT", "COOPERATE", "AGREE"}


def actor_key(a: Actor) -> str:
    """The identity a dyad is counted by: the country code, or the organisation's own code."""
    return a.code


@dataclass
class PairCandidate:
    """An ordered pair of mentions (indices into the mention list) in one sentence."""

    src: int
    tgt: int
    sent_index: int
    sent: object  # spaCy Span


@dataclass
class Decided:
    """One decided (source, type, target) of a document, with the candidates that support it."""

    src_key: str
    event: str  # a PAIR_CLASSES name
    tgt_key: str
    score: float
    best: int  # index of the best candidate
    support: list[int] = field(default_factory=list)  # candidates (best first) at or above threshold


def sentence_index(doc) -> tuple[list, list[int]]:
    """Sentences of a doc and, for every token, the index of its sentence."""
    sents = list(doc.sents)
    tok_sent = [0] * len(doc)
    for k, s in enumerate(sents):
        for i in range(s.start, s.end):
            tok_sent[i] = k
    return sents, tok_sent


# Bounds that keep a run-on "sentence" (thousands of words without a full stop) linear: pairs are
# only formed between mentions at most MAX_PAIR_DISTANCE tokens apart, and a sentence yields at most
# MAX_PAIRS_PER_SENTENCE of them, the closest first. News sentences fall well inside both.
MAX_PAIR_DISTANCE = 50
MAX_PAIRS_PER_SENTENCE = 120


def candidates(doc, mentions: list[Mention]) -> list[PairCandidate]:
    """Every ordered pair of mentions of two different known actors within one sentence (within
    MAX_PAIR_DISTANCE tokens, at most MAX_PAIRS_PER_SENTENCE per sentence)."""
    if len(mentions) < 2:
        return []
    sents, tok_sent = sentence_index(doc)
    out: list[PairCandidate] = []
    per_sent: dict[int, int] = {}
    for i, a in enumerate(mentions):
        ka = actor_key(a.actor)
        if ka == UNKNOWN or not ka:
            continue
        si = tok_sent[a.start]
        for j, b in enumerate(mentions):
            if i == j or tok_sent[b.start] != si or abs(b.start - a.start) > MAX_PAIR_DISTANCE:
                continue
            kb = actor_key(b.actor)
            if kb == UNKNOWN or not kb or kb == ka:
                continue
            if a.start < b.end and b.start < a.end:  # "the two leaders": one span, two actors
                continue
            out.append(PairCandidate(i, j, si, sents[si]))
            per_sent[si] = per_sent.get(si, 0) + 1
    if any(n > MAX_PAIRS_PER_SENTENCE for n in per_sent.values()):
        kept: list[PairCandidate] = []
        for si in per_sent:
            group = [c for c in out if c.sent_index == si]
            group.sort(key=lambda c: abs(mentions[c.tgt].start - mentions[c.src].start))
            kept += group[:MAX_PAIRS_PER_SENTENCE]
        out = sorted(kept, key=lambda c: (c.sent_index, c.src, c.tgt))
    return out


# Named places (spaCy GPE/LOC/FAC entities) that are not actors by name but stand where an event
# lands ("strikes on Kharkiv", "fired rockets at Tel Aviv") become candidates for the country they
# are in. Only towns of some size are taken, the most populous reading of the name.
PLACE_LABELS = {"GPE", "LOC", "FAC"}
PLACE_MIN_POPULATION = 20000
UNTAGGED_MIN_POPULATION = 100000
PLACE_PREPOSITIONS = words("place_target_prepositions")


def _place_spans(doc):
    """(start, end, minimum population) of the spans that may name a place: spaCy's place
    entities, one-word PERSON entities (the small model tags "Kherson" so), and runs of proper
    nouns it left untagged ("Rafah"), or a capitalised noun right after a preposition of place
    (headline case: "strike on Kharkiv" is tagged NOUN), which must then name a larger town."""
    tagged = set()
    for ent in doc.ents:
        tagged.update(range(ent.start, ent.end))
        if ent.label_ in PLACE_LABELS or (ent.label_ == "PERSON" and len(ent) == 1):
            yield ent.start, ent.end, PLACE_MIN_POPULATION
    i, n = 0, len(doc)
    while i < n:
        if (
            i not in tagged
            and doc[i].is_title
            and (
                doc[i].pos_ == "PROPN"
                or (doc[i].pos_ == "NOUN" and i > 0 and doc[i - 1].lower_ in PLACE_PREPOSITIONS)
            )
        ):
            j = i
            while (
                j + 1 < n
                and j + 1 - i < 3
                and doc[j + 1].pos_ == "PROPN"
                and doc[j + 1].is_title
                and j + 1 not in tagged
            ):
                j += 1
            yield i, j + 1, UNTAGGED_MIN_POPULATION
            i = j + 1
        else:
            i += 1


def with_places(doc, mentions: list[Mention], gazetteer) -> list[Mention]:
    """The mentions plus one per named place that no mention covers, resolved to its country
    (kind 'place', is_location=True)."""
    if gazetteer is None:
        return mentions
    covered = set()
    for m in mentions:
        covered.update(range(m.start, m.end))
    extra = []
    for start, end, min_pop in _place_spans(doc):
        if covered & set(range(start, end)):
            continue
        span = doc[start:end]
        cities = [c for c in gazetteer.city_candidates(span.text) if c.cc3 and c.population >= min_pop]
        if not cities:
            continue
        city = max(cities, key=lambda c: c.population)
        actor = Actor(
            code=city.cc3, sector=None, text=span.text, name=city.name, kind="place", country=city.cc3
        )
        extra.append(
            Mention(
                start, end, span.start_char, span.end_char, span.text, actor, confidence=0.6, is_location=True
            )
        )
        covered.update(range(start, end))
    if not extra:
        return mentions
    return sorted(mentions + extra, key=lambda m: (m.start, m.end))


def _dist_bucket(d: int) -> str:
    return "1" if d <= 3 else "2" if d <= 8 else "3" if d <= 15 else "4"


def pair_features(
    doc, cands: list[PairCandidate], mentions: list[Mention], rule_types: dict, relation=None
) -> list[dict[str, float]]:
    """Feature dicts, one per candidate.

    rule_types: {(source key, target key): {event types}} decided by the rule path (unflagged);
    relation: a classifier.RelationClassifier whose fast opinion on the pair becomes features.
    """

    items = [
        RelItem(
            sent=c.sent,
            src=(mentions[c.src].start, mentions[c.src].end),
            tgt=(mentions[c.tgt].start, mentions[c.tgt].end),
        )
        for c in cands
    ]
    rel = [featurize(it) for it in items]
    probs = None
    if relation is not None and items:
        texts = [placeholder_text(it) for it in items] if relation.ngram is not None else None
        probs = relation.fast_proba(rel, texts)
    feats: list[dict[str, float]] = []
    for k, c in enumerate(cands):
        a, b = mentions[c.src], mentions[c.tgt]
        ka, kb = actor_key(a.actor), actor_key(b.actor)
        f = {"r:" + key: v for key, v in rel[k].items() if not _TENSOR_KEY.match(key)}
        if probs is not None:
            for ci, cls in enumerate(relation.classes):
                f["plv:" + cls] = float(probs[k, ci])
            f["plvtop:" + relation.classes[int(probs[k].argmax())]] = 1.0
        here = rule_types.get((ka, kb))
        if here:
            f["rule_any"] = 1.0
            for t in here:
                f["rule:" + t] = 1.0
        for t in rule_types.get((kb, ka), ()):
            f["rulerev:" + t] = 1.0
        for tag, m in (("s", a), ("t", b)):
            f[f"{tag}kind:{m.actor.kind}"] = 1.0
            f[f"{tag}sec:{m.actor.sector}"] = 1.0
            if m.is_location:
                f[f"{tag}loc"] = 1.0
            if m.antecedent is not None:
                f[f"{tag}coref"] = 1.0
            f[f"{tag}pos:{doc[m.end - 1].pos_}"] = 1.0
            f[f"{tag}prev:{doc[m.start - 1].lower_ if m.start > 0 else '^'}"] = 1.0
        f["title" if c.sent_index == 0 else "lead"] = 1.0
        f["dist:" + _dist_bucket(abs(b.start - a.start))] = 1.0
        # who the actors are is informative too (a prior over dyads seen in the news)
        f["sc:" + ka] = 1.0
        f["tc:" + kb] = 1.0
        f["dy:" + ka + ">" + kb] = 1.0
        feats.append(f)
    return feats


def path_token(doc, a: Mention, b: Mention):
    """The token joining two mentions in the parse (their lowest common ancestor), or None."""
    _up, _down, lca = _dep_path(_root(doc, a.start, a.end), _root(doc, b.start, b.end))
    return lca


class PairModel:
    """One logistic regression per class over sparse features (numpy at run time)."""

    def __init__(
        self,
        vocab: dict[str, int],
        coef: np.ndarray,
        intercept: np.ndarray,
        classes: tuple[str, ...] = PAIR_CLASSES,
        threshold: float = 0.3,
        second: float = 0.5,
        meta: dict | None = None,
    ):
        self.vocab = vocab
        self.coef_t = np.ascontiguousarray(coef.T.astype(np.float32))  # (F, C)
        self.intercept = intercept.astype(np.float32)
        self.classes = tuple(classes)
        self.threshold = float(threshold)
        self.second = float(second)
        self.by_type: dict[str, float] = {}  # none: the fast mode's cut is one pair of figures
        self.fallback: float | None = None
        self.meta = meta or {}

    def proba(self, feats: list[dict[str, float]]) -> np.ndarray:
        """P(class | pair) for each class independently (rows need not sum to 1)."""
        if not feats:
            return np.zeros((0, len(self.classes)), np.float32)
        z = sparse_dot(feats, self.vocab, self.coef_t) + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def save(self, out_dir: str | Path, name: str = MODEL_NAME) -> None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        names = sorted(self.vocab, key=self.vocab.get)
        np.savez_compressed(
            out / f"{name}.npz", coef=self.coef_t.T.astype(np.float32), intercept=self.intercept
        )
        meta = {
            "classes": list(self.classes),
            "features": names,
            "threshold": self.threshold,
            "second": self.second,
            "meta": self.meta,
        }
        (out / f"{name}.json").write_text(json.dumps(meta, sort_keys=True), encoding="utf-8")

    @classmethod
    def load(cls, model_dir: str | Path, name: str = MODEL_NAME) -> PairModel:
        d = Path(str(model_dir))
        meta = json.loads((d / f"{name}.json").read_text(encoding="utf-8"))
        arr = np.load(d / f"{name}.npz", allow_pickle=False)
        vocab = {f: i for i, f in enumerate(meta["features"])}
        return cls(
            vocab,
            arr["coef"],
            arr["intercept"],
            tuple(meta["classes"]),
            meta["threshold"],
            meta["second"],
            meta.get("meta"),
        )

    @classmethod
    def load_default(cls) -> PairModel:
        return cls.load(resources.files("detente").joinpath("data", "models"))


def decide(
    cands: list[PairCandidate],
    mentions: list[Mention],
    probs: np.ndarray,
    classes: tuple[str, ...],
    threshold: float,
    second: float,
    by_type: dict[str, float] | None = None,
    fallback: float | None = None,
) -> list[Decided]:
    """Per dyad of the document: the top class if it reaches `threshold`, any other class that
    reaches `second`; a type named in `by_type` must reach its own figure in either place. When no
    dyad keeps anything, the document's single most likely (source, type, target) is kept if it
    reaches `fallback` (a news item nearly always reports an event). Candidates supporting a
    decision are listed best first."""
    by_type = by_type or {}
    firsts = np.array([by_type.get(c, threshold) for c in classes])
    furthers = np.array([by_type.get(c, second) for c in classes])
    by_dyad: dict[tuple[str, str], list[int]] = {}
    for k, c in enumerate(cands):
        key = (actor_key(mentions[c.src].actor), actor_key(mentions[c.tgt].actor))
        by_dyad.setdefault(key, []).append(k)
    out: list[Decided] = []
    tops: list[tuple[float, str, str, list[int], int]] = []
    for (ka, kb), ks in by_dyad.items():
        best = probs[ks].max(axis=0)
        top = int(best.argmax())
        tops.append((float(best[top]), ka, kb, ks, top))
        chosen = [top] if best[top] >= firsts[top] else []
        chosen += [int(t) for t in np.flatnonzero(best >= furthers) if t != top]
        for t in chosen:
            out.append(_decided(ka, kb, ks, probs, t, classes, firsts[t]))
    if not out and fallback is not None and tops:
        score, ka, kb, ks, top = max(tops, key=lambda x: x[0])
        if score >= fallback:
            out.append(_decided(ka, kb, ks, probs, top, classes, firsts[top]))
    return out


def _decided(ka, kb, ks: list[int], probs: np.ndarray, t: int, classes, cut: float) -> Decided:
    order = sorted(ks, key=lambda k: -probs[k, t])
    support = [k for k in order if probs[k, t] >= cut] or order[:1]
    return Decided(ka, classes[t], kb, float(probs[order[0], t]), order[0], support)


def _same_type(a: str, b: str) -> bool:
    y = {"CONCEDE", "RETREAT", "YIELD"}
    return a == b or (a in y and b in y)


class PairDecider:
    """Builds the events of one parsed document from the learned pair decision.

    The rule path's events (events.EventFinder) are inputs: as features, and as the source of a
    trigger, mode, CAMEO code and flags when the rule path saw the same event in the same sentence.
    Otherwise the trigger is the lexicon word of the decided type nearest the pair (else the word
    joining the pair in the parse) and the flags are read off it by the rule path's flag logic."""

    def __init__(
        self, event_finder, model: PairModel | None = None, gazetteer=None, reader: PairReader | None = None
    ):
        """reader: the accurate mode's second opinion on each pair (events/reader.py; default:
        the shipped one). It is read only when the relation classifier is in accurate mode
        (`detente code --accurate`), so the default mode never loads its encoder."""
        self.finder = event_finder
        self.model = model or PairModel.load_default()
        self.relation = getattr(event_finder, "classifier", None)
        self._reader = reader
        self._reader_loaded = reader is not None
        if gazetteer is None:
            gazetteer = PlaceResolver.gazetteer_for()
        self.gazetteer = gazetteer

    # -- scoring
    def score(self, doc, mentions: list[Mention], rule_events: list[Event]):
        cands = candidates(doc, mentions)
        if not cands:
            return cands, np.zeros((0, len(self.model.classes)), np.float32)
        feats = pair_features(doc, cands, mentions, self.rule_types(rule_events), self.relation)
        probs = self.model.proba(feats)
        if self.accurate:
            probs = self.reader.mix(probs, self.reader.proba(cands, mentions, feats))
        return cands, probs

    @property
    def reader(self) -> PairReader | None:
        """The pair reader, loaded on first use (the default mode never reads its file)."""
        if not self._reader_loaded:
            self._reader, self._reader_loaded = PairReader.load_default(), True
        return self._reader

    @reader.setter
    def reader(self, reader: PairReader | None) -> None:
        self._reader, self._reader_loaded = reader, True

    @property
    def accurate(self) -> bool:
        """True when pairs also get the pair reader's opinion (accurate mode and a reader)."""
        on = self.relation is not None and self.relation.has_encoder
        return on and self.reader is not None

    @staticmethod
    def rule_types(rule_events: list[Event]) -> dict[tuple[str, str], set[str]]:
        """{(source key, target key): types} the rule path asserts (not negated or hypothetical)."""
        out: dict[tuple[str, str], set[str]] = {}
        for e in rule_events:
            if e.flags.get("negated") or e.flags.get("hypothetical"):
                continue
            for a in e.actor:
                for r in e.recipient:
                    out.setdefault((actor_key(a), actor_key(r)), set()).add(e.event)
        return out

    # -- events
    def find(
        self, doc, mentions: list[Mention], rule_events: list[Event], story_date, doc_id: str
    ) -> list[Event]:
        mentions = with_places(doc, mentions, self.gazetteer)
        cands, probs = self.score(doc, mentions, rule_events)
        cut = self.reader if self.accurate else self.model  # whose thresholds apply
        decided = decide(
            cands,
            mentions,
            probs,
            self.model.classes,
            cut.threshold,
            cut.second,
            cut.by_type,
            cut.fallback,
        )
        events = [self._event(doc, d, cands, mentions, rule_events, story_date, doc_id) for d in decided]
        keys = {(actor_key(e.actor[0]), e.event, actor_key(e.recipient[0])) for e in events}
        for e in events:
            if (
                e.event in SYMMETRIC_TYPES
                and (actor_key(e.recipient[0]), e.event, actor_key(e.actor[0])) in keys
            ):
                e.symmetric = True
        # Domestic events (both actors of one country, e.g. a government and its opposition) are
        # not pairs of the learned decision (it is trained on dyads of two actors): the rule path's
        # stand, one per (source, type, target).
        seen = set(keys)
        for e in rule_events:
            if not e.recipient:
                continue
            ka, kb = actor_key(e.actor[0]), actor_key(e.recipient[0])
            if ka != kb and (e.actor[0].country or ka) != (e.recipient[0].country or kb):
                continue
            if ka == kb and (e.actor[0].sector or "") == (e.recipient[0].sector or ""):
                continue
            if (ka, e.event, kb) in seen:
                continue
            seen.add((ka, e.event, kb))
            e.evidence = [e.span]
            events.append(e)
        events.sort(key=lambda e: (e.span[0], e.trigger_span or (0, 0)))
        return events

    def _event(self, doc, d: Decided, cands, mentions, rule_events, story_date, doc_id) -> Event:
        c = cands[d.best]
        a, b = mentions[c.src], mentions[c.tgt]
        sent = c.sent
        ev_type = d.event
        rule = None
        for e in rule_events:
            if (
                e.span == (sent.start_char, sent.end_char)
                and e.recipient
                and _same_type(e.event, ev_type)
                and actor_key(e.actor[0]) == d.src_key
                and actor_key(e.recipient[0]) == d.tgt_key
            ):
                rule = e
                break
        onto = self.finder.onto
        if rule is not None:
            ev_type = rule.event
            ev = Event(
                doc_id=doc_id,
                event=ev_type,
                actor=list(rule.actor),
                recipient=list(rule.recipient),
                text=sent.text,
                span=(sent.start_char, sent.end_char),
                event_text=rule.event_text,
                trigger_span=rule.trigger_span,
                mode=rule.mode,
                context=list(rule.context),
                cameo_code=rule.cameo_code,
                flags=dict(rule.flags),
                symmetric=rule.symmetric,
                sentence_index=c.sent_index,
            )
        else:
            cand = self._trigger(doc, sent, a, b, ev_type, story_date)
            if ev_type == "YIELD":
                ev_type = cand.event if cand.event in ("CONCEDE", "RETREAT") else "RETREAT"
            ts = [doc[i] for i in sorted(cand.tokens)]
            own = cand.trigger.event == ev_type
            cameo = cand.cameo if own and cand.cameo else onto.default_cameo(ev_type)
            ev = Event(
                doc_id=doc_id,
                event=ev_type,
                actor=[_copy_actor(a)],
                recipient=[_copy_actor(b)],
                text=sent.text,
                span=(sent.start_char, sent.end_char),
                event_text=" ".join(t.text for t in ts),
                trigger_span=(ts[0].idx, ts[-1].idx + len(ts[-1].text)),
                mode=cand.mode if own else None,
                context=list(cand.context) if own else [],
                cameo_code=cameo,
                flags=dict(cand.flags),
                sentence_index=c.sent_index,
            )
        ev.quad_code = onto.quad(ev.event)
        ev.goldstein = onto.goldstein(ev.cameo_code, ev.event)
        ev.event_scale = onto.plover_score(ev.event, ev.mode)
        ev.confidence = round(d.score, 3)
        spans = []
        for k in d.support:
            s = cands[k].sent
            if (s.start_char, s.end_char) not in spans:
                spans.append((s.start_char, s.end_char))
        ev.evidence = spans
        return ev

    def _trigger(self, doc, sent, a: Mention, b: Mention, ev_type: str, story_date):
        """A rule-path Candidate for the decided type: its nearest lexicon trigger, else the word
        joining the pair in the parse, else the sentence's root; flags are computed on it."""

        finder = self.finder
        inside = set(range(a.start, a.end)) | set(range(b.start, b.end))
        lo, hi = min(a.start, b.start), max(a.end, b.end)
        best = None
        for trig, toks, head in finder.index.match(sent):
            if not _same_type(trig.event, ev_type) or set(toks) & inside:
                continue
            dist = 0 if lo <= head < hi else min(abs(head - lo), abs(head - hi))
            if best is None or dist < best[0]:
                best = (dist, trig, toks, head)
        if best is not None:
            _d, trig, toks, head = best
            tok = doc[head]
            verb = (
                tok
                if (tok.pos_ in ("VERB", "AUX") or tok.tag_.startswith("VB"))
                else (_governing_verb(tok) or tok)
            )
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
            finder._flags(c, doc, story_date)
            return c
        tok = path_token(doc, a, b)
        if tok is None or tok.i in inside:
            tok = sent.root
        event = "RETREAT" if ev_type == "YIELD" else ev_type
        c = finder._make(doc, tok, event)
        finder._flags(c, doc, story_date)
        return c
