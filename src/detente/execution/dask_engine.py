"""Scale-out with Dask: code partitions of the input on a Dask cluster, write date-partitioned
Parquet, and (optionally) load it into DuckDB.

    detente code INPUT --engine dask [--scheduler tcp://HOST:PORT | --workers K] [--parquet-dir DIR]

The client (the machine running `detente code`) reads the input as a stream and cuts it into
partitions of PARTITION_SIZE documents, numbered by their position in the input. Each partition
is sent to a worker, which codes it with a Coder loaded once per worker process (a lazily
initialised module global) and writes

    DIR/documents/part-NNNNNN.parquet                   one row per document (with its text)
    DIR/events/date=YYYY-MM-DD/part-NNNNNN.parquet      the events, Hive-partitioned by event date
                                                        (date=__HIVE_DEFAULT_PARTITION__: no date)
    DIR/_done/part-NNNNNN                               written last: the partition is complete

so DIR must be storage every worker and the client can reach (a local disk for a LocalCluster; a
shared filesystem on a real cluster). At most 2 x workers partitions are in flight, so memory is
bounded on both sides. With a database (`--db`, the default), the client loads each finished
partition into DuckDB in input order through the same writer as a local run (skipping stored
documents, folding near-duplicates), so the database holds exactly the events a local run makes,
and writes DIR/mentions/part-NNNNNN.parquet: which event each document reports after folding.

Resuming: a partition whose _done marker exists is not coded again (only loaded), a partition
without one is coded again and its files overwritten, and documents already in the database are
skipped at load; so a killed run finishes by running the same command again.

The Parquet directory is plain Hive-partitioned Parquet written by pyarrow: DuckDB
(`read_parquet('DIR/events/*/*.parquet', hive_partitioning=true)`), Spark
(`spark.read.parquet("DIR/events")`) and pandas (`pd.read_parquet("DIR/events")`) read it, and
`detente events --db DIR` / `detente.open(DIR)` query it directly.
"""

from __future__ import annotations

import datetime as dt
import glob
import json
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from detente.errors import DetenteError, InputError
from detente.execution.ids import IdGuard
from detente.execution.local import CoderFactory, CodingRun, RunStats, _limit_threads
from detente.io.readers import read_inputs
from detente.model import Actor, Document, Event, Location
from detente.nlp.without_torch import keep_torch_out
from detente.storage.near_duplicates import NearDuplicateIndex
from detente.storage.schema import EVENT_COLUMNS
from detente.storage.store import EventStore, actor_rows, document_row, event_row

PARTITION_SIZE = 500

# Dask settings for the workers of a LocalCluster (and recommended for `dask worker` on a real
# cluster, see README "Scale-out"). Measured on 3,000 RSS items, 2 workers: 31.0 s -> 24.0 s.
# - Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 in every worker so that glibc hands freed
#   memory back at once; spaCy allocates and frees many small arrays per document, and with the
#   fixed low threshold a worker coded 500 RSS items in 7.3 s instead of 6.5 s. None unsets it.
# - The statistical profiler samples the task thread's stack every 10 ms, taking the GIL from a
#   pure-Python workload; the tick monitor wakes the event loop every 20 ms.
WORKER_CONFIG = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
}
HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"

# --------------------------------------------------------------------------- worker side

_CODER = None


def _worker_coder(factory) -> Any:
    """The Coder of this worker process, built by `factory` (sent with the task, so the client's
    settings reach the worker) on first use and kept for every later task."""
    global _CODER
    if _CODER is None:
        _limit_threads()
        # spaCy without PyTorch (nlp/without_torch.py): a no-op where thinc is already imported,
        # and DETENTE_SPACY_TORCH=1 on the workers turns it off
        keep_torch_out()
        _CODER = factory()
    return _CODER


def _part_name(index: int) -> str:
    return f"part-{index:06d}"


def _event_columns():
    return [c for c in EVENT_COLUMNS if c != "date"] + ["trigger_start", "trigger_end"]


