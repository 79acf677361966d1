"""Evaluation commands on small files written by the test (sentences written for these tests)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from detente.cli.evaluate_train import eval_group, train_command

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("DETENTE_SHARED_DATA", REPO.parent / "shared" / "data"))

PLV_ROWS = [
    ("ASSAULT", "<s>Russia</s> shelled <t>Ukrainian</t> towns overnight."),
    ("ASSAULT", "<s>The rebels</s> attacked <t>an army convoy</t> near the border."),
    ("ASSAULT", "<s>Militants</s> bombed <t>a police station</t> in the north."),
    ("ASSAULT", "<s>Israeli jets</s> struck <t>targets in Lebanon</t> on Monday."),
    ("ACCUSE", "<s>France</s> condemned <t>the military junta</t> for the arrests."),
    ("ACCUSE", "<s>The minister</s> accused <t>the opposition</t> of spreading lies."),
    ("ACCUSE", "<s>Activists</s> criticised <t>the government</t> over the new law."),
    ("ACCUSE", "<s>The union</s> denounced <t>the company</t> for cutting wages."),
    ("CONSULT", "<s>The foreign minister</s> met <t>his Indian counterpart</t> in Delhi."),
    ("CONSULT", "<s>The president</s> held talks with <t>the visiting prime minister</t>."),
    ("CONSULT", "<s>The envoy</s> visited <t>Kabul</t> for two days of discussions."),
    ("CONSULT", "<s>The chancellor</s> spoke by phone with <t>the Turkish president</t>."),
]


def _write_plv(path: Path):
    from detente.training.train import strip_marks

    lines = ["uid\tsentence_id\tgold_penta\tgold_root\tsentence\tmarked_sentence\tsource\ttarget"]
    for i, (lab, marked) in enumerate(PLV_ROWS):
        text, _, _ = strip_marks(marked)
        lines.append(f"u{i}\t{i}\t0\t{lab}\t{text}\t{marked}\tx\ty")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _write_news(path: Path):
    """A small codebook file for the learned decision that `detente train` also fits (without
    --news it trains on news_silver and our 30,800 annotated items: half an hour)."""
    ev = {
        "source": {"code": "DEU", "sector": "GOV"},
        "target": {"code": "CHN", "sector": "GOV"},
        "event": "CONSULT",
        "symmetric": False,
    }
    items = [
        {
            "id": "n1",
            "date": "2024-04-14",
            "title": "Chancellor in Beijing",
            "description": "Germany's chancellor arrived in Beijing on Sunday for a three-day visit.",
            "events": [ev],
        },
        {
            "id": "n2",
            "date": "2024-05-26",
            "title": "Rockets fired",
            "description": "Hamas fighters fired rockets at Tel Aviv on Sunday.",
            "events": [
                {
                    "source": {"code": "PSE", "sector": "REB"},
                    "target": {"code": "ISR", "sector": "CVL"},
                    "event": "ASSAULT",
                    "symmetric": False,
                }
            ],
        },
        {
            "id": "n3",
            "date": "2024-06-01",
            "title": "Markets",
            "description": "Stocks rose in Tokyo.",
            "events": [],
        },
    ]
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")


@pytest.fixture(scope="module")
def runner():
    return CliRunner()


def test_eval_plv_shipped_model(tmp_path, runner):
    f = tmp_path / "plv.tsv"
    _write_plv(f)
    out = tmp_path / "pred.tsv"
    r = runner.invoke(eval_group, ["plv", str(f), "--predictions", str(out)])
    assert r.exit_code == 0, r.output
    for word in ("accuracy", "macro-F1", "confusion", "ECE", "pairs/s", "ASSAULT", "relation reader"):
        assert word in r.output
    fast = runner.invoke(eval_group, ["plv", str(f), "--fast", "--json"])
    assert fast.exit_code == 0 and json.loads(fast.output)["encoder"] is False
    preds = [ln.split("\t") for ln in out.read_text().splitlines()]
    assert len(preds) == len(PLV_ROWS) and preds[0][0] == "u0"
    assert all(0.0 <= float(c) <= 1.0 for _, _, c in preds)
    r = runner.invoke(eval_group, ["plv", str(f), "--json"])
    res = json.loads(r.output)
    assert res["accuracy"] >= 0.75 and "calibration" in res and "per_class" in res


def test_eval_plv_cv(tmp_path, runner, monkeypatch):
    pytest.importorskip("torch")
    import detente.training.reader as tt

    monkeypatch.setattr(tt, "EPOCHS", 1)  # the reader is fine-tuned per fold: keep it short here
    f = tmp_path / "plv.tsv"
    _write_plv(f)
    r = runner.invoke(eval_group, ["plv", str(f), "--cv", "2", "--json"])
    assert r.exit_code == 0, r.output
    assert "fold 2/2" in r.stderr  # progress goes to stderr, the JSON alone to stdout
    res = json.loads(r.stdout)
    assert res["mode"].startswith("2-fold") and res["encoder"] is True
    assert "fast_model_only" in res and "reader_only" in res and 0.0 <= res["encoder_share"] <= 1.0
    assert 0.0 <= res["macro_f1"] <= 1.0 and res["n"] == len(PLV_ROWS)


def test_eval_plv_bad_file(tmp_path, runner):
    f = tmp_path / "bad.tsv"
    f.write_text("a\tb\n1\t2\n")
    r = runner.invoke(eval_group, ["plv", str(f)])
    assert r.exit_code == 2 and "error" in r.output


def test_eval_ner(tmp_path, runner):
    f = tmp_path / "ner.txt"
    sents = [
        [("Police", "B-S"), ("arrested", "O"), ("three", "B-T"), ("protesters", "I-T"), (".", "O")],
        [("The", "B-S"), ("army", "I-S"), ("shelled", "O"), ("the", "B-T"), ("village", "I-T"), (".", "O")],
    ]
    f.write_text("\n\n".join("\n".join(f"{w} {t}" for w, t in s) for s in sents) + "\n")
    r = runner.invoke(eval_group, ["ner", str(f), "--json"])
    assert r.exit_code == 0, r.output
    res = json.loads(r.output)
    for k in ("source", "target", "overall"):
        assert set(res[k]) >= {"precision", "recall", "f1"}
    assert res["overall"]["f1"] > 0.5


def test_eval_penta(tmp_path, runner):
    f = tmp_path / "penta.tsv"
    f.write_text(
        "The army shelled the village.\t4\nThe two ministers met in Paris.\t1\n"
        "The president condemned the decision.\t3\nThe spokesman spoke to reporters.\t0\n"
    )
    r = runner.invoke(eval_group, ["penta", str(f)])
    assert r.exit_code == 0, r.output
    assert "accuracy" in r.output and "macro-F1" in r.output
    r = runner.invoke(eval_group, ["penta", str(f), "--json"])
    assert json.loads(r.output)["accuracy"] >= 0.75


def test_eval_events(tmp_path, runner):
    f = tmp_path / "gold.jsonl"
    docs = [
        {
            "id": "a",
            "date": "2024-03-02",
            "text": "Russia attacked Ukraine on Friday.",
            "events": [
                {
                    "actor": [{"code": "RUS", "sector": None}],
                    "recipient": [{"code": "UKR", "sector": None}],
                    "event": "ASSAULT",
                    "symmetric": False,
                }
            ],
        },
        {
            "id": "b",
            "date": "2024-03-02",
            "text": "France and Germany met in Berlin on Friday.",
            "events": [
                {
                    "actor": [{"code": "FRA", "sector": None}],
                    "recipient": [{"code": "DEU", "sector": None}],
                    "event": "CONSULT",
                    "symmetric": True,
                }
            ],
        },
    ]
    f.write_text("\n".join(json.dumps(d) for d in docs) + "\n")
    r = runner.invoke(eval_group, ["events", str(f), "--json"])
    assert r.exit_code == 0, r.output
    res = json.loads(r.output)
    assert res["documents"] == 2
    assert res["micro"]["f1"] >= 0.66
    assert "ASSAULT" in res["per_type"]
    r = runner.invoke(eval_group, ["events", str(f)])
    assert "micro" in r.output


def test_train_small_model_with_reader(tmp_path, runner, monkeypatch):
    pytest.importorskip("torch")
    import detente.training.reader as tt

    monkeypatch.setattr(tt, "EPOCHS", 1)
    f = tmp_path / "plv.tsv"
    _write_plv(f)
    _write_news(tmp_path / "news.jsonl")
    r = runner.invoke(
        train_command,
        ["--plv", str(f), "--out", str(tmp_path / "m"), "--cv", "2", "--news", str(tmp_path / "news.jsonl")],
    )
    assert r.exit_code == 0, r.output
    assert "reader alone" in r.output
    from detente.coding.relation.linear import RelationClassifier

    m = RelationClassifier.load(tmp_path / "m")
    assert m.classes and m.coef.shape[0] == len(m.classes)
    assert m.reader is not None and (tmp_path / "m" / "relation_reader.npz").exists()
    assert m.meta["encoder"]["cv_macro_f1_reader_only"] >= 0
    # the accurate mode's pair reader is fitted on the news pairs beside the pair model
    from detente.coding.events.decision import PAIR_CLASSES
    from detente.coding.events.reader import VECTOR_SIZE, PairReader
    from detente.training.pair_reader import HIDDEN_UNITS, SEEDS

    pr = PairReader.load(tmp_path / "m")
    assert pr.classes == PAIR_CLASSES and pr.side
    assert pr.w1.shape == (len(SEEDS), VECTOR_SIZE + len(pr.side), HIDDEN_UNITS)
    # the saved model evaluates in the accurate mode
    r = runner.invoke(eval_group, ["plv", str(f), "--model", str(tmp_path / "m"), "--json"])
    assert r.exit_code == 0 and json.loads(r.output)["encoder"] is True


def test_train_fast_only_is_reproducible(tmp_path, runner):
    f = tmp_path / "plv.tsv"
    _write_plv(f)
    news = tmp_path / "news.jsonl"
    _write_news(news)
    for out in ("m1", "m2"):
        args = [
            "--plv",
            str(f),
            "--out",
            str(tmp_path / out),
            "--cv",
            "2",
            "--no-encoder",
            "--news",
            str(news),
        ]
        r = runner.invoke(train_command, args)
        assert r.exit_code == 0, r.output
    assert (tmp_path / "m1" / "relation.npz").read_bytes() == (tmp_path / "m2" / "relation.npz").read_bytes()
    assert (tmp_path / "m1" / "pairs.npz").read_bytes() == (tmp_path / "m2" / "pairs.npz").read_bytes()
    assert not (tmp_path / "m1" / "pair_reader.npz").exists()  # --no-encoder: no PyTorch step
    from detente.coding.relation.linear import RelationClassifier

    m = RelationClassifier.load(tmp_path / "m1")
    assert m.reader is None and not m.has_encoder
    # a model without a reader evaluates (in the fast mode) without --fast
    r = runner.invoke(eval_group, ["plv", str(f), "--model", str(tmp_path / "m1"), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["encoder"] is False


@pytest.mark.skipif(not (SHARED / "plover" / "PLV_train.tsv").exists(), reason="shared data absent")
def test_shipped_model_meta():
    from detente.coding.relation.linear import RelationClassifier

    m = RelationClassifier.load_default()
    assert m.meta.get("trained_on") == "PLV_train.tsv"
    assert m.meta.get("cv_macro_f1", 0) > 0.7


def test_synthetic_weak_rows_deterministic_and_well_formed():
    from detente.coding.relation.linear import PLV_CLASSES
    from detente.training.train import strip_marks
    from detente.training.weak import synthetic_rows

    rows = synthetic_rows()
    assert rows == synthetic_rows()  # deterministic (seeded)
    assert {lab for lab, _ in rows} == set(PLV_CLASSES)  # every class gets weak rows
    for lab, marked in rows:
        text, s, t = strip_marks(marked)
        assert s is not None and t is not None and s != t
        assert "<" not in text and text.endswith(".")
    assert len(synthetic_rows(per_template=1)) < len(rows)


def test_cameo_weak_rows(tmp_path):
    from detente.training.weak import cameo_rows, read_cameo2plover

    mp = tmp_path / "c2p.txt"
    mp.write_text(
        "# header\n04: CONSULT\n042: CONSULT, , diplomatic # Make a visit\n"
        "0233: REQUEST, aid # Appeal for humanitarian aid\n145: PROTEST # riot\n"
        "081: RETREAT # Ease administrative sanctions\n"
    )
    assert read_cameo2plover(mp)["081"] == "YIELD"
    cs = tmp_path / "cameo.csv"
    cs.write_text(
        "eventtype_ID,name,code,goldstein,nsLeft,nsRight,description,usage_notes,example,root_code,order\n"
        "1,CONSULT,4,1,1,2,,,,4,1\n2,Make a visit,42,1.9,3,4,,,,4,2\n"
        "3,Appeal for humanitarian aid,233,3.4,5,6,,,,2,3\n4,Protest violently,145,-7,7,8,,,,14,4\n"
        "5,Ease administrative sanctions,81,5,9,10,,,,8,5\n"
    )
    rows = {m: lab for lab, m in cameo_rows(cs, mp)}
    labs = sorted(rows.values())
    assert labs == ["CONSULT", "PROTEST", "REQUEST", "YIELD"]
    assert any("made a visit with <t>" in m for m in rows)


def test_balanced_weights():
    import numpy as np

    from detente.coding.relation.linear import balanced_weights

    y = np.array([0, 0, 0, 1])
    w = balanced_weights(y)
    assert np.allclose(w, [4 / 6, 4 / 6, 4 / 6, 2.0])  # = sklearn's class_weight="balanced"
    w2 = balanced_weights(np.array([0, 0, 1, 1]), np.array([1.0, 0.5, 1.0, 1.0]))
    assert w2[1] == 0.5 * w2[0] and np.isclose(w2.sum(), 3.5)
