"""The sentence encoder and the classifier's --accurate mode, on the real packaged model
(onnxruntime + the MiniLM int8 file installed from PyPI); sentences written for these tests."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from detente.classifier import PLV_CLASSES, RelationClassifier
from detente.encoder import DIM, N_BLOCKS, get_encoder, relation_vectors
from detente.events import RelItem


def _items(nlp):
    doc = nlp("Russia shelled Ukrainian towns while France condemned the strikes.")
    sent = doc[:]
    ru, ua, fr = (0, 1), (2, 3), (6, 7)
    other = nlp("The two foreign ministers met in Delhi on Monday.")[:]
    return [RelItem(sent=sent, src=ru, tgt=ua), RelItem(sent=sent, src=fr, tgt=ru),
            RelItem(sent=other, src=(1, 5), tgt=None)]


def test_relation_vectors_shape_and_blocks(nlp):
    items = _items(nlp)
    v = relation_vectors(items)
    assert v.shape == (3, DIM * N_BLOCKS) and v.dtype == np.float32
    blocks = v.reshape(3, N_BLOCKS, DIM)
    # the whole-sentence block is shared by the pairs of one sentence, the span blocks are not
    assert np.allclose(blocks[0, 0], blocks[1, 0], atol=1e-5)
    assert not np.allclose(blocks[0, 1], blocks[1, 1], atol=1e-3)
    # every non-empty block is unit length; a pair without a target has an empty target block
    norms = np.linalg.norm(blocks, axis=2)
    assert np.allclose(norms[:2], 1.0, atol=1e-4)
    assert norms[2, 2] == 0.0 and abs(norms[2, 0] - 1.0) < 1e-4
    # deterministic, and batching does not change a pair's vector
    assert np.allclose(relation_vectors(items[:1]), v[:1], atol=1e-4)


def test_encoder_tells_related_sentences_apart():
    enc = get_encoder()
    _, h, mask = enc.hidden_states(["Troops attacked the village.", "Soldiers assaulted the town.",
                                    "The ministers signed a trade agreement."])
    m = mask[..., None]
    s = (h * m).sum(1) / m.sum(1)
    s = s / np.linalg.norm(s, axis=1, keepdims=True)
    assert s[0] @ s[1] > s[0] @ s[2]


def test_shipped_model_has_encoder_head_and_default_is_fast(nlp, monkeypatch):
    monkeypatch.delenv("DETENTE_ENCODER", raising=False)
    m = RelationClassifier.load_default()
    assert m.encoder_coef is not None and m.encoder_coef.shape == (len(PLV_CLASSES), DIM * N_BLOCKS)
    assert 0 < m.encoder_weight < 1 and 0 < m.encoder_below <= 1
    assert not m.has_encoder                       # off unless asked for
    monkeypatch.setenv("DETENTE_ENCODER", "1")
    assert m.has_encoder
    m.use_encoder = False
    assert not m.has_encoder


def test_accurate_mixes_encoder_opinion_on_unsure_pairs(nlp):
    m = RelationClassifier.load_default()
    items = _items(nlp)
    m.use_encoder = False
    fast = m.predict_proba(items)
    m.use_encoder, m.encoder_below = True, 1.01      # every pair is "unsure"
    mixed = m.predict_proba(items)
    assert m.encoder_calls == len(items)
    from detente.classifier import featurize, placeholder_text
    p_fast = m.fast_proba([featurize(i) for i in items], [placeholder_text(i) for i in items])
    p_enc = m.encoder_proba(relation_vectors(items))
    expect = m.mix(p_fast, p_enc)
    z = np.log(expect) / m.temperature
    expect = np.exp(z - z.max(1, keepdims=True))
    expect /= expect.sum(1, keepdims=True)
    assert np.allclose(mixed, expect, atol=1e-4)
    assert not np.allclose(mixed, fast, atol=1e-3)
    m.encoder_calls, m.encoder_below = 0, 0.0          # nobody is unsure: the fast result
    assert np.allclose(m.predict_proba(items), fast, atol=1e-6) and m.encoder_calls == 0


def test_coder_accurate_flag(nlp):
    from detente.pipeline import Coder
    c = Coder(nlp=nlp, accurate=True)
    assert c.event_finder.classifier.has_encoder
    from detente.model import Document
    _, evs = next(c.code_many([Document(id="d", text="Russian forces shelled Kharkiv on Monday, and "
                                        "Ukraine accused Moscow of war crimes.", date="2024-03-04")]))
    assert {e.event for e in evs} >= {"ASSAULT"}
    assert not Coder(nlp=nlp, accurate=False).event_finder.classifier.has_encoder


def test_cli_code_accurate(tmp_path):
    story = tmp_path / "story.txt"
    story.write_text("Title: Strikes\nDate: 2024-03-04\n\nRussian forces shelled Kharkiv on Monday. "
                     "Ukraine's foreign minister accused Moscow of targeting civilians.\n")
    db = tmp_path / "x.duckdb"
    r = subprocess.run([sys.executable, "-m", "detente", "code", str(story), "--db", str(db), "--accurate",
                        "--out", str(tmp_path / "e.jsonl"), "-q"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    recs = [json.loads(x) for x in (tmp_path / "e.jsonl").read_text().splitlines()]
    assert any(x["event"] == "ASSAULT" for x in recs)
