"""The DuckDB store, queries and exports on a real database file, with events built by hand so
these tests pin the storage layer independently of the coder."""

from __future__ import annotations

import csv
import datetime as dt
import json

import duckdb
import pytest

from detente.io.export import GDELT_COLUMNS, export_store
from detente.model import Actor, Document, Event, Location
from detente.storage.query import QueryError
from detente.storage.store import EventStore, StoreError


def make_event(doc_id, event, src, tgt, day, quad, cameo, sentence="S.", start=0, negated=False, loc=None):
    ev = Event(
        doc_id=doc_id,
        event=event,
        actor=[Actor(src[0], src[1], text=src[0])],
        recipient=[Actor(tgt[0], tgt[1], text=tgt[0])] if tgt else [],
        text=sentence,
        span=(start, start + len(sentence)),
        event_text="verb",
        trigger_span=(start, start + 4),
        cameo_code=cameo,
        quad_code=quad,
        goldstein=-5.0 if quad > 2 else 3.0,
        event_scale=1.0,
        date=day,
        confidence=0.8,
        event_loc=loc,
    )
    ev.flags["negated"] = negated
    ev.make_id()
    return ev


@pytest.fixture()
def filled(tmp_path):
    path = tmp_path / "t.duckdb"
    d1 = Document(
        id="d1",
        text="USA threatened China. China met USA.",
        date=dt.date(2024, 11, 18),
        url="https://example.org/d1",
        source="wire",
    )
    d2 = Document(id="d2", text="Russia attacked Ukraine.", date=dt.date(2024, 12, 1), source="desk")
    geneva = Location("Geneva", "Geneva", "CHE", 46.2, 6.14, 2660646)
    e1 = make_event(
        "d1",
        "THREATEN",
        ("USA", "GOV"),
        ("CHN", "GOV"),
        dt.date(2024, 11, 18),
        3,
        "130",
        "USA threatened China.",
        0,
        loc=geneva,
    )
    e2 = make_event(
        "d1", "CONSULT", ("CHN", "GOV"), ("USA", "GOV"), dt.date(2024, 11, 16), 1, "040", "China met USA.", 22
    )
    e3 = make_event(
        "d2",
        "ASSAULT",
        ("RUS", "MIL"),
        ("UKR", None),
        dt.date(2024, 12, 1),
        4,
        "190",
        "Russia attacked Ukraine.",
        0,
    )
    e4 = make_event(
        "d2",
        "ASSAULT",
        ("UKR", "MIL"),
        ("RUS", None),
        dt.date(2024, 12, 1),
        4,
        "190",
        "Russia attacked Ukraine.",
        0,
        negated=True,
    )
    with EventStore(path) as st:
        assert st.write_batch([(d1, [e1, e2]), (d2, [e3, e4])]) == (2, 4)
    return path


def test_write_is_idempotent_and_persisted(filled):
    with EventStore(filled) as st:
        d = Document(id="d1", text="changed text", date=dt.date(2024, 1, 1))
        assert st.write_batch([(d, [])]) == (0, 0)
        assert st.counts()["documents"] == 2
        assert st.counts()["events"] == 4
    con = duckdb.connect(str(filled), read_only=True)
    assert con.execute("SELECT count(*) FROM event_actors").fetchone()[0] == 8
    assert con.execute("SELECT count(*) FROM mentions").fetchone()[0] == 4
    con.close()


def test_query_filters(filled):
    with EventStore(filled, read_only=True) as st:
        assert list(st.events(actor="USA")["event"]) == ["THREATEN"]
        assert list(st.events(target="USA")["event"]) == ["CONSULT"]
        assert sorted(st.events(dyad="USA,CHN")["event"]) == ["CONSULT", "THREATEN"]
        assert list(st.events(dyad="USA,CHN", directed=True)["event"]) == ["THREATEN"]
        assert list(st.events(type="ASSAULT")["source_code"]) == ["RUS"]  # negated excluded
        assert len(st.events(type="ASSAULT", include_flagged=True)) == 2
        assert list(st.events(quad="1")["event"]) == ["CONSULT"]
        assert list(st.events(since="2024-11-17", until="2024-11-30")["event"]) == ["THREATEN"]
        assert len(st.events(limit=1)) == 1
        assert list(st.events(actor="RUS:MIL")["event"]) == ["ASSAULT"]
        assert st.events(actor="RUS:GOV").empty
        assert list(st.events(text="threatened")["event"]) == ["THREATEN"]
        for bad in [
            {"actor": "US A"},
            {"type": "BOMB"},
            {"quad": "7"},
            {"since": "last week"},
            {"dyad": "USA"},
            {"limit": -1},
        ]:
            with pytest.raises(QueryError):
                st.events(**bad)


def test_injection_is_just_a_value(filled):
    with EventStore(filled, read_only=True) as st:
        assert st.events(text="'; DROP TABLE events; --").empty
        assert st.counts()["events"] == 4


def test_read_only_refuses_missing_file(tmp_path):
    with pytest.raises(StoreError, match="no such database"):
        EventStore(tmp_path / "nope.duckdb", read_only=True)


def test_exports(filled, tmp_path):
    with EventStore(filled, read_only=True) as st:
        n = export_store(st, "jsonl", tmp_path / "e.jsonl", include_flagged=True)
        assert n == 4
        recs = [json.loads(line) for line in (tmp_path / "e.jsonl").read_text(encoding="utf-8").splitlines()]
        r = next(r for r in recs if r["event"] == "THREATEN")
        assert r["actor"] == [{"code": "USA", "sector": "GOV", "text": "USA"}]
        assert r["event_loc"]["country_code"] == "CHE"
        assert set(r["flags"]) == {"negated", "hypothetical", "future", "historical"}

        assert export_store(st, "csv", tmp_path / "e.csv") == 3
        with open(tmp_path / "e.csv", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        assert {r["event"] for r in rows} == {"THREATEN", "CONSULT", "ASSAULT"}

        assert export_store(st, "parquet", tmp_path / "e.parquet", include_flagged=True) == 4
        con = duckdb.connect()
        got = con.execute(
            f"SELECT event, source_code, target_code, date, lat FROM '{tmp_path / 'e.parquet'}' "
            "ORDER BY date, event"
        ).fetchall()
        assert got[0] == ("CONSULT", "CHN", "USA", dt.date(2024, 11, 16), None)
        assert got[1][0] == "THREATEN" and got[1][4] == pytest.approx(46.2)

        assert export_store(st, "gdelt", tmp_path / "e.tsv") == 3
    lines = (tmp_path / "e.tsv").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    rows = [dict(zip(GDELT_COLUMNS, line.split("\t"))) for line in lines]
    assert all(len(line.split("\t")) == 61 for line in lines)
    t = next(r for r in rows if r["EventCode"] == "130")
    assert t["Actor1Code"] == "USAGOV" and t["Actor1CountryCode"] == "USA" and t["Actor1Type1Code"] == "GOV"
    assert t["Actor2CountryCode"] == "CHN" and t["QuadClass"] == "3" and t["EventRootCode"] == "13"
    assert t["Day"] == "20241118" and t["SOURCEURL"] == "https://example.org/d1"
    assert t["ActionGeo_CountryCode"] == "CHE" and float(t["ActionGeo_Lat"]) == pytest.approx(46.2)
    assert int(t["GlobalEventID"]) > 0
