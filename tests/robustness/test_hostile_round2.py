"""Hostile input, round two (issue 14: files, ingest, store, CLI, packaging).

Every case runs the real `detente` command in a subprocess on real files, with a real DuckDB
file, and checks what a user would see (exit status, the error lines) and what was stored.
docs/ROBUSTNESS.md lists each case with its outcome.
"""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
import subprocess
import threading
import time
import tomllib
from pathlib import Path

import duckdb
import pytest

from conftest import REPO, run_cli

AID = "Title: Aid\n\nGermany sent humanitarian aid to Sudan on Monday.\n"
ATTACK = "Title: Attack\n\nRussian troops attacked Ukrainian positions near Kharkiv on Sunday.\n"
THREAT = "Title: Threat\n\nIran threatened Israel with retaliation on Tuesday.\n"
PAGE = (
    "<html><head><title>Talks in Tokyo</title></head><body><article><h1>Talks in Tokyo</h1>"
    "<p>Chinese Foreign Minister Wang Yi met Japanese officials in Tokyo on Saturday, and the two "
    "sides agreed to hold further talks on trade and security next month.</p></article></body></html>"
)


def rows(db: Path, sql: str, params=()):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def error_lines(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if ln.startswith("error: ")]


def no_traceback(r):
    assert "Traceback" not in r.stderr, r.stderr[-3000:]


# --------------------------------------------------------------------------- 1: file names


def test_a_file_name_that_is_not_utf8_does_not_lose_the_run(tmp_path):
    """Before: 'write failed, batch rolled back: ... surrogates not allowed', 0 documents stored,
    and every rerun failed the same way."""
    d = tmp_path / "in"
    d.mkdir()
    with open(os.path.join(os.fsencode(d), b"b_caf\xe9.txt"), "w", encoding="utf-8") as f:
        f.write(ATTACK)
    (d / "ok.txt").write_text(AID, encoding="utf-8")
    db = tmp_path / "e.duckdb"
    r = run_cli("code", d, "--db", db)
    assert r.returncode == 0, r.stderr
    assert "2 documents coded" in r.stderr
    stored = dict(rows(db, "SELECT id, origin FROM documents"))
    # the undecodable byte is kept as a visible escape: unique, printable, the same on every run
    assert stored["b_caf\\xe9"] == f"{d}/b_caf\\xe9.txt"
    assert stored["ok"] == f"{d}/ok.txt"
    r = run_cli("code", d, "--db", db)
    assert r.returncode == 0, r.stderr
    assert "0 documents coded" in r.stderr and "2 already stored" in r.stderr


def test_a_newline_in_a_file_name_cannot_forge_an_error_line(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "bad\nerror: forged.txt").write_bytes(b"\x00\x01\x02binary")
    (d / "ok.txt").write_text(AID, encoding="utf-8")
    r = run_cli("code", d, "--db", tmp_path / "e.duckdb")
    assert r.returncode == 1, r.stderr
    errs = error_lines(r.stderr)
    assert errs == [f"error: {d}/bad\\nerror: forged.txt: binary file (NUL bytes), not text"]
    assert "1 items skipped with errors" in r.stderr


# --------------------------------------------------------------------------- 2: id collisions


