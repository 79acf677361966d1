#!/usr/bin/env python
"""Throughput benchmark: the spaCy parse alone vs the full `detente code` pipeline.

    python benchmarks/throughput.py CORPUS [--limit N] [--workers K] [--batch-size B]

In one run, on the same first N documents of CORPUS (any input `detente code` accepts):

  (a) spaCy only: the same model, pipes and nlp.pipe settings, through the same reader,
      normaliser, chunker and process pool, with no coder stages and no store
      (CodingRun with detente.coding.coder:ParseOnlyCoder, store=None);
  (b) the full pipeline: the real `detente code CORPUS --db FRESH.duckdb --limit N --workers K`
      in a subprocess, into a fresh DuckDB file (near-duplicate folding on, as by default);
  (c) a per-stage profile on a sample in one process (which stage costs what).

Each of (a) and (b) runs in its own subprocess; its peak RSS is the largest sum of the resident
memory of the whole process tree (the run and its workers), sampled every 50 ms. Throughput is
documents (and words) over the wall-clock time of the subprocess, model loading included, so the
two figures are directly comparable; the ratio (b)/(a) is the share of the spaCy-only throughput
the full pipeline keeps. The report is printed and written to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent


# --------------------------------------------------------------------------- helpers


def run_monitored(cmd: list[str], env=None) -> dict:
    """Run cmd; return wall seconds, peak RSS of the process tree (bytes), stdout, stderr, rc."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        ps = psutil.Process(proc.pid)
        peak_tree = peak_single = 0
        nproc = 1
        while proc.poll() is None:
            try:
                procs = [ps] + ps.children(recursive=True)
                rss = []
                for p in procs:
                    try:
                        rss.append(p.memory_info().rss)
                    except (psutil.NoSuchProcess, psutil.AccessDenied):
                        pass
                if rss:
                    peak_tree = max(peak_tree, sum(rss))
                    peak_single = max(peak_single, max(rss))
                    nproc = max(nproc, len(rss))
            except psutil.NoSuchProcess:
                pass
            time.sleep(0.05)
        wall = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        return {
            "wall": wall,
            "peak_rss": peak_tree,
            "peak_rss_single": peak_single,
            "processes": nproc,
            "rc": proc.returncode,
            "stdout": out.read().decode("utf-8", "replace"),
            "stderr": err.read().decode("utf-8", "replace"),
        }


def corpus_sample(corpus: str, limit: int | None):
    from detente.io.readers import read_inputs
    from detente.model import Document

    docs = []
    errors = 0
    for item in read_inputs([corpus]):
        if limit is not None and len(docs) >= limit:
            break
        if isinstance(item, Document):
            docs.append(item)
        else:
            errors += 1
    return docs, errors


def count_words(docs) -> int:
    from detente.nlp.normalise import normalise_text

    return sum(len(normalise_text(d.text).split()) for d in docs)


def mb(n: float) -> str:
    return f"{n / 2**20:,.0f} MB"


# --------------------------------------------------------------------------- phase (a), in a subprocess


def phase_parse(args) -> None:
    from detente.execution.local import PARSE_ONLY_CODER, CodingRun
    from detente.io.readers import read_inputs

    run = CodingRun(
        None,
        workers=args.workers,
        batch_size=args.batch_size,
        limit=args.limit,
        coder_factory=PARSE_ONLY_CODER,
        on_error=lambda e: None,
    )
    stats = run.run(read_inputs([args.corpus]))
    print(json.dumps({"docs": stats.coded, "words": stats.words, "seconds": stats.seconds}))


# --------------------------------------------------------------------------- stage profile


