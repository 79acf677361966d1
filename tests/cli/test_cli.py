"""End to end through the real `detente` command: real files in, a real DuckDB file out."""

from __future__ import annotations

import json

import duckdb
import pytest

from conftest import REPO, run_cli
from detente.model import PLOVER_TYPES

STORIES = {
    "talks.txt": "Title: Ministers meet\nDate: 2024-11-18\n\n"
    "Chinese Foreign Minister Wang Yi met Japanese officials in Tokyo on Saturday. "
    "Russian troops attacked Ukrainian positions near Kharkiv on Sunday.\n",
    "aid.txt": "Title: Aid pledged\nDate: 2024-06-03\n\n"
    "Germany sent humanitarian aid to Sudan. Iran threatened Israel with retaliation.\n",
}

REQUIRED = {
    "id",
    "doc_id",
    "date",
    "actor",
    "recipient",
    "event",
    "mode",
    "context",
    "quad_code",
    "cameo_code",
    "goldstein",
    "event_scale",
    "event_loc",
    "event_text",
    "text",
    "span",
    "confidence",
    "flags",
    "coder_version",
}


def check_record(r, doc_texts):
    assert REQUIRED <= set(r), REQUIRED - set(r)
    assert r["event"] in PLOVER_TYPES
    assert r["quad_code"] in (1, 2, 3, 4)
    assert isinstance(r["context"], list)
    assert r["actor"], "every event has an actor"
    for a in r["actor"] + r["recipient"]:
        assert set(a) >= {"code", "sector", "text"} and a["code"]
    assert 0.0 <= r["confidence"] <= 1.0
    assert set(r["flags"]) == {"negated", "hypothetical", "future", "historical"}
    text = doc_texts[r["doc_id"]]
    assert text[r["span"]["start"] : r["span"]["end"]] == r["text"], "span points at the evidence sentence"
    assert r["event_text"] and r["event_text"].split()[0] in r["text"]
    if r["event_loc"] is not None:
        assert set(r["event_loc"]) >= {"text", "name", "country_code", "lat", "lon", "geonameid"}


@pytest.fixture()
def story_dir(tmp_path):
    d = tmp_path / "stories"
    d.mkdir()
    for name, text in STORIES.items():
        (d / name).write_text(text, encoding="utf-8")
    return d


def test_code_store_rerun_and_out(tmp_path, story_dir):
    db = tmp_path / "e.duckdb"
    out = tmp_path / "e.jsonl"
    r = run_cli("code", story_dir, "--db", db, "--out", out)
    assert r.returncode == 0, r.stderr
    assert "2 documents coded" in r.stderr
    con = duckdb.connect(str(db), read_only=True)
    docs = dict(con.execute("SELECT id, text FROM documents").fetchall())
    n_events = con.execute("SELECT count(*) FROM events").fetchone()[0]
    con.close()
    assert set(docs) == {"talks", "aid"}
    recs = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(recs) == n_events >= 3
    for rec in recs:
        check_record(rec, docs)
    found = {(r["actor"][0]["code"], r["event"], (r["recipient"] or [{}])[0].get("code")) for r in recs}
    assert ("RUS", "ASSAULT", "UKR") in found
    assert ("DEU", "AID", "SDN") in found

    # Rerun: nothing added, and --out still lists the inputs' events.
    r2 = run_cli("code", story_dir, "--db", db, "--out", tmp_path / "again.jsonl")
    assert r2.returncode == 0, r2.stderr
    assert "0 documents coded" in r2.stderr and "2 already stored" in r2.stderr
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == n_events
    assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 2
    con.close()
    assert len((tmp_path / "again.jsonl").read_text().splitlines()) == n_events


