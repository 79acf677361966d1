"""The accurate mode's fine-tuned relation reader (tuned.py, train_tuned.py) on the real packaged
encoder (onnxruntime + the MiniLM int8 file installed from PyPI) and real PyTorch training;
sentences written for these tests."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from detente.coding.events.finder import RelItem
from detente.coding.relation.linear import PLV_CLASSES, RelationClassifier
from detente.coding.relation.reader import (
    HIDDEN,
    N_FROZEN,
    N_LAYERS,
    TUNED_LAYERS,
    TunedHead,
    get_lower_encoder,
    item_marked_text,
    layer_forward,
    marked_text,
    onnx_layer_weights,
)


def _items(nlp):
    doc = nlp("Russia shelled Ukrainian towns while France condemned the strikes.")
    sent = doc[:]
    ru, ua, fr = (0, 1), (2, 3), (6, 7)
    other = nlp("The two foreign ministers met in Delhi on Monday.")[:]
    return [
        RelItem(sent=sent, src=ru, tgt=ua),
        RelItem(sent=sent, src=fr, tgt=ru),
        RelItem(sent=other, src=(1, 5), tgt=None),
    ]


def test_marked_text_places_typed_markers():
    text = "Iran warned Israel."
    out, s, t = marked_text(text, (0, 4), (12, 18))
    assert out == "@ Iran @ warned # Israel #." and out[s] == "@" and out[t] == "#"
    out, s, t = marked_text(text, (12, 18), (0, 4))  # target first
    assert out == "# Iran # warned @ Israel @." and out[s] == "@" and out[t] == "#"
    out, s, t = marked_text("AB", (0, 1), (1, 2))  # touching spans
    assert out == "@ A @# B #" and out[s] == "@" and out[t] == "#"
    out, s, t = marked_text(text, (0, 4), None)
    assert out == "@ Iran @ warned Israel." and t is None


def test_item_marked_text_uses_sentence_offsets(nlp):
    doc = nlp("Talks stalled. Then China warned Japan over the islands.")
    sent = list(doc.sents)[1]
    cn = next(t.i for t in doc if t.text == "China")
    jp = next(t.i for t in doc if t.text == "Japan")
    out, _s, _t = item_marked_text(RelItem(sent=sent, src=(cn, cn + 1), tgt=(jp, jp + 1)))
    assert out.startswith("Then @ China @ warned # Japan # over")


def test_lower_states_point_at_the_markers():
    enc = get_lower_encoder()
    rows = [
        marked_text("Iran warned Israel.", (0, 4), (12, 18)),
        marked_text(
            "The long sentence in which the European Union imposed sanctions on Belarus.", (31, 45), (67, 74)
        ),
    ]
    states = enc.states(rows)
    tok = enc.tokenizer
    for (text, _, _), (h, sp, tp) in zip(rows, states):
        ids = tok.encode(text).ids
        assert h.shape == (len(ids), HIDDEN) and h.dtype == np.float32
        assert tok.id_to_token(ids[sp]) == "@" and tok.id_to_token(ids[tp]) == "#"
    # batching (padding) does not change a row's states
    alone = enc.states(rows[:1])[0][0]
    assert np.allclose(alone, states[0][0], atol=1e-4)


def test_numpy_layers_reproduce_the_packaged_model():
    """The frozen lower graph + the packaged top-layer weights run by layer_forward give the
    full ONNX model's output: the weight extraction and the NumPy layer are right."""
    import onnxruntime as ort

    from detente.coding.relation.reader import _onnx_model_path

    enc = get_lower_encoder()
    text = "Japan and South Korea agreed to share missile warning data."
    h, _, _ = enc.states([(text, None, None)])[0]
    x = h[None].copy()
    mask = np.ones((1, len(h)), np.float32)
    for layer in range(N_FROZEN, N_LAYERS):
        x = layer_forward(onnx_layer_weights(layer), x, mask)
    ids = np.array([enc.tokenizer.encode(text).ids], np.int64)
    sess = ort.InferenceSession(str(_onnx_model_path()), providers=["CPUExecutionProvider"])
    feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
    full = sess.run(None, {k: v for k, v in feed.items() if k in {i.name for i in sess.get_inputs()}})[0]
    assert np.abs(full[0] - x[0]).max() < 1e-2


def test_training_learns_a_small_task_and_round_trips(tmp_path):
    pytest.importorskip("torch")
    from detente.coding.relation.linear import balanced_weights
    from detente.training.reader import train_tuned

    attack = [
        "{a} shelled {b} overnight.",
        "{a} bombed {b}.",
        "{a} launched missile strikes on {b}.",
        "{a} troops attacked {b}.",
    ]
    meet = [
        "{a} met {b} in Geneva.",
        "{a} held talks with {b}.",
        "{a} hosted {b} for a summit.",
        "{a} and {b} discussed trade in a meeting.",
    ]
    pairs = [("Russia", "Ukraine"), ("Israel", "Hamas"), ("India", "Pakistan")]
    rows, y = [], []
    for lab, temps in ((3, attack), (5, meet)):
        for tmpl in temps:
            for a, b in pairs:
                text = tmpl.format(a=a, b=b)
                i, j = text.index(a), text.index(b)
                rows.append(marked_text(text, (i, i + len(a)), (j, j + len(b))))
                y.append(lab)
    states = get_lower_encoder().states(rows)
    y = np.array(y)
    head = train_tuned(states, y, balanced_weights(y), PLV_CLASSES, epochs=4, lr=3e-4)
    tiny = float(np.finfo(np.float64).smallest_subnormal)
    assert tiny * 1.0 > 0.0  # training left the CPU's subnormal handling as it found it
    assert len(head.layers) == TUNED_LAYERS
    held = [
        marked_text("Syria shelled Turkey at dawn.", (0, 5), (14, 20)),
        marked_text("Chile held talks with Peru.", (0, 5), (22, 26)),
    ]
    p = head.proba_states(get_lower_encoder().states(held))
    assert [PLV_CLASSES[k] for k in p.argmax(1)] == ["ASSAULT", "CONSULT"]
    head.save(tmp_path / "r.npz")
    back = TunedHead.load(tmp_path / "r.npz")
    assert np.allclose(
        back.proba_states(get_lower_encoder().states(held)),
        head.rounded().proba_states(get_lower_encoder().states(held)),
        atol=1e-5,
    )


