"""`detente watch` on real components: a feed server and a webhook receiver on 127.0.0.1, a real
DuckDB file, the real coder. Feed items are our own short stories."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import time
from pathlib import Path

import duckdb
import pytest

from conftest import run_cli
from detente.monitoring.alerts import RuleError, load_rules, parse_rules
from detente.monitoring.watch import DirectorySource, HttpFeedSource, JsonLog, JsonlSource, Watcher
from feedserver import FeedServer, WebhookReceiver, rss
from watch_items import RULES, STORIES, TODAY, item


def q(db, sql, params=()):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def log_lines(buf: io.StringIO) -> list[dict]:
    return [json.loads(x) for x in buf.getvalue().splitlines() if x.strip()]


@pytest.fixture
def make_watcher(coder, tmp_path):
    made = []

    def make(sources, rules=RULES, **kw):
        log, out = io.StringIO(), io.StringIO()
        w = Watcher(
            str(kw.pop("db", tmp_path / "watch.duckdb")),
            sources,
            rules=parse_rules(__import__("yaml").safe_load(rules)) if rules else [],
            coder=coder,
            log=JsonLog(log),
            out=out,
            **kw,
        )
        w.logbuf, w.outbuf = log, out
        made.append(w)
        w.start()
        return w

    yield make
    for w in made:
        w.close()


def test_new_items_repeated_items_304_and_the_same_story_from_two_feeds(make_watcher, tmp_path):
    db = tmp_path / "watch.duckdb"
    with FeedServer() as srv:
        srv.set("/a.xml", rss([item("cn-threat"), item("kharkiv")]))
        w = make_watcher([HttpFeedSource(srv.url("/a.xml"))], every=60)
        w.poll_due(force=True)
        assert q(db, "SELECT count(*) FROM documents")[0][0] == 2
        alerts = q(db, "SELECT rule, details->>'doc_id', len(event_ids) FROM alerts ORDER BY seq")
        assert sorted((r[0], r[1]) for r in alerts) == [
            ("ukraine-conflict", "kharkiv"),
            ("usa-chn", "cn-threat"),
        ]
        assert all(r[2] >= 1 for r in alerts)
        # every alert is printed as one line, and its events are stored events of its story
        assert w.outbuf.getvalue().count("ALERT ") == 2
        for rule, doc, ids in q(db, "SELECT rule, details->>'doc_id', event_ids FROM alerts"):
            assert {r[0] for r in q(db, "SELECT doc_id FROM events WHERE list_contains(?, id)", [ids])} == {
                doc
            }

        # unchanged feed: a conditional request answered 304, nothing new
        w.poll_due(force=True)
        last = srv.hits_for("/a.xml")[-1]
        assert last.status == 304 and last.headers.get("If-None-Match")
        assert q(db, "SELECT count(*) FROM documents")[0][0] == 2

        # the feed grows: one new item, the old ones repeated
        srv.set("/a.xml", rss([item("japan-phl"), item("cn-threat"), item("kharkiv")]))
        w.poll_due(force=True)
        poll = [x for x in log_lines(w.logbuf) if x["event"] == "poll"][-1]
        assert (poll["status"], poll["new"], poll["known"]) == (200, 1, 2)
        assert q(db, "SELECT count(*) FROM documents")[0][0] == 3

        # a second feed: the Kharkiv story under another guid but the same link, and a syndicated
        # copy of the threat story (another guid and link, one sentence added)
        copy_text = (
            STORIES["cn-threat"][1] + " Analysts expect talks between the two governments to continue."
        )
        srv.set(
            "/b.xml",
            rss(
                [
                    item("kharkiv", guid="wire-77"),
                    item("cn-threat", guid="wire-78", link="https://wire.example/78", text=copy_text),
                ]
            ),
        )
        w.sources.append(HttpFeedSource(srv.url("/b.xml")))
        w._due[w.sources[-1].key] = 0
        w.poll_due()
        poll = [x for x in log_lines(w.logbuf) if x["event"] == "poll"][-1]
        assert poll["same_link"] == 1 and poll["near_duplicates"] == 1
        assert q(db, "SELECT count(*) FROM documents WHERE id = 'wire-77'")[0][0] == 0
        assert q(db, "SELECT duplicate_of FROM documents WHERE id = 'wire-78'") == [("cn-threat",)]
        assert q(db, "SELECT count(*) FROM alerts")[0][0] == 2  # a copy is not news again

    state = dict(q(db, "SELECT source, failures FROM watch_sources"))
    assert state == {srv.url("/a.xml"): 0, srv.url("/b.xml"): 0}
    assert q(
        db, "SELECT etag IS NOT NULL, items FROM watch_sources WHERE source = ?", [srv.url("/a.xml")]
    ) == [(True, 3)]


def test_failing_sources_are_reported_with_backoff_and_do_not_stop_the_others(make_watcher, tmp_path):
    db = tmp_path / "watch.duckdb"
    good = rss([item("kharkiv")])
    with FeedServer() as srv:
        srv.set("/ok.xml", good)
        srv.set("/err.xml", b"", status=500)
        srv.set("/bad.xml", b"<rss><channel><item><title>cut off", content_type="application/xml")
        srv.set("/slow.xml", good, delay=3.0)
        srv.set("/drip.xml", rss([item("japan-phl")] * 3), dribble=0.2)
        names = ["/ok.xml", "/err.xml", "/bad.xml", "/slow.xml", "/drip.xml", "/missing.xml"]
        w = make_watcher([HttpFeedSource(srv.url(n), timeout=1.0) for n in names], every=1)
        t0 = time.monotonic()
        w.poll_due(force=True)
        took = time.monotonic() - t0
        assert q(db, "SELECT id FROM documents") == [("kharkiv",)]
        errors = dict(q(db, "SELECT source, last_error FROM watch_sources WHERE failures = 1"))
        assert "HTTP 500" in errors[srv.url("/err.xml")]
        assert "malformed XML" in errors[srv.url("/bad.xml")]
        assert "no response within 1s" in errors[srv.url("/slow.xml")]
        assert "not complete within 1s" in errors[srv.url("/drip.xml")]
        assert "HTTP 404" in errors[srv.url("/missing.xml")]
        assert srv.url("/ok.xml") not in errors
        print(f"a poll with two slow sources took {took:.1f}s")

        # exponential backoff, then reported as failing; a fixed source recovers
        for _ in range(2):
            w.poll_due(force=True)
        fails = [x for x in log_lines(w.logbuf) if x.get("source") == srv.url("/err.xml") and "failures" in x]
        assert [x["failures"] for x in fails] == [1, 2, 3]
        assert [x["next_poll_in"] for x in fails] == [1.0, 2.0, 4.0]
        assert [x["level"] for x in fails] == ["warning", "warning", "error"]
        assert fails[-1]["event"] == "source_failing"
        # a server asking to come back later (503 + Retry-After) is not polled before that
        srv.set("/busy.xml", b"", status=503, retry_after=120)
        busy = HttpFeedSource(srv.url("/busy.xml"), timeout=1.0)
        w.sources.append(busy)
        w._due[busy.key] = 0
        w.poll_due()
        assert [x["next_poll_in"] for x in log_lines(w.logbuf) if x.get("source") == busy.key] == [120.0]
        w.sources.remove(busy)
        srv.set("/err.xml", rss([item("japan-phl")]))
        w.poll_due(force=True)
        assert q(
            db, "SELECT failures, last_error FROM watch_sources WHERE source = ?", [srv.url("/err.xml")]
        ) == [(0, None)]
        assert any(x["event"] == "source_recovered" for x in log_lines(w.logbuf))
        assert q(db, "SELECT count(*) FROM documents")[0][0] == 2


def test_webhook_is_retried_in_the_background_and_never_holds_up_coding(make_watcher, tmp_path):
    db = tmp_path / "watch.duckdb"
    with FeedServer() as srv, WebhookReceiver(fail_first=2, delay=1.0) as hook:
        srv.set("/a.xml", rss([item("cn-threat")]))
        w = make_watcher([HttpFeedSource(srv.url("/a.xml"))], webhook=hook.url, webhook_delay=0.2, every=60)
        w.poll_due(force=True)
        # the poll is over (coded, stored, alert raised) while the receiver is still answering
        assert q(db, "SELECT count(*) FROM alerts")[0][0] == 1
        assert hook.received == []
        deadline = time.time() + 20
        while not hook.received and time.time() < deadline:
            time.sleep(0.1)
        assert len(hook.received) == 1 and [s for _, s in hook.attempts] == [500, 500, 200]
        payload = hook.received[0]
        alert_id, ids = q(db, "SELECT id, event_ids FROM alerts")[0]
        assert payload["id"] == alert_id and payload["event_ids"] == ids and payload["rule"] == "usa-chn"
        assert [e["id"] for e in payload["events"]] == ids  # with the evidence
        assert payload["events"][0]["doc_id"] == "cn-threat" and payload["events"][0]["text"]
        time.sleep(0.3)
        w._record_webhooks()
        assert q(db, "SELECT webhook_status, webhook_attempts FROM alerts") == [("sent", 3)]


def test_undelivered_webhook_is_sent_after_a_restart(make_watcher, tmp_path):
    db = tmp_path / "watch.duckdb"
    with FeedServer() as srv, WebhookReceiver(fail_first=10**6) as down:
        srv.set("/a.xml", rss([item("kharkiv")]))
        w = make_watcher([HttpFeedSource(srv.url("/a.xml"))], webhook=down.url, webhook_delay=2.0, every=60)
        w.poll_due(force=True)
        w.close()  # the receiver never answered 2xx
        assert q(db, "SELECT webhook_status FROM alerts") == [("pending",)]
        assert len(down.attempts) >= 2
    with FeedServer() as srv, WebhookReceiver() as up:
        srv.set("/a.xml", rss([item("kharkiv")]))
        w2 = make_watcher([HttpFeedSource(srv.url("/a.xml"))], webhook=up.url, every=60)
        deadline = time.time() + 10
        while not up.received and time.time() < deadline:
            time.sleep(0.1)
        assert [p["rule"] for p in up.received] == ["ukraine-conflict"]
        assert "Kharkiv" in up.received[0]["events"][0]["text"]
        w2.close()
        assert q(db, "SELECT webhook_status FROM alerts") == [("sent",)]


def _story_file(path: Path, key: str) -> None:
    title, body = STORIES[key]
    path.write_text(f"Title: {title}\nDate: {TODAY}\n\n{body}\n", encoding="utf-8")


def test_directory_source_reads_new_files_once(make_watcher, tmp_path):
    db = tmp_path / "watch.duckdb"
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _story_file(inbox / "one.txt", "kharkiv")
    time.sleep(0.4)
    w = make_watcher([DirectorySource(str(inbox), settle=0.3)], every=60)
    w.poll_due(force=True)
    assert q(db, "SELECT id FROM documents") == [("one",)]
    # a file copied with its old times preserved is still new (ctime, not mtime)
    _story_file(inbox / "two.txt", "cn-threat")
    os.utime(inbox / "two.txt", (time.time() - 86400 * 30, time.time() - 86400 * 30))
    w.poll_due(force=True)  # written just now: not settled yet
    assert q(db, "SELECT count(*) FROM documents")[0][0] == 1
    time.sleep(0.4)
    w.poll_due(force=True)
    assert sorted(r[0] for r in q(db, "SELECT id FROM documents")) == ["one", "two"]
    w.poll_due(force=True)
    poll = [x for x in log_lines(w.logbuf) if x["event"] == "poll"][-1]
    assert poll["read"] == 0 and poll["note"] == "0 new files"
    assert q(db, "SELECT rule FROM alerts ORDER BY seq") == [("ukraine-conflict",), ("usa-chn",)]


def test_growing_jsonl_reads_complete_lines_only(make_watcher, tmp_path):
    db = tmp_path / "watch.duckdb"
    feed = tmp_path / "wire.jsonl"

    def line(key):
        return (
            json.dumps(
                {"id": key, "title": STORIES[key][0], "text": STORIES[key][1], "date": TODAY.isoformat()}
            )
            + "\n"
        )

    feed.write_text(line("kharkiv") + line("japan-phl") + line("cn-threat")[:40], encoding="utf-8")
    w = make_watcher([JsonlSource(str(feed))], every=60)
    w.poll_due(force=True)
    assert sorted(r[0] for r in q(db, "SELECT id FROM documents")) == ["japan-phl", "kharkiv"]
    with open(feed, "a", encoding="utf-8") as f:  # the writer finishes the line
        f.write(line("cn-threat")[40:] + "{not json\n")
    w.poll_due(force=True)
    assert q(db, "SELECT count(*) FROM documents")[0][0] == 3
    assert any(x["event"] == "item_error" and ":4:" in x["error"] for x in log_lines(w.logbuf))
    # the file is replaced (rotated): read again from the start, stored stories skipped
    feed.unlink()
    feed.write_text(line("cn-threat") + line("kharkiv"), encoding="utf-8")
    w.poll_due(force=True)
    poll = [x for x in log_lines(w.logbuf) if x["event"] == "poll"][-1]
    assert (poll["read"], poll["new"], poll["known"]) == (2, 0, 2)
    assert "replaced" in poll["note"]


SPIKE_RULES = """
- name: rus-ukr-spike
  dyad: [RUS, UKR]
  spike: {period: day, z: 3, window: 8, min_events: 3}
