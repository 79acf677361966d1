#!/usr/bin/env python
"""How closely our own annotations follow the codebook's annotators: items of news_silver's extra
file that we annotated blind (`annotations/agreement/`), scored against news_silver's labels with the
reference scorer's tuple rules, as a second annotation is.

    python benchmarks/annotation_agreement.py [--silver ../shared/data/news_silver/news_silver_2023_more.jsonl]

Our labels stand as the predictions (each event in the direction written); news_silver's labels are
the gold (a symmetric gold event matches either direction). Prints P, R, tuple F1 and dyad-only F1.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def load_scorer(path: Path):
    spec = importlib.util.spec_from_file_location("score_events", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--silver", default=str(SHARED / "data/news_silver/news_silver_2023_more.jsonl"))
    ap.add_argument("--ours", default=str(ROOT / "annotations/agreement/silver_more_blind.jsonl"))
    ap.add_argument("--scorer", default=str(SHARED / "tools/score_events.py"))
    a = ap.parse_args()
    for p in (a.silver, a.ours, a.scorer):
        if not Path(p).exists():
            print(f"not found: {p}", file=sys.stderr)
            return 2
    se = load_scorer(Path(a.scorer))
    _, gold = se.load_gold(a.silver, "guideline")
    _, ours = se.load_gold(a.ours, "guideline")
    with open(a.ours, encoding="utf-8") as fh:
        ids = [str(json.loads(line)["id"]) for line in fh if line.strip()]
    gold = {i: gold[i] for i in ids}
    pred = {i: {t[:3] for t in ours.get(i, [])} for i in ids}
    full, dyad = se.score(gold, pred, True), se.score(gold, pred, False)
    print(
        f"{len(ids)} items blind-annotated by us vs news_silver's labels: "
        f"P {full['precision']} R {full['recall']} tuple F1 {full['f1']} "
        f"(gold {full['gold']}, ours {full['pred']}); dyad-only F1 {dyad['f1']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
