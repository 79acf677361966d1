"""Relation classifier: (sentence, source span, target span) -> PLOVER root class (15 classes, the
16 PLOVER types with CONCEDE+RETREAT merged as YIELD, as in the PLV data).

Features (relation/features.py) are cheap and come from the spaCy parse already computed by the coder:
  * lemmas/dependency labels on the dependency path between source and target heads, the lowest
    common ancestor, the source/target grammatical roles, voice and negation;
  * lemmas (and bigrams) between the two spans and, down-weighted, in the whole sentence;
  * trigger-lexicon votes (data/triggers.tsv): each trigger found in the sentence votes for its
    event, weighted by its prior and by where it sits (on the path > between > elsewhere);
  * the mean of spaCy's contextual token vectors (doc.tensor) over the path tokens.
A multinomial logistic regression is trained on these (train.py), averaged (ENSEMBLE_WEIGHT) with a
TF-IDF word 1-3-gram logistic regression over `placeholder_text`; both are trained on the PLV rows
plus down-weighted synthetic template rows (weak.py), class-balanced via `balanced_weights`.
Weights ship as data/models/relation.npz + relation.json (numpy + JSON, no pickle).

The accurate mode adds a second opinion on the pairs the fast model is unsure of: a transformer
reader fine-tuned on marked sentences (tuned.py), pooled with the fast probabilities (`mix`). Its
weights ship as data/models/relation_reader.npz.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix

# featurize and the parse helpers are imported from here by the learned decision and training
from detente.coding.relation.features import (  # noqa: F401
    RelItem,
    _dep_path,
    _root,
    featurize,
    placeholder_text,
)
from detente.coding.relation.reader import MODEL_ID, TUNED_LAYERS, TunedHead, encoder_from_env
from detente.lexicon import word_sequence

# The 15 classes: the 16 PLOVER types with CONCEDE and RETREAT merged as YIELD (the PLV data's).
PLV_CLASSES = word_sequence("plv_classes")
MODEL_NAME = "relation"


def _ngrams(text: str, n_max: int = 3):
    toks = text.split()
    for n in range(1, n_max + 1):
        for i in range(len(toks) - n + 1):
            yield " ".join(toks[i : i + n])


def full_coef(clf: Any, n_classes: int, n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """A fitted sklearn LogisticRegression's weights laid out for all n_classes: a class absent
    from the training rows gets zero weights and a -10 intercept (never predicted)."""
    coef = np.zeros((n_classes, n_features), dtype=np.float32)
    inter = np.full(n_classes, -10.0, dtype=np.float32)
    coef[clf.classes_] = clf.coef_
    inter[clf.classes_] = clf.intercept_
    return coef, inter


class NgramModel:
    """TF-IDF (sublinear tf, l2) word 1-3-gram logistic regression over placeholder_text."""

    def __init__(self, vocab: dict[str, int], idf: np.ndarray, coef: np.ndarray, intercept: np.ndarray):
        self.vocab, self.idf = vocab, idf.astype(np.float32)
        self.coef_t = np.ascontiguousarray(coef.astype(np.float32).T)
        self.intercept = intercept.astype(np.float32)
        self._lookup = None

    def transform(self, texts: Sequence[str]) -> csr_matrix:
        rows, cols, vals = [], [], []
        if self._lookup is None:
            self._lookup = {
                g: (j, float(w)) for (g, j), w in zip(self.vocab.items(), self.idf[list(self.vocab.values())])
            }
        L = self._lookup
        for r, text in enumerate(texts):
            cnt = Counter(g for g in _ngrams(text) if g in L)
            if not cnt:
                continue
            ws = [(L[g][0], (1.0 + math.log(c)) * L[g][1]) if c > 1 else L[g] for g, c in cnt.items()]
            norm = math.sqrt(sum(w * w for _, w in ws)) or 1.0
            for j, w in ws:
                rows.append(r)
                cols.append(j)
                vals.append(w / norm)
        return csr_matrix((vals, (rows, cols)), shape=(len(texts), len(self.vocab)), dtype=np.float32)

    def proba(self, texts: Sequence[str]) -> np.ndarray:
        z = np.asarray(self.transform(texts) @ self.coef_t) + self.intercept
        return _softmax(z)

    @classmethod
    def fit(
        cls,
        texts: Sequence[str],
        y: np.ndarray,
        n_classes: int,
        C: float = 10.0,
        min_df: int = 2,
        seed: int = 0,
        sample_weight: np.ndarray | None = None,
    ) -> NgramModel:
        from sklearn.linear_model import LogisticRegression

        df = Counter(g for t in texts for g in set(_ngrams(t)))
        vocab = {g: i for i, g in enumerate(sorted(g for g, c in df.items() if c >= min_df))}
        n = len(texts)
        idf = np.array([np.log((1 + n) / (1 + df[g])) + 1.0 for g in sorted(vocab, key=vocab.get)])
        tmp = cls(vocab, idf, np.zeros((n_classes, len(vocab))), np.zeros(n_classes))
        X = tmp.transform(texts)
        clf = LogisticRegression(C=C, max_iter=3000, random_state=seed)
        clf.fit(X, y, sample_weight=balanced_weights(y, sample_weight))
        return cls(vocab, idf, *full_coef(clf, n_classes, len(vocab)))


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


ENSEMBLE_WEIGHT = 0.3  # weight of the feature model; 1 - this for the n-gram model (CV-tuned)


class RelationClassifier:
    """Linear model over `featurize` dicts. predict_proba(items) -> array (n, len(classes))."""

    def __init__(
        self,
        vocab: dict[str, int],
        coef: np.ndarray,
        intercept: np.ndarray,
        classes: tuple[str, ...] = PLV_CLASSES,
        temperature: float = 1.0,
        meta: dict | None = None,
    ) -> None:
        self.vocab = vocab
        self.coef = coef.astype(np.float32)  # (n_classes, n_features)
        self.coef_t = np.ascontiguousarray(self.coef.T)
        self.intercept = intercept.astype(np.float32)
        self.classes = tuple(classes)
        self.temperature = float(temperature)
        # calibration of the fast model alone (fitted on its own out-of-fold logits): used when
        # the reader is off; `temperature` is that of the mode trained last (with the reader)
        self.fast_temperature: float | None = None
        self.meta = meta or {}
        self.ngram: NgramModel | None = None
        self.ensemble_weight = 1.0
        # Second opinion from the fine-tuned relation reader (tuned.py), mixed in (self.mix) with
        # weight encoder_weight for pairs whose fast-model probability is below encoder_below (1.0:
        # every pair). use_encoder=False: fast model only.
        self.reader = None  # tuned.TunedHead
        self.encoder_weight = 0.0
        self.encoder_below = 1.0
        self.use_encoder: bool | None = None  # None: $DETENTE_ENCODER (tuned.encoder_from_env)

    # -- persistence (numpy + json only)
    def save(self, out_dir: str | Path, name: str = MODEL_NAME) -> None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        arrays = {"coef": self.coef.astype(np.float16), "intercept": self.intercept}
        ngrams = []
        if self.ngram is not None:
            arrays.update(
                ng_coef=self.ngram.coef_t.T.astype(np.float16),
                ng_idf=self.ngram.idf,
                ng_intercept=self.ngram.intercept,
            )
            ngrams = sorted(self.ngram.vocab, key=self.ngram.vocab.get)
        encoder = None
        if self.reader is not None:
            self.reader.save(out / f"{name}_reader.npz")
            encoder = {
                "model": MODEL_ID,
                "tuned_layers": TUNED_LAYERS,
                "file": f"{name}_reader.npz",
                "weight": self.encoder_weight,
                "below": self.encoder_below,
            }
        np.savez_compressed(out / f"{name}.npz", **arrays)
        feats = sorted(self.vocab, key=self.vocab.get)
        (out / f"{name}.json").write_text(
            json.dumps(
                {
                    "classes": list(self.classes),
                    "features": feats,
                    "ngrams": ngrams,
                    "temperature": self.temperature,
                    "fast_temperature": self.fast_temperature,
                    "ensemble_weight": self.ensemble_weight,
                    "encoder": encoder,
                    "meta": self.meta,
                },
                indent=0,
            )
        )

    @classmethod
    def load(cls, model_dir: str | Path, name: str = MODEL_NAME) -> RelationClassifier:
        d = Path(model_dir)
        if not (d / f"{name}.npz").exists():
            raise FileNotFoundError(d / f"{name}.npz")
        arr = np.load(d / f"{name}.npz", allow_pickle=False)
        meta = json.loads((d / f"{name}.json").read_text())
        vocab = {f: i for i, f in enumerate(meta["features"])}
        model = cls(
            vocab,
            arr["coef"].astype(np.float32),
            arr["intercept"],
            tuple(meta["classes"]),
            meta.get("temperature", 1.0),
            meta.get("meta"),
        )
        model.fast_temperature = meta.get("fast_temperature")
        if meta.get("ngrams"):
            model.ngram = NgramModel(
                {g: i for i, g in enumerate(meta["ngrams"])},
                arr["ng_idf"],
                arr["ng_coef"],
                arr["ng_intercept"],
            )
            model.ensemble_weight = meta.get("ensemble_weight", ENSEMBLE_WEIGHT)
        if meta.get("encoder") and (d / meta["encoder"].get("file", "-")).exists():
            model.reader = TunedHead.load(d / meta["encoder"]["file"])
            model.encoder_weight = float(meta["encoder"]["weight"])
            model.encoder_below = float(meta["encoder"]["below"])
        return model

    @classmethod
    def load_default(cls) -> RelationClassifier:
        return cls.load(resources.files("detente").joinpath("data", "models"))

    # -- inference
    def decision(self, feats: list[dict[str, float]]) -> np.ndarray:
        return sparse_dot(feats, self.vocab, self.coef_t) + self.intercept

    @property
    def has_encoder(self) -> bool:
        """True when pairs the fast model is unsure of go to the fine-tuned relation reader."""
        if self.reader is None:
            return False
        if self.use_encoder is None:
            return encoder_from_env()
        return self.use_encoder

    def fast_proba(self, feats: list[dict[str, float]], texts: list[str] | None = None) -> np.ndarray:
        """Untempered probabilities of the fast model (feature LR + n-gram LR)."""
        p = _softmax(self.decision(feats))
        if self.ngram is not None and texts is not None and self.ensemble_weight < 1.0:
            p = self.ensemble_weight * p + (1 - self.ensemble_weight) * self.ngram.proba(texts)
        return p

    @property
    def encoder_calls(self) -> int:
        """Pairs sent to the relation reader so far (for reports)."""
        return self.reader.calls if self.reader is not None else 0

    def mix(self, p_fast: np.ndarray, p_read: np.ndarray) -> np.ndarray:
        """Weighted geometric mean of the two opinions, renormalised (log-linear pooling: a class
        either model rules out stays unlikely; measured better than the arithmetic mean)."""
        w = self.encoder_weight
        z = (1 - w) * np.log(np.clip(p_fast, 1e-12, 1.0)) + w * np.log(np.clip(p_read, 1e-12, 1.0))
        return _softmax(z)

    def log_proba_raw(
        self,
        feats: list[dict[str, float]],
        texts: list[str] | None = None,
        items: list[RelItem] | None = None,
        states: Sequence | None = None,
    ) -> np.ndarray:
        """Log of the (untempered) ensemble probabilities. With `items` (RelItems) or their
        precomputed reader `states` (tuned.LowerEncoder.states), pairs the fast model is unsure
        of also get the fine-tuned reader's opinion."""
        p = self.fast_proba(feats, texts)
        if self.has_encoder and (items is not None or states is not None) and len(p):
            unsure = np.flatnonzero(p.max(axis=1) < self.encoder_below)
            if len(unsure):
                if states is None:
                    p_read = self.reader.proba([items[i] for i in unsure])
                else:
                    self.reader.calls += len(unsure)
                    p_read = self.reader.proba_states([states[i] for i in unsure])
                p[unsure] = self.mix(p[unsure], p_read)
        return np.log(np.clip(p, 1e-12, 1.0))

    def predict_proba_feats(
        self,
        feats: list[dict[str, float]],
        texts: list[str] | None = None,
        items: list[RelItem] | None = None,
    ) -> np.ndarray:
        t = self.temperature if self.has_encoder or not self.fast_temperature else self.fast_temperature
        return _softmax(self.log_proba_raw(feats, texts, items) / t)

    def predict_proba(self, items: list[RelItem]) -> np.ndarray:
        texts = [placeholder_text(it) for it in items] if self.ngram is not None else None
        return self.predict_proba_feats([featurize(it) for it in items], texts, items)

    def predict(self, items: list[RelItem]) -> list[tuple[str, float]]:
        p = self.predict_proba(items)
        return [(self.classes[int(k)], float(row[k])) for row, k in zip(p, p.argmax(axis=1))]


