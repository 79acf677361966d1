#!/usr/bin/env python
"""`detente watch` benchmark against a local feed server on 127.0.0.1 (no network).

    python benchmarks/watch.py [throughput] [latency] [memory] [failures] [--items 400]
        [--trials 6] [--polls 120]

  throughput  one poll of a feed of --items new stories (our own synthetic sentences,
              tests/scale_corpus.py): items/s of the poll (fetch + parse + code + store + rules),
              from the watcher's own `poll` log line, and wall time of `watch --once`.
  latency     a watcher with `--every 10s` and an event rule; --trials times, a new alerting
              item is added to the feed at a random moment and the time until its ALERT line
              appears on the watcher's standard output is measured.
  memory      a watcher with `--every 1s` for --polls polls; the feed gains a new item every
              5 s; the watcher's RSS (psutil) is sampled after each poll.
  failures    one `--once` poll of each failure case (500, 404, malformed feed, slow answer,
              slow body, oversized feed, refused connection, 304); prints what the watcher logged.

Everything runs the real `detente watch` command in a subprocess. Results are printed and written
to benchmarks/results/watch-<mode>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests"))

from feedserver import FeedServer, rss
from scale_corpus import story

RULES = "- {name: sanctions, types: [SANCTION]}\n- {name: threats, types: [THREATEN, ACCUSE]}\n"
ALERTING = [
    "{a} imposed sanctions on {b} over its drone programme. Officials in {b} called the measures unjustified.",
    "{a} threatened to expel the ambassador of {b} after a row over fishing rights.",
    "{a} accused {b} of violating the ceasefire along the northern border.",
]
COUNTRIES = ["Canada", "Iran", "France", "Japan", "Kenya", "Egypt", "Brazil", "Turkey", "India", "Mexico"]


def items(n: int, seed: int = 11, prefix: str = "s") -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        s = story(i, rng)
        out.append(
            {
                "guid": f"{prefix}{i:05d}",
                "title": s["title"],
                "text": s["text"],
                "date": s["date"],
                "link": f"https://example.org/{prefix}{i:05d}",
            }
        )
    return out


def alerting_item(k: int, rng: random.Random) -> dict:
    a, b = rng.sample(COUNTRIES, 2)
    return {
        "guid": f"new-{k}",
        "title": f"{a} and {b}: item {k}",
        "text": rng.choice(ALERTING).format(a=a, b=b) + f" Report {k} of the benchmark wire.",
        "date": time.strftime("%Y-%m-%d"),
        "link": f"https://example.org/new-{k}",
    }


def watcher(url: str, db: Path, *extra: str, log: Path | None = None) -> subprocess.Popen:
    args = [sys.executable, "-m", "detente", "watch", url, "--db", str(db), *extra]
    if log:
        args += ["--log", str(log)]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)


def log_events(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def save(mode: str, result: dict) -> None:
    result.update(
        {"machine": platform.platform(), "cpus": os.cpu_count(), "when": time.strftime("%Y-%m-%d %H:%M")}
    )
    out = HERE / "results" / f"watch-{mode}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    print(f"written to {out.relative_to(REPO)}")


# --------------------------------------------------------------------------- modes


def throughput(tmp: Path, n: int) -> None:
    with FeedServer() as srv:
        srv.set("/wire.xml", rss(items(n)))
        db, log = tmp / "t.duckdb", tmp / "t.log"
        t0 = time.perf_counter()
        p = watcher(srv.url("/wire.xml"), db, "--once", "--log", str(log))
        _out, _err = p.communicate()
        wall = time.perf_counter() - t0
        poll = [x for x in log_events(log) if x["event"] == "poll"][-1]
        loaded = [x for x in log_events(log) if x["event"] == "coder_loaded"][-1]
    save(
        "throughput",
        {
            "items": n,
            "exit": p.returncode,
            "new": poll["new"],
            "events": poll["events"],
            "poll_seconds": poll["seconds"],
            "items_per_s_poll": round(poll["new"] / poll["seconds"], 1),
            "items_per_s_coding": poll["docs_per_s"],
            "coder_load_seconds": loaded["seconds"],
            "wall_seconds_with_startup": round(wall, 1),
            "command": f"detente watch URL --once --db t.duckdb (feed of {n} items)",
        },
    )


def latency(tmp: Path, trials: int) -> None:
    rng = random.Random(3)
    rules = tmp / "rules.yaml"
    rules.write_text(RULES)
    base = items(20)
    published: list[dict] = []
    with FeedServer() as srv:
        srv.set("/wire.xml", rss(base))
        db, log = tmp / "l.duckdb", tmp / "l.log"
        p = watcher(srv.url("/wire.xml"), db, "--every", "10s", "--rules", str(rules), log=log)
        lines: list[tuple[float, str]] = []

        def reader():
            for line in p.stdout:
                lines.append((time.time(), line))

        threading.Thread(target=reader, daemon=True).start()
        while not any(x["event"] == "poll" for x in log_events(log)):
            time.sleep(0.1)
        results = []
        for k in range(trials):
            time.sleep(rng.uniform(2.0, 12.0))
            it = alerting_item(k, rng)
            published.insert(0, it)
            srv.set("/wire.xml", rss(published + base))
            t_pub = time.time()
            deadline = t_pub + 60
            hit = None
            while hit is None and time.time() < deadline:
                hit = next((t for t, line in lines if f"({it['guid']})" in line), None)
                time.sleep(0.02)
            results.append(None if hit is None else round(hit - t_pub, 2))
            print(f"trial {k}: {it['guid']} alert after {results[-1]} s", flush=True)
        p.terminate()
        p.wait(60)
    got = [r for r in results if r is not None]
    save(
        "latency",
        {
            "every": "10s",
            "trials": trials,
            "latencies_s": results,
            "mean_s": round(sum(got) / len(got), 2) if got else None,
            "max_s": max(got) if got else None,
            "min_s": min(got) if got else None,
            "missed": len(results) - len(got),
            "command": "detente watch URL --every 10s --rules rules.yaml",
        },
    )


def memory(tmp: Path, polls: int) -> None:
    base = items(30)
    with FeedServer() as srv:
        srv.set("/wire.xml", rss(base))
        db, log = tmp / "m.duckdb", tmp / "m.log"
        p = watcher(srv.url("/wire.xml"), db, "--every", "1s", log=log)
        proc = psutil.Process(p.pid)
        samples: list[tuple[int, float]] = []
        added, k, last_add, t0 = [], 0, time.time(), time.time()
        rng = random.Random(9)
        n_polls = 0
        while n_polls < polls:
            time.sleep(0.25)
            if p.poll() is not None:
                raise SystemExit(f"watcher ended: {p.stderr.read()[-2000:]}")
            n = sum(1 for x in log_events(log) if x["event"] == "poll")
            if n != n_polls:
                n_polls = n
                samples.append((n_polls, proc.memory_info().rss / 2**20))
            if time.time() - last_add > 5:
                added.insert(0, alerting_item(k, rng))
                k += 1
                srv.set("/wire.xml", rss(added + base))
                last_add = time.time()
        p.terminate()
        p.wait(60)
        polls_log = [x for x in log_events(log) if x["event"] == "poll"]
        statuses = {}
        for x in polls_log:
            statuses[str(x["status"])] = statuses.get(str(x["status"]), 0) + 1
    by = dict(samples)
    pick = {str(i): round(by[i], 1) for i in (1, 10, 25, 50, 75, 100, polls) if i in by}
    save(
        "memory",
        {
            "polls": n_polls,
            "seconds": round(time.time() - t0, 1),
            "items_added": k,
            "rss_mb_after_poll": pick,
            "rss_mb_max": round(max(v for _, v in samples), 1),
            "rss_mb_growth_10_to_last": round(samples[-1][1] - by.get(10, samples[0][1]), 1),
            "http_statuses": statuses,
            "documents": sum(x["new"] for x in polls_log),
            "command": "detente watch URL --every 1s (feed gains an item every 5 s)",
        },
    )


def failures(tmp: Path) -> None:
    good = rss(items(3))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    cases = {
        "HTTP 500": ("/err.xml", {"body": b"", "status": 500}),
        "HTTP 404": ("/missing.xml", None),
        "malformed feed": (
            "/bad.xml",
            {"body": b"<rss><channel><item><title>cut", "content_type": "application/xml"},
        ),
        "slow answer (5 s, timeout 2 s)": ("/slow.xml", {"body": good, "delay": 5.0}),
        "slow body (trickles past the timeout)": ("/drip.xml", {"body": good, "dribble": 0.2}),
        "oversized feed (limit 2,000 bytes)": ("/big.xml", {"body": rss(items(50))}),
        "refused connection": (None, None),
        "304 Not Modified (second poll)": ("/ok.xml", {"body": good}),
    }
    out = {}
    with FeedServer() as srv:
        for name, (path, route) in cases.items():
            if route is not None:
                srv.set(path, **route)
            url = srv.url(path) if path else f"http://127.0.0.1:{closed_port}/feed.xml"
            db, log = tmp / f"f{len(out)}.duckdb", tmp / f"f{len(out)}.log"
            extra = ["--timeout", "2s"] + (["--max-bytes", "2000"] if "oversized" in name else [])
            runs = 2 if "304" in name else 1
            for _ in range(runs):
                t0 = time.perf_counter()
                p = watcher(url, db, "--once", *extra, log=log)
                p.communicate()
                took = time.perf_counter() - t0
            ev = [x for x in log_events(log) if x["event"] in ("poll", "poll_failed", "source_failing")][-1]
            out[name] = {
                "exit": p.returncode,
                "event": ev["event"],
                "level": ev["level"],
                "error": ev.get("error"),
                "status": ev.get("status"),
                "new": ev.get("new"),
                "poll_seconds": ev.get("seconds"),
                "next_poll_in": ev.get("next_poll_in"),
                "wall_s_with_model_load": round(took, 1),
            }
            print(name, "->", out[name], flush=True)
        # a source failing again and again, then fixed: the backoff, the report, the recovery
        srv.set("/flaky.xml", b"", status=500)
        db, log = tmp / "flaky.duckdb", tmp / "flaky.log"
        p = watcher(srv.url("/flaky.xml"), db, "--every", "1s", log=log)
        while not any(x.get("failures", 0) >= 4 for x in log_events(log)):
            time.sleep(0.2)
        srv.set("/flaky.xml", good)
        while not any(x["event"] == "poll" for x in log_events(log)):
            time.sleep(0.2)
        p.terminate()
        p.wait(60)
        seq = [
            {k: x.get(k) for k in ("ts", "level", "event", "failures", "next_poll_in", "status", "new")}
            for x in log_events(log)
            if x["event"] in ("poll", "poll_failed", "source_failing", "source_recovered")
        ]
        out["500 four times, then fixed (--every 1s)"] = seq
        for x in seq:
            print("  ", x, flush=True)
    save("failures", {"cases": out, "command": "detente watch URL --once --timeout 2s"})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("modes", nargs="*", default=["throughput", "latency", "memory", "failures"])
    ap.add_argument("--items", type=int, default=400)
    ap.add_argument("--trials", type=int, default=6)
    ap.add_argument("--polls", type=int, default=120)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="detente-watch-bench-") as d:
        tmp = Path(d)
        for m in a.modes:
            {
                "throughput": lambda: throughput(tmp, a.items),
                "latency": lambda: latency(tmp, a.trials),
                "memory": lambda: memory(tmp, a.polls),
                "failures": lambda: failures(tmp),
            }[m]()


if __name__ == "__main__":
    main()