def _schemas():
    s = pa.string()
    doc_schema = pa.schema(
        [
            ("id", s),
            ("content_hash", s),
            ("source", s),
            ("url", s),
            ("title", s),
            ("date", pa.date32()),
            ("text", s),
            ("metadata", s),
            ("origin", s),
            ("n_events", pa.int32()),
            ("partition", pa.int32()),
            ("position", pa.int32()),
        ]
    )
    types = {
        "sentence_index": pa.int32(),
        "context": pa.list_(s),
        "quad_code": pa.int8(),
        "goldstein": pa.float64(),
        "event_scale": pa.float64(),
        "span_start": pa.int32(),
        "span_end": pa.int32(),
        "lat": pa.float64(),
        "lon": pa.float64(),
        "geonameid": pa.int64(),
        "confidence": pa.float64(),
        "negated": pa.bool_(),
        "hypothetical": pa.bool_(),
        "future": pa.bool_(),
        "historical": pa.bool_(),
        "symmetric": pa.bool_(),
        "trigger_start": pa.int32(),
        "trigger_end": pa.int32(),
    }
    ev_schema = pa.schema([(c, types.get(c, s)) for c in _event_columns()])
    return doc_schema, ev_schema


def _atomic_write(table, path: str) -> None:
    tmp = f"{path}.tmp-{os.getpid()}"
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def code_partition(
    index: int,
    docs: list[Document],
    parquet_dir: str,
    batch_size: int = 64,
    coder_factory: CoderFactory | None = None,
) -> dict[str, Any]:
    """Code one partition on a worker and write its Parquet files. Returns small statistics.
    `coder_factory` (default: the worker's own settings) builds the worker's coder once."""

    t0 = time.perf_counter()
    actor_rows_all: list[dict[str, Any]] = []
    coder = _worker_coder(coder_factory or CoderFactory.from_settings())
    doc_schema, ev_schema = _schemas()
    name = _part_name(index)
    doc_rows, by_date = [], {}
    n_events = 0
    for pos, (d, evs) in enumerate(coder.code_many(docs, batch_size=batch_size)):
        doc_rows.append(document_row(d, len(evs), partition=index, position=pos))
        for ev in evs:
            row = event_row(ev)
            actor_rows_all.extend(actor_rows(json.loads(row["record"])))
            row["trigger_start"], row["trigger_end"] = ev.trigger_span or (None, None)
            key = row.pop("date")
            key = key.isoformat() if key else HIVE_NULL
            by_date.setdefault(key, []).append(row)
            n_events += 1
    root = Path(parquet_dir)
    for sub in ("documents", "events", "_done"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    # A partition coded again (resume) replaces every file of its earlier attempt.
    for old in glob.glob(str(root / "events" / "date=*" / f"{name}.parquet")):
        os.remove(old)
    for key, rows in by_date.items():
        ddir = root / "events" / f"date={key}"
        ddir.mkdir(parents=True, exist_ok=True)
        _atomic_write(pa.Table.from_pylist(rows, schema=ev_schema), str(ddir / f"{name}.parquet"))
    actor_schema = pa.schema(
        [
            ("event_id", pa.string()),
            ("role", pa.string()),
            ("position", pa.int32()),
            ("code", pa.string()),
            ("sector", pa.string()),
            ("text", pa.string()),
            ("name", pa.string()),
        ]
    )
    (root / "actors").mkdir(parents=True, exist_ok=True)
    _atomic_write(
        pa.Table.from_pylist(actor_rows_all, schema=actor_schema), str(root / "actors" / f"{name}.parquet")
    )
    _atomic_write(
        pa.Table.from_pylist(doc_rows, schema=doc_schema), str(root / "documents" / f"{name}.parquet")
    )
    (root / "_done" / name).write_text(json.dumps({"documents": len(doc_rows), "events": n_events}))
    return {
        "index": index,
        "documents": len(doc_rows),
        "events": n_events,
        "seconds": time.perf_counter() - t0,
        "worker_pid": os.getpid(),
    }


# --------------------------------------------------------------------------- reading Parquet back


def event_from_row(row: dict[str, Any], date) -> Event:
    """Rebuild an Event from its Parquet row, so the store writes it exactly as a local run would."""
    rec = json.loads(row["record"])
    loc = rec.get("event_loc")
    ts = row.get("trigger_start")
    ev = Event(
        doc_id=rec["doc_id"],
        event=rec["event"],
        actor=[
            Actor(code=a["code"], sector=a.get("sector"), text=a.get("text", ""), name=a.get("name"))
            for a in rec.get("actor") or []
        ],
        recipient=[
            Actor(code=a["code"], sector=a.get("sector"), text=a.get("text", ""), name=a.get("name"))
            for a in rec.get("recipient") or []
        ],
        text=rec.get("text") or "",
        span=(rec["span"]["start"], rec["span"]["end"]),
        event_text=rec.get("event_text") or "",
        trigger_span=(int(ts), int(row["trigger_end"])) if pd.notna(ts) else None,  # None or NaN: no trigger
        mode=rec.get("mode"),
        context=list(rec.get("context") or []),
        cameo_code=rec.get("cameo_code"),
        quad_code=rec.get("quad_code"),
        goldstein=rec.get("goldstein"),
        event_scale=rec.get("event_scale"),
        date=dt.date.fromisoformat(rec["date"]) if rec.get("date") else None,
        date_precision=rec.get("date_precision") or "",
        event_loc=Location(**loc) if loc else None,
        confidence=rec.get("confidence", 0.5),
        flags=dict(rec.get("flags") or {}),
        symmetric=bool(rec.get("symmetric")),
        sentence_index=int(row.get("sentence_index") or 0),
        evidence=[(e["start"], e["end"]) for e in rec.get("evidence") or []],
        coder_version=rec.get("coder_version") or "",
        id=rec["id"],
    )
    return ev


def read_partition(parquet_dir: str, index: int) -> list[tuple[Document, list[Event]]]:
    """One partition's documents with their events, in input order."""

    root = Path(parquet_dir)
    name = _part_name(index)
    docs_t = pq.read_table(root / "documents" / f"{name}.parquet").to_pylist()
    events: dict[str, list[tuple[int, Event]]] = {}
    for path in sorted(glob.glob(str(root / "events" / "date=*" / f"{name}.parquet"))):
        key = Path(path).parent.name.split("=", 1)[1]
        for row in pq.read_table(path).to_pylist():
            ev = event_from_row(row, None if key == HIVE_NULL else key)
            events.setdefault(ev.doc_id, []).append((row["span_start"] or 0, ev))
    out = []
    for r in sorted(docs_t, key=lambda r: r["position"]):
        meta = json.loads(r["metadata"]) if r["metadata"] else {}
        d = Document(
            id=r["id"],
            text=r["text"],
            date=r["date"],
            title=r["title"],
            url=r["url"],
            source=r["source"],
            metadata=meta,
            origin=r["origin"],
        )
        # the coder's own order: by span, stable for events of one sentence
        evs = [e for _, e in sorted(events.get(d.id, []), key=lambda p: p[0])]
        out.append((d, evs))
    return out


def done_partitions(parquet_dir: str) -> list[int]:
    return sorted(int(p.rsplit("-", 1)[1]) for p in glob.glob(os.path.join(parquet_dir, "_done", "part-*")))


class _Precoded:
    """A 'coder' that hands back results coded elsewhere (so CodingRun's writer path is reused)."""

    def __init__(self, coded: list[tuple[Document, list[Event]]]):
        self.by_id = {d.id: evs for d, evs in coded}

    def code_many(self, documents, batch_size: int = 0):
        for d in documents:
            yield d, self.by_id.get(d.id, [])


def _load_coded(store, dedup, coded, stats, batch_size: int, parquet_dir: str | None, index: int | None):
    run = CodingRun(
        store, coder=_Precoded(coded), dedup=dedup, batch_size=batch_size, on_error=lambda e: None
    )
    s = run.run([d for d, _ in coded])
    stats.coded += s.coded
    stats.events += s.events
    stats.duplicates += s.duplicates
    stats.skipped_known += s.skipped_known
    stats.words += s.words
    if parquet_dir is not None and index is not None:
        _write_mentions(store, parquet_dir, index, [d.id for d, _ in coded])


def _write_mentions(store, parquet_dir: str, index: int, doc_ids: list[str]) -> None:
    df = pd.DataFrame({"doc_id": doc_ids})
    store.con.register("_part_docs", df)
    try:
        out = store.con.execute(
            "SELECT m.event_id, m.doc_id, m.source, m.date, d.duplicate_of "
            "FROM mentions m JOIN _part_docs p USING (doc_id) "
            "JOIN documents d ON d.id = m.doc_id ORDER BY m.doc_id, m.event_id"
        ).df()
    finally:
        store.con.unregister("_part_docs")
    t = pa.Table.from_pandas(out, preserve_index=False)
    mdir = Path(parquet_dir) / "mentions"
    mdir.mkdir(parents=True, exist_ok=True)
    _atomic_write(t, str(mdir / f"{_part_name(index)}.parquet"))


def load_parquet(
    parquet_dir: str, db: str, dedup: bool = True, batch_size: int = 64, quiet: bool = True
) -> RunStats:
    """Load every complete partition of a Parquet directory into a DuckDB store, in input order,
    folding near-duplicates as a local run does. Idempotent: stored documents are skipped."""

    stats = RunStats()
    t0 = time.perf_counter()
    parts = done_partitions(parquet_dir)
    if not parts:
        raise DetenteError(f"{parquet_dir}: no complete partitions (no _done/part-* markers)")
    with EventStore(db) as store:
        index = NearDuplicateIndex.from_store(store) if dedup else None
        for i in parts:
            coded = read_partition(parquet_dir, i)
            stats.read += len(coded)
            _load_coded(store, index, coded, stats, batch_size, parquet_dir, i)
    stats.seconds = time.perf_counter() - t0
    return stats


# --------------------------------------------------------------------------- the client


def _report(stats: RunStats, err: InputError, quiet: bool) -> None:
    stats.errors += 1
    if len(stats.error_messages) < 1000:
        stats.error_messages.append(str(err))
    if not quiet:
        print(f"error: {err}", file=sys.stderr)


def _partitions(
    items: Iterable[Document | InputError], size: int, limit: int | None, stats, quiet: bool
) -> Iterator[tuple[int, list[Document]]]:
    """Partitions of the documents read, in input order. A partition is a fixed slice of the
    input (its index names its Parquet file), so a rerun finds the partitions already coded."""
    buf: list[Document] = []
    index = 0
    for item in items:
        if limit is not None and stats.read >= limit:
            break
        if isinstance(item, InputError):
            _report(stats, item, quiet)
            continue
        stats.read += 1
        buf.append(item)
        if len(buf) >= size:
            yield index, buf
            index += 1
            buf = []
    if buf:
        yield index, buf


def _watched(items: Iterable[Document | InputError], on_document: Callable[[Document], None] | None):
    for it in items:
        if on_document is not None and isinstance(it, Document):
            on_document(it)
        yield it


def run_dask(
    inputs: list[str],
    db: str | None = "detente.duckdb",
    parquet_dir: str = "events_parquet",
    scheduler: str | None = None,
    workers: int = 1,
    limit: int | None = None,
    quiet: bool = False,
    partition_size: int = PARTITION_SIZE,
    dedup: bool = True,
    batch_size: int = 64,
    client=None,
    coder_factory: CoderFactory | None = None,
    on_document: Callable[[Document], None] | None = None,
) -> RunStats:
    """Code INPUTS on a Dask cluster (a LocalCluster of `workers` processes unless `scheduler`
    or `client` is given), write Parquet to `parquet_dir`, and load it into `db` (None: Parquet
    only). Returns RunStats like a local run. `coder_factory` (default: from this process's
    settings) goes to the workers with each partition. `on_document` sees every document read
    (`detente code --out` remembers their ids).

    Ids follow the local engine's policy (execution.ids): a document whose id is stored or was
    read earlier in the run is a repeat with the same text, an error naming both otherwise."""

    stats = RunStats()
    t0 = time.perf_counter()
    parquet_dir = os.path.abspath(parquet_dir) if "://" not in parquet_dir else parquet_dir
    Path(parquet_dir).mkdir(parents=True, exist_ok=True)
    own_client = client is None
    cluster = None
    if client is None:
        client, cluster = _connect_client(scheduler, workers)
    loader = None
    try:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})) or workers)
        loader = _PartitionLoader(parquet_dir, db, dedup, batch_size, stats, t0)
        factory = coder_factory or CoderFactory.from_settings()
        done = set(done_partitions(parquet_dir))
        ids = IdGuard(loader.store)
        window: deque = deque()
        items = _watched(read_inputs(inputs), on_document)
        for i, raw in _partitions(items, partition_size, limit, stats, quiet):
            checked = ids.check(raw)
            for err in checked.errors:
                _report(stats, err, quiet)
            docs = checked.fresh
            # a partition coded by an earlier run is loaded from its Parquet file, and the store
            # counts what it holds already; repeats within this run are counted here
            stats.skipped_known += checked.repeats - (checked.stored_repeats if i in done else 0)
            if i in done:
                window.append((i, None, docs))  # coded by an earlier run: load only
            elif not docs:
                continue  # every document stored already (e.g. by a local run) or refused
            else:
                fut = client.submit(
                    code_partition,
                    i,
                    docs,
                    parquet_dir,
                    batch_size,
                    factory,
                    pure=False,
                    key=f"detente-code-{_part_name(i)}-{os.getpid()}-{time.time_ns()}",
                )
                window.append((i, fut, docs))
            while len(window) > 2 * n_workers:
                ids.stored(loader.finish(*window.popleft()))
        while window:
            ids.stored(loader.finish(*window.popleft()))
    finally:
        if loader is not None:
            loader.close()
        if own_client:
            client.close()
        if cluster is not None:
            cluster.close()
    stats.seconds = time.perf_counter() - t0
    return stats


