#!/usr/bin/env python
"""Prove that a change leaves what users get unchanged: dump everything `detente code` stores and
`detente export` writes, on fixed inputs, then diff two dumps.

    python benchmarks/compare_outputs.py dump --out DIR [--limit 2000] [--workers 2]
    python benchmarks/compare_outputs.py diff DIR_A DIR_B [--show 5]

`dump` codes two input sets, each into a fresh DuckDB file, through the real command line
(`sys.executable -m detente`, so PYTHONPATH chooses which source tree is measured):

  examples  the bundled stories (examples/stories, as `make demo` codes them)
  rss       the first N items (--limit, default 2000) of the RSS corpus (JSONL, read by
            `detente code` like any .jsonl.gz; no --format needed, that option is for --out)

and writes, per set, canonical JSONL sorted by key (one JSON object a line, keys sorted):

  documents.jsonl        every stored document (text as sha256 + length), its near-duplicate
                         signature and LSH bands (as hashes), keyed by document id
  events.jsonl           every column of the events table, `record` parsed, with its actors
                         (event_actors) and mentions, keyed by event id
  code_out.jsonl         what `detente code --out` wrote for the run
  export_jsonl.jsonl     `detente export --all --format jsonl`
  export_csv.jsonl       `detente export --all --format csv`, rows as objects
  export_gdelt.jsonl     `detente export --all --format gdelt`, rows as objects
  export_parquet.jsonl   `detente export --all --format parquet`, rows as objects
  export_jsonl_default.jsonl   `detente export --format jsonl` (default filter, without --all)
  export_parquet_schema.jsonl   its column names and types
  errors.jsonl           the `error:` lines of the run (skipped items), sorted

plus manifest.json (which tree ran, the commands, exit codes, counts, input hashes, times).

Fields dropped because they legitimately differ between two runs of the same code on the same input
(VOLATILE_FIELDS below): documents.coded_at (wall-clock time of storing) and the GDELT column
DATEADDED (wall-clock time of the export). Absolute input paths (documents.origin, error lines)
are rewritten to <stories>/... and <corpus>/... so that two checkouts in different directories compare.

`diff` compares every file of two dumps record by record: counts, keys only in A / only in B,
keys present more than once, and for the first few differing records the differing fields. Exit
status 0 if the dumps are identical, 1 if not (2 for a usage error).

This script never imports detente: it runs against both the flat layout and the packaged one.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import duckdb

REPO = Path(__file__).resolve().parent.parent
DEFAULT_STORIES = REPO / "examples" / "stories"
DEFAULT_CORPUS = REPO.parent / "shared" / "data" / "corpora" / "rss_world_news_2023.jsonl.gz"

# Fields that differ between two identical runs and are therefore left out of the dump.
VOLATILE_FIELDS = {
    "documents.coded_at": "wall-clock time the document was stored",
    "export_gdelt.DATEADDED": "wall-clock time of the export (GDELT 2.0 column)",
}

# File of a set -> the field that identifies a record in it.
DUMP_FILES = {
    "documents.jsonl": "id",
    "events.jsonl": "id",
    "code_out.jsonl": "id",
    "export_jsonl.jsonl": "id",
    "export_csv.jsonl": "id",
    "export_gdelt.jsonl": "GlobalEventID",
    "export_parquet.jsonl": "id",
    "export_jsonl_default.jsonl": "id",
    "export_parquet_schema.jsonl": "column",
    "errors.jsonl": "line",
}
# Exports dumped: label -> (format, extra options). Every format with --all (exports keep every
# event), and JSONL once more without it (the default filter: no negated/hypothetical events).
EXPORTS = {
    "jsonl": ("jsonl", ["--all"]),
    "csv": ("csv", ["--all"]),
    "gdelt": ("gdelt", ["--all"]),
    "parquet": ("parquet", ["--all"]),
    "jsonl_default": ("jsonl", []),
}


# --------------------------------------------------------------------------- canonical form


def plain(value: Any) -> Any:
    """A JSON-serialisable, run-independent form of a DuckDB value."""
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"sha256": hashlib.sha256(bytes(value)).hexdigest(), "bytes": len(bytes(value))}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "as_tuple"):  # Decimal: keep the exact digits
        return str(value)
    return value


def canonical_line(record: dict) -> str:
    return json.dumps(record, sort_keys=True, ensure_ascii=False, allow_nan=True)


def write_sorted(path: Path, records: Iterable[dict], key: str) -> int:
    rows = sorted(records, key=lambda r: (str(r.get(key)), canonical_line(r)))
    with path.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(canonical_line(r) + "\n")
    return len(rows)


def query_dicts(con, sql: str) -> list[dict]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


class PathMasker:
    """Rewrites absolute input paths to placeholders, so dumps of two checkouts compare."""

    def __init__(self, roots: dict[str, Path]):
        # Longest first, so that a root inside another root is matched first.
        self.pairs = sorted(((str(p), f"<{name}>") for name, p in roots.items()), key=lambda x: -len(x[0]))

    def __call__(self, text: str | None) -> str | None:
        if text is None:
            return None
        for raw, mark in self.pairs:
            text = text.replace(raw, mark)
        return text


# --------------------------------------------------------------------------- dump


def run_cli(args: list[str], cwd: Path) -> dict:
    cmd = [sys.executable, "-m", "detente", *args]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, check=False, cwd=cwd, capture_output=True, text=True, env=os.environ.copy())
    return {
        "cmd": cmd,
        "rc": proc.returncode,
        "stdout": proc.stdout,
        "stderr": proc.stderr,
        "seconds": round(time.perf_counter() - t0, 1),
    }


def describe_tree() -> dict:
    """Which detente the subprocesses import (decided by PYTHONPATH / the venv)."""
    probe = (
        "import detente, json; print(json.dumps({'file': detente.__file__, "
        "'version': getattr(detente, '__version__', None)}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=os.environ.copy()
    )
    info = json.loads(out.stdout.strip().splitlines()[-1])
    info["python"] = sys.executable
    info["PYTHONPATH"] = os.environ.get("PYTHONPATH", "")
    src_dir = Path(info["file"]).resolve().parent
    head = subprocess.run(
        ["git", "-C", str(src_dir), "rev-parse", "HEAD"], check=False, capture_output=True, text=True
    )
    info["git_head"] = head.stdout.strip() or None
    status = subprocess.run(
        ["git", "-C", str(src_dir), "status", "--porcelain", "--", "."],
        check=False,
        capture_output=True,
        text=True,
    )
    info["src_uncommitted_changes"] = len(status.stdout.splitlines()) if head.returncode == 0 else None
    return info


def sha256_of_inputs(path: Path, limit: int | None = None) -> dict:
    """Hash of the input files (for a corpus: its first `limit` lines), to prove both dumps read
    the same input."""
    h = hashlib.sha256()
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
        for p in files:
            h.update(str(p.relative_to(path)).encode() + b"\0" + p.read_bytes() + b"\0")
        return {"files": len(files), "sha256": h.hexdigest()}
    opener = gzip.open if path.suffix == ".gz" else open
    n = 0
    with opener(path, "rb") as fh:
        for line in fh:
            if limit is not None and n >= limit:
                break
            h.update(line)
            n += 1
    return {"lines": n, "sha256": h.hexdigest()}


def dump_documents(con, mask: PathMasker) -> list[dict]:
    docs = {d["id"]: d for d in query_dicts(con, "SELECT * FROM documents")}
    sigs = {s["doc_id"]: s for s in query_dicts(con, "SELECT * FROM doc_signatures")}
    bands: dict[str, list[int]] = {}
    for band_key, doc_id in con.execute("SELECT band_key, doc_id FROM lsh_bands").fetchall():
        bands.setdefault(doc_id, []).append(band_key)
    out = []
    for doc_id, d in docs.items():
        rec = {k: plain(v) for k, v in d.items() if f"documents.{k}" not in VOLATILE_FIELDS}
        text = rec.pop("text", None)
        rec["text_sha256"] = hashlib.sha256(text.encode("utf-8")).hexdigest() if text is not None else None
        rec["text_chars"] = len(text) if text is not None else None
        if isinstance(rec.get("metadata"), str):
            rec["metadata"] = json.loads(rec["metadata"])
        rec["origin"] = mask(rec.get("origin"))
        sig = sigs.get(doc_id)
        rec["signature"] = {k: plain(v) for k, v in sig.items() if k != "doc_id"} if sig is not None else None
        keys = sorted(bands.get(doc_id, []))
        rec["lsh_bands"] = {"n": len(keys), "sha256": hashlib.sha256(json.dumps(keys).encode()).hexdigest()}
        out.append(rec)
    # Signatures or bands of documents that are not stored would be a leak; keep them visible.
    for doc_id in (set(sigs) | set(bands)) - set(docs):
        out.append(
            {
                "id": doc_id,
                "orphan_near_duplicate_state": True,
                "signature": sigs.get(doc_id) is not None,
                "lsh_bands": len(bands.get(doc_id, [])),
            }
        )
    return out


def dump_events(con) -> list[dict]:
    actors: dict[str, list[dict]] = {}
    for a in query_dicts(con, "SELECT * FROM event_actors"):
        actors.setdefault(a.pop("event_id"), []).append(plain(a))
    mentions: dict[str, list[dict]] = {}
    for m in query_dicts(con, "SELECT * FROM mentions"):
        mentions.setdefault(m.pop("event_id"), []).append(plain(m))
    out = []
    for e in query_dicts(con, "SELECT * FROM events"):
        rec = {k: plain(v) for k, v in e.items()}
        if isinstance(rec.get("record"), str):
            rec["record"] = json.loads(rec["record"])
        rec["event_actors"] = sorted(actors.pop(e["id"], []), key=canonical_line)
        rec["mentions"] = sorted(mentions.pop(e["id"], []), key=canonical_line)
        out.append(rec)
    for event_id, rows in actors.items():
        out.append({"id": event_id, "orphan_event_actors": rows})
    for event_id, rows in mentions.items():
        out.append({"id": event_id, "orphan_mentions": rows})
    return out


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def export_rows(fmt: str, path: Path, con) -> tuple[list[dict], list[dict]]:
    """Rows of one export file as objects (and, for Parquet, its schema)."""
    if fmt == "jsonl":
        return read_jsonl(path), []
    if fmt == "csv":
        with path.open(encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh)), []
    if fmt == "gdelt":
        # The GDELT file has no header: name its columns by the GDELT 2.0 standard (a row of
        # another length keeps its extra cells under positional names, so it still shows).
        rows = []
        with path.open(encoding="utf-8", newline="") as fh:
            for fields in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
                row = {
                    (GDELT_COLUMNS[i] if i < len(GDELT_COLUMNS) else f"extra_{i}"): v
                    for i, v in enumerate(fields)
                }
                row.pop("DATEADDED", None)
                row["n_columns"] = len(fields)
                rows.append(row)
        return rows, []
    if fmt == "parquet":
        sql = f"SELECT * FROM read_parquet('{path}')"
        rows = [{k: plain(v) for k, v in r.items()} for r in query_dicts(con, sql)]
        schema = [
            {"column": name, "type": typ, "position": i}
            for i, (name, typ, *_rest) in enumerate(con.execute(f"DESCRIBE {sql}").fetchall())
        ]
        return rows, schema
    raise ValueError(fmt)


def _gdelt_columns() -> list[str]:
    """The 61 column names of a GDELT 2.0 event file, in file order."""
    actor = [
        "Code",
        "Name",
        "CountryCode",
        "KnownGroupCode",
        "EthnicCode",
        "Religion1Code",
        "Religion2Code",
        "Type1Code",
        "Type2Code",
        "Type3Code",
    ]
    geo = ["Type", "FullName", "CountryCode", "ADM1Code", "ADM2Code", "Lat", "Long", "FeatureID"]
    return [
        "GlobalEventID",
        "Day",
        "MonthYear",
        "Year",
        "FractionDate",
        *(f"Actor1{c}" for c in actor),
        *(f"Actor2{c}" for c in actor),
        "IsRootEvent",
        "EventCode",
        "EventBaseCode",
        "EventRootCode",
        "QuadClass",
        "GoldsteinScale",
        "NumMentions",
        "NumSources",
        "NumArticles",
        "AvgTone",
        *(f"{who}Geo_{c}" for who in ("Actor1", "Actor2", "Action") for c in geo),
        "DATEADDED",
        "SOURCEURL",
    ]


GDELT_COLUMNS = _gdelt_columns()


def error_lines(stderr: str, mask: PathMasker) -> list[dict]:
    return [
        {"line": mask(line.strip())} for line in stderr.splitlines() if line.lstrip().startswith("error:")
    ]


def dump_set(
    name: str, inputs: list[str], out_dir: Path, work: Path, workers: int, limit: int | None, mask: PathMasker
) -> dict:
    set_dir = out_dir / name
    set_dir.mkdir(parents=True, exist_ok=True)
    db = work / f"{name}.duckdb"
    code_out = work / f"{name}-code-out.jsonl"
    for stale in (db, Path(f"{db}.wal"), code_out):
        stale.unlink(missing_ok=True)
    args = [
        "code",
        *inputs,
        "--db",
        str(db),
        "--out",
        str(code_out),
        "--workers",
        str(workers),
        "--errors-shown",
        "1000000",
    ]
    if limit is not None:
        args += ["--limit", str(limit)]
    coded = run_cli(args, cwd=work)
    summary: dict[str, Any] = {
        "code": {k: coded[k] for k in ("cmd", "rc", "seconds")},
        "code_stdout_tail": coded["stdout"].strip().splitlines()[-3:],
        "code_stderr_tail": coded["stderr"].strip().splitlines()[-5:],
    }
    # 0 all good, 1 some items skipped (reported as error: lines, dumped below); 2 is fatal.
    if coded["rc"] not in (0, 1):
        raise SystemExit(f"{name}: detente code failed (exit {coded['rc']}):\n{coded['stderr'][-3000:]}")
    counts: dict[str, int] = {}
    counts["errors.jsonl"] = write_sorted(
        set_dir / "errors.jsonl", error_lines(coded["stderr"], mask), "line"
    )
    counts["code_out.jsonl"] = write_sorted(set_dir / "code_out.jsonl", read_jsonl(code_out), "id")

    exports = {}
    for label, (fmt, extra) in EXPORTS.items():
        target = work / f"{name}-export-{label}.{fmt}"
        target.unlink(missing_ok=True)
        res = run_cli(["export", "--db", str(db), "--format", fmt, "--out", str(target), *extra], cwd=work)
        exports[label] = {k: res[k] for k in ("cmd", "rc", "seconds")}
        if res["rc"] != 0:
            raise SystemExit(
                f"{name}: detente export --format {fmt} {' '.join(extra)} failed (exit {res['rc']}):\n"
                f"{res['stderr'][-3000:]}"
            )
    summary["export"] = exports

    con = duckdb.connect(str(db), read_only=True)
    try:
        docs = dump_documents(con, mask)
        counts["documents.jsonl"] = write_sorted(set_dir / "documents.jsonl", docs, "id")
        counts["events.jsonl"] = write_sorted(set_dir / "events.jsonl", dump_events(con), "id")
        tables = {
            t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
            for (t,) in con.execute(
                "SELECT table_name FROM information_schema.tables ORDER BY table_name"
            ).fetchall()
        }
        mem = duckdb.connect()
        try:
            for label, (fmt, _extra) in EXPORTS.items():
                rows, schema = export_rows(fmt, work / f"{name}-export-{label}.{fmt}", mem)
                fname = f"export_{label}.jsonl"
                counts[fname] = write_sorted(set_dir / fname, rows, DUMP_FILES[fname])
                if fmt == "parquet":
                    counts["export_parquet_schema.jsonl"] = write_sorted(
                        set_dir / "export_parquet_schema.jsonl", schema, "column"
                    )
        finally:
            mem.close()
    finally:
        con.close()
    summary["files"] = counts
    summary["table_rows"] = tables
    summary["documents"] = sum(1 for d in docs if "orphan_near_duplicate_state" not in d)
    summary["near_duplicates_folded"] = sum(1 for d in docs if d.get("duplicate_of"))
    summary["events"] = tables.get("events")
    summary["skipped_items"] = counts["errors.jsonl"]
    return summary


def cmd_dump(opts) -> int:
    out = Path(opts.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    stories = Path(opts.stories).resolve()
    corpus = Path(opts.corpus).resolve()
    for p in (stories, corpus):
        if not p.exists():
            print(f"missing input: {p}", file=sys.stderr)
            return 2
    mask = PathMasker({"stories": stories, "corpus": corpus})
    manifest: dict[str, Any] = {
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "tree": describe_tree(),
        "volatile_fields_dropped": VOLATILE_FIELDS,
        "path_placeholders": {"<stories>": str(stories), "<corpus>": str(corpus)},
        "inputs": {
            "examples": sha256_of_inputs(stories),
            "rss": {"limit": opts.limit, **sha256_of_inputs(corpus, opts.limit)},
        },
        "workers": opts.workers,
        "sets": {},
    }
    print(f"detente from {manifest['tree']['file']}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="compare-outputs-"))
    try:
        plan = [("examples", [str(stories)], None), ("rss", [str(corpus)], opts.limit)]
        for name, inputs, limit in plan:
            if opts.only and name not in opts.only:
                continue
            print(f"{name}: coding ...", flush=True)
            s = dump_set(name, inputs, out, work, opts.workers, limit, mask)
            manifest["sets"][name] = s
            print(
                f"{name}: {s['documents']} documents ({s['near_duplicates_folded']} folded as "
                f"near-duplicates), {s['events']} events, {s['skipped_items']} skipped items; "
                f"code exit {s['code']['rc']} in {s['code']['seconds']}s",
                flush=True,
            )
    finally:
        if opts.keep_work:
            print(f"work files kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    print(f"dump written to {out}")
    return 0


# --------------------------------------------------------------------------- diff


def field_differences(a: Any, b: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            sub = f"{path}.{k}" if path else k
            if k not in a:
                yield sub, "<absent>", b[k]
            elif k not in b:
                yield sub, a[k], "<absent>"
            else:
                yield from field_differences(a[k], b[k], sub)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            yield from field_differences(x, y, f"{path}[{i}]")
    elif a != b or type(a) is not type(b):
        yield path or "<record>", a, b


def short(value: Any, limit: int = 100) -> str:
    text = (
        json.dumps(value, ensure_ascii=False, sort_keys=True) if not isinstance(value, str) else repr(value)
    )
    return text if len(text) <= limit else text[: limit - 3] + "..."


def load_keyed(path: Path, key: str) -> dict[str, list[dict]]:
    keyed: dict[str, list[dict]] = {}
    for rec in read_jsonl(path):
        keyed.setdefault(str(rec.get(key)), []).append(rec)
    return keyed


def diff_file(name: str, a_path: Path, b_path: Path, key: str, show: int) -> bool:
    """Print the differences of one dump file; True if identical."""
    if not a_path.exists() or not b_path.exists():
        print(f"  {name}: missing in {'A' if not a_path.exists() else 'B'}")
        return False
    a, b = load_keyed(a_path, key), load_keyed(b_path, key)
    n_a, n_b = sum(map(len, a.values())), sum(map(len, b.values()))
    only_a = sorted(set(a) - set(b))
    only_b = sorted(set(b) - set(a))
    repeated = sorted(k for k in set(a) | set(b) if len(a.get(k, [])) > 1 or len(b.get(k, [])) > 1)
    differing = [
        k
        for k in sorted(set(a) & set(b))
        if sorted(map(canonical_line, a[k])) != sorted(map(canonical_line, b[k]))
    ]
    same = not (only_a or only_b or differing) and n_a == n_b
    status = "identical" if same else "DIFFERENT"
    print(f"  {name}: {n_a} vs {n_b} records, {status}")
    if same:
        return True
    for label, keys in (("only in A", only_a), ("only in B", only_b)):
        if keys:
            print(f"    {label}: {len(keys)}: {', '.join(keys[:10])}{' ...' if len(keys) > 10 else ''}")
    if repeated:
        print(f"    {key} present more than once: {len(repeated)}: {', '.join(repeated[:10])}")
    if differing:
        print(f"    records that differ: {len(differing)}")
        for k in differing[:show]:
            ra, rb = a[k], b[k]
            if len(ra) != 1 or len(rb) != 1:
                print(f"    {key}={k}: {len(ra)} vs {len(rb)} records")
                continue
            diffs = list(field_differences(ra[0], rb[0]))
            print(f"    {key}={k}: {len(diffs)} field(s)")
            for path, va, vb in diffs[:8]:
                print(f"      {path}: {short(va)} -> {short(vb)}")
            if len(diffs) > 8:
                print(f"      ... {len(diffs) - 8} more")
    return False


def cmd_diff(opts) -> int:
    dir_a, dir_b = Path(opts.a), Path(opts.b)
    for d in (dir_a, dir_b):
        if not (d / "manifest.json").is_file():
            print(f"not a dump (no manifest.json; unfinished?): {d}", file=sys.stderr)
            return 2
    man_a = json.loads((dir_a / "manifest.json").read_text())
    man_b = json.loads((dir_b / "manifest.json").read_text())
    print(f"A: {dir_a}  (detente {man_a['tree'].get('file')}, {man_a['created']})")
    print(f"B: {dir_b}  (detente {man_b['tree'].get('file')}, {man_b['created']})")
    identical = True
    if man_a["inputs"] != man_b["inputs"]:
        identical = False
        print("INPUTS DIFFER (the dumps are not comparable):")
        print(f"  A: {json.dumps(man_a['inputs'], sort_keys=True)}")
        print(f"  B: {json.dumps(man_b['inputs'], sort_keys=True)}")
    sets = sorted(set(man_a["sets"]) | set(man_b["sets"]))
    for name in sets:
        sa, sb = man_a["sets"].get(name), man_b["sets"].get(name)
        if sa is None or sb is None:
            identical = False
            print(f"{name}: only in {'B' if sa is None else 'A'}")
            continue
        print(
            f"{name}: documents {sa['documents']} vs {sb['documents']}, events {sa['events']} vs "
            f"{sb['events']}, near-duplicates folded {sa['near_duplicates_folded']} vs "
            f"{sb['near_duplicates_folded']}, skipped items {sa['skipped_items']} vs "
            f"{sb['skipped_items']}, code exit {sa['code']['rc']} vs {sb['code']['rc']}"
        )
        if sa["code"]["rc"] != sb["code"]["rc"]:
            identical = False
        if sa.get("table_rows") != sb.get("table_rows"):
            identical = False
            print(f"  table rows differ: {sa.get('table_rows')} vs {sb.get('table_rows')}")
        for fname, key in DUMP_FILES.items():
            if not diff_file(fname, dir_a / name / fname, dir_b / name / fname, key, opts.show):
                identical = False
    print("IDENTICAL" if identical else "DIFFERENT")
    return 0 if identical else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump", help="code the fixed inputs with `detente` and write a canonical dump")
    d.add_argument("--out", required=True, help="directory for the dump")
    d.add_argument("--limit", type=int, default=2000, help="RSS items to code (default 2000)")
    d.add_argument("--workers", type=int, default=2, help="`detente code --workers` (default 2)")
    d.add_argument("--stories", default=str(DEFAULT_STORIES), help="the bundled stories directory")
    d.add_argument("--corpus", default=str(DEFAULT_CORPUS), help="the RSS corpus (JSONL, .gz)")
    d.add_argument(
        "--only",
        action="append",
        choices=["examples", "rss"],
        help="dump only this set (repeatable; default both)",
    )
    d.add_argument("--keep-work", action="store_true", help="keep the DuckDB files and raw exports")
    c = sub.add_parser("diff", help="compare two dumps; exit 0 if identical, 1 if not")
    c.add_argument("a")
    c.add_argument("b")
    c.add_argument("--show", type=int, default=5, help="differing records shown per file")
    opts = ap.parse_args(argv)
    return cmd_dump(opts) if opts.command == "dump" else cmd_diff(opts)


if __name__ == "__main__":
    sys.exit(main())