def profile_stages(docs, batch_size: int) -> dict:
    """Code docs in this process, one step at a time, and time each: every spaCy pipe over the
    whole sample (as nlp.pipe does, batch by batch), then actors, events, dates, places and the
    rest of Coder._code_parsed on the parsed documents."""
    from spacy.util import minibatch

    from detente.coding.coder import Coder, split_long_text
    from detente.nlp.load import load_nlp
    from detente.nlp.normalise import normalise_text

    nlp = load_nlp()
    coder = Coder(nlp=nlp)
    list(coder.code_many([type(d)(**d.__dict__) for d in docs[:20]]))  # warm up lazy tables
    times: dict[str, float] = {}
    chunks = []
    for d in docs:
        d = type(d)(**d.__dict__)
        d.text = normalise_text(d.text)
        for off, chunk in split_long_text(d.text):
            chunks.append((d, off, chunk))
    t = time.perf_counter()
    sdocs = [nlp.make_doc(c) for _, _, c in chunks]
    times["spacy:tokenizer"] = time.perf_counter() - t
    for name, proc in nlp.pipeline:
        t = time.perf_counter()
        out = []
        for batch in minibatch(sdocs, size=batch_size):
            out.extend(proc.pipe(batch) if hasattr(proc, "pipe") else (proc(x) for x in batch))
        sdocs = out
        times[f"spacy:{name}"] = time.perf_counter() - t

    def timed(name, fn):
        def wrapper(*a, **kw):
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                times[name] = times.get(name, 0.0) + time.perf_counter() - t

        return wrapper

    coder.actor_finder.find = timed("actors", coder.actor_finder.find)
    coder.event_finder.find = timed("events", coder.event_finder.find)
    coder.date_resolver.resolve = timed("dates", coder.date_resolver.resolve)
    coder.place_resolver.resolve = timed("places", coder.place_resolver.resolve)
    t = time.perf_counter()
    n_events = sum(len(coder._code_parsed(sd, d, off)) for sd, (d, off, _) in zip(sdocs, chunks))
    stages = time.perf_counter() - t
    times["stage glue (ids, offsets)"] = max(
        0.0, stages - sum(times.get(k, 0.0) for k in ("actors", "events", "dates", "places"))
    )
    spacy_total = sum(v for k, v in times.items() if k.startswith("spacy:"))
    total = spacy_total + stages
    return {
        "docs": len(docs),
        "events": n_events,
        "total": total,
        "spacy": spacy_total,
        "stages": stages,
        "other": 0.0,
        "by_stage": dict(sorted(times.items(), key=lambda kv: -kv[1])),
    }


