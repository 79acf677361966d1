"""Crash safety: `detente code` killed with SIGKILL at random points, many times over.

After every kill the database must open and be consistent (every document has exactly its
n_events events, no event without its document, no duplicate ids, the near-duplicate index only
describes stored documents); after the last kill a plain rerun must end with exactly the documents
and events of an uninterrupted run of the same command.

The whole process group is killed (the coder and any worker processes), as a power cut would.
Loops: DETENTE_KILL_LOOPS (default 12); seed: DETENTE_KILL_SEED (default 20241118).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

import hostile

N_DOCS = 240
N_COPIES = 12  # near-duplicate copies of earlier stories, folded by dedup
KILLS = int(os.environ.get("DETENTE_KILL_LOOPS", "12"))
SEED = int(os.environ.get("DETENTE_KILL_SEED", "20241118"))


def make_corpus(d: Path) -> tuple[list[Path], set[str]]:
    d.mkdir()
    rng = random.Random(SEED)
    recs = [
        {"id": f"k{i}", "date": f"2024-11-{1 + i % 28:02d}", "text": hostile.varied_story(i + 1000)}
        for i in range(N_DOCS)
    ]
    for j in range(N_COPIES):  # updated copies of earlier stories, later in the stream
        src = recs[rng.randrange(0, N_DOCS // 2)]
        recs.insert(
            N_DOCS // 2 + j * 10,
            {"id": f"copy{j}", "date": src["date"], "text": src["text"] + " Updated at 10:00 GMT."},
        )
    (d / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    (d / "stories").mkdir()
    for name, text in hostile.GOOD.items():
        (d / "stories" / name).write_text(text, encoding="utf-8")
    ids = {r["id"] for r in recs} | {n[:-4] for n in hostile.GOOD}
    return [d / "stories", d / "corpus.jsonl"], ids


def cmd(inputs, db, extra=()):
    return [sys.executable, "-m", "detente", "code", *map(str, inputs), "--db", str(db), "-q", *extra]


def snapshot(db: Path) -> dict:
    """Open the database (read-only, as a reader after a crash would) and check its invariants."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        docs = con.execute("SELECT id, n_events, duplicate_of FROM documents").fetchall()
        ev = con.execute("SELECT id, doc_id FROM events").fetchall()
        ids = [d[0] for d in docs]
        assert len(ids) == len(set(ids)), "duplicate document ids"
        assert len(ev) == len({e[0] for e in ev}), "duplicate event ids"
        assert not con.execute(
            "SELECT count(*) FROM events e LEFT JOIN documents d ON d.id = e.doc_id WHERE d.id IS NULL"
        ).fetchone()[0], "event without its document"
        short = con.execute(
            "SELECT d.id, d.n_events, count(e.id) FROM documents d LEFT JOIN events e "
            "ON e.doc_id = d.id WHERE d.duplicate_of IS NULL GROUP BY d.id, d.n_events "
            "HAVING count(e.id) <> d.n_events"
        ).fetchall()
        assert not short, f"documents without all their events: {short[:5]}"
        assert not con.execute(
            "SELECT count(*) FROM mentions m LEFT JOIN documents d ON d.id = m.doc_id WHERE d.id IS NULL"
        ).fetchone()[0], "mention without its document"
        assert not con.execute(
            "SELECT count(*) FROM mentions m LEFT JOIN events e ON e.id = m.event_id WHERE e.id IS NULL"
        ).fetchone()[0], "mention without its event"
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if "doc_signatures" in tables:
            assert not con.execute(
                "SELECT count(*) FROM doc_signatures s LEFT JOIN documents d "
                "ON d.id = s.doc_id WHERE d.id IS NULL"
            ).fetchone()[0], "near-duplicate index entry without its document"
        return {
            "docs": {d[0]: (d[1], d[2]) for d in docs},
            "events": {e[0]: e[1] for e in ev},
            "mentions": set(con.execute("SELECT event_id, doc_id FROM mentions").fetchall()),
        }
    finally:
        con.close()