- name: usa-chn-turn
  dyad: [USA, CHN]
  cci_shift: {period: week, window: 4, delta: 0.8, min_events: 2}
"""
ATTACKS = [
    "Russian forces shelled the Ukrainian city of Kharkiv, killing four people.",
    "Russian drones struck power stations in the Ukrainian region of Odesa overnight.",
    "Russia launched a missile attack on Kyiv, damaging apartment blocks and a hospital.",
    "Russian troops attacked Ukrainian positions near Pokrovsk with heavy artillery.",
    "Russian aircraft bombed the Ukrainian town of Kupiansk, regional officials said.",
]
BASELINE = [
    "Ukrainian officials said Russian shelling damaged a bridge in the Zaporizhzhia region.",
    "Russia's army fired rockets at a Ukrainian railway depot in the Dnipro region.",
    "A Russian glide bomb destroyed a warehouse in the Ukrainian city of Kramatorsk.",
]
TALKS = [
    "Chinese and American officials met in Geneva to discuss trade and tariffs.",
    "The Chinese foreign minister held talks with the US secretary of state in Beijing.",
    "Washington and Beijing agreed to resume military communication channels.",
]
THREATS = [
    "China threatened to impose sanctions on the United States after new chip curbs.",
    "The United States accused China of hacking government computer networks.",
    "China condemned the United States for sending warships through the Taiwan Strait.",
]


def test_spike_and_cci_shift_rules(make_watcher, tmp_path):
    db = tmp_path / "watch.duckdb"
    feed = tmp_path / "wire.jsonl"
    day = TODAY
    week0 = day - dt.timedelta(days=day.weekday())
    rows = []
    for k, text in zip(range(1, 9, 3), BASELINE):  # a quiet baseline: an attack every third day
        rows.append({"id": f"base-{k}", "date": (day - dt.timedelta(days=k)).isoformat(), "text": text})
    for k, text in enumerate(TALKS):  # cooperation in the weeks before
        rows.append(
            {
                "id": f"talks-{k}",
                "date": (week0 - dt.timedelta(days=7 * (k + 1) - 2)).isoformat(),
                "text": text,
            }
        )
    feed.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    w = make_watcher([JsonlSource(str(feed))], rules=SPIKE_RULES, every=60)
    w.poll_due(force=True)
    assert q(db, "SELECT count(*) FROM alerts")[0][0] == 0  # history alone is no alert

    news = [{"id": f"attack-{k}", "date": day.isoformat(), "text": t} for k, t in enumerate(ATTACKS)]
    news += [{"id": f"threat-{k}", "date": week0.isoformat(), "text": t} for k, t in enumerate(THREATS)]
    with open(feed, "a", encoding="utf-8") as f:
        f.write("".join(json.dumps(r) + "\n" for r in news))
    w.poll_due(force=True)
    got = {r[0]: r for r in q(db, "SELECT rule, kind, period, event_ids, details FROM alerts")}
    assert set(got) == {"rus-ukr-spike", "usa-chn-turn"}
    _rule, kind, period, ids, details = got["rus-ukr-spike"]
    assert kind == "spike" and period == day and json.loads(details)["z"] >= 3
    assert {r[0] for r in q(db, "SELECT doc_id FROM events WHERE list_contains(?, id)", [ids])} <= {
        f"attack-{k}" for k in range(5)
    }
    _rule, kind, period, ids, details = got["usa-chn-turn"]
    d = json.loads(details)
    assert kind == "cci_shift" and period == week0 and d["baseline_cci"] > 0.5 and d["cci"] < -0.5
    assert {r[0] for r in q(db, "SELECT doc_id FROM events WHERE list_contains(?, id)", [ids])} == {
        f"threat-{k}" for k in range(3)
    }
    # the same period is not alerted twice when more events arrive
    with open(feed, "a", encoding="utf-8") as f:
        f.write(
            json.dumps(
                {
                    "id": "attack-late",
                    "date": day.isoformat(),
                    "text": "Russian artillery hit a Ukrainian border village near Sumy.",
                }
            )
            + "\n"
        )
    w.poll_due(force=True)
    assert q(db, "SELECT count(*) FROM alerts")[0][0] == 2


def test_rules_file_errors(tmp_path):
    bad = {
        "- {dyad: [USA], types: [THREATEN]}": "two actor codes",
        "- {dyad: [USA, CHN], types: [THREATS]}": "unknown event type 'THREATS'",
        "- {actor: TWN, quad: [5]}": "quad classes 1-4",
        "- {actor: TWN, colour: red}": "unknown key(s) colour",
        "- {actor: TWN, spike: {period: day}}": "needs a dyad",
        "- {dyad: [RUS, UKR], spike: {period: hour}}": "period must be one of",
        "- {name: a, actor: TWN}\n- {name: a, actor: CHN}": "used twice",
        "rules: [unclosed": "not valid YAML",
    }
    for text, needle in bad.items():
        p = tmp_path / "r.yaml"
        p.write_text(text, encoding="utf-8")
        with pytest.raises(RuleError, match=None) as e:
            load_rules(p)
        assert needle in str(e.value), (text, str(e.value))
    p.write_text(RULES, encoding="utf-8")
    assert [r.name for r in load_rules(p)] == ["usa-chn", "ukraine-conflict"]
    p.write_text("- {dyad: [USA], types: [THREATEN]}", encoding="utf-8")
    r = run_cli("watch", "http://127.0.0.1:9/feed.xml", "--db", tmp_path / "x.duckdb", "--rules", p, "--once")
    assert r.returncode == 2 and "two actor codes" in r.stderr
    r = run_cli("watch", tmp_path / "r.yaml", "--db", tmp_path / "x.duckdb", "--once")
    assert r.returncode == 2 and "must be JSONL" in r.stderr


def test_stories_coded_before_the_first_watch_are_history_not_alerts(coder, make_watcher, tmp_path):
    from detente.execution.local import CodingRun
    from detente.io.readers import read_inputs
    from detente.storage.store import EventStore

    db = tmp_path / "watch.duckdb"
    old = tmp_path / "old"
    old.mkdir()
    _story_file(old / "kharkiv.txt", "kharkiv")
    with EventStore(db) as st:  # a `detente code` run, before any watcher
        assert CodingRun(st, coder=coder).run(read_inputs([str(old)])).coded == 1
    with FeedServer() as srv:
        srv.set("/a.xml", rss([item("cn-threat")]))
        w = make_watcher([HttpFeedSource(srv.url("/a.xml"))], every=60)
        w.poll_due(force=True)
    assert q(db, "SELECT rule, details->>'doc_id' FROM alerts") == [("usa-chn", "cn-threat")]


def test_detente_alerts_lists_alerts_even_while_a_writer_holds_the_database(make_watcher, tmp_path):
    db = tmp_path / "watch.duckdb"
    with FeedServer() as srv:
        srv.set("/a.xml", rss([item("cn-threat"), item("kharkiv")]))
        w = make_watcher([HttpFeedSource(srv.url("/a.xml"))], every=60)
        w.poll_due(force=True)
    r = run_cli("alerts", "--db", db, "--events")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("#2 ") and "[ukraine-conflict]" in lines[0]  # newest first
    assert any("China threatened" in x for x in lines) and any("Kharkiv" in x for x in lines)
    holder = duckdb.connect(str(db))  # a writer (a watcher coding a batch) holds the file
    try:
        r = run_cli("alerts", "--db", db, "--format", "jsonl", "--rule", "usa-chn")
    finally:
        holder.close()
    assert r.returncode == 0, r.stderr
    rows = [json.loads(x) for x in r.stdout.splitlines()]
    assert [x["rule"] for x in rows] == ["usa-chn"]
    assert rows[0]["events"] and rows[0]["events"][0]["doc_id"] == "cn-threat"
    assert rows[0]["event_ids"] == [e["id"] for e in rows[0]["events"]]


def test_gzip_feeds_are_decoded_within_the_size_cap(make_watcher, tmp_path):
    db = tmp_path / "watch.duckdb"
    bomb = b"<rss>" + b" " * 5_000_000 + b"</rss>"  # 5 MB of spaces, a few KB compressed
    with FeedServer() as srv:
        srv.set("/z.xml", rss([item("kharkiv")]), gzip=True)
        srv.set("/bomb.xml", bomb, gzip=True)
        w = make_watcher(
            [HttpFeedSource(srv.url("/z.xml")), HttpFeedSource(srv.url("/bomb.xml"), max_bytes=1_000_000)],
            every=60,
        )
        w.poll_due(force=True)
        assert srv.hits_for("/z.xml")[0].headers.get("Accept-Encoding") == "gzip"
    assert q(db, "SELECT id FROM documents") == [("kharkiv",)]
    assert "once decompressed" in q(db, "SELECT last_error FROM watch_sources WHERE failures = 1")[0][0]