def test_id_collisions_are_reported_naming_both_never_silently_skipped(tmp_path):
    """Before: dirA/story.txt, dirA/story.html and dirB/story.txt (three different stories) gave
    '1 coded; 2 already stored', exit 0; so did two JSONL records with the same id (7 and "7")."""
    root = tmp_path / "root"
    (root / "dirA").mkdir(parents=True)
    (root / "dirB").mkdir()
    (root / "dirA" / "story.txt").write_text(ATTACK, encoding="utf-8")
    (root / "dirA" / "story.html").write_text(PAGE, encoding="utf-8")
    (root / "dirB" / "story.txt").write_text(THREAT, encoding="utf-8")
    recs = root / "recs.jsonl"
    recs.write_text(
        json.dumps({"id": 7, "text": "India accused Pakistan of shelling villages in Kashmir."})
        + "\n"
        + json.dumps({"id": "7", "text": "Germany sent humanitarian aid to Sudan."})
        + "\n"
        # the same record again: a repeat, not a conflict
        + json.dumps({"id": 7, "text": "India accused Pakistan of shelling villages in Kashmir."})
        + "\n",
        encoding="utf-8",
    )
    db = tmp_path / "e.duckdb"
    r = run_cli("code", root, "--db", db, "--no-dedup")
    assert r.returncode == 1, r.stderr
    no_traceback(r)
    errs = error_lines(r.stderr)
    # directory order: dirA/story.html is read before dirA/story.txt
    assert (
        f"error: {root}/dirA/story.txt: id 'dirA/story' is already used by "
        f"'{root}/dirA/story.html' with a different text"
    ) in r.stderr, errs
    assert (f"error: {recs}:2: id '7' is already used by '{recs}:1' with a different text") in r.stderr, errs
    assert len(errs) == 2, errs
    assert "3 documents coded" in r.stderr and "1 already stored" in r.stderr
    assert "2 items skipped with errors" in r.stderr
    stored = dict(rows(db, "SELECT id, origin FROM documents"))
    assert stored == {
        "dirA/story": f"{root}/dirA/story.html",
        "dirB/story": f"{root}/dirB/story.txt",
        "7": f"{recs}:1",
    }

    # A rerun says the same (stable ids, nothing silently dropped).
    r = run_cli("code", root, "--db", db, "--no-dedup")
    assert r.returncode == 1 and error_lines(r.stderr) == errs, r.stderr
    assert "0 documents coded" in r.stderr

    # Two input folders whose files get the same relative id: the second is an error naming both.
    db2 = tmp_path / "two.duckdb"
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    (tmp_path / "x" / "story.txt").write_text(ATTACK, encoding="utf-8")
    (tmp_path / "y" / "story.txt").write_text(THREAT, encoding="utf-8")
    r = run_cli("code", tmp_path / "x", tmp_path / "y", "--db", db2, "--no-dedup")
    assert r.returncode == 1, r.stderr
    assert (
        f"error: {tmp_path}/y/story.txt: id 'story' is already used by '{tmp_path}/x/story.txt' "
        f"with a different text"
    ) in r.stderr


def test_an_edited_file_under_a_stored_id_is_reported_on_rerun(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "s.txt").write_text(ATTACK, encoding="utf-8")
    db = tmp_path / "e.duckdb"
    assert run_cli("code", d, "--db", db, "-q").returncode == 0
    # the same text with other line endings normalises to the same story: already stored
    (d / "s.txt").write_text(ATTACK.replace("\n", "\r\n"), encoding="utf-8")
    r = run_cli("code", d, "--db", db)
    assert r.returncode == 0 and "1 already stored" in r.stderr, r.stderr
    (d / "s.txt").write_text(THREAT, encoding="utf-8")
    r = run_cli("code", d, "--db", db)
    assert r.returncode == 1, r.stderr
    assert f"error: {d}/s.txt: id 's' is already used by '{d}/s.txt' with a different text" in r.stderr


# --------------------------------------------------------------------------- 3: symlinks


