"""Streaming, bounded memory and parallel coding (CodingRun), and the Dask path."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import run_cli
from detente.execution.local import CodingRun, batched
from detente.model import Actor, Document, Event
from scale_corpus import write_corpus


class FakeCoder:
    """A stand-in coder (no spaCy): one event per document. Picklable, importable by workers."""

    def code_many(self, documents, batch_size=32):
        for d in documents:
            ev = Event(
                doc_id=d.id,
                event="CONSULT",
                actor=[Actor("FRA")],
                recipient=[Actor("DEU")],
                text=d.text[:40],
                span=(0, min(40, len(d.text))),
            )
            ev.make_id()
            yield d, [ev]


def _docs(n):
    for i in range(n):
        yield Document(
            id=f"d{i}", text=f"Story number {i} about talks between two countries.", date=dt.date(2024, 1, 1)
        )


def test_batched():
    assert [len(b) for b in batched(range(10), 4)] == [4, 4, 2]
    long = [Document(id=str(i), text="x" * 40_000) for i in range(10)]
    # long stories: cut by characters, so parse memory stays bounded
    assert [len(b) for b in batched(long, 64, max_chars=100_000)] == [3, 3, 3, 1]


def test_streaming_reads_lazily_with_bounded_lookahead():
    """The reader is consumed as the run goes: never more than one batch ahead of the writer."""
    state = {"read": 0, "max_ahead": 0, "written": 0}

    def source():
        for d in _docs(1000):
            state["read"] += 1
            state["max_ahead"] = max(state["max_ahead"], state["read"] - state["written"])
            yield d

    def progress(stats, n):
        state["written"] = stats.coded

    run = CodingRun(None, coder=FakeCoder(), batch_size=16, on_progress=progress)
    stats = run.run(source())
    assert stats.coded == 1000 and stats.events == 1000
    assert state["max_ahead"] <= 16 + 1


def test_parallel_window_is_bounded(tmp_path):
    """With worker processes, at most 2 x workers batches are in flight at once."""
    state = {"read": 0, "max_ahead": 0, "written": 0}

    def source():
        for d in _docs(600):
            state["read"] += 1
            state["max_ahead"] = max(state["max_ahead"], state["read"] - state["written"])
            yield d

    def progress(stats, n):
        state["written"] = stats.coded

    run = CodingRun(
        None, workers=2, batch_size=20, coder_factory="test_scale:FakeCoder", on_progress=progress
    )
    stats = run.run(source())
    assert stats.coded == 600
    assert state["max_ahead"] <= 20 * (2 * 2 + 1) + 1


def test_parallel_store_matches_serial(tmp_path):
    from detente.storage.store import EventStore

    counts = []
    for workers in (1, 2):
        with EventStore(tmp_path / f"w{workers}.duckdb") as store:
            run = CodingRun(
                store, workers=workers, batch_size=25, coder=FakeCoder(), coder_factory="test_scale:FakeCoder"
            )
            run.run(_docs(300))
            counts.append((store.counts(), sorted(store.query("SELECT id FROM events")["id"])))
    assert counts[0] == counts[1]
    assert counts[0][0]["documents"] == 300


def test_cli_workers_2_same_events_as_workers_1(tmp_path):
    """The real pipeline: --workers 2 stores exactly the events of --workers 1."""
    corpus = tmp_path / "c.jsonl"
    write_corpus(corpus, 40)
    ids = []
    for w in (1, 2):
        db = tmp_path / f"w{w}.duckdb"
        r = run_cli("code", corpus, "--db", db, "--workers", w, "--batch-size", 8, "-q")
        assert r.returncode == 0, r.stderr
        import duckdb

        con = duckdb.connect(str(db), read_only=True)
        ids.append(
            (
                con.execute("SELECT count(*) FROM documents").fetchone()[0],
                con.execute("SELECT id, record FROM events ORDER BY id").fetchall(),
            )
        )
        con.close()
    assert ids[0][0] == 40
    assert ids[0][1] and ids[0] == ids[1]


# --------------------------------------------------------------------------- Dask


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("dask.distributed")
    from detente.execution.dask_engine import local_cluster

    cluster = local_cluster(2)  # the cluster `detente code --engine dask --workers 2` starts
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def _worker_settings():
    import os

    import dask

    return (
        os.environ.get("MALLOC_TRIM_THRESHOLD_"),
        dask.config.get("distributed.worker.profile.enabled"),
        os.environ.get("OMP_NUM_THREADS"),
    )


def test_local_cluster_worker_settings(dask_client):
    # each worker process: glibc's own trim threshold (not the nanny's 65536), no profiler, 1 BLAS thread
    got = dask_client.run(_worker_settings)
    assert len(got) == 2
    assert all(v == (None, False, "1") for v in got.values()), got


def test_dask_matches_local_and_writes_date_partitioned_parquet(tmp_path, dask_client):
    import duckdb
    import pandas as pd

    from detente.execution import dask_engine as distributed
    from detente.storage.store import EventStore

    corpus = tmp_path / "c.jsonl"
    write_corpus(corpus, 60, copies_every=10)
    local_db = tmp_path / "local.duckdb"
    r = run_cli("code", corpus, "--db", local_db, "-q")
    assert r.returncode == 0, r.stderr

    pq_dir = tmp_path / "pq"
    dask_db = tmp_path / "dask.duckdb"
    stats = distributed.run_dask(
        [str(corpus)],
        db=str(dask_db),
        parquet_dir=str(pq_dir),
        client=dask_client,
        partition_size=15,
        quiet=True,
    )
    assert stats.coded == 66 and stats.duplicates > 0

    def snapshot(db):
        con = duckdb.connect(str(db), read_only=True)
        out = {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("documents", "events", "mentions", "event_actors")
        }
        out["events_rows"] = con.execute("SELECT id, record FROM events ORDER BY id").fetchall()
        out["mention_rows"] = con.execute("SELECT event_id, doc_id FROM mentions ORDER BY ALL").fetchall()
        out["dups"] = con.execute(
            "SELECT id, duplicate_of FROM documents WHERE duplicate_of IS NOT NULL ORDER BY id"
        ).fetchall()
        con.close()
        return out

    local, dask_ = snapshot(local_db), snapshot(dask_db)
    assert local["events"] > 0 and local["dups"]
    assert local == dask_

    # date-partitioned Parquet, readable by DuckDB and pandas
    dirs = sorted(p.name for p in (pq_dir / "events").iterdir())
    assert dirs and all(d.startswith("date=") for d in dirs)
    con = duckdb.connect()
    n_raw = con.execute(
        f"SELECT count(*) FROM read_parquet('{pq_dir}/events/*/*.parquet', hive_partitioning=true)"
    ).fetchone()[0]
    assert n_raw >= local["events"]
    assert len(pd.read_parquet(pq_dir / "documents")) == 66

    # `detente` queries read the Parquet directory directly, folded like the database
    with EventStore(pq_dir, read_only=True) as pst:
        assert pst.counts()["events"] == local["events"]
        assert pst.counts()["duplicates"] == len(local["dups"])
    r = run_cli("events", "--db", pq_dir, "--limit", 5)
    assert r.returncode == 0, r.stderr

    # each worker loaded the model once (a lazily initialised module global)
    loaded = dask_client.run(
        lambda: __import__("detente.execution.dask_engine", fromlist=["_CODER"])._CODER is not None
    )
    assert all(loaded.values())

    # load-parquet into a fresh database gives the same again; a second load adds nothing
    fresh = tmp_path / "fresh.duckdb"
    r = run_cli("load-parquet", pq_dir, "--db", fresh)
    assert r.returncode == 0, r.stderr
    r = run_cli("load-parquet", pq_dir, "--db", fresh)
    assert r.returncode == 0, r.stderr
    assert snapshot(fresh) == local

    # a rerun codes nothing again and duplicates nothing
    stats2 = distributed.run_dask(
        [str(corpus)],
        db=str(dask_db),
        parquet_dir=str(pq_dir),
        client=dask_client,
        partition_size=15,
        quiet=True,
    )
    assert stats2.coded == 0
    assert snapshot(dask_db) == local
