"""Analysis on a hand-built database whose numbers are known (see `build_db`)."""

from __future__ import annotations

import datetime as dt
import io
import json
import math

import pandas as pd
import pytest

from detente.analysis import series as an
from detente.cli import main
from detente.storage.query import QueryError
from detente.storage.store import EventStore
from sample_store import GENEVA, KYIV, MON, NAMES, QUAD, VERB, _doc_event, build_db  # noqa: F401


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = build_db(tmp_path_factory.mktemp("an") / "an.duckdb")
    st = EventStore(path, read_only=True)
    yield st
    st.close()


def test_weekly_series_counts_quads_and_index(db):
    s = an.dyad_series(db, "USA", "CHN", freq="week", since="2024-01-01", until="2024-03-10")
    assert list(s["period"].dt.date) == [MON + dt.timedelta(days=7 * w) for w in range(10)]
    assert list(s["events"]) == [1, 1, 1, 1, 1, 1, 1, 1, 7, 1]  # negated ASSAULT left out
    w8 = s.iloc[8]
    assert (w8["q1"], w8["q2"], w8["q3"], w8["q4"]) == (1, 0, 3, 3)
    assert (w8["CONSULT"], w8["THREATEN"], w8["SANCTION"], w8["ASSAULT"]) == (1, 3, 3, 0)
    assert w8["cci"] == pytest.approx((1 - 6) / 7)
    assert w8["goldstein"] == pytest.approx((1 - 3 * 4.4 - 3 * 8) / 7)
    assert len(w8["event_ids"]) == 7
    assert s.iloc[0]["cci"] == 1.0
    # every figure traceable: the ids open as events with their evidence
    ev = an.events_by_id(db, w8["event_ids"])
    assert sorted(ev["event"]) == ["CONSULT"] + ["SANCTION"] * 3 + ["THREATEN"] * 3
    r = ev.iloc[0]
    doc = db.document(r["doc_id"])
    assert doc["text"][r["span_start"] : r["span_end"]] == r["text"]


def test_series_options(db):
    flagged = an.dyad_series(db, "USA", "CHN", since="2024-01-01", until="2024-03-10", include_flagged=True)
    assert flagged["events"].iloc[2] == 2 and flagged["ASSAULT"].iloc[2] == 1
    directed = an.dyad_series(db, "USA", "CHN", directed=True, since="2024-01-01", until="2024-03-10")
    assert directed["events"].iloc[8] == 4  # THREATEN goes CHN -> USA
    weighted = an.dyad_series(db, "USA", "CHN", since="2024-01-01", until="2024-03-10", weight="mentions")
    assert weighted["events"].iloc[0] == 2  # the near-duplicate copy
    monthly = an.dyad_series(db, "CHN", "USA", freq="month")
    assert list(monthly["period"].dt.strftime("%Y-%m")) == ["2024-01", "2024-02", "2024-03"]
    assert list(monthly["events"]) == [5, 7, 5]
    assert monthly["events"].sum() == 17
    daily = an.dyad_series(db, "USA", "CHN", freq="day", since="2024-02-26", until="2024-03-03")
    assert list(daily["events"]) == [0, 0, 1, 3, 3, 0, 0]
    assert math.isnan(daily["cci"].iloc[0])
    empty = an.dyad_series(db, "USA", "GBR", since="2024-01-01", until="2024-01-14")
    assert list(empty["events"]) == [0, 0]
    for bad in [{"freq": "year"}, {"weight": "words"}, {"since": "soon"}]:
        with pytest.raises(QueryError):
            an.dyad_series(db, "USA", "CHN", **bad)
    with pytest.raises(QueryError):
        an.dyad_series(db, "U S", "CHN")


def test_spikes_find_week_8_and_its_events(db):
    sp = an.spikes(db, "USA", "CHN", freq="week", since="2024-01-01", until="2024-03-10")
    assert len(sp) == 1
    row = sp.iloc[0]
    assert row["period"].date() == dt.date(2024, 2, 26)
    assert row["events"] == 7 and row["baseline_mean"] == 1.0 and row["z"] == pytest.approx(6.0)
    top = an.events_by_id(db, row["top_event_ids"][:3])
    assert list(top["event"]) == ["SANCTION"] * 3  # largest |Goldstein| first
    assert an.spikes(db, "USA", "CHN", since="2024-01-01", until="2024-03-10", threshold=7).empty


