"""`detente watch` as a service: a real watcher subprocess killed with SIGKILL in the middle of a
feed and restarted (nothing lost, nothing twice, alerts included), a SIGTERM clean shutdown, and
the polling loop picking up a new item. Feeds come from a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from conftest import REPO
from feedserver import FeedServer, rss
from scale_corpus import story

N = 96
RULES = """
- {name: sanctions, types: [SANCTION]}
- {name: threats-accusations, types: [THREATEN, ACCUSE], min_confidence: 0.5}
- {name: rus-ukr-spike, dyad: [RUS, UKR], spike: {period: day, z: 2, min_events: 2}}
"""


def feed_items(n: int, seed: int = 5) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        s = story(i, rng)
        out.append(
            {
                "guid": s["id"],
                "title": s["title"],
                "text": s["text"],
                "date": s["date"],
                "link": f"https://example.org/{s['id']}",
            }
        )
    return out


def state(db: Path) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    try:
        one = lambda sql: con.execute(sql).fetchall()
        return {
            "docs": sorted(r[0] for r in one("SELECT id FROM documents")),
            "distinct_docs": one("SELECT count(DISTINCT id) FROM documents")[0][0],
            "events": sorted(r[0] for r in one("SELECT id FROM events")),
            "mentions": one("SELECT count(*) FROM mentions")[0][0],
            "alerts": sorted((r[0], r[1]) for r in one("SELECT key, id FROM alerts")),
            "alert_events": sorted(
                (r[0], tuple(sorted(r[1]))) for r in one("SELECT key, event_ids FROM alerts")
            ),
            "seqs": sorted(r[0] for r in one("SELECT seq FROM alerts")),
            "sources": one("SELECT source, etag IS NOT NULL, failures, items FROM watch_sources"),
        }
    finally:
        con.close()


def watch(url, db, rules, *extra, log=None, **kw):
    args = [
        sys.executable,
        "-m",
        "detente",
        "watch",
        url,
        "--db",
        str(db),
        "--rules",
        str(rules),
        "--batch-size",
        "8",
        *map(str, extra),
    ]
    if log:
        args += ["--log", str(log)]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, **kw)


def wait_for_log(proc, log: Path, event: str, timeout: float = 240) -> list[dict]:
    t0 = time.time()
    while time.time() - t0 < timeout:
        if proc.poll() is not None:
            pytest.fail(f"watcher ended early: {proc.stderr.read()[-2000:]}")
        if log.exists():
            lines = [json.loads(x) for x in log.read_text().splitlines() if x.strip()]
            if any(x["event"] == event for x in lines):
                return lines
        time.sleep(0.05)
    pytest.fail(f"no {event} in the log in time")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    d = tmp_path_factory.mktemp("watchsvc")
    rules = d / "rules.yaml"
    rules.write_text(RULES, encoding="utf-8")
    with FeedServer() as srv:
        srv.set("/wire.xml", rss(feed_items(N)))
        ref = d / "ref.duckdb"
        p = watch(srv.url("/wire.xml"), ref, rules, "--once")
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err[-3000:]
        reference = state(ref)
        assert len(reference["docs"]) == N and reference["events"] and len(reference["alerts"]) >= 5
        assert out.count("ALERT ") == len(reference["alerts"])
        yield srv, rules, reference


def test_killed_mid_feed_and_restarted_loses_nothing_and_repeats_nothing(served, tmp_path):
    srv, rules, ref = served
    db, log = tmp_path / "k.duckdb", tmp_path / "k.log"
    p = watch(srv.url("/wire.xml"), db, rules, "--every", "1s", log=log, start_new_session=True)
    wait_for_log(p, log, "alert")  # at least one batch and its alerts are stored
    os.killpg(p.pid, signal.SIGKILL)
    p.wait(30)
    mid = state(db)  # the database opens after the kill
    assert 0 < len(mid["docs"]) < N, "the watcher was not killed in the middle of the feed"
    assert mid["distinct_docs"] == len(mid["docs"])
    assert mid["sources"] == [] or mid["sources"][0][1] is False  # validators not saved yet

    p = watch(srv.url("/wire.xml"), db, rules, "--once", log=log)
    out, err = p.communicate(timeout=600)
    assert p.returncode == 0, err[-3000:]
    end = state(db)
    assert end["docs"] == ref["docs"] and end["distinct_docs"] == N
    assert end["events"] == ref["events"] and end["mentions"] == ref["mentions"]
    assert end["alerts"] == ref["alerts"]  # every alert once...
    assert end["alert_events"] == ref["alert_events"]  # ...with the same events behind it
    assert end["seqs"] == list(range(1, len(ref["alerts"]) + 1))
    assert end["sources"][0][:3] == (srv.url("/wire.xml"), True, 0)
    # the restarted watcher printed only the alerts the killed one had not
    assert out.count("ALERT ") == len(ref["alerts"]) - len(mid["alerts"])


def test_sigterm_stops_cleanly_and_the_loop_picks_up_new_items(served, tmp_path):
    srv, rules, ref = served
    db, log = tmp_path / "t.duckdb", tmp_path / "t.log"
    p = watch(srv.url("/wire.xml"), db, rules, "--every", "1s", log=log)
    wait_for_log(p, log, "alert")
    t0 = time.time()
    p.send_signal(signal.SIGTERM)
    _out, err = p.communicate(timeout=120)
    print(f"SIGTERM to exit: {time.time() - t0:.1f}s")
    assert p.returncode == 0, err[-2000:]
    events = [json.loads(x)["event"] for x in log.read_text().splitlines()]
    assert "signal" in events and "poll_interrupted" in events and events[-1] == "watch_stopped"
    mid = state(db)
    assert 0 < len(mid["docs"]) < N and mid["sources"][0][1] is False

    # running again as a service: it finishes the feed, then a new item appears and is alerted
    p = watch(srv.url("/wire.xml"), db, rules, "--every", "1s", log=log)
    extra = {
        "guid": "late-1",
        "title": "Canada imposes sanctions on Iran",
        "text": "Canada imposed sanctions on Iran over its drone programme. Iranian officials called "
        "the measures unjustified.",
        "date": "2024-03-01",
        "link": "https://example.org/late-1",
    }
    srv.set("/wire.xml", rss([extra] + feed_items(N)))
    deadline = time.time() + 120
    seen = ""
    while "late-1" not in seen and time.time() < deadline:
        line = p.stdout.readline()
        seen += line
    p.send_signal(signal.SIGTERM)
    _out, err = p.communicate(timeout=60)
    srv.set("/wire.xml", rss(feed_items(N)))
    assert p.returncode == 0, err[-2000:]
    assert "late-1" in seen and "[sanctions]" in seen
    end = state(db)
    assert end["docs"] == sorted(ref["docs"] + ["late-1"])
    assert set(ref["alerts"]) <= set(end["alerts"]) and len(end["alerts"]) == len(set(end["alerts"]))
