"""Training of the accurate mode's pair reader (coding/events/reader.py) with PyTorch, on the CPU.

Training only (PyTorch is in the `train` extra). Rows are the candidate pairs of annotated news
(training/pairs.pair_rows with vectors=True; the side features come from the rows' feature dicts),
labelled like the pair model's rows: one 0/1 target
per PLOVER class, all zero for a pair that is no event. The network: dropout 0.1 on the
standardised input, a hidden layer of HIDDEN_UNITS ReLU units, dropout 0.2, one logit per class;
loss: binary cross-entropy weighted per row (PLV and synthetic rows are not used: they are single
marked sentences, not candidate pairs of a story). AdamW, EPOCHS passes; the same machine and seed
give the same weights.

One network is trained for each of SEEDS, and each is a member of the reader, which averages their
probabilities. Why: on news_silver's folds two seeds of the same recipe scored 0.588 and 0.576 tuple
F1 alone, and 0.593 together (README, "Accuracy"); a mean of differently seeded networks is steadier
than any one of them, for one more training pass and a small matrix product a pair at run time.
"""

from __future__ import annotations

import numpy as np

from detente.coding.events.reader import DEFAULT_WEIGHT, PairReader, side_matrix, side_names
from detente.training.reader import _torch

HIDDEN_UNITS = 512
EPOCHS = 10
BATCH = 512
LEARNING_RATE = 1e-3
SEEDS = (0, 1)  # one member network per seed


def fit_pair_reader(
    vectors: np.ndarray,
    feats: list[dict[str, float]],
    labels: np.ndarray,
    classes: tuple[str, ...],
    weights: np.ndarray | None = None,
    hidden: int = HIDDEN_UNITS,
    epochs: int = EPOCHS,
    seeds: tuple[int, ...] = SEEDS,
    log=None,
) -> PairReader:
    torch = _torch()
    side = tuple(side_names(feats))
    # one float32 copy of the rows, standardised in place (200k rows x 3,200 numbers = 2.6 GB)
    n, d = np.shape(vectors)
    x = np.empty((n, d + len(side)), np.float32)
    x[:, :d] = vectors
    x[:, d:] = side_matrix(feats, side)
    mean = x.mean(0)
    x -= mean
    sq = np.zeros(x.shape[1], np.float64)
    for b in range(0, n, 8192):  # chunks: no second full-size array
        sq += np.square(x[b : b + 8192], dtype=np.float64).sum(0)
    scale = (np.sqrt(sq / max(1, n)) + 1e-4).astype(np.float32)  # a constant input must not divide by 0
    x /= scale
    xt = torch.from_numpy(x)
    yt = torch.from_numpy(np.asarray(labels, np.float32))
    wt = torch.from_numpy(np.ones(len(x), np.float32) if weights is None else np.asarray(weights, np.float32))
    members = [_fit_one(torch, xt, yt, wt, hidden, len(classes), epochs, seed, log) for seed in seeds]
    w1, b1, w2, b2 = (np.stack(a) for a in zip(*members))
    meta = {
        "rows": len(x),
        "positives": int(np.asarray(labels).sum()),
        "hidden": hidden,
        "epochs": epochs,
        "seeds": list(seeds),
    }
    return PairReader(mean, scale, w1, b1, w2, b2, tuple(classes), side, DEFAULT_WEIGHT, meta).rounded()


def _fit_one(torch, xt, yt, wt, hidden: int, n_classes: int, epochs: int, seed: int, log) -> tuple:
    """One member network; returns its (w1, b1, w2, b2) as NumPy arrays."""
    F = torch.nn.functional
    torch.manual_seed(seed)
    net = torch.nn.Sequential(
        torch.nn.Dropout(0.1),
        torch.nn.Linear(xt.shape[1], hidden),
        torch.nn.ReLU(),
        torch.nn.Dropout(0.2),
        torch.nn.Linear(hidden, n_classes),
    )
    opt = torch.optim.AdamW(net.parameters(), lr=LEARNING_RATE, weight_decay=0.01)
    gen = torch.Generator().manual_seed(seed)
    for ep in range(epochs):
        net.train()
        total = 0.0
        perm = torch.randperm(len(xt), generator=gen)
        for b in range(0, len(perm), BATCH):
            i = perm[b : b + BATCH]
            loss = F.binary_cross_entropy_with_logits(net(xt[i]), yt[i], reduction="none").mean(1)
            loss = (loss * wt[i]).sum() / wt[i].sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(i)
        if log:
            log(f"  pair reader (seed {seed}) epoch {ep + 1}/{epochs}: loss {total / max(1, len(xt)):.4f}")
    lin1, lin2 = net[1], net[4]
    return tuple(a.detach().numpy().copy() for a in (lin1.weight.T, lin1.bias, lin2.weight.T, lin2.bias))
