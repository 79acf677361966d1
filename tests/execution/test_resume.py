"""Crash-safe, resumable runs: a real `detente code` subprocess killed mid-run, then rerun."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from conftest import REPO, run_cli
from scale_corpus import write_corpus

N = 160


def snapshot(db: Path) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("documents", "events", "mentions", "event_actors", "lsh_bands", "doc_signatures")
        }
        out["event_ids"] = [r[0] for r in con.execute("SELECT id FROM events ORDER BY id").fetchall()]
        out["dups"] = con.execute(
            "SELECT id, duplicate_of FROM documents WHERE duplicate_of IS NOT NULL ORDER BY id"
        ).fetchall()
        out["distinct_docs"] = con.execute("SELECT count(DISTINCT id) FROM documents").fetchone()[0]
    finally:
        con.close()
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("resume")
    path = d / "corpus.jsonl"
    rows = write_corpus(path, N, seed=3, copies_every=8)
    ref = d / "ref.duckdb"
    r = run_cli("code", path, "--db", ref, "--batch-size", 8, "-q")
    assert r.returncode == 0, r.stderr
    return path, len(rows), snapshot(ref)


def _start(corpus: Path, db: Path, *extra) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "detente",
            "code",
            str(corpus),
            "--db",
            str(db),
            "--batch-size",
            "8",
            "-q",
            *map(str, extra),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=REPO,
        start_new_session=True,
    )


def _wait_for_some_batches(proc, db: Path, min_wal_bytes: int = 60_000, timeout: float = 240):
    """Wait until some batches have been committed (the write-ahead log grows with each)."""
    wal = Path(str(db) + ".wal")
    t0 = time.time()
    while time.time() - t0 < timeout:
        if proc.poll() is not None:
            pytest.fail(f"run ended before it could be killed: {proc.stderr.read().decode()[-2000:]}")
        size = (wal.stat().st_size if wal.exists() else 0) + (db.stat().st_size if db.exists() else 0)
        if wal.exists() and wal.stat().st_size > min_wal_bytes:
            return size
        time.sleep(0.05)
    pytest.fail("no batch was written in time")


@pytest.mark.parametrize("sig,workers", [(signal.SIGKILL, 1), (signal.SIGKILL, 2), (signal.SIGINT, 1)])
def test_killed_run_resumes_without_duplicates(tmp_path, corpus, sig, workers):
    path, total, ref = corpus
    assert ref["documents"] == total and ref["events"] > 0 and ref["dups"]
    db = tmp_path / "k.duckdb"
    proc = _start(path, db, "--workers", workers)
    _wait_for_some_batches(proc, db)
    if sig == signal.SIGKILL:
        os.killpg(proc.pid, signal.SIGKILL)  # the whole job, as a crash or `kill -9` would
    else:
        os.kill(proc.pid, signal.SIGINT)  # Ctrl-C
    rc = proc.wait(timeout=60)
    if sig == signal.SIGINT:
        assert rc == 130, proc.stderr.read().decode()[-3000:]
    mid = snapshot(db)  # the database opens fine after the kill
    assert 0 < mid["documents"] < total, "kill landed outside the run; make the corpus bigger"
    assert mid["distinct_docs"] == mid["documents"]
    # whole batches only: every stored document has its mentions/events (none half-written)
    con = duckdb.connect(str(db), read_only=True)
    orphans = con.execute(
        "SELECT count(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE d.id = e.doc_id)"
    ).fetchone()[0]
    con.close()
    assert orphans == 0

    r = run_cli("code", path, "--db", db, "--batch-size", 8, "-q", "--workers", workers)
    assert r.returncode == 0, r.stderr
    done = snapshot(db)
    assert done == ref  # exactly the uninterrupted run's contents
    # and a third run adds nothing
    r = run_cli("code", path, "--db", db, "--batch-size", 8)
    assert r.returncode == 0
    assert f"{total:,} already stored" in r.stderr
    assert snapshot(db) == ref
