"""Fine-tuning of the accurate mode's relation reader (coding/relation/reader.py) with PyTorch, on
the CPU.

Training only: PyTorch, scikit-learn and onnx are in the `train` extra (pip install -e ".[train]");
coding never imports them. Input rows are the frozen lower-layer states of marked sentences
(LowerEncoder.states), computed once and shared by every cross-validation fold. The top layers
start from the packaged model's own weights (onnx_layer_weights, which reads them with onnx); the
linear head starts from a seeded random init. Loss: class-balanced cross-entropy, the synthetic
rows down-weighted as in the fast model (relation.linear.balanced_weights). AdamW, linear warm-up
over the first tenth of the steps then linear decay, dropout 0.1. Deterministic for a given
machine and seed.
"""

from __future__ import annotations

import math

import numpy as np

from detente.coding.relation.reader import (
    HEADS,
    HIDDEN,
    N_FROZEN,
    TUNED_LAYERS,
    TunedHead,
    onnx_layer_weights,
)
from detente.errors import DetenteError

EPOCHS = 10
LEARNING_RATE = 2e-4
BATCH = 16
SEED = 0


def _torch():
    try:
        import torch
    except ImportError:
        raise DetenteError(
            'training the accurate-mode reader needs PyTorch: pip install -e ".[train]" '
            "(or train without it: detente train --no-encoder)"
        ) from None
    return torch


def _modules(torch):
    nn, F = torch.nn, torch.nn.functional

    class Layer(nn.Module):
        def __init__(self, w: dict):
            super().__init__()
            self.lin = nn.ModuleDict()
            for name, (i, o) in (
                ("q", (HIDDEN, HIDDEN)),
                ("k", (HIDDEN, HIDDEN)),
                ("v", (HIDDEN, HIDDEN)),
                ("o", (HIDDEN, HIDDEN)),
                ("f1", (HIDDEN, 4 * HIDDEN)),
                ("f2", (4 * HIDDEN, HIDDEN)),
            ):
                lin = nn.Linear(i, o)
                lin.weight.data = torch.tensor(w[name + "_w"].T.copy())
                lin.bias.data = torch.tensor(w[name + "_b"].copy())
                self.lin[name] = lin
            self.ln = nn.ModuleDict()
            for name in ("ln1", "ln2"):
                ln = nn.LayerNorm(HIDDEN, eps=1e-12)
                ln.weight.data = torch.tensor(w[name + "_g"].copy())
                ln.bias.data = torch.tensor(w[name + "_b"].copy())
                self.ln[name] = ln
            self.drop = nn.Dropout(0.1)

        def forward(self, h, mask):
            B, T, _ = h.shape
            d = HIDDEN // HEADS
            split = lambda x: x.view(B, T, HEADS, d).transpose(1, 2)
            L = self.lin
            a = split(L["q"](h)) @ split(L["k"](h)).transpose(-1, -2) / math.sqrt(d)
            a = a + (1 - mask[:, None, None, :]) * -1e4
            ctx = (a.softmax(-1) @ split(L["v"](h))).transpose(1, 2).reshape(B, T, HIDDEN)
            h = self.ln["ln1"](h + self.drop(L["o"](ctx)))
            return self.ln["ln2"](h + self.drop(L["f2"](F.gelu(L["f1"](h)))))

        def export(self) -> dict:
            w = {}
            for name, lin in self.lin.items():
                w[name + "_w"] = lin.weight.detach().numpy().T.copy()
                w[name + "_b"] = lin.bias.detach().numpy().copy()
            for name, ln in self.ln.items():
                w[name + "_g"] = ln.weight.detach().numpy().copy()
                w[name + "_b"] = ln.bias.detach().numpy().copy()
            return w

    class Reader(nn.Module):
        def __init__(self, init: list[dict], n_classes: int):
            super().__init__()
            self.layers = nn.ModuleList([Layer(w) for w in init])
            self.drop = nn.Dropout(0.1)
            self.out = nn.Linear(3 * HIDDEN, n_classes)

        def forward(self, h, mask, sp, tp):
            for layer in self.layers:
                h = layer(h, mask)
            mean = (h * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
            rows = torch.arange(len(h))
            return self.out(self.drop(torch.cat([mean, h[rows, sp], h[rows, tp]], -1)))

    return Reader


_INIT = None


def initial_layers() -> list[dict]:
    global _INIT
    if _INIT is None:
        _INIT = [onnx_layer_weights(N_FROZEN + j) for j in range(TUNED_LAYERS)]
    return _INIT


def train_tuned(
    states,
    y: np.ndarray,
    sample_weight: np.ndarray,
    classes: tuple[str, ...],
    epochs: int = EPOCHS,
    lr: float = LEARNING_RATE,
    seed: int = SEED,
    log=None,
) -> TunedHead:
    """Fine-tune on rows of LowerEncoder.states with class indices y and per-row weights
    (already class-balanced by the caller)."""
    torch = _torch()
    torch.manual_seed(seed)
    # denormal floats in the backward pass cost 1.6x here; flushing them is process-wide CPU
    # state, so it is switched off again when training ends (other code expects IEEE floats)
    torch.set_flush_denormal(True)
    try:
        return _train(torch, states, y, sample_weight, classes, epochs, lr, seed, log)
    finally:
        torch.set_flush_denormal(False)


def _train(torch, states, y, sample_weight, classes, epochs, lr, seed, log) -> TunedHead:
    F = torch.nn.functional
    model = _modules(torch)(initial_layers(), len(classes))
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    n = len(states)
    steps = epochs * math.ceil(n / BATCH)
    warm = max(1, int(0.1 * steps))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (steps - s) / steps)
    )
    yt = torch.tensor(np.asarray(y), dtype=torch.long)
    wt = torch.tensor(np.asarray(sample_weight), dtype=torch.float32)
    gen = torch.Generator().manual_seed(seed)
    for ep in range(epochs):
        model.train()
        total = 0.0
        perm = torch.randperm(n, generator=gen).tolist()
        for b0 in range(0, n, BATCH):
            idx = perm[b0 : b0 + BATCH]
            width = max(len(states[i][0]) for i in idx)
            h = torch.zeros(len(idx), width, HIDDEN)
            mask = torch.zeros(len(idx), width)
            for r, i in enumerate(idx):
                m = len(states[i][0])
                h[r, :m] = torch.from_numpy(states[i][0])
                mask[r, :m] = 1.0
            sp = torch.tensor([states[i][1] for i in idx])
            tp = torch.tensor([states[i][2] for i in idx])
            logits = model(h, mask, sp, tp)
            w = wt[idx]
            loss = (F.cross_entropy(logits, yt[idx], reduction="none") * w).sum() / w.sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
        if log:
            log(f"  reader epoch {ep + 1}/{epochs}: loss {total / n:.4f}")
    model.eval()
    return TunedHead(
        [layer.export() for layer in model.layers],
        model.out.weight.detach().numpy().T.copy(),
        model.out.bias.detach().numpy().copy(),
        classes,
    )