# --------------------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus")
    ap.add_argument("--limit", type=int, default=2000, help="documents (0 = the whole corpus)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument(
        "--profile-docs", type=int, default=300, help="documents for the per-stage profile (0 = skip)"
    )
    ap.add_argument("--skip-spacy", action="store_true", help="skip (a), the spaCy-only run")
    ap.add_argument(
        "--engine",
        choices=["local", "dask"],
        default="local",
        help="engine for (b); dask uses a LocalCluster with --workers workers",
    )
    ap.add_argument("--db", help="DuckDB file for (b) (default: a fresh temporary file)")
    ap.add_argument("--name", help="results file stem (default: from the corpus and options)")
    ap.add_argument("--phase", choices=["parse"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.limit == 0:
        args.limit = None
    if args.phase == "parse":
        phase_parse(args)
        return

    py = sys.executable
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    limit_args = ["--limit", str(args.limit)] if args.limit else []
    stem = args.name or (
        f"{Path(args.corpus).name.split('.')[0]}-{args.limit or 'all'}"
        f"-w{args.workers}{'-dask' if args.engine == 'dask' else ''}"
    )

    print(
        f"corpus {args.corpus}  limit {args.limit or 'all'}  workers {args.workers}  "
        f"batch {args.batch_size}  engine {args.engine}  cpus {os.cpu_count()}  "
        f"load average at start {os.getloadavg()[0]:.1f} (other processes share these cores)",
        flush=True,
    )
    t = time.perf_counter()
    docs, _ = corpus_sample(args.corpus, args.limit)
    words = count_words(docs)
    print(
        f"sample: {len(docs):,} documents, {words:,} words "
        f"({words / max(1, len(docs)):.0f} words/doc; counted in {time.perf_counter() - t:.1f}s)",
        flush=True,
    )

    result: dict = {
        "corpus": args.corpus,
        "limit": args.limit,
        "workers": args.workers,
        "batch_size": args.batch_size,
        "engine": args.engine,
        "docs": len(docs),
        "words": words,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "ram": psutil.virtual_memory().total,
        },
    }

    # (a) spaCy only
    if not args.skip_spacy:
        a = run_monitored(
            [
                py,
                __file__,
                args.corpus,
                *limit_args,
                "--workers",
                str(args.workers),
                "--batch-size",
                str(args.batch_size),
                "--phase",
                "parse",
            ],
            env=env,
        )
        if a["rc"] != 0:
            sys.exit(f"spaCy-only run failed:\n{a['stderr'][-3000:]}")
        inner = json.loads(a["stdout"].strip().splitlines()[-1])
        a.update(docs=inner["docs"], inner_seconds=inner["seconds"])
        result["spacy"] = {k: v for k, v in a.items() if k not in ("stdout", "stderr")}
        print(
            f"(a) spaCy only   : {a['docs'] / a['wall']:8.1f} docs/s  {words / a['wall']:9,.0f} words/s  "
            f"wall {a['wall']:7.1f}s  peak RSS {mb(a['peak_rss'])} (largest process {mb(a['peak_rss_single'])})",
            flush=True,
        )

    # (b) the full pipeline
    tmp = tempfile.mkdtemp(prefix="detente-bench-")
    db = args.db or os.path.join(tmp, "bench.duckdb")
    if os.path.exists(db):
        os.remove(db)
    cmd = [
        py,
        "-m",
        "detente",
        "code",
        args.corpus,
        "--db",
        db,
        *limit_args,
        "--workers",
        str(args.workers),
        "--batch-size",
        str(args.batch_size),
    ]
    if args.engine == "dask":
        cmd += ["--engine", "dask", "--parquet-dir", os.path.join(tmp, "parquet")]
    b = run_monitored(cmd, env=env)
    if b["rc"] not in (0, 1):
        sys.exit(f"detente code failed (exit {b['rc']}):\n{b['stderr'][-3000:]}")
    import duckdb

    con = duckdb.connect(db, read_only=True)
    q = lambda sql: con.execute(sql).fetchone()[0]
    counts = {
        "documents": q("SELECT count(*) FROM documents"),
        "events": q("SELECT count(*) FROM events"),
        "mentions": q("SELECT count(*) FROM mentions"),
        "duplicates": q("SELECT count(*) FROM documents WHERE duplicate_of IS NOT NULL"),
    }
    con.close()
    b["docs"] = counts["documents"]
    m = re.search(r"\(([\d.,]+) docs/s over ([\d.,]+)s\)", b["stderr"])
    if m:
        b["inner_seconds"] = float(m.group(2).replace(",", ""))
    result["pipeline"] = {
        **{k: v for k, v in b.items() if k not in ("stdout", "stderr")},
        **counts,
        "db_bytes": os.path.getsize(db),
        "command": " ".join(cmd[1:]),
    }
    print(
        f"(b) full pipeline: {b['docs'] / b['wall']:8.1f} docs/s  {words / b['wall']:9,.0f} words/s  "
        f"wall {b['wall']:7.1f}s  peak RSS {mb(b['peak_rss'])} (largest process {mb(b['peak_rss_single'])})",
        flush=True,
    )
    print(
        f"    stored {counts['documents']:,} documents, {counts['events']:,} events, "
        f"{counts['mentions']:,} mentions; {counts['duplicates']:,} near-duplicate documents folded; "
        f"DB {mb(os.path.getsize(db))}",
        flush=True,
    )
    if "spacy" in result:
        ratio = (b["docs"] / b["wall"]) / (result["spacy"]["docs"] / result["spacy"]["wall"])
        result["ratio"] = ratio
        line = f"ratio (b)/(a)    : {ratio:.2f}"
        if b.get("inner_seconds") and result["spacy"].get("inner_seconds"):
            inner_ratio = (b["docs"] / b["inner_seconds"]) / (
                result["spacy"]["docs"] / result["spacy"]["inner_seconds"]
            )
            result["ratio_excluding_startup"] = inner_ratio
            line += f"   (excluding process start-up and model loading: {inner_ratio:.2f})"
        print(line, flush=True)

    # (c) per-stage profile
    if args.profile_docs:
        sample = docs[: args.profile_docs]
        prof = profile_stages(sample, args.batch_size)
        result["profile"] = prof
        print(
            f"(c) profile, 1 process, {prof['docs']} docs ({prof['events']} events) in {prof['total']:.1f}s: "
            f"spaCy {prof['spacy'] / prof['total']:.0%}, coder stages {prof['stages'] / prof['total']:.0%}"
        )
        for k, v in prof["by_stage"].items():
            print(
                f"    {k:28s} {v:7.2f}s  {v / prof['total']:5.1%}  {1000 * v / max(1, prof['docs']):6.2f} ms/doc"
            )

    result["loadavg_end"] = os.getloadavg()[0]
    print(f"load average at end {result['loadavg_end']:.1f}")
    out_dir = HERE / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / f"{stem}.json").write_text(json.dumps(result, indent=2, default=str))
    print(f"results: {out_dir / (stem + '.json')}")


if __name__ == "__main__":
    # Tee stdout into results/<stem>.txt as well.
    main()