def test_shipped_model_has_reader_and_default_is_fast(nlp, monkeypatch):
    monkeypatch.delenv("DETENTE_ENCODER", raising=False)
    m = RelationClassifier.load_default()
    assert m.reader is not None and m.reader.classes == PLV_CLASSES
    assert m.reader.out_w.shape == (3 * HIDDEN, len(PLV_CLASSES))
    assert 0 < m.encoder_weight < 1 and 0 < m.encoder_below <= 1
    assert not m.has_encoder  # off unless asked for
    monkeypatch.setenv("DETENTE_ENCODER", "1")
    assert m.has_encoder
    m.use_encoder = False
    assert not m.has_encoder


def test_accurate_mixes_reader_opinion_on_unsure_pairs(nlp):
    m = RelationClassifier.load_default()
    items = _items(nlp)
    m.use_encoder = False
    fast = m.predict_proba(items)
    m.use_encoder, m.encoder_below = True, 1.01  # every pair is "unsure"
    mixed = m.predict_proba(items)
    assert m.encoder_calls == len(items)
    from detente.coding.relation.linear import featurize, placeholder_text

    p_fast = m.fast_proba([featurize(i) for i in items], [placeholder_text(i) for i in items])
    p_read = m.reader.proba(items)
    expect = m.mix(p_fast, p_read)
    z = np.log(expect) / m.temperature
    expect = np.exp(z - z.max(1, keepdims=True))
    expect /= expect.sum(1, keepdims=True)
    assert np.allclose(mixed, expect, atol=1e-4)
    assert not np.allclose(mixed, fast, atol=1e-3)
    m.reader.calls, m.encoder_below = 0, 0.0  # nobody is unsure: the fast opinion alone
    z = np.log(p_fast) / m.temperature
    alone = np.exp(z - z.max(1, keepdims=True))
    alone /= alone.sum(1, keepdims=True)
    assert np.allclose(m.predict_proba(items), alone, atol=1e-5) and m.encoder_calls == 0
    # the reader reads the marked pair: the shelling pair is an attack
    assert PLV_CLASSES[int(p_read[0].argmax())] == "ASSAULT"


def test_coder_accurate_flag(nlp):
    from detente.coding.coder import Coder

    c = Coder(nlp=nlp, accurate=True)
    assert c.event_finder.classifier.has_encoder
    from detente.model import Document

    _, evs = next(
        c.code_many(
            [
                Document(
                    id="d",
                    text="Russian forces shelled Kharkiv on Monday, and "
                    "Ukraine accused Moscow of war crimes.",
                    date="2024-03-04",
                )
            ]
        )
    )
    assert {e.event for e in evs} >= {"ASSAULT"}
    assert not Coder(nlp=nlp, accurate=False).event_finder.classifier.has_encoder


def test_cli_code_accurate(tmp_path):
    story = tmp_path / "story.txt"
    story.write_text(
        "Title: Strikes\nDate: 2024-03-04\n\nRussian forces shelled Kharkiv on Monday. "
        "Ukraine's foreign minister accused Moscow of targeting civilians.\n"
    )
    db = tmp_path / "x.duckdb"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "detente",
            "code",
            str(story),
            "--db",
            str(db),
            "--accurate",
            "--out",
            str(tmp_path / "e.jsonl"),
            "-q",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    recs = [json.loads(x) for x in (tmp_path / "e.jsonl").read_text().splitlines()]
    assert any(x["event"] == "ASSAULT" for x in recs)


def test_fast_mode_uses_its_own_calibration(nlp):
    """Each mode is calibrated on its own out-of-fold logits: the fast temperature when the
    reader is off, the mixed one when it is on."""
    from detente.coding.relation.linear import _softmax, featurize, placeholder_text

    m = RelationClassifier.load_default()
    assert m.fast_temperature and m.fast_temperature != m.temperature
    items = _items(nlp)
    feats, texts = [featurize(i) for i in items], [placeholder_text(i) for i in items]
    m.use_encoder = False
    raw = m.log_proba_raw(feats, texts)
    assert np.allclose(m.predict_proba_feats(feats, texts), _softmax(raw / m.fast_temperature), atol=1e-6)
    m.use_encoder, m.encoder_below = True, 0.0  # reader on, nobody unsure: same logits
    assert np.allclose(m.predict_proba_feats(feats, texts, items), _softmax(raw / m.temperature), atol=1e-6)