def fit(
    feats: list[dict[str, float]],
    labels: list[str],
    C: float = 1.0,
    min_count: int = 2,
    classes: tuple[str, ...] = PLV_CLASSES,
    temperature: float | None = None,
    seed: int = 0,
    texts: list[str] | None = None,
    sample_weight: np.ndarray | None = None,
    ngram_C: float = 10.0,
) -> RelationClassifier:
    """Train the logistic regression; features seen in fewer than `min_count` items are dropped."""

    from sklearn.linear_model import LogisticRegression

    cnt = Counter(k for fd in feats for k in fd)
    vocab = {k: i for i, k in enumerate(sorted(k for k, c in cnt.items() if c >= min_count))}
    X = to_matrix(feats, vocab)
    y = np.array([classes.index(lab) for lab in labels])
    clf = LogisticRegression(C=C, max_iter=3000, random_state=seed)
    clf.fit(X, y, sample_weight=balanced_weights(y, sample_weight))
    model = RelationClassifier(vocab, *full_coef(clf, len(classes), len(vocab)), classes)
    if texts is not None:
        model.ngram = NgramModel.fit(
            texts, y, len(classes), C=ngram_C, seed=seed, sample_weight=sample_weight
        )
        model.ensemble_weight = ENSEMBLE_WEIGHT
    if temperature:
        model.temperature = temperature
    return model


