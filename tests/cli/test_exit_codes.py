"""One exit-code mapping (detente.errors.ExitCode) and one way to fail with status 2 (FatalError):
each kind of command fails with a single line on standard error and status 2."""

from __future__ import annotations

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
