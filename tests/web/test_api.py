"""The REST API against a real `detente serve` process on 127.0.0.1, over real HTTP."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from sample_store import build_db

TESTS = Path(__file__).resolve().parents[1]  # tests/: sample_store.py for the writer subprocess


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server(db, *extra, timeout=30):
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "detente",
            "serve",
            "--db",
            str(db),
            "--port",
            str(port),
            "--log-level",
            "warning",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + timeout
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"server exited: {proc.stdout.read()}")
            try:
                if httpx.get(base + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline:
                raise AssertionError("server did not start")
            time.sleep(0.1)
        with httpx.Client(base_url=base, timeout=20) as client:
            yield client
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    db = build_db(tmp_path_factory.mktemp("api") / "api.duckdb")
    with server(db) as client:
        yield client


def test_stats_actors_dyads_network(api):
    r = api.get("/stats")
    assert r.status_code == 200 and r.headers["x-detente-source"].startswith("snapshot ")
    s = r.json()
    assert (s["events"], s["documents"], s["negated"], s["by_type"]["CONSULT"]) == (25, 27, 1, 10)
    a = api.get("/actors", params={"n": 2}).json()["actors"]
    assert [(x["code"], x["events"]) for x in a] == [("USA", 19), ("CHN", 17)]
    d = api.get("/dyads", params={"n": 1}).json()["dyads"]
    assert (d[0]["a"], d[0]["b"], d[0]["events"]) == ("CHN", "USA", 17)
    net = api.get("/network", params={"min_events": 2}).json()
    assert {(e["a"], e["b"], e["sign"]) for e in net["edges"]} == {
        ("CHN", "USA", 1),
        ("RUS", "UKR", -1),
        ("UKR", "USA", 1),
    }
    loc = api.get("/locations").json()["locations"]
    assert loc[0]["place"] == "Kyiv" and loc[0]["events"] == 4 and len(loc[0]["event_ids"]) == 4


def test_series_points_trace_to_events_and_evidence(api):
    r = api.get(
        "/dyads/USA/CHN/series", params={"period": "week", "since": "2024-01-01", "until": "2024-03-10"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    pts = body["series"]
    assert [p["events"] for p in pts] == [1, 1, 1, 1, 1, 1, 1, 1, 7, 1]
    p8 = pts[8]
    assert (p8["period"], p8["period_end"]) == ("2024-02-26", "2024-03-03")
    assert (p8["q3"], p8["q4"], p8["types"]) == (3, 3, {"CONSULT": 1, "THREATEN": 3, "SANCTION": 3})
    assert abs(p8["cci"] - (-5 / 7)) < 1e-9 and "(cooperation - conflict)" in body["cci_definition"]
    # the point's events, as the dashboard fetches them: same filter, the point's dates
    ev = api.get(
        "/events", params={"dyad": "USA,CHN", "since": p8["period"], "until": p8["period_end"]}
    ).json()
    assert ev["total"] == 7 and sorted(e["id"] for e in ev["events"]) == sorted(p8["event_ids"])
    e = next(e for e in ev["events"] if e["event"] == "THREATEN")
    doc = api.get(f"/documents/{e['doc_id']}").json()
    (mark,) = [m for m in doc["events"] if m["id"] == e["id"]]
    assert (
        doc["text"][mark["span_start"] : mark["span_end"]]
        == e["text"]
        == "China threatened The United States."
    )
    assert doc["text"][mark["trigger_start"] : mark["trigger_end"]] == "threatened"
    one = api.get(f"/events/{e['id']}").json()
    assert one["event"] == "THREATEN" and one["mentions"] == [e["doc_id"]]
    sp = api.get("/dyads/USA/CHN/spikes", params={"since": "2024-01-01", "until": "2024-03-10"}).json()[
        "spikes"
    ]
    assert [s["period"] for s in sp] == ["2024-02-26"]
    assert [t["event"] for t in sp[0]["top_events"]][:3] == ["SANCTION"] * 3


def test_events_filters_and_pagination(api):
    page = api.get("/events", params={"dyad": "USA,CHN", "limit": 5, "offset": 15}).json()
    assert page["total"] == 17 and len(page["events"]) == 2
    assert api.get("/events", params={"type": "ASSAULT"}).json()["total"] == 4
    assert api.get("/events", params={"type": "ASSAULT", "include_flagged": "true"}).json()["total"] == 5
    assert api.get("/events", params={"actor": "RUS", "quad": "4"}).json()["total"] == 4
    assert api.get("/events", params={"q": "'; DROP TABLE events; --"}).json()["total"] == 0
    assert api.get("/stats").json()["events"] == 25
    hits = api.get("/search", params={"q": "sanctions"}).json()
    assert len(hits["events"]) == 4 and {d["id"] for d in hits["documents"]} >= {"sa0", "gb0"}


@pytest.mark.parametrize(
    "path,params,needle",
    [
        ("/events", {"limit": 501}, "limit"),
        ("/events", {"limit": 0}, "limit"),
        ("/events", {"since": "last week"}, "since"),
        ("/events", {"type": "BOMB"}, "unknown event type"),
        ("/events", {"dyad": "USA"}, "bad dyad"),
        ("/events", {"actor": "U S A"}, "actor"),
        ("/events", {"quad": "7"}, "quad"),
        ("/events", {"offset": -1}, "offset"),
        ("/events", {"order": "id; DROP"}, "order"),
        ("/events", {"since": "2024-02-30"}, "bad since date"),
        ("/dyads/USA/C%20N/series", {}, "b"),
        ("/dyads/USA/CHN/series", {"period": "year"}, "period"),
        ("/dyads/USA/CHN/series", {"since": "2024-03-01", "until": "2024-01-01"}, "after"),
        (
            "/dyads/USA/CHN/series",
            {"period": "day", "since": "1900-01-01", "until": "2024-01-01"},
            "too long",
        ),
        ("/dyads/USA/CHN/spikes", {"threshold": "nan"}, "threshold"),
        ("/actors", {"n": 100000}, "n"),
        ("/network", {"min_events": "x"}, "min_events"),
        ("/search", {"q": "a"}, "q"),
    ],
)
def test_bad_values_are_422_with_a_message(api, path, params, needle):
    r = api.get(path, params=params)
    assert r.status_code == 422, (path, params, r.status_code, r.text)
    msgs = " ".join(d["msg"] for d in r.json()["detail"])
    assert needle in msgs


def test_not_found_static_and_limits(api):
    assert api.get("/documents/nope").status_code == 404
    assert api.get("/documents/..%2F..%2Fetc%2Fpasswd").status_code == 404
    for p in [
        "/static/..%2F..%2Fapi.py",
        "/static/../api.py",
        "/static/api.py",
        "/vendor/../store.py",
        "/static/%2e%2e/%2e%2e/pyproject.toml",
    ]:
        assert api.get(p).status_code == 404, p
    js = api.get("/vendor/plotly.min.js")
    assert js.status_code == 200 and "plotly.js" in js.text[:200]
    assert api.get("/static/app.js").status_code == 200
    html = api.get("/")
    assert html.status_code == 200 and "script-src 'self'" in html.headers["content-security-policy"]
    assert api.get("/events", params={"q": "x" * 5000}).status_code == 414
    assert api.post("/events", content=b"x" * 100_000).status_code == 413
    assert api.post("/events", json={}).status_code == 405  # read-only: no write verbs
    assert api.delete("/documents/d1").status_code == 405
    r = api.get("/stats", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers  # CORS closed by default
    spec = api.get("/openapi.json").json()
    assert {
        "/events",
        "/documents/{doc_id}",
        "/dyads/{a}/{b}/series",
        "/actors",
        "/network",
        "/stats",
    } <= set(spec["paths"])


def test_cors_when_configured(tmp_path):
    db = build_db(tmp_path / "c.duckdb")
    with server(db, "--cors-origin", "http://localhost:3000") as c:
        r = c.get("/stats", headers={"Origin": "http://localhost:3000"})
        assert r.headers["access-control-allow-origin"] == "http://localhost:3000"
        r = c.get("/stats", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in r.headers


WRITER = textwrap.dedent("""
    import datetime as dt, sys, time
    sys.path.insert(0, {tests!r})
    from sample_store import _doc_event
    from detente.storage.store import EventStore
    st = EventStore(sys.argv[1])                 # read-write: holds DuckDB's file lock
    print("ready", flush=True)
    for i in range(int(sys.argv[2])):
        batch = [_doc_event(f"{{sys.argv[3]}}{{i}}-{{j}}", "CONSULT", "USA", "CHN", dt.date(2024, 4, 1)) for j in range(20)]
        st.write_batch([(d, [e]) for d, e in batch])
        time.sleep(0.1)
    st.close()
    print("done", flush=True)
