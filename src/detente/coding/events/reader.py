"""The accurate mode's second opinion on every candidate pair: a small network over MiniLM vectors.

Why: the pair model (decision.py) reads sparse features (words on the parse path, the lexicon, the
rule path's output); it knows "struck" but not a paraphrase it never saw. A reader of contextual
vectors generalises over wording, and the two err on different pairs, so their mean beats both
(5-fold CV on news_silver: README, "Accuracy").

How: each sentence that holds a candidate pair is encoded once by the packaged int8 MiniLM
(frozen, nothing downloaded; the process's one relation/reader.LowerEncoder, cut after layers 4
and 6, which the relation reader also uses). A pair is,
for each of those layers, the mean state over the sentence, over the source mention's word pieces,
over the target's and over the word pieces between the two, plus their order and gap: 3,074
numbers. Beside them the reader sees the pair model's features that no news label shaped (SIDE_PREFIXES:
the relation classifier's opinion, trained on PLV; the rule path's types; the actors' kinds,
sectors and places; title or lead; distance), so it can weigh the two views together. One hidden
layer (ReLU) and one sigmoid per PLOVER class give P(type | pair) in the form the pair model gives it. `detente train` fits it (training/pair_reader.py, PyTorch, training
only); it runs here in NumPy. In accurate mode the decision scores a pair with
(1 - weight) * pair model + weight * reader.

The sentence states are shared by all pairs of a sentence, so the cost grows with sentences, not
with pairs (the relation reader, which marks the pair in the text, pays one encoder pass a pair).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from detente.coding.relation.reader import (
    HIDDEN,
    SHARED_LAYERS,
    LowerEncoder,
    get_lower_encoder,
    sentence_chars,
)
from detente.errors import DetenteError
from detente.model import Mention
from detente.resources import DATA_DIR

MODEL_NAME = "pair_reader"
# 0-based MiniLM layers read: a middle one (closer to syntax) and the last (closer to meaning),
# the layers the shared encoder is cut after
LAYERS = SHARED_LAYERS
N_POOLS = 4  # sentence, source, target, between
VECTOR_SIZE = len(LAYERS) * N_POOLS * HIDDEN + 2
DEFAULT_WEIGHT = 0.5
# The mixed probabilities a (source, type, target) must reach in accurate mode: the pair's top
# type, and any further type of the same pair (the pair model alone keeps its own, pairs.json);
# CONSULT, which the mix over-predicts (meetings are named in most diplomatic stories), its own
# figure; and when no pair of an item reaches them, the item's single most likely event is kept
# if it reaches DEFAULT_FALLBACK (a news item nearly always reports one).
# Chosen without news_silver, on 3,000 held-out items of annotation draw F (a pair model and
# reader trained as shipped but without them; benchmarks/results/thresholds_heldout_draw_f-
# 20261203b.txt): tuple F1 there 0.553 at the former (0.4, 0.4), 0.564 at (0.45, 0.45) with the
# fallback at 0.35, 0.567 with CONSULT at 0.55 as well (searched type by type, each change kept
# only if it gained more than 0.002).
DEFAULT_THRESHOLD = 0.45
DEFAULT_SECOND = 0.45
DEFAULT_BY_TYPE = {"CONSULT": 0.55}
DEFAULT_FALLBACK = 0.35
# Pair-model features (decision.pair_features) the reader also reads: none of them is learned
# from news labels, so the reader cannot simply copy the pair model's fitted opinion. (Words of
# the parse path, the dyad and the source/target country are left to the pair model.)
SIDE_PREFIXES = (
    "plv:",
    "plvtop:",
    "rule:",
    "rulerev:",
    "rule_any",
    "skind:",
    "tkind:",
    "ssec:",
    "tsec:",
    "sloc",
    "tloc",
    "scoref",
    "tcoref",
    "title",
    "lead",
    "dist:",
)


def side_names(feats: list[dict[str, float]]) -> list[str]:
    """The side features present in training rows (the reader's fixed vocabulary)."""
    return sorted({k for f in feats for k in f if k.startswith(SIDE_PREFIXES)})


def side_matrix(feats: list[dict[str, float]], names: list[str] | tuple[str, ...]) -> np.ndarray:
    index = {k: i for i, k in enumerate(names)}
    out = np.zeros((len(feats), len(names)), np.float32)
    for r, f in enumerate(feats):
        for k, v in f.items():
            i = index.get(k)
            if i is not None:
                out[r, i] = v
    return out


def _pieces(offsets, span: tuple[int, int]) -> list[int]:
    """Word pieces overlapping a character span (special tokens have empty offsets)."""
    a, b = span
    return [k for k, (x, y) in enumerate(offsets) if y > x and x < b and y > a]


def pair_vector(states: list[np.ndarray], offsets, src: tuple[int, int], tgt: tuple[int, int]) -> np.ndarray:
    """The reader's input for one pair: src and tgt are character spans within the sentence."""
    si, ti = _pieces(offsets, src), _pieces(offsets, tgt)
    s0, t0 = min(si, default=0), min(ti, default=0)
    first, last = (si, ti) if s0 <= t0 else (ti, si)
    between = list(range(max(first, default=0) + 1, min(last, default=1)))
    n = len(offsets)
    parts = []
    for h in states:
        body = h[1 : n - 1] if n > 2 else h  # without [CLS] and [SEP]
        parts.append(body.mean(0))
        parts += [h[ix].mean(0) if ix else np.zeros(h.shape[1], np.float32) for ix in (si, ti, between)]
    parts.append(np.array([1.0 if s0 <= t0 else -1.0, len(between) / 10.0], np.float32))
    return np.concatenate(parts).astype(np.float32)


def pair_vectors(cands, mentions: list[Mention], encoder: LowerEncoder | None = None) -> np.ndarray:
    """(n pairs, VECTOR_SIZE) for decision.PairCandidates; each sentence is encoded once."""
    if not cands:
        return np.zeros((0, VECTOR_SIZE), np.float32)
    sents: dict[tuple[int, int], int] = {}
    texts: list[str] = []
    for c in cands:
        key = (c.sent.start, c.sent.end)
        if key not in sents:
            sents[key] = len(texts)
            texts.append(c.sent.text)
    encoded = (encoder or get_lower_encoder()).run(texts)
    out = np.zeros((len(cands), VECTOR_SIZE), np.float32)
    for k, c in enumerate(cands):
        states, offsets = encoded[sents[(c.sent.start, c.sent.end)]]
        out[k] = pair_vector(
            states,
            offsets,
            sentence_chars(c.sent, (mentions[c.src].start, mentions[c.src].end)),
            sentence_chars(c.sent, (mentions[c.tgt].start, mentions[c.tgt].end)),
        )
    return out


def _saved_fallback(a) -> float | None:
    """The fallback figure of a saved reader: NaN saved for none; readers saved before it was a
    field use the default."""
    if "fallback" not in a.files:
        return DEFAULT_FALLBACK
    v = float(a["fallback"])
    return None if np.isnan(v) else v


def _stacked(a: np.ndarray, ndim: int) -> np.ndarray:
    """float32, with a leading members axis added to a single member's array."""
    a = np.asarray(a, np.float32)
    return a[None] if a.ndim < ndim else a


class PairReader:
    """Standardised vector -> ReLU hidden layer -> one sigmoid per class (NumPy at run time).

    A reader holds one or more such networks ("members": the same recipe trained from different
    seeds, training/pair_reader.py SEEDS); P(class | pair) is their mean, at the cost of one small
    matrix product a member."""

    def __init__(
        self,
        mean: np.ndarray,
        scale: np.ndarray,
        w1: np.ndarray,
        b1: np.ndarray,
        w2: np.ndarray,
        b2: np.ndarray,
        classes: tuple[str, ...],
        side: tuple[str, ...] = (),
        weight: float = DEFAULT_WEIGHT,
        meta: dict | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        second: float = DEFAULT_SECOND,
        by_type: dict[str, float] | None = None,
        fallback: float | None = DEFAULT_FALLBACK,
    ):
        """w1 (members, inputs, H), b1 (members, H), w2 (members, H, C), b2 (members, C); one
        member may also be given without the leading axis."""
        self.side = tuple(side)  # names of the side features, after the VECTOR_SIZE numbers
        self.mean, self.scale = mean.astype(np.float32), scale.astype(np.float32)
        self.w1, self.b1 = _stacked(w1, 3), _stacked(b1, 2)
        self.w2, self.b2 = _stacked(w2, 3), _stacked(b2, 2)
        self.classes = tuple(classes)
        self.weight = float(weight)
        self.threshold = float(threshold)
        self.second = float(second)
        self.by_type = dict(DEFAULT_BY_TYPE if by_type is None else by_type)
        self.fallback = None if fallback is None else float(fallback)
        self.meta = meta or {}
        self.calls = 0  # pairs read so far (for reports)

    @property
    def members(self) -> int:
        return len(self.w1)

    def rounded(self) -> PairReader:
        """The same reader with its weight matrices rounded to float16, as saved (CV scores what
        ships)."""
        r = lambda a: a.astype(np.float16).astype(np.float32)
        return PairReader(
            self.mean,
            self.scale,
            r(self.w1),
            self.b1,
            r(self.w2),
            self.b2,
            self.classes,
            self.side,
            self.weight,
            self.meta,
            self.threshold,
            self.second,
            self.by_type,
            self.fallback,
        )

    def inputs(self, vectors: np.ndarray, feats: list[dict[str, float]]) -> np.ndarray:
        """The network's input rows: encoder vectors, then the side features."""
        return np.hstack([np.asarray(vectors, np.float32), side_matrix(feats, self.side)])

    def proba_vectors(self, x: np.ndarray) -> np.ndarray:
        if not len(x):
            return np.zeros((0, len(self.classes)), np.float32)
        z = (x - self.mean) / self.scale
        p = np.zeros((len(x), len(self.classes)), np.float32)
        for w1, b1, w2, b2 in zip(self.w1, self.b1, self.w2, self.b2):
            h = np.maximum(z @ w1 + b1, 0.0)
            # clipped: exp of a very negative logit would overflow (and warn) for nothing
            p += 1.0 / (1.0 + np.exp(-np.clip(h @ w2 + b2, -50.0, 50.0)))
        return p / self.members

    def proba(self, cands, mentions: list[Mention], feats: list[dict[str, float]]) -> np.ndarray:
        """P(class | pair) for each candidate, each class independently (as PairModel.proba);
        feats: the pair model's feature dicts of the same candidates."""
        self.calls += len(cands)
        return self.proba_vectors(self.inputs(pair_vectors(cands, mentions), feats))

    def mix(self, p_pairs: np.ndarray, p_read: np.ndarray) -> np.ndarray:
        return (1.0 - self.weight) * p_pairs + self.weight * p_read

    # -- persistence (NumPy only)
    def save(self, out_dir: str | Path, name: str = MODEL_NAME) -> None:
        np.savez_compressed(
            Path(out_dir) / f"{name}.npz",
            mean=self.mean,
            scale=self.scale,
            w1=self.w1.astype(np.float16),
            b1=self.b1,
            w2=self.w2.astype(np.float16),
            b2=self.b2,
            classes=np.array(self.classes),
            side=np.array(self.side, dtype=str),
            weight=np.array(self.weight, np.float32),
            threshold=np.array(self.threshold, np.float64),
            second=np.array(self.second, np.float64),
            by_type_names=np.array(sorted(self.by_type), dtype=str),
            by_type=np.array([self.by_type[k] for k in sorted(self.by_type)], np.float64),
            fallback=np.array(np.nan if self.fallback is None else self.fallback, np.float64),
            layers=np.array(LAYERS),
        )

    @classmethod
    def load(cls, model_dir: str | Path, name: str = MODEL_NAME) -> PairReader:
        path = Path(model_dir) / f"{name}.npz"
        if not path.is_file():
            raise DetenteError(f"no pair reader at {path} (train one with `detente train`)")
        a = np.load(path, allow_pickle=False)
        if tuple(int(k) for k in a["layers"]) != LAYERS:
            raise DetenteError(f"{path} reads MiniLM layers {a['layers'].tolist()}, this code {list(LAYERS)}")
        return cls(
            a["mean"],
            a["scale"],
            a["w1"],
            a["b1"],
            a["w2"],
            a["b2"],
            tuple(str(c) for c in a["classes"]),
            tuple(str(c) for c in a["side"]),
            float(a["weight"]),
            # readers saved before the thresholds were fields use the defaults
            threshold=float(a["threshold"]) if "threshold" in a.files else DEFAULT_THRESHOLD,
            second=float(a["second"]) if "second" in a.files else DEFAULT_SECOND,
            by_type=(
                {str(k): float(v) for k, v in zip(a["by_type_names"], a["by_type"])}
                if "by_type" in a.files
                else None
            ),
            fallback=_saved_fallback(a),
        )

    @classmethod
    def load_default(cls) -> PairReader | None:
        """The shipped reader, or None when the package has none (accurate mode then uses the
        pair model alone)."""
        path = DATA_DIR / "models" / f"{MODEL_NAME}.npz"
        return cls.load(path.parent) if path.is_file() else None