def _connect_client(scheduler: str | None, workers: int):
    """(client, cluster): a client of the scheduler at `scheduler`, or of a new LocalCluster."""
    try:
        from dask.distributed import Client
    except ImportError as e:  # pragma: no cover - dask is a dependency
        raise DetenteError(f"--engine dask needs dask.distributed: {e}") from None
    if scheduler:
        try:
            return Client(scheduler, timeout="30s"), None
        except OSError as e:
            raise DetenteError(f"cannot reach the Dask scheduler at {scheduler}: {e}") from None
    cluster = local_cluster(workers)
    return Client(cluster), cluster


class _PartitionLoader:
    """The client side of finished partitions: loads each into the database in input order
    (with `db`), or only counts it (Parquet only)."""

    def __init__(
        self, parquet_dir: str, db: str | None, dedup: bool, batch_size: int, stats: RunStats, t0: float
    ):
        self.parquet_dir = parquet_dir
        self.batch_size = batch_size
        self.stats = stats
        self.t0 = t0
        self.store = EventStore(db) if db else None
        self.index = NearDuplicateIndex.from_store(self.store) if self.store is not None and dedup else None

    def finish(self, index: int, fut, docs: list[Document]) -> list[str]:
        """Load (or count) a finished partition; returns the ids it held."""
        info = fut.result() if fut is not None else None
        if self.store is not None:
            coded = read_partition(self.parquet_dir, index)
            _load_coded(self.store, self.index, coded, self.stats, self.batch_size, self.parquet_dir, index)
        elif info is not None:
            self.stats.coded += info["documents"]
            self.stats.events += info["events"]
        else:
            self.stats.skipped_known += len(docs)
        self.stats.seconds = time.perf_counter() - self.t0
        return [d.id for d in docs]

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


def local_cluster(workers: int):
    """A LocalCluster of `workers` single-threaded worker processes with WORKER_CONFIG."""
    import dask
    from dask.distributed import LocalCluster

    _limit_env_threads()
    with dask.config.set(WORKER_CONFIG):
        return LocalCluster(
            n_workers=max(1, workers),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=40,
        )


def _limit_env_threads() -> None:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