def test_top_actors_dyads_network(db):
    ta = an.top_actors(db, n=3)
    assert list(ta["code"]) == ["USA", "CHN", "UKR"]
    assert list(ta["events"]) == [19, 17, 7]
    dy = an.top_dyads(db, n=10)
    got = {(r.a, r.b): r.events for r in dy.itertuples()}
    assert got == {("CHN", "USA"): 17, ("RUS", "UKR"): 5, ("UKR", "USA"): 2, ("GBR", "RUS"): 1}
    directed = an.top_dyads(db, directed=True, n=2)
    assert [(r.a, r.b, r.events) for r in directed.itertuples()] == [("USA", "CHN", 14), ("RUS", "UKR", 4)]
    period = an.top_dyads(db, since="2024-01-08", until="2024-01-14")
    assert [(r.a, r.b, r.events) for r in period.itertuples()] == [("RUS", "UKR", 5), ("CHN", "USA", 1)]
    net = an.network(db, min_events=2)
    signs = {(r.a, r.b): r.sign for r in net.edges.itertuples()}
    assert signs == {("CHN", "USA"): 1, ("RUS", "UKR"): -1, ("UKR", "USA"): 1}
    ukr = net.nodes.set_index("code").loc["UKR"]
    assert (ukr["events"], ukr["degree"]) == (7, 2)
    ego = an.network(db, actor="RUS")
    assert {(r.a, r.b) for r in ego.edges.itertuples()} == {("RUS", "UKR"), ("GBR", "RUS")}


def test_locations_stats_and_evidence(db):
    loc = an.event_locations(db)
    assert list(loc["place"]) == ["Kyiv", "Geneva"] and list(loc["events"]) == [4, 1]
    st = an.stats(db)
    assert st["events"] == 25 and st["documents"] == 27 and st["negated"] == 1 and st["duplicates"] == 1
    assert st["by_type"]["CONSULT"] == 10
    doc = an.document_evidence(db, "th0")
    (ev,) = doc["events"]
    assert doc["text"][ev["span_start"] : ev["span_end"]] == "China threatened The United States."
    assert doc["text"][ev["trigger_start"] : ev["trigger_end"]] == "threatened"
    copy = an.document_evidence(db, "uc0-copy")
    assert copy["events"][0]["span_start"] is not None
    assert an.document_evidence(db, "nope") is None


def test_cli_analyse(db):
    from click.testing import CliRunner

    run = lambda *a: CliRunner().invoke(main, ["analyse", *a, "--db", db.path])
    r = run(
        "series", "--dyad", "USA,CHN", "--since", "2024-01-01", "--until", "2024-03-10", "--format", "csv"
    )
    assert r.exit_code == 0, r.output
    df = pd.read_csv(io.StringIO(r.output))
    assert list(df["events"]) == [1, 1, 1, 1, 1, 1, 1, 1, 7, 1]
    assert df["event_ids"].iloc[8].count(" ") == 6  # 7 ids, space-separated
    r = run("actors", "--n", "2")
    assert r.exit_code == 0 and "USA" in r.output and "19" in r.output and "UKR" not in r.output
    r = run("dyads", "--n", "1", "--format", "json")
    assert r.exit_code == 0 and json.loads(r.output)[0]["events"] == 17
    r = run("spikes", "--dyad", "USA,CHN", "--since", "2024-01-01")
    assert r.exit_code == 0 and "2024-02-26" in r.output and "SANCTION" in r.output
    r = run("network", "--min-events", "2")
    assert r.exit_code == 0 and "RUS" in r.output
    r = run("series", "--dyad", "USA")
    assert r.exit_code == 2 and "bad dyad" in r.output


def test_report_is_self_contained_with_evidence(db, tmp_path):
    from click.testing import CliRunner

    out = tmp_path / "r.html"
    r = CliRunner().invoke(
        main,
        [
            "report",
            "--db",
            db.path,
            "--dyad",
            "USA,CHN",
            "--since",
            "2024-01-01",
            "--until",
            "2024-03-10",
            "--out",
            str(out),
            "--top",
            "5",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "17 events" not in r.output and "16 events, 10 weeks, 1 spikes" in r.output
    page = out.read_text(encoding="utf-8")
    assert "<script src=" not in page and "plotly.js v" in page  # plotly.js inlined: opens offline
    assert "China <b>threatened</b> The United States." in page  # evidence with the trigger
    assert "2024-02-26: 7 events" in page  # the spike and its events
    sanction = an.dyad_events(db, "USA", "CHN", types="SANCTION").iloc[0]
    assert f"event {sanction['id']} · doc {sanction['doc_id']}" in page  # traceable to the database
    r = CliRunner().invoke(
        main,
        [
            "report",
            "--db",
            db.path,
            "--dyad",
            "USA,CHN",
            "--since",
            "2024-03-01",
            "--until",
            "2024-01-01",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 2 and "after" in r.output
