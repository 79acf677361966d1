"""Features of one relation instance (sentence, source span, target span) for the linear model.

Cheap, from the spaCy parse already computed by the coder: the dependency path between the two
heads, the words between them and in the sentence, the trigger-lexicon votes and the mean of the
contextual token vectors on the path. The order in which keys are first set is part of the
result: the model sums the weights in that order (float32), so the steps below keep it."""

from __future__ import annotations

from dataclasses import dataclass, field

from detente.lexicon.triggers import default_trigger_index, sentence_matches

TENSOR_SCALE = 0.15


@dataclass
class RelItem:
    """One (source, target) relation instance for the classifier: token ranges are doc-level."""

    sent: object  # spaCy Span (the sentence)
    src: tuple[int, int] | None
    tgt: tuple[int, int] | None
    trigger: int | None = None


def _sentence_triggers(sent):
    """Lexicon matches of a sentence (kept on the Doc for the pairs of the same sentence)."""
    return sentence_matches(sent, default_trigger_index())


def _root(doc, start, end):
    """Syntactic head token of a token range."""
    toks = doc[start:end]
    for t in toks:
        if t.head.i < start or t.head.i >= end or t.head.i == t.i:
            return t
    return toks[0]


def _ancestors_path(tok):
    path = [tok]
    while path[-1].head.i != path[-1].i:
        path.append(path[-1].head)
    return path


def _dep_path(a, b):
    pa, pb = _ancestors_path(a), _ancestors_path(b)
    ib = {t.i: k for k, t in enumerate(pb)}
    for k, t in enumerate(pa):
        if t.i in ib:
            return pa[: k + 1], pb[: ib[t.i]][::-1], t
    return pa, pb[::-1], None  # different sentences/roots


@dataclass
class _Pair:
    """Where the source and target sit in the parse."""

    srt: object  # the source's head token (the sentence root for an unnamed source)
    s0: int
    s1: int
    lo: int = 0  # the tokens "between" the two: doc[lo:hi]
    hi: int = 0
    lca: object = None
    path_toks: list = field(default_factory=list)
    src_set: set = field(default_factory=set)
    target_set: set = field(default_factory=set)
    path_set: set = field(default_factory=set)


def _source_part(item, sent, doc, f: dict[str, float]) -> _Pair:
    if item.src is not None:
        s0, s1 = item.src
        return _Pair(_root(doc, s0, s1), s0, s1)
    # unnamed source: anchor on the sentence root
    srt = sent.root
    f["nosource"] = 1.0
    return _Pair(srt, srt.i, srt.i)


def _target_part(item, sent, doc, pr: _Pair, f: dict[str, float]) -> None:
    srt, s0, s1 = pr.srt, pr.s0, pr.s1
    if item.tgt is None:
        pr.path_toks, pr.lca = [], srt.head
        pr.lo, pr.hi = s1, min(s1 + 6, sent.end)
        f["notarget"] = 1.0
        return
    t0, t1 = item.tgt
    trt = _root(doc, t0, t1)
    up, down, pr.lca = _dep_path(srt, trt)
    pr.path_toks = list(up[1:] + down[:-1])
    pr.lo, pr.hi = (s1, t0) if s0 < t0 else (t1, s0)
    f["order:" + ("st" if s0 < t0 else "ts")] = 1.0
    f["tdep:" + trt.dep_] = 1.0
    f["tdep_head:" + trt.dep_ + ":" + trt.head.lemma_.lower()] = 1.0
    if trt.dep_ == "pobj":
        f["tprep:" + trt.head.lower_] = 1.0
        f["tprep_v:" + trt.head.head.lemma_.lower() + ":" + trt.head.lower_] = 1.0
    pr.target_set = set(range(t0, t1))