def test_symlinks_out_of_the_input_folder_are_not_followed(tmp_path):
    """Before: a symlink to /etc/shadow or an SSH key in an input folder was read and stored (and
    served by the API)."""
    secret = tmp_path / "home" / "id_rsa.txt"
    secret.parent.mkdir()
    secret.write_text("Title: key\n\nSECRET-KEY-MATERIAL Russia attacked Ukraine.\n", encoding="utf-8")
    d = tmp_path / "downloads"
    (d / "sub").mkdir(parents=True)
    (d / "ok.txt").write_text(AID, encoding="utf-8")
    (d / "key.txt").symlink_to(secret)
    (d / "sub" / "passwd").symlink_to("/etc/passwd")
    (d / "sub" / "outdir").symlink_to(secret.parent)  # a directory outside
    (d / "sub" / "inside.txt").symlink_to(d / "ok.txt")  # inside: followed
    db = tmp_path / "e.duckdb"
    r = run_cli("code", d, "--db", db)
    assert r.returncode == 1, r.stderr
    errs = error_lines(r.stderr)
    outside = "symlink to a path outside the input directory; not followed (use --follow-symlinks to allow)"
    assert sorted(errs) == sorted(
        f"error: {d}/{p}: {outside}" for p in ("key.txt", "sub/outdir", "sub/passwd")
    )
    texts = [t for (t,) in rows(db, "SELECT text FROM documents")]
    assert not any("SECRET" in t or "root:" in t for t in texts)
    assert {i for (i,) in rows(db, "SELECT id FROM documents")} == {"ok"}

    # The explicit flag follows them (the file named on the command line is always read).
    db2 = tmp_path / "follow.duckdb"
    r = run_cli("code", d, "--db", db2, "--follow-symlinks", "--no-dedup")
    no_traceback(r)
    texts = [t for (t,) in rows(db2, "SELECT text FROM documents")]
    assert any("SECRET-KEY-MATERIAL" in t for t in texts)
    assert run_cli("code", secret, "--db", tmp_path / "named.duckdb", "-q").returncode == 0


# --------------------------------------------------------------------------- 4: long sentences


def test_place_analysis_runs_once_per_sentence_and_gives_the_same_places(nlp):
    """A long sentence without punctuation has hundreds of events; the place of each used to be
    found by a fresh pass over the whole sentence that also rebuilt the document text for every
    place name (super-quadratic: 12k characters took 175 s). Now one analysis per sentence; the
    places chosen are those of a fresh resolver per event. (Timings: benchmarks/long_sentence.py.)"""
    from detente.coding.places import PlaceResolver

    words = [
        "Russian",
        "troops",
        "attacked",
        "Ukrainian",
        "positions",
        "near",
        "Kharkiv",
        "and",
        "Chinese",
        "officials",
        "met",
        "Japanese",
        "diplomats",
        "in",
        "Tokyo",
        "while",
        "Germany",
        "sent",
        "aid",
        "to",
        "Sudan",
        "and",
        "Iran",
        "threatened",
        "Israel",
        "from",
        "Tehran",
    ]
    text = " ".join(words[i % len(words)] for i in range(900))
    doc = nlp(text)
    sents = list(doc.sents)
    longest = max(sents, key=len)
    assert len(longest) > 200, "the parser should leave a long run-on sentence"

    class Counting(PlaceResolver):
        analyses = 0

        def _analyse(self, sent):
            Counting.analyses += 1
            return super()._analyse(sent)

    shared = Counting()
    actor_sets = [["RUS", "UKR"], ["CHN", "JPN"], ["DEU", "SDN"], ["IRN", "ISR"], []]
    got = [shared.resolve(s, a) for s in sents for a in actor_sets for _ in range(3)]
    assert Counting.analyses == len(sents)
    fresh = [PlaceResolver().resolve(s, a) for s in sents for a in actor_sets for _ in range(3)]
    assert got == fresh
    assert any(loc is not None and loc.name == "Kharkiv" for loc in got)


# --------------------------------------------------------------------------- 11, 12: exports


