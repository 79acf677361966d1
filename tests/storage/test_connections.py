"""storage.connections: the one retry-on-lock helper, against a real DuckDB file locked by a real
second process."""

from __future__ import annotations

import subprocess
import sys
import time

import duckdb
import pytest

from detente.storage.connections import StoreError, connect, is_lock_error

# Holds the file's write lock for the given seconds, printing "locked" once it has it.
HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def _hold_lock(path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_writer_waits_for_a_short_lock(tmp_path):
    db = tmp_path / "x.duckdb"
    duckdb.connect(str(db)).close()
    holder = _hold_lock(db, 1.0)
    try:
        t0 = time.monotonic()
        con = connect(db, read_only=False, retry_seconds=20)
        waited = time.monotonic() - t0
        con.execute("CREATE TABLE t (x INTEGER)")
        con.close()
    finally:
        holder.wait(timeout=30)
    assert waited > 0.3  # it did find the file locked and retried


def test_writer_gives_up_and_reader_does_not_wait(tmp_path):
    db = tmp_path / "x.duckdb"
    duckdb.connect(str(db)).close()
    holder = _hold_lock(db, 30.0)
    try:
        t0 = time.monotonic()
        with pytest.raises(StoreError, match="in use by another process"):
            connect(db, read_only=False, retry_seconds=0.5)
        assert 0.4 < time.monotonic() - t0 < 10
        t0 = time.monotonic()
        with pytest.raises(StoreError, match="in use by another process"):
            connect(db, read_only=True, retry_seconds=10)
        assert time.monotonic() - t0 < 5  # a reader fails at once
    finally:
        holder.kill()
        holder.wait(timeout=30)


def test_other_failures_are_not_lock_errors(tmp_path):
    bad = tmp_path / "not-a-db.duckdb"
    bad.write_bytes(b"\0" * 8 + b"JUNK" + b"\0" * 4096)
    with pytest.raises(StoreError, match="cannot open database"):
        connect(bad, read_only=False, retry_seconds=5)
    assert not is_lock_error(duckdb.IOException("IO Error: No such file or directory"))
    assert not is_lock_error(duckdb.CatalogException("lock"))  # only an IOException is a lock
