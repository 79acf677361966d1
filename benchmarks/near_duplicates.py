#!/usr/bin/env python
"""Near-duplicate statistics for a corpus, without coding it.

    python benchmarks/near_duplicates.py CORPUS [--limit N] [--examples 15] [--db scratch.duckdb]

Runs the same NearDuplicateIndex that `detente code` uses (MinHash over word 3-shingles, LSH
bands kept in DuckDB, estimated-Jaccard confirmation), in input order and in batches of the same
size, and prints how many stories fold into an earlier one, by feed pair, with the Jaccard
distribution, the exact Jaccard of every folded pair (to spot false positives), and examples.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import os
import random
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


class _ScratchStore:
    """Just enough of EventStore for the index: a connection, written per batch."""

    def __init__(self, path):
        import duckdb

        self.con = duckdb.connect(path)
        self.read_only = False


def exact_jaccard(a: str, b: str) -> float:
    from detente.storage.near_duplicates import shingles

    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / max(1, len(sa | sb))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--examples", type=int, default=12)
    ap.add_argument("--db", help="scratch DuckDB file (default: temporary)")
    ap.add_argument("--name")
    args = ap.parse_args()

    import pandas as pd

    from detente.execution.local import batched
    from detente.io.readers import read_inputs
    from detente.model import Document
    from detente.nlp.normalise import normalise_text
    from detente.storage.near_duplicates import NearDuplicateIndex

    db = args.db or os.path.join(tempfile.mkdtemp(prefix="detente-dedup-"), "dedup.duckdb")
    store = _ScratchStore(db)
    index = NearDuplicateIndex(store)
    docs = (d for d in read_inputs([args.corpus]) if isinstance(d, Document))
    if args.limit:
        docs = itertools.islice(docs, args.limit)
    # Only a small window of texts is kept: originals' texts are looked up again for examples.
    originals: dict[str, tuple[str, str | None, str]] = {}
    folded: list[tuple[str, str, str | None, str]] = []  # (dup id, original id, dup source, dup text)
    n = 0
    t0 = time.perf_counter()
    for batch in batched(docs, args.batch_size):
        for d in batch:
            d.text = normalise_text(d.text)
        n += len(batch)
        dup = index.assign(batch)
        for d in batch:
            if d.id in dup:
                folded.append((d.id, dup[d.id], d.source, d.text))
            else:
                originals[d.id] = (d.id, d.source, d.text)
        store.con.execute("BEGIN")
        for table, rows in index.pending.items():
            if rows:
                df = pd.DataFrame(rows)
                store.con.register("_r", df)
                store.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _r")
                store.con.unregister("_r")
        store.con.execute("COMMIT")
    secs = time.perf_counter() - t0

    by_pair = collections.Counter()
    jac = []
    for dup_id, orig_id, src, text in folded:
        o = originals.get(orig_id)
        by_pair[(o[1] if o else "?", src)] += 1
        if o:
            jac.append((exact_jaccard(text, o[2]), dup_id, orig_id))
    jac.sort()
    lines = [
        (
            f"corpus {args.corpus}: {n:,} documents, {len(folded):,} near-duplicates folded "
            f"({len(folded) / max(1, n):.2%}) into {len({o for _, o, _, _ in folded}):,} originals; "
            f"{secs:.1f}s ({n / secs:,.0f} docs/s for the index alone)"
        )
    ]
    if jac:
        vals = [j for j, _, _ in jac]
        q = lambda p: vals[min(len(vals) - 1, int(p * len(vals)))]
        lines.append(
            f"exact 3-shingle Jaccard of folded pairs: min {vals[0]:.2f}, p5 {q(0.05):.2f}, "
            f"median {q(0.5):.2f}, identical {sum(v >= 0.999 for v in vals):,}, "
            f"below 0.5: {sum(v < 0.5 for v in vals):,}"
        )
    lines.append("by feed (original -> copy):")
    for (a, b), c in by_pair.most_common(12):
        lines.append(f"  {c:6,}  {a} -> {b}")
    rng = random.Random(7)
    picks = jac[: args.examples // 2] + rng.sample(jac, min(len(jac), args.examples - args.examples // 2))
    lines.append("examples (the least similar folded pairs first, then a random sample):")
    texts = {d: t for d, _, _, t in folded}
    for j, dup_id, orig_id in picks:
        lines.append(f"  J={j:.2f}  {orig_id} <- {dup_id}")
        lines.append(f"     orig: {originals[orig_id][2][:220]!r}")
        lines.append(f"     copy: {texts[dup_id][:220]!r}")
    report = "\n".join(lines)
    print(report)
    stem = args.name or f"near_duplicates-{Path(args.corpus).name.split('.')[0]}-{args.limit or 'all'}"
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / f"{stem}.txt").write_text(report + "\n")


if __name__ == "__main__":
    main()