def test_csv_export_cannot_inject_formulas_and_gdelt_rows_never_split(tmp_path):
    recs = tmp_path / "h.jsonl"
    recs.write_text(
        json.dumps(
            {
                "id": "g1",
                "url": "http://x.test/a\rb\u2028c\td\x1ee\nf",
                "text": "=cmd|' /C calc'!A0 Russia attacked Ukraine near Kharkiv on Sunday. "
                "Germany sent humanitarian aid to Sudan.",
            }
        )
        + "\n"
        + json.dumps(
            {
                "id": "g2",
                "url": "http://x.test/\r\n",
                "text": "@SUM(1+1) Iran threatened Israel with retaliation.",
            }
        )
        + "\n"
        + json.dumps(
            {
                "id": "g3",
                "text": "+1+1 India accused Pakistan of shelling. -2+3 China and Japan held talks in Tokyo.",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    db = tmp_path / "e.duckdb"
    assert run_cli("code", recs, "--db", db, "-q", "--no-dedup").returncode == 0
    n_events = rows(db, "SELECT count(*) FROM events")[0][0]
    assert n_events >= 4

    out = tmp_path / "ev.csv"
    r = run_cli("export", "--db", db, "--format", "csv", "--out", out)
    assert r.returncode == 0, r.stderr
    import csv

    with open(out, newline="", encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == n_events
    for row in table:
        for col, cell in row.items():
            assert not cell.startswith(("=", "+", "@")), (col, cell)
            if cell.startswith("-"):
                float(cell)  # only numbers (Goldstein scores) may start with a minus
    assert any(row["text"].startswith("'=cmd|") or row["text"].startswith("'@SUM") for row in table)
    # `detente events --format csv` writes the same safe cells
    r = run_cli("events", "--db", db, "--format", "csv", "--all")
    assert r.returncode == 0 and "\n=" not in r.stdout and ",=" not in r.stdout and ",@" not in r.stdout

    gd = tmp_path / "ev.tsv"
    r = run_cli("export", "--db", db, "--format", "gdelt", "--out", gd)
    assert r.returncode == 0, r.stderr
    raw = gd.read_bytes().decode("utf-8")
    lines = raw.split("\n")
    assert lines[-1] == "" and len(lines) - 1 == n_events  # one line per event
    assert len(raw.splitlines()) == n_events  # whatever counts as a line break
    assert all(len(ln.split("\t")) == 61 for ln in lines[:-1])
    urls = {ln.split("\t")[60] for ln in lines[:-1]}
    assert "http://x.test/a b c d e f" in urls


# --------------------------------------------------------------------------- 13, 15: --db


@pytest.mark.parametrize("kind", ["jsonl", "csv", "parquet", "sqlite", "empty", "new-jsonl", "directory"])
def test_a_db_that_is_not_duckdb_is_refused_before_anything_is_coded(tmp_path, kind):
    """Before: an existing .jsonl as --db coded into an in-memory database ('1 events stored',
    exit 0, nothing saved); an SQLite file made DuckDB try to download an extension."""
    story = tmp_path / "s.txt"
    story.write_text(AID, encoding="utf-8")
    if kind == "jsonl":
        db = tmp_path / "events.jsonl"
        db.write_text(json.dumps({"id": "a", "text": "x"}) + "\n")
        why = "not a DuckDB database (a JSON (lines) file)"
    elif kind == "csv":
        db = tmp_path / "events.csv"
        db.write_text("id,text\na,b\n")
        why = "not a DuckDB database"
    elif kind == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        db = tmp_path / "events.parquet"
        pq.write_table(pa.table({"id": ["a"]}), db)
        why = "not a DuckDB database (a Parquet file)"
    elif kind == "sqlite":
        db = tmp_path / "events.db"
        con = sqlite3.connect(db)
        con.execute("CREATE TABLE t (a)")
        con.commit()
        con.close()
        why = "not a DuckDB database (an SQLite database)"
    elif kind == "empty":
        db = tmp_path / "events.duckdb"
        db.write_bytes(b"")
        why = "not a DuckDB database (an empty file)"
    elif kind == "new-jsonl":
        db = tmp_path / "new.jsonl"
        why = "will not create a database named like a .jsonl file"
    else:
        db = tmp_path / "folder"
        db.mkdir()
        why = "is a directory"
    before = db.read_bytes() if db.is_file() else None
    t0 = time.monotonic()
    r = run_cli("code", story, "--db", db)
    took = time.monotonic() - t0
    assert r.returncode == 2, r.stderr
    no_traceback(r)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {db}: {why}"), r.stderr
    assert "documents coded" not in r.stderr and "extension" not in r.stderr.lower()
    if before is not None:
        assert db.read_bytes() == before
    else:
        assert not db.is_file()
    assert not Path(str(db) + ".wal").exists()
    # read-only commands refuse it the same way
    if kind not in ("new-jsonl", "directory"):
        r = run_cli("summary", "--db", db)
        assert r.returncode == 2 and why in r.stderr, r.stderr
    print(f"{kind}: refused in {took:.1f}s")


def _real_db(tmp_path) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    for i, text in enumerate((AID, ATTACK, THREAT)):
        (d / f"s{i}.txt").write_text(text, encoding="utf-8")
    db = tmp_path / "good.duckdb"
    assert run_cli("code", d, "--db", db, "-q").returncode == 0
    return db


def test_a_damaged_or_truncated_database_gives_one_clear_error(tmp_path):
    """Before: a truncated .duckdb gave a Python traceback."""
    good = _real_db(tmp_path)
    data = good.read_bytes()
    truncated = tmp_path / "truncated.duckdb"
    truncated.write_bytes(data[: len(data) // 2])
    damaged = tmp_path / "damaged.duckdb"
    b = bytearray(data)
    for i in range(4096, len(b), 997):
        b[i] ^= 0xFF
    damaged.write_bytes(bytes(b))
    story = tmp_path / "in" / "s0.txt"
    for db in (truncated, damaged):
        for args in (
            ("code", story, "--db", db),
            ("summary", "--db", db),
            ("events", "--db", db),
            ("export", "--db", db, "--format", "jsonl", "--out", tmp_path / "x.jsonl"),
        ):
            r = run_cli(*args)
            no_traceback(r)
            if db is truncated and args[0] != "code" and r.returncode == 0:
                continue  # a reader may never touch the missing half (free blocks): fine
            assert r.returncode == 2, (args, r.stderr[-2000:])
            lines = r.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("Error: "), (args, r.stderr)
            assert "damaged" in lines[0] or "Corrupt" in lines[0] or "truncated" in lines[0], lines[0]


# --------------------------------------------------------------------------- 14: --out


def test_out_to_a_missing_folder_is_refused_before_coding(tmp_path):
    story = tmp_path / "s.txt"
    story.write_text(AID, encoding="utf-8")
    db = tmp_path / "e.duckdb"
    r = run_cli("code", story, "--db", db, "--out", tmp_path / "nodir" / "ev.jsonl")
    assert r.returncode == 2, r.stderr
    no_traceback(r)
    assert (
        r.stderr.strip()
        == f"Error: {tmp_path}/nodir/ev.jsonl: cannot write: folder '{tmp_path}/nodir' does not exist"
    )
    assert not db.exists() and not (tmp_path / "nodir").exists()
    r = run_cli(
        "export", "--db", _real_db(tmp_path), "--format", "csv", "--out", tmp_path / "nodir" / "x.csv"
    )
    assert r.returncode == 2 and "does not exist" in r.stderr and "Traceback" not in r.stderr


def test_out_on_a_full_disk_fails_cleanly_and_leaves_no_partial_file(tmp_path):
    story = tmp_path / "s.txt"
    story.write_text(ATTACK, encoding="utf-8")
    db = tmp_path / "e.duckdb"
    # /dev/full: every write fails with ENOSPC, a real full device
    r = run_cli("code", story, "--db", db, "--out", "/dev/full")
    assert r.returncode == 2, r.stderr
    no_traceback(r)
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: /dev/full: cannot write: No space left on device"), last
    # the coding itself is stored; the events can be exported once there is room
    assert rows(db, "SELECT count(*) FROM documents")[0][0] == 1
    r = run_cli("export", "--db", db, "--format", "jsonl", "--out", "/dev/full")
    assert r.returncode == 2 and "No space left on device" in r.stderr and "Traceback" not in r.stderr


@pytest.fixture()
def tiny_disk(tmp_path):
    """A real 1 MB filesystem (tmpfs), when this machine lets us mount one."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], capture_output=True, check=False
    )
    if r.returncode != 0:
        pytest.skip("cannot mount a tmpfs here; the /dev/full test covers a full disk")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True, check=False)


def test_out_on_a_real_full_filesystem_keeps_the_previous_file(tmp_path, tiny_disk):
    recs = tmp_path / "r.jsonl"
    recs.write_text(
        "".join(
            json.dumps({"id": f"d{i}", "text": ATTACK.split("\n\n")[1] + f" Story {i}."}) + "\n"
            for i in range(40)
        ),
        encoding="utf-8",
    )
    db = tmp_path / "e.duckdb"
    out = tiny_disk / "ev.jsonl"
    out.write_text("previous export\n")
    filler = tiny_disk / "filler"
    with open(filler, "wb", buffering=0) as f:  # fill the filesystem to the last byte
        try:
            while True:
                f.write(b"x" * 4096)
        except OSError:
            pass
    r = run_cli("code", recs, "--db", db, "--out", out, "--no-dedup")
    assert r.returncode == 2, r.stderr
    no_traceback(r)
    assert "No space left on device" in r.stderr.strip().splitlines()[-1]
    assert out.read_text() == "previous export\n"  # not truncated, not emptied
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["ev.jsonl", "filler"]  # no partial file
    filler.unlink()
    r = run_cli("export", "--db", db, "--format", "jsonl", "--out", out)
    assert r.returncode == 0, r.stderr
    assert len(out.read_text().splitlines()) == rows(db, "SELECT count(*) FROM events")[0][0]


# --------------------------------------------------------------------------- 16: error flood


def test_error_output_is_capped_with_a_summary(tmp_path):
    """Before: a 10 KB .jsonl.gz of `{}` lines printed 3.5 M error lines (359 MB of stderr)."""
    flood = tmp_path / "flood.jsonl.gz"
    n = 400_000
    with gzip.open(flood, "wb") as f:
        f.write(b"{}\n" * n)
    assert flood.stat().st_size < 10_000
    good = tmp_path / "good.txt"
    good.write_text(AID, encoding="utf-8")
    db = tmp_path / "e.duckdb"
    r = run_cli("code", flood, good, "--db", db)
    assert r.returncode == 1
    errs = error_lines(r.stderr)
    assert len(errs) == 100
    assert errs[0] == f"error: {flood}:1: missing text (need 'text', or 'title' and 'description'/'body')"
    assert f"... {n - 100:,} more errors not shown" in r.stderr
    assert f"{n:>12,}  missing text" in r.stderr
    assert f"{n:,} items skipped with errors" in r.stderr and "1 documents coded" in r.stderr
    assert len(r.stderr) < 30_000
    r = run_cli("code", flood, "--db", tmp_path / "e2.duckdb", "--errors-shown", "3")
    assert len(error_lines(r.stderr)) == 3 and f"{n - 3:,} more errors not shown" in r.stderr


# --------------------------------------------------------------------------- 17: pipes


def test_a_named_pipe_without_a_writer_does_not_hang(tmp_path):
    fifo = tmp_path / "feed.pipe"
    os.mkfifo(fifo)
    good = tmp_path / "good.txt"
    good.write_text(AID, encoding="utf-8")
    db = tmp_path / "e.duckdb"
    r = run_cli("code", fifo, good, "--db", db, timeout=120)
    assert r.returncode == 1, r.stderr
    assert f"error: {fifo}: named pipe with nothing to read (no writer); skipped" in r.stderr
    assert "1 documents coded" in r.stderr


def test_a_named_pipe_with_a_writer_is_read_like_stdin(tmp_path):
    fifo = tmp_path / "feed.pipe"
    os.mkfifo(fifo)
    line = json.dumps({"id": "p1", "text": "Germany sent humanitarian aid to Sudan."}) + "\n"

    def writer():
        with open(fifo, "w") as f:  # blocks until detente opens the pipe
            f.write(line)

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    time.sleep(0.3)
    db = tmp_path / "e.duckdb"
    r = run_cli("code", fifo, "--db", db, timeout=120)
    t.join(10)
    assert r.returncode == 0, r.stderr
    assert rows(db, "SELECT id, origin FROM documents") == [("p1", f"{fifo}:1")]


# --------------------------------------------------------------------------- 18: packaging


def test_the_package_declares_every_dependency_it_needs_pinned():
    """`pip install` without requirements.lock must give a working tool: trafilatura's HTML
    cleaning lives in the separate package lxml_html_clean, which only the lock listed. (CI's
    .ci/check_install_without_lock installs from PyPI without the lock and codes an HTML page.)"""
    meta = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    deps = meta["project"]["dependencies"]
    assert all("==" in d for d in deps), [d for d in deps if "==" not in d]
    names = {d.split("==")[0].strip().lower().replace("-", "_") for d in deps}
    assert "lxml_html_clean" in names
    lock = {
        ln.split("==")[0].strip().lower().replace("-", "_"): ln.split("==")[1].strip()
        for ln in (REPO / "requirements.lock").read_text().splitlines()
        if "==" in ln
    }
    for d in deps:
        name, version = d.split("==")
        key = name.strip().lower().replace("-", "_")
        if key in lock:
            assert lock[key] == version.strip(), f"{name}: pyproject {version} vs lock {lock[key]}"
    import lxml.html.clean  # noqa: F401  (what trafilatura imports)


def test_an_html_page_codes(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    db = tmp_path / "e.duckdb"
    r = run_cli("code", page, "--db", db)
    assert r.returncode == 0, r.stderr
    assert rows(db, "SELECT id FROM documents") == [("page",)]


# --------------------------------------------------------------------------- 19: event ids


def test_event_ids_tell_apart_different_people_with_the_same_code():
    from detente.model import Actor, Event

    def ev(src, tgt):
        e = Event(
            doc_id="d",
            event="CONSULT",
            actor=[src],
            recipient=[tgt],
            text="t",
            span=(0, 10),
            trigger_span=(5, 10),
        )
        return e.make_id()

    sunak = Actor("GBR", "GOV", "Rishi Sunak", name="Rishi Sunak", kind="person")
    leaders = Actor("GBR", "GOV", "leaders", name="United Kingdom")
    assert ev(sunak, leaders) != ev(leaders, sunak)  # a meeting, once each way
    assert ev(sunak, leaders) == ev(Actor("GBR", "GOV", "Sunak", name="Rishi Sunak"), leaders)
    anon = Actor("GBR", "GOV", "officials")
    assert ev(anon, leaders) == ev(Actor("GBR", "GOV", "ministers"), leaders)  # same identity


RSS_DOCS_WITH_SHARED_IDS = ("2683", "3285", "3449", "3880", "4493", "4706", "4707")


def test_no_event_is_lost_to_a_duplicate_id_on_real_rss_items(tmp_path, shared_data):
    """Issue 14 item 19: 3 of 1,500 RSS stories had events sharing an id (stored < coded). These
    are the seven of the first 5,000 items of the 2023 RSS corpus where that happened (same code
    and sector on both sides: Sunak and "leaders", von der Leyen and Michel; "Iran" and
    "Iranian" as two recipients of one accusation)."""
    src = shared_data / "corpora" / "rss_world_news_2023.jsonl.gz"
    picked = []
    with gzip.open(src, "rt", encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            if str(rec.get("id")) in RSS_DOCS_WITH_SHARED_IDS:
                picked.append(line)
            if len(picked) == len(RSS_DOCS_WITH_SHARED_IDS):
                break
    if len(picked) < len(RSS_DOCS_WITH_SHARED_IDS):
        pytest.skip("the RSS items are not in this copy of the corpus")
    inp = tmp_path / "rss.jsonl"
    inp.write_text("".join(picked), encoding="utf-8")
    db = tmp_path / "e.duckdb"
    out = tmp_path / "ev.jsonl"
    r = run_cli("code", inp, "--db", db, "--out", out, "--no-dedup")
    assert r.returncode == 0, r.stderr
    mismatched = rows(
        db,
        "SELECT d.id, d.n_events, count(e.id) FROM documents d "
        "LEFT JOIN events e ON e.doc_id = d.id GROUP BY d.id, d.n_events "
        "HAVING count(e.id) <> d.n_events",
    )
    assert mismatched == []
    records = [json.loads(ln) for ln in out.read_text().splitlines()]
    assert len({r["id"] for r in records}) == len(records)
    stored = rows(db, "SELECT count(*) FROM events")[0][0]
    assert len(records) == stored and f"{stored:,} events stored" in r.stderr
