"""`detente code --engine dask` keeps the id policy of the local engine (issue 14, item 2) and
writes --out like a local run: real subprocesses, a real Dask LocalCluster, real DuckDB files."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from conftest import run_cli

ATTACK = "Title: Attack\n\nRussian troops attacked Ukrainian positions near Kharkiv on Sunday.\n"
THREAT = "Title: Threat\n\nIran threatened Israel with retaliation on Tuesday.\n"
AID = "Title: Aid\n\nGermany sent humanitarian aid to Sudan on Monday.\n"

pytestmark = pytest.mark.slow


def stored(db: Path) -> dict[str, str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return dict(con.execute("SELECT id, origin FROM documents").fetchall())
    finally:
        con.close()


def dask_code(tmp_path: Path, *args):
    return run_cli(
        "code",
        *args,
        "--engine",
        "dask",
        "--workers",
        "1",
        "--parquet-dir",
        tmp_path / "parquet",
        timeout=600,
    )


def test_dask_reports_id_collisions_naming_both_and_keeps_every_other_story(tmp_path):
    root = tmp_path / "root"
    (root / "dirA").mkdir(parents=True)
    (root / "dirB").mkdir()
    (root / "dirA" / "story.txt").write_text(ATTACK, encoding="utf-8")
    (root / "dirB" / "story.txt").write_text(THREAT, encoding="utf-8")
    (root / "dirB" / "other.txt").write_text(AID, encoding="utf-8")
    recs = root / "recs.jsonl"
    lines = [
        {"id": 7, "text": "India accused Pakistan of shelling villages in Kashmir."},
        {"id": "7", "text": "Germany sent humanitarian aid to Sudan."},
        {"id": 7, "text": "India accused Pakistan of shelling villages in Kashmir."},  # a repeat
    ]
    recs.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    db = tmp_path / "e.duckdb"
    out = tmp_path / "events.jsonl"

    r = dask_code(tmp_path, root, "--db", db, "--out", out)
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr, r.stderr[-3000:]
    errs = [ln for ln in r.stderr.splitlines() if ln.startswith("error: ")]
    assert f"error: {recs}:2: id '7' is already used by '{recs}:1' with a different text" in r.stderr, errs
    assert len(errs) == 1, errs
    assert stored(db) == {
        "dirA/story": f"{root}/dirA/story.txt",
        "dirB/story": f"{root}/dirB/story.txt",
        "dirB/other": f"{root}/dirB/other.txt",
        "7": f"{recs}:1",
    }
    # --out holds the events of the documents read (it was silently never written before)
    records = [json.loads(ln) for ln in out.read_text(encoding="utf-8").splitlines()]
    assert records and {r["doc_id"] for r in records} <= {"dirA/story", "dirB/story", "dirB/other", "7"}
    assert any(r["doc_id"] == "dirA/story" and r["event"] == "ASSAULT" for r in records), records

    # An edited story under a stored id is an error on the rerun, never a silent skip; the rest
    # are repeats ("already stored").
    (root / "dirB" / "other.txt").write_text(ATTACK.replace("Sunday", "Monday"), encoding="utf-8")
    r = dask_code(tmp_path, root, "--db", db)
    assert r.returncode == 1, r.stderr
    errs2 = [ln for ln in r.stderr.splitlines() if ln.startswith("error: ")]
    assert f"error: {root}/dirB/other.txt: id 'dirB/other' is already used by '{root}/dirB/other.txt'" in (
        "\n".join(errs2)
    ), errs2
    assert len(errs2) == 2, errs2
    assert stored(db)["dirB/other"] == f"{root}/dirB/other.txt"
    assert len(stored(db)) == 4