def balanced_weights(y: np.ndarray, sample_weight: np.ndarray | None = None) -> np.ndarray:
    """Per-item weights: the item's own weight (1 for gold rows, lower for weak rows) times the
    "balanced" class weight total / (n_classes * class total), computed on the weighted counts."""
    y = np.asarray(y)
    sw = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    tot = np.bincount(y, weights=sw)
    present = tot > 0
    cw = np.zeros_like(tot)
    cw[present] = sw.sum() / (present.sum() * tot[present])
    return sw * cw[y]


def sparse_dot(feats: list[dict[str, float]], vocab: dict[str, int], weights: np.ndarray) -> np.ndarray:
    """Feature dicts times a (features, classes) weight matrix, row by row: at coding time the
    batches are small, where building a scipy matrix costs more than the product."""
    out = np.zeros((len(feats), weights.shape[1]), np.float32)
    get = vocab.get
    for r, fd in enumerate(feats):
        idx, vals = [], []
        for k, v in fd.items():
            j = get(k)
            if j is not None:
                idx.append(j)
                vals.append(v)
        if idx:
            out[r] = np.asarray(vals, np.float32) @ weights[idx]
    return out


def to_matrix(feats: list[dict[str, float]], vocab: dict[str, int], dtype: type = np.float64) -> csr_matrix:
    rows, cols, vals = [], [], []
    for r, fd in enumerate(feats):
        for k, v in fd.items():
            j = vocab.get(k)
            if j is not None:
                rows.append(r)
                cols.append(j)
                vals.append(v)
    return csr_matrix((vals, (rows, cols)), shape=(len(feats), len(vocab)), dtype=dtype)
