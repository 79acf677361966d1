"""Training data readers, cross-validation and the `detente train` routine.

Shipped weights are reproduced by `detente train --plv PATH/PLV_train.tsv` (the PLV relation data
in the shared data directory). Calibration: a softmax temperature is fitted on out-of-fold
probabilities of a K-fold run and stored with the model.
"""
from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .classifier import PLV_CLASSES, RelationClassifier, featurize, fit, placeholder_text
from .model import InputError

MERGE = {"CONCEDE": "YIELD", "RETREAT": "YIELD"}
TAG_RE = re.compile(r"</?[st]>")


def shared_data_dir() -> Path:
    env = os.environ.get("DETENTE_SHARED_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2].parent / "shared" / "data"


@dataclass
class PlvRow:
    uid: str
    label: str | None
    text: str
    src: tuple[int, int] | None     # char offsets in text
    tgt: tuple[int, int] | None


def strip_marks(marked: str) -> tuple[str, tuple[int, int] | None, tuple[int, int] | None]:
    """'<s>A</s> hit <t>B</t>' -> ('A hit B', (0,1), (6,7))."""
    out, pos, spans, open_at = [], 0, {}, {}
    i = 0
    while i < len(marked):
        m = TAG_RE.match(marked, i)
        if m:
            tag = m.group(0)
            kind = tag.strip("</>")
            if tag.startswith("</"):
                if kind in open_at:
                    spans[kind] = (open_at[kind], pos)
            else:
                open_at[kind] = pos
            i = m.end()
            continue
        out.append(marked[i])
        pos += 1
        i += 1
    return "".join(out), spans.get("s"), spans.get("t")


def read_plv(path: str | Path) -> list[PlvRow]:
    rows = []
    p = Path(path)
    if not p.exists():
        raise InputError("no such file", str(p))
    with p.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        if not reader.fieldnames or "marked_sentence" not in reader.fieldnames:
            raise InputError("not a PLV file (needs a marked_sentence column)", str(p), 1)
        for n, r in enumerate(reader, start=2):
            marked = r.get("marked_sentence") or ""
            text, s, t = strip_marks(marked)
            if s is None and t is None:
                raise InputError("no <s>...</s> or <t>...</t> mark", str(p), n)
            lab = (r.get("gold_root") or "").strip() or None
            lab = MERGE.get(lab, lab) if lab else None
            rows.append(PlvRow(uid=r.get("uid") or str(n - 2), label=lab, text=text, src=s, tgt=t))
    return rows


def plv_items(rows: list[PlvRow], nlp=None):
    """Parse PLV rows and build classifier RelItems (one per row)."""
    from .events import RelItem
    from .pipeline import load_nlp

    nlp = nlp or load_nlp()
    items = []
    for row, doc in zip(rows, nlp.pipe((r.text for r in rows), batch_size=64)):
        sp = doc.char_span(row.src[0], row.src[1], alignment_mode="expand") if row.src else None
        tp = doc.char_span(row.tgt[0], row.tgt[1], alignment_mode="expand") if row.tgt else None
        sent = doc[:]
        items.append(RelItem(sent=sent, src=(sp.start, sp.end) if sp is not None and len(sp) else None,
                             tgt=(tp.start, tp.end) if tp is not None and len(tp) else None))
    return items


def fit_temperature(probs_logits: np.ndarray, y: np.ndarray) -> float:
    """Temperature minimising NLL of softmax(logits / T) (grid search)."""
    best_t, best = 1.0, 1e9
    for t in np.arange(0.4, 3.01, 0.05):
        z = probs_logits / t
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        nll = -logp[np.arange(len(y)), y].mean()
        if nll < best:
            best, best_t = nll, float(t)
    return round(best_t, 2)


def cross_validate(feats, labels, k: int = 5, seed: int = 0, C: float = 1.0, texts=None):
    """Stratified K-fold: out-of-fold log-probabilities (untempered) and gold indices."""
    y = np.array([PLV_CLASSES.index(lab) for lab in labels])
    logits = np.zeros((len(labels), len(PLV_CLASSES)))
    counts = np.bincount(y, minlength=len(PLV_CLASSES))
    smallest = int(counts[counts > 0].min())
    if smallest >= 2:
        from sklearn.model_selection import StratifiedKFold
        splits = list(StratifiedKFold(n_splits=min(k, smallest), shuffle=True,
                                      random_state=seed).split(np.zeros(len(y)), y))
    else:
        from sklearn.model_selection import KFold
        splits = list(KFold(n_splits=k, shuffle=True, random_state=seed).split(np.zeros(len(y))))
    for tr, te in splits:
        m = fit([feats[i] for i in tr], [labels[i] for i in tr], C=C,
                texts=[texts[i] for i in tr] if texts is not None else None)
        logits[te] = m.log_proba_raw([feats[i] for i in te],
                                     [texts[i] for i in te] if texts is not None else None)
    return logits, y


DEFAULT_C = 1.0


def train_plv(plv_path: str | Path, out_dir: str | Path | None = None, k: int = 5, C: float = DEFAULT_C,
              log=print) -> RelationClassifier:
    rows = [r for r in read_plv(plv_path) if r.label in PLV_CLASSES]
    log(f"read {len(rows)} labelled rows from {plv_path}")
    items = plv_items(rows)
    feats = [featurize(it) for it in items]
    labels = [r.label for r in rows]
    texts = [placeholder_text(it) for it in items]
    logits, y = cross_validate(feats, labels, k=k, C=C, texts=texts)
    temp = fit_temperature(logits, y)
    pred = logits.argmax(axis=1)
    from sklearn.metrics import f1_score
    mf1 = f1_score(y, pred, average="macro")
    log(f"{k}-fold CV: accuracy {np.mean(pred == y):.4f}, macro-F1 {mf1:.4f}; temperature {temp}")
    model = fit(feats, labels, C=C, texts=texts)
    model.temperature = temp
    model.meta = {"trained_on": Path(plv_path).name, "n": len(rows), "C": C,
                  "cv_k": k, "cv_macro_f1": round(float(mf1), 4)}
    if out_dir is not None:
        model.save(out_dir)
        log(f"wrote {out_dir}/relation.npz, relation.json ({len(model.vocab)} features)")
    return model


def default_model_dir() -> Path:
    return Path(__file__).resolve().parent / "data" / "models"