def _roles_part(pr: _Pair, f: dict[str, float]) -> None:
    srt, lca = pr.srt, pr.lca
    f["sdep:" + srt.dep_] = 1.0
    f["sdep_head:" + srt.dep_ + ":" + srt.head.lemma_.lower()] = 1.0
    pr.src_set = set(range(pr.s0, pr.s1))
    if srt.dep_ == "pobj" and srt.head.dep_ == "agent":
        f["src_agent"] = 1.0
    if lca is not None:
        f["lca:" + lca.lemma_.lower()] = 1.0
        f["lcapos:" + lca.pos_] = 1.0
    pr.path_set = {t.i for t in pr.path_toks}
    if lca is not None:
        pr.path_set.add(lca.i)


def _path_part(pr: _Pair, f: dict[str, float]) -> None:
    for t in pr.path_toks:
        lem = t.lemma_.lower()
        f["p:" + lem] = f.get("p:" + lem, 0.0) + 1.0
        f["pd:" + t.dep_] = 1.0
        for ch in t.children:
            if ch.dep_ == "neg":
                f["neg_on_path"] = 1.0
            if ch.dep_ == "prt":
                f["pprt:" + lem + "_" + ch.lower_] = 1.0
            if ch.dep_ in ("dobj", "xcomp") and ch.i not in pr.target_set:
                f["pobj:" + lem + ":" + ch.lemma_.lower()] = 1.0


def _words_part(sent, doc, pr: _Pair, f: dict[str, float]) -> None:
    prev = None
    for t in doc[pr.lo : pr.hi]:
        if t.is_punct:
            continue
        lem = t.lemma_.lower()
        f["b:" + lem] = 1.0
        if prev is not None:
            f["bb:" + prev + "_" + lem] = 1.0
        prev = lem
    for t in sent:
        if t.is_stop or t.is_punct or t.i in pr.src_set or t.i in pr.target_set:
            continue
        f["s:" + t.lemma_.lower()] = 0.3


def _vote_weight(toks, head: int, pr: _Pair) -> float:
    """How much a trigger's vote counts: by where it sits (on the path > between > elsewhere)."""
    if set(toks) & (pr.src_set | pr.target_set):
        return 0.3
    if head in pr.path_set or any(i in pr.path_set for i in toks):
        return 1.0
    if pr.lo <= head < pr.hi:
        return 0.6
    return 0.25


def _lexicon_part(sent, pr: _Pair, f: dict[str, float]) -> None:
    for trig, toks, head in _sentence_triggers(sent):
        w = _vote_weight(toks, head, pr)
        ev = "YIELD" if trig.event in ("CONCEDE", "RETREAT") else trig.event
        v = w * trig.weight
        f["lx:" + ev] = max(f.get("lx:" + ev, 0.0), v)
        if w == 1.0:
            f["lxp:" + ev] = max(f.get("lxp:" + ev, 0.0), trig.weight)
            f["lxw:" + trig.pattern] = 1.0


def _tensor_part(doc, pr: _Pair, f: dict[str, float]) -> None:
    if doc.tensor is not None and doc.tensor.size and pr.path_set:
        idx = sorted(pr.path_set)
        vec = doc.tensor[idx].mean(axis=0) * TENSOR_SCALE
        for k, v in enumerate(vec):
            f[f"t{k}"] = float(v)


def featurize(item: RelItem) -> dict[str, float]:
    """Feature dict for one RelItem."""
    sent = item.sent
    doc = sent.doc
    f: dict[str, float] = {"bias": 1.0}
    pr = _source_part(item, sent, doc, f)
    _target_part(item, sent, doc, pr, f)
    _roles_part(pr, f)
    _path_part(pr, f)
    _words_part(sent, doc, pr, f)
    _lexicon_part(sent, pr, f)
    _tensor_part(doc, pr, f)
    return f


def placeholder_text(item: RelItem) -> str:
    """Sentence lemmas with the source/target spans replaced by SRC/TGT (for the n-gram model)."""
    out = []
    for t in item.sent:
        if item.src and item.src[0] <= t.i < item.src[1]:
            if t.i == item.src[0]:
                out.append("SRC")
            continue
        if item.tgt and item.tgt[0] <= t.i < item.tgt[1]:
            if t.i == item.tgt[0]:
                out.append("TGT")
            continue
        out.append(t.lemma_.lower())
    return " ".join(out)