""")


def _writer(db, batches, prefix="w"):
    code = WRITER.format(tests=str(TESTS))
    p = subprocess.Popen(
        [sys.executable, "-c", code, str(db), str(batches), prefix], stdout=subprocess.PIPE, text=True
    )
    assert p.stdout.readline().strip() == "ready"
    return p


def test_keeps_answering_while_a_coding_run_writes(tmp_path):
    db = build_db(tmp_path / "w.duckdb")
    with server(db, "--refresh", "1") as c:
        w = _writer(db, 30)  # ~3 s of writing with the lock held
        seen, sources = [], set()
        while w.poll() is None:
            r = c.get("/stats")
            assert r.status_code == 200, r.text
            seen.append(r.json()["events"])
            sources.add(r.headers["x-detente-source"].split()[0])
            time.sleep(0.05)
        assert w.wait() == 0
        assert sources == {"snapshot"}  # the server never opens the live file
        assert seen == sorted(seen) and seen[0] >= 25
        assert seen[-1] > 25  # the refreshed snapshot shows the new batches
        deadline = time.time() + 15  # and once the run ends, everything it wrote
        while c.get("/stats").json()["events"] != 25 + 30 * 20:
            assert time.time() < deadline, "snapshot never caught up"
            time.sleep(0.3)


def test_snapshot_mode_never_blocks_a_writer(tmp_path):
    db = build_db(tmp_path / "s.duckdb")
    with server(db, "--snapshot", "--refresh", "1") as c:
        assert c.get("/stats").headers["x-detente-source"].startswith("snapshot")
        for k in range(3):  # writers start and finish while the server runs
            w = _writer(db, 3, prefix=f"run{k}-")
            assert w.wait() == 0
        deadline = time.time() + 15
        while c.get("/stats").json()["events"] != 25 + 3 * 3 * 20:
            assert time.time() < deadline, "snapshot never caught up"
            time.sleep(0.3)


def test_serve_refuses_a_missing_database(tmp_path):
    p = subprocess.run(
        [sys.executable, "-m", "detente", "serve", "--db", str(tmp_path / "none.duckdb")],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert p.returncode == 2 and "no such database" in p.stderr


# Every API operation with its parameters, in the order of the OpenAPI document, as they were
# before create_app was split into routers (issue 13): clients generated from the document, and
# bookmarked URLs, must keep working.
OPERATIONS = [
    (
        "/events",
        "events_events_get",
        [
            "actor",
            "target",
            "dyad",
            "directed",
            "type",
            "quad",
            "since",
            "until",
            "q",
            "doc_id",
            "involving",
            "lat",
            "lon",
            "include_flagged",
            "include_historical",
            "include_future",
            "order",
            "limit",
            "offset",
        ],
    ),
    ("/events/{event_id}", "event_events__event_id__get", ["event_id"]),
    ("/documents/{doc_id}", "document_documents__doc_id__get", ["doc_id", "include_flagged"]),
    (
        "/dyads/{a}/{b}/series",
        "series_dyads__a___b__series_get",
        [
            "a",
            "b",
            "period",
            "directed",
            "since",
            "until",
            "include_flagged",
            "include_historical",
            "include_future",
            "include_imprecise",
            "type",
            "quad",
            "weight",
            "max_ids",
        ],
    ),
    (
        "/actors/{a}/series",
        "actor_series_actors__a__series_get",
        [
            "a",
            "period",
            "since",
            "until",
            "include_flagged",
            "include_historical",
            "include_future",
            "include_imprecise",
            "type",
            "quad",
            "weight",
            "max_ids",
        ],
    ),
    (
        "/dyads/{a}/{b}/spikes",
        "spikes_dyads__a___b__spikes_get",
        [
            "a",
            "b",
            "period",
            "directed",
            "since",
            "until",
            "include_flagged",
            "include_historical",
            "include_future",
            "window",
            "threshold",
            "min_events",
        ],
    ),
    (
        "/actors",
        "actors_actors_get",
        ["since", "until", "include_flagged", "include_historical", "include_future", "q", "n", "role"],
    ),
    (
        "/dyads",
        "dyads_dyads_get",
        [
            "since",
            "until",
            "include_flagged",
            "include_historical",
            "include_future",
            "n",
            "directed",
            "actor",
        ],
    ),
    (
        "/network",
        "network_network_get",
        [
            "since",
            "until",
            "include_flagged",
            "include_historical",
            "include_future",
            "min_events",
            "max_edges",
            "actor",
            "layout",
        ],
    ),
    (
        "/locations",
        "locations_locations_get",
        [
            "since",
            "until",
            "include_flagged",
            "include_historical",
            "include_future",
            "dyad",
            "type",
            "quad",
            "limit",
        ],
    ),
    (
        "/search",
        "search_search_get",
        ["q", "include_flagged", "include_historical", "include_future", "limit"],
    ),
    ("/stats", "stats_stats_get", ["include_flagged", "include_historical", "include_future"]),
    ("/alerts", "alerts_alerts_get", ["after", "limit", "rule"]),
    ("/alerts/stream", "stream_alerts_stream_get", ["after", "last-event-id"]),
]


def test_operations_and_pages_are_the_ones_clients_know(api):
    spec = api.get("/openapi.json").json()
    found = [
        (path, op["operationId"], [p["name"] for p in op.get("parameters", [])])
        for path, ops in spec["paths"].items()
        for op in ops.values()
    ]
    assert found == OPERATIONS
    for op in (op for ops in spec["paths"].values() for op in ops.values()):
        # the size limits and the busy answer are documented on every operation
        assert {"413", "414", "503"} <= set(op["responses"]), op["operationId"]
    # the pages and fixed files outside the OpenAPI document
    for url, kind in (
        ("/", "text/html"),
        ("/docs", "text/html"),
        ("/redoc", "text/html"),
        ("/static/app.js", "application/javascript"),
        ("/static/app.css", "text/css"),
        ("/vendor/plotly.min.js", "application/javascript"),
        ("/vendor/world.js", "application/javascript"),
        ("/vendor/docs/swagger-ui.css", "text/css"),
        ("/alerts/panel.js", "application/javascript"),
        ("/health", "application/json"),
    ):
        r = api.get(url)
        assert r.status_code == 200 and r.headers["content-type"].startswith(kind), url
    for url in ("/static/index.html", "/static/../pyproject.toml", "/vendor/docs/app.py", "/nothing"):
        assert api.get(url).status_code == 404, url