def test_bad_items_are_reported_and_good_ones_kept(tmp_path, story_dir):
    (story_dir / "broken.jsonl").write_text(
        '{"id": "j1", "date": "2024-05-05", "text": "France condemned Iran."}\n{oops\n'
        '{"id": "j2", "date": "not a date", "text": "x"}\n',
        encoding="utf-8",
    )
    (story_dir / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    db = tmp_path / "e.duckdb"
    r = run_cli("code", story_dir, "--db", db)
    assert r.returncode == 1, r.stderr
    assert f"{story_dir / 'broken.jsonl'}:2: malformed JSON" in r.stderr
    assert f"{story_dir / 'broken.jsonl'}:3: bad date" in r.stderr
    assert "binary.txt: binary file" in r.stderr
    assert "3 items skipped with errors" in r.stderr
    con = duckdb.connect(str(db), read_only=True)
    assert {x[0] for x in con.execute("SELECT id FROM documents").fetchall()} == {"talks", "aid", "j1"}
    con.close()


def test_usage_and_fatal_errors(tmp_path):
    assert run_cli("code", "--no-such-option", "x").returncode == 2
    assert run_cli("code").returncode == 2
    bad_db = tmp_path / "not.duckdb"
    bad_db.write_bytes(b"this is not a database" * 100)
    (tmp_path / "s.txt").write_text("Title: T\n\nFrance met Chad.", encoding="utf-8")
    r = run_cli("code", tmp_path / "s.txt", "--db", bad_db)
    assert r.returncode == 2 and "not a DuckDB database" in r.stderr
    assert bad_db.read_bytes() == b"this is not a database" * 100
    r = run_cli("events", "--db", tmp_path / "missing.duckdb")
    assert r.returncode == 2 and "no such database" in r.stderr


def test_stdin_and_query_and_export(tmp_path):
    db = tmp_path / "e.duckdb"
    story = "Title: Threat\nDate: 2024-11-20\n\nIran threatened Israel with retaliation on Tuesday.\n"
    r = run_cli("code", "-", "--db", db, input=story)
    assert r.returncode == 0, r.stderr
    r = run_cli("events", "--db", db, "--dyad", "IRN,ISR", "--format", "jsonl")
    assert r.returncode == 0, r.stderr
    recs = [json.loads(x) for x in r.stdout.splitlines()]
    assert recs and all(x["event"] == "THREATEN" for x in recs)
    r = run_cli("events", "--db", db, "--type", "THREATEN")
    assert "THREATEN" in r.stdout and "IRN" in r.stdout
    r = run_cli("events", "--db", db, "--type", "NONSENSE")
    assert r.returncode == 2 and "unknown event type" in r.stderr
    r = run_cli("export", "--db", db, "--format", "parquet", "--out", tmp_path / "e.parquet")
    assert r.returncode == 0, r.stderr
    got = (
        duckdb.connect()
        .execute(f"SELECT source_code, event, target_code FROM '{tmp_path / 'e.parquet'}'")
        .fetchall()
    )
    assert ("IRN", "THREATEN", "ISR") in got
    r = run_cli("summary", "--db", db)
    assert r.returncode == 0 and "IRN -> ISR" in r.stdout


def test_bundled_examples_code_cleanly(tmp_path):
    stories = REPO / "examples" / "stories"
    if not any(stories.glob("*.txt")):
        pytest.skip("no bundled stories")
    db = tmp_path / "demo.duckdb"
    r = run_cli("code", stories, "--db", db, "--out", tmp_path / "demo.jsonl")
    assert r.returncode == 0, r.stderr
    con = duckdb.connect(str(db), read_only=True)
    docs = dict(con.execute("SELECT id, text FROM documents").fetchall())
    types = {x[0] for x in con.execute("SELECT DISTINCT event FROM events").fetchall()}
    con.close()
    assert len(docs) >= 15
    for line in (tmp_path / "demo.jsonl").read_text(encoding="utf-8").splitlines():
        check_record(json.loads(line), docs)
    assert len(types) >= 12, types


def test_python_api(tmp_path, coder):
    import detente
    from detente.coding.coder import code_text

    recs = code_text(
        "Russian forces shelled Kharkiv, Ukrainian officials said.", date="2024-03-02", coder=coder
    )
    assert any(r["event"] == "ASSAULT" and r["actor"][0]["code"] == "RUS" for r in recs)
    assert all(r["date"] for r in recs)
    db = tmp_path / "api.duckdb"
    run_cli("code", "-", "--db", db, input="Title: T\nDate: 2024-01-02\n\nEgypt hosted talks with Qatar.")
    store = detente.open(str(db))
    df = store.events()
    assert len(df) >= 1 and "event" in df.columns
    store.close()