def kill_group(p: subprocess.Popen) -> None:
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    p.wait(timeout=60)


@pytest.mark.slow
def test_sigkill_loop_never_corrupts_and_rerun_is_exact(tmp_path):
    inputs, ids = make_corpus(tmp_path / "in")
    ref_db, db = tmp_path / "ref.duckdb", tmp_path / "killed.duckdb"
    wal = db.with_name(db.name + ".wal")

    def wal_size() -> int:
        try:
            return wal.stat().st_size
        except FileNotFoundError:
            return 0

    # The uninterrupted reference run goes on beside the kill loop (two cores).
    ref = subprocess.Popen(cmd(inputs, ref_db), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rng = random.Random(SEED)
    stats = {
        "runs": 0,
        "kills": 0,
        "kills_while_writing": 0,
        "kills_before_first_write": 0,
        "runs_finished_before_kill": 0,
        "integrity_checks_passed": 0,
        "docs_after_each_kill": [],
    }
    t_start = time.monotonic()
    while stats["kills"] < KILLS:
        stats["runs"] += 1
        extra = ["--batch-size", str(rng.choice([4, 8, 16]))]
        if rng.random() < 0.25:
            extra += ["--workers", "2"]
        p = subprocess.Popen(
            cmd(inputs, db, extra),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        t0 = time.monotonic()
        if rng.random() < 0.25:
            # Anywhere, start-up and schema creation included.
            deadline = t0 + rng.uniform(0.2, 5.0)
            writing = False
        else:
            # While batches are being written: once the write-ahead log has grown by a first batch
            # (schema statements add ~2.5 KB; a batch tens of KB), a random moment later.
            low = wal_size()
            while p.poll() is None and time.monotonic() - t0 < 120:
                size = wal_size()
                low = min(low, size)
                if size > low + 8000:
                    break
                time.sleep(0.01)
            deadline = time.monotonic() + rng.uniform(0.0, 2.0)
            writing = True
        while p.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        if p.poll() is not None:
            err = p.stderr.read()
            assert p.returncode == 0, err[-3000:]
            stats["runs_finished_before_kill"] += 1
            if len(snapshot(db)["docs"]) == len(ids):
                break  # nothing left to kill
            continue
        kill_group(p)
        p.stderr.close()
        stats["kills"] += 1
        stats["kills_while_writing" if writing else "kills_before_first_write"] += 1
        if db.exists():
            snap = snapshot(db)  # raises if unreadable or inconsistent
            stats["docs_after_each_kill"].append(len(snap["docs"]))
            stats["integrity_checks_passed"] += 1
        else:
            stats["docs_after_each_kill"].append(0)
            stats["integrity_checks_passed"] += 1
    final = subprocess.run(cmd(inputs, db), capture_output=True, text=True, timeout=600, check=False)
    assert final.returncode == 0, final.stderr[-3000:]
    _ref_out, ref_err = ref.communicate(timeout=600)
    assert ref.returncode == 0, ref_err[-3000:]
    got, want = snapshot(db), snapshot(ref_db)
    assert set(want["docs"]) == ids
    assert got["docs"] == want["docs"], "documents (n_events, duplicate_of) differ from an uninterrupted run"
    assert got["events"] == want["events"], "event ids differ from an uninterrupted run"
    assert got["mentions"] == want["mentions"]
    stats["seconds"] = round(time.monotonic() - t_start, 1)
    stats["documents"] = len(got["docs"])
    stats["events"] = len(got["events"])
    stats["near_duplicates"] = sum(1 for v in got["docs"].values() if v[1])
    print("\nkill-loop statistics:", json.dumps(stats))
    assert stats["kills"] >= min(KILLS, 5), stats
    assert stats["kills_while_writing"] >= 1, stats
