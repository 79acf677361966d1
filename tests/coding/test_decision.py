"""The learned event decision (decision.py): candidates from every pair of actor mentions, places as
targets, one event per real event within a story, and the codebook-format evaluation.
Sentences are written for these tests (the first six are the plain sentences of the real-news
accuracy issue)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from detente.coding.events.decision import PairModel, candidates, with_places

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"


def _tuples(coder, text, date):
    from detente.coding.coder import code_text

    recs = code_text(text, date=date, coder=coder)
    return {
        (r["actor"][0]["code"], r["event"], r["recipient"][0]["code"] if r["recipient"] else None)
        for r in recs
        if not (r["flags"]["negated"] or r["flags"]["hypothetical"])
    }, recs


@pytest.mark.parametrize(
    "text,date,expected",
    [
        # a capital as the place visited
        (
            "Germany's chancellor arrived in Beijing on Sunday for a three-day visit.",
            "2024-04-14",
            ("DEU", "CONSULT", "CHN"),
        ),
        # a demonym on a nominal event; a town (not in the actor tables) as the place attacked
        ("Israeli strikes hit Rafah overnight, killing 20 people.", "2024-05-10", ("ISR", "ASSAULT", "PSE")),
        # a headline: adjective actor, place after "on" that the parser tags as a common noun
        ("Dozens killed in Russian missile strike on Kharkiv", "2024-05-25", ("RUS", "ASSAULT", "UKR")),
        # a paraphrase of the drills sentence (the issue's own wording is missed, see below)
        ("North Korean troops staged drills aimed at South Korea.", "2024-01-05", ("PRK", "MOBILIZE", "KOR")),
        # an armed group resolved to where it operates; a city as the target
        ("Hamas fighters fired rockets at Tel Aviv on Sunday.", "2024-05-26", ("PSE", "ASSAULT", "ISR")),
        # a demonym as the agent; a town the small parser tags as a person
        ("Russian troops shelled Kherson overnight.", "2024-05-25", ("RUS", "ASSAULT", "UKR")),
        # a person by her role on the story date
        ("Ursula von der Leyen praised Moldova's reforms.", "2024-06-20", ("EUR", "SUPPORT", "MDA")),
        # learned from the 30,800 annotated items (annotations/); missed by the model trained on 2,000
        (
            "Chinese hackers breached US telecom networks, officials said.",
            "2024-11-13",
            ("CHN", "COERCE", "USA"),
        ),
        (
            "Thousands of Serbians protested outside the U.S. embassy in Belgrade.",
            "2024-03-24",
            ("SRB", "PROTEST", "USA"),
        ),
        # missed by the model trained on 32,800 items (0.33 < 0.4); learned with draw F's 12,778 more
        (
            "North Korea staged artillery drills aimed at South Korea.",
            "2024-01-05",
            ("PRK", "MOBILIZE", "KOR"),
        ),
    ],
)
def test_plain_sentences_give_the_expected_tuple(coder, text, date, expected):
    got, recs = _tuples(coder, text, date)
    assert expected in got, (text, recs)


def test_every_pair_of_mentions_is_a_candidate(nlp, coder):
    doc = nlp("Chinese hackers breached US telecom networks, officials said.")
    mentions = coder.actor_finder.find(doc, None)
    cands = candidates(doc, mentions)
    keys = {(mentions[c.src].actor.code, mentions[c.tgt].actor.code) for c in cands}
    assert {("CHN", "USA"), ("USA", "CHN")} <= keys


def test_places_become_candidates_for_their_country(nlp, coder):
    doc = nlp("Russian missiles struck Odesa and Kharkiv.")
    mentions = with_places(doc, coder.actor_finder.find(doc, None), coder.pair_decider.gazetteer)
    places = {m.text: m.actor.code for m in mentions if m.actor.kind == "place"}
    assert places.get("Odesa") == "UKR" and places.get("Kharkiv") == "UKR"
    assert all(m.is_location for m in mentions if m.actor.kind == "place")


def test_same_event_in_title_and_lead_is_one_event_with_two_mentions(tmp_path):
    story = tmp_path / "story.txt"
    story.write_text(
        "Title: Russian missiles strike Kyiv\nDate: 2024-06-02\n\n"
        "Russian missiles struck Kyiv early on Sunday, killing four people, the city's "
        "mayor said.\n",
        encoding="utf-8",
    )
    db = tmp_path / "s.duckdb"
    out = subprocess.run(
        [sys.executable, "-m", "detente", "code", str(story), "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute(
        "SELECT source_code, event, target_code, record FROM events "
        "WHERE source_code = 'RUS' AND target_code = 'UKR' AND event = 'ASSAULT'"
    ).fetchall()
    text = con.execute("SELECT text FROM documents").fetchone()[0]
    con.close()
    assert len(rows) == 1, rows
    evidence = json.loads(rows[0][3])["evidence"]
    assert len(evidence) == 2
    sentences = [text[e["start"] : e["end"]] for e in evidence]
    assert any("Russian missiles strike Kyiv" in s for s in sentences)
    assert any("struck Kyiv early on Sunday" in s for s in sentences)


def test_flags_still_apply_to_decided_events(coder):
    got, recs = _tuples(coder, "Russia did not attack Ukraine's power grid on Sunday.", "2024-06-02")
    assert ("RUS", "ASSAULT", "UKR") not in got
    assert all(r["flags"]["negated"] for r in recs if r["event"] == "ASSAULT")


def test_pair_model_round_trips(tmp_path):
    import numpy as np

    from detente.training.pairs import fit_pairs

    feats = [{"a": 1.0}, {"b": 1.0}, {"a": 1.0, "c": 0.5}, {"b": 1.0, "c": 1.0}] * 5
    y = np.zeros((20, 15), np.float32)
    y[::2, 3] = 1.0  # rows with "a" are class 3
    model = fit_pairs(feats, y)
    model.save(tmp_path)
    back = PairModel.load(tmp_path)
    p = back.proba([{"a": 1.0}, {"b": 1.0}])
    assert p[0, 3] > 0.5 > p[1, 3]
    assert np.allclose(p, model.proba([{"a": 1.0}, {"b": 1.0}]))


# -- evaluation in the codebook format --------------------------------------------------------


def _codebook_file(tmp_path) -> Path:
    items = [
        {
            "id": "a1",
            "date": "2024-06-02",
            "title": "Russian missiles strike Kyiv",
            "description": "Russian missiles struck Kyiv on Sunday, the mayor said.",
            "events": [
                {
                    "source": {"code": "RUS", "sector": "MIL", "text": "Russian"},
                    "target": {"code": "UKR", "sector": "CVL", "text": "Kyiv"},
                    "event": "ASSAULT",
                    "symmetric": False,
                    "historical": False,
                    "trigger": "strike",
                    "evidence": "x",
                }
            ],
        },
        {
            "id": "a2",
            "date": "2024-04-14",
            "title": "Scholz in China",
            "description": "Germany's chancellor arrived in Beijing on Sunday for a three-day visit.",
            "events": [
                {
                    "source": {"code": "DEU", "sector": "GOV", "text": "Germany's chancellor"},
                    "target": {"code": "CHN", "sector": "GOV", "text": "Beijing"},
                    "event": "CONSULT",
                    "symmetric": False,
                    "historical": False,
                    "trigger": "visit",
                    "evidence": "x",
                },
                {
                    "source": {"code": "DEU", "sector": "GOV", "text": "Germany"},
                    "target": {"code": "FRA", "sector": "GOV", "text": "France"},
                    "event": "AGREE",
                    "symmetric": True,
                    "historical": False,
                    "trigger": "x",
                    "evidence": "x",
                },
            ],
        },
        {
            "id": "a3",
            "date": "2024-03-01",
            "title": "Markets rise in Tokyo",
            "description": "Shares rose on Friday.",
            "events": [],
        },
    ]
    p = tmp_path / "gold.jsonl"
    p.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return p


def test_eval_events_reads_the_codebook_format(tmp_path):
    gold = _codebook_file(tmp_path)
    out = subprocess.run(
        [sys.executable, "-m", "detente", "eval", "events", str(gold), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout)
    ev = res["event"]
    assert ev["gold"] == 3
    # the attack and the visit are in the text and found; the AGREE with France is not in the text
    assert ev["recall"] == round(2 / 3, 3)
    assert res["event"]["missed"] == {"only the source seen": 1}
    assert res["event"]["per_type"]["ASSAULT"]["recall"] == 1.0
    assert res["event"]["per_type"]["CONSULT"]["recall"] == 1.0


def test_score_news_follows_the_codebook_tuple_rules(tmp_path):
    from detente.training.evaluate import score_news
    from detente.training.pairs import read_codebook

    items = read_codebook(_codebook_file(tmp_path))

    def rec(src, event, tgt, sector="GOV", **flags):
        return {
            "actor": [{"code": src, "sector": sector}],
            "recipient": [{"code": tgt, "sector": "GOV"}],
            "event": event,
            "flags": flags,
        }

    preds = {
        "a1": [
            rec("RUS", "ASSAULT", "UKR"),
            rec("UKR", "ASSAULT", "RUS"),  # right, reversed (wrong)
            rec("RUS", "ASSAULT", "UKR", negated=True),
        ],  # ignored
        "a2": [
            rec("CHN", "CONSULT", "DEU"),  # reversed, not symmetric
            rec("FRA", "AGREE", "DEU"),  # symmetric gold: either way
            rec("DEU", "RETREAT", "GBR"),
        ],  # not in gold
        "a3": [rec("UNO", "SUPPORT", "JPN", sector="IGO")],  # an organisation: ORG
    }
    res = score_news(items, preds)
    ev = res["event"]
    # predicted distinct tuples: 2 + 3 + 1 = 6, of which 2 are right; gold 3, of which 2 found
    assert (ev["pred"], ev["gold"]) == (6, 3)
    assert ev["precision"] == round(2 / 6, 3) and ev["recall"] == round(2 / 3, 3)
    assert ev["missed"] == {"reversed direction": 1}
    assert res["dyad"]["recall"] == round(2 / 3, 3)


def test_eval_events_matches_the_reference_scorer(tmp_path):
    scorer = SHARED / "tools" / "score_events.py"
    silver = SHARED / "data" / "news_silver" / "news_silver_2023.jsonl"
    if not (scorer.exists() and silver.exists()):
        pytest.skip("reference scorer and news_silver not present")
    sample = tmp_path / "sample.jsonl"
    sample.write_text(
        "".join(silver.read_text(encoding="utf-8").splitlines(keepends=True)[:60]), encoding="utf-8"
    )
    docs = tmp_path / "docs.jsonl"
    with open(docs, "w") as fh:
        subprocess.run([sys.executable, str(scorer), "docs", str(sample)], stdout=fh, check=True)
    pred = tmp_path / "pred.jsonl"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "detente",
            "code",
            str(docs),
            "--db",
            str(tmp_path / "x.duckdb"),
            "--out",
            str(pred),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    ref = (
        subprocess.run(
            [sys.executable, str(scorer), "score", str(sample), str(pred)],
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    ours = subprocess.run(
        [sys.executable, "-m", "detente", "eval", "events", str(sample)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout.splitlines()
    assert ref in ours, (ref, ours[:3])


def test_eval_events_cross_validation_runs_by_item(tmp_path):
    gold = _codebook_file(tmp_path)
    out = subprocess.run(
        [sys.executable, "-m", "detente", "eval", "events", str(gold), "--cv", "3", "--json"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout)
    assert res["mode"] == "3-fold cross-validation by item"
    assert res["event"]["gold"] == 3


def test_eval_events_cross_validation_in_the_accurate_mode_fits_a_pair_reader_per_fold(tmp_path):
    pytest.importorskip("torch")
    gold = _codebook_file(tmp_path)
    out = subprocess.run(
        [sys.executable, "-m", "detente", "eval", "events", str(gold), "--cv", "3", "--accurate", "--json"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    from detente.training.pair_reader import SEEDS

    # one reader per fold (a network per seed), none shipped
    assert out.stderr.count(") epoch 1/") == 3 * len(SEEDS) and "pair reader (seed 0)" in out.stderr
    res = json.loads(out.stdout)
    assert res["mode"] == "3-fold cross-validation by item" and res["event"]["gold"] == 3


def test_a_decider_set_on_the_coder_is_the_one_that_codes():
    """`detente eval events --cv` swaps each fold's model in through `coder.pair_decider`; the events
    component must then score with it (it kept the shipped model, trained on the scored items,
    and the cross-validated F1 read 0.853 instead of 0.481)."""
    from detente.coding.coder import Coder

    coder = Coder()
    text, date = "Israeli strikes hit Rafah overnight, killing 20 people.", "2024-05-10"
    assert ("ISR", "ASSAULT", "PSE") in _tuples(coder, text, date)[0]
    shipped = coder.pair_decider
    coder.pair_decider = None  # the rule path alone does not code this headline-style sentence
    assert ("ISR", "ASSAULT", "PSE") not in _tuples(coder, text, date)[0]
    coder.pair_decider = shipped
    assert ("ISR", "ASSAULT", "PSE") in _tuples(coder, text, date)[0]
