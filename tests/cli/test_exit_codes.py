"""One exit-code mapping (detente.errors.ExitCode) and one way to fail with status 2 (FatalError):
each kind of command fails with a single line on standard error and status 2."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from conftest import run_cli
from detente.cli.common import FatalError
from detente.errors import ExitCode, run_exit_code


def test_exit_code_mapping():
    assert [int(c) for c in ExitCode] == [0, 1, 2, 130]
    assert run_exit_code(0) is ExitCode.OK and run_exit_code(3) is ExitCode.ITEMS_SKIPPED
    assert FatalError("x").exit_code == 2


def _one_error_line(r, prefix: str) -> str:
    assert r.returncode == ExitCode.FATAL, (r.returncode, r.stderr)
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(prefix), r.stderr
    return lines[0]


def test_query_watch_analyse_and_code_fail_with_status_2(tmp_path):
    missing = tmp_path / "missing.duckdb"
    line = _one_error_line(run_cli("alerts", "--db", missing), "Error: ")
    assert "no such database" in line
    _one_error_line(run_cli("analyse", "actors", "--db", missing), "Error: ")
    _one_error_line(run_cli("summary", "--db", tmp_path), "Error: ")
    corpus = tmp_path / "c.txt"
    corpus.write_text("Talks were held.")
    line = _one_error_line(
        run_cli("code", corpus, "--db", tmp_path / "x.duckdb", "--out", tmp_path / "nodir" / "o.jsonl"),
        "Error: ",
    )
    assert "nodir" in line
    assert not (tmp_path / "x.duckdb").exists()  # refused before anything was coded


def test_eval_keeps_its_lowercase_error_line(tmp_path):
    line = _one_error_line(run_cli("eval", "plv", tmp_path / "missing.tsv", "--fast"), "error: ")
    assert "missing.tsv" in line


NAP = """
import duckdb
from detente.cli import main

@main.command("nap")
def nap():
    # one DuckDB thread: with several, DuckDB itself now and then misses a SIGINT and runs on
    # (3 in 12 runs of a bare `duckdb` script here, none in 12 with one thread)
    con = duckdb.connect(config={"threads": 1})
    print("ready", flush=True)
    con.execute("SELECT count(*) FROM range(10000000000) a, range(1000) b").fetchall()

main()
"""


def test_ctrl_c_in_a_database_query_of_any_command_exits_130(tmp_path):
    """Ctrl-C that lands inside a DuckDB query (DuckDB reports it as its own exception) is the
    user's interrupt, exit 130 — not a "database error" (2) nor click's "Aborted!" (1)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", NAP, "nap"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(1.0)  # inside the query
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()  # a run that missed the signal must not outlive the test
    assert proc.returncode == ExitCode.INTERRUPTED, err
    assert err.strip().splitlines()[-1] == "interrupted", err
