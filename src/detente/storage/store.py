"""The event store: one DuckDB file holding documents, events and their actors.

Writes go in batches, one transaction per batch (documents together with all their events), so a
run killed at any point leaves only whole documents behind and a rerun picks up where it stopped:
documents already stored are skipped by id.

Tables
  documents     one row per story read (text kept so evidence offsets can be shown)
  events        one row per distinct event, flattened for queries, plus the full PLOVER record
  event_actors  one row per (event, role, actor): actor/recipient lists normalised for filtering
  mentions      one row per (event, document) reporting it: the event's own document, plus any
                near-duplicate copy of the story that repeats it (GDELT's Mentions table)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import stat as stat_mod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from detente.errors import DetenteError
from detente.io.readers import display_name
from detente.lexicon import words
from detente.model import Document, Event
from detente.storage.connections import StoreError, connect
from detente.storage.parquet import parquet_views
from detente.storage.query import EventQuery
from detente.storage.schema import DOC_COLUMNS, EVENT_COLUMNS, SCHEMA, SCHEMA_VERSION, WATCH_SCHEMA

_SURROGATE = re.compile("[\ud800-\udfff]")


# DuckDB database files carry this magic at byte 8 (after an 8-byte checksum).
DUCKDB_MAGIC = b"DUCK"
# What other files given as --db usually are, by their first bytes.
_FILE_KINDS = (
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"PAR1", "a Parquet file"),
    (b"\x1f\x8b", "a gzip file"),
    (b"PK\x03\x04", "a zip file"),
    (b"{", "a JSON (lines) file"),
    (b"[", "a JSON file"),
    (b"<", "an HTML or XML file"),
)
# A new database with one of these names is almost certainly a mistake (`--db events.jsonl`
# meant `--out events.jsonl`): refused instead of creating a DuckDB file with that name.
INPUT_LIKE_SUFFIXES = words("input_file_suffixes")


def check_database_path(path: str | Path, for_writing: bool) -> None:
    """Refuse anything that is not a DuckDB database (or a new one to create) before DuckDB
    touches it: DuckDB opens some other files in its own way -- a JSON lines file as an
    in-memory database of that file (a coding run then "stores" its events nowhere), an SQLite
    file by fetching an extension over the network -- and reports others confusingly."""
    p = str(path)
    if p == ":memory:":
        return
    try:
        st = os.stat(p)
    except FileNotFoundError:
        if not for_writing:
            raise StoreError(f"{p}: no such database (run `detente code` first)") from None
        suffix = Path(p).suffix.lower()
        if suffix in INPUT_LIKE_SUFFIXES:
            raise StoreError(
                f"{p}: will not create a database named like a {suffix} file "
                f"(did you mean --out?); use a name ending in .duckdb"
            ) from None
        parent = Path(p).parent
        if not parent.is_dir():
            raise StoreError(
                f"{p}: cannot create the database: folder {str(parent)!r} does not exist"
            ) from None
        return
    except (OSError, ValueError) as e:
        raise StoreError(f"{p}: cannot open database: {getattr(e, 'strerror', None) or e}") from None

    if stat_mod.S_ISDIR(st.st_mode):
        if for_writing:
            raise StoreError(f"{p}: is a directory, not a DuckDB database file")
        return  # a Parquet directory, read through views
    if not stat_mod.S_ISREG(st.st_mode):
        raise StoreError(f"{p}: not a regular file, so not a DuckDB database")
    try:
        with open(p, "rb") as f:
            head = f.read(16)
    except OSError as e:
        raise StoreError(f"{p}: cannot open database: {e.strerror or e}") from None
    if len(head) >= 12 and head[8:12] == DUCKDB_MAGIC:
        return
    if not head:
        what = "an empty file"
    else:
        what = next((k for magic, k in _FILE_KINDS if head.lstrip().startswith(magic)), "some other file")
    raise StoreError(
        f"{p}: not a DuckDB database ({what}); refusing to use it (give a new "
        f"file name or an existing Detente database)"
    )


def document_row(d: Document, n_events: int, **extra: Any) -> dict[str, Any]:
    """The documents-table row of a story (also the Parquet row of the Dask path)."""
    return {
        "id": d.id,
        "content_hash": d.content_hash,
        "source": _storable(d.source),
        "url": _storable(d.url),
        "title": _storable(d.title),
        "date": d.date,
        "text": _storable(d.text),
        "metadata": json.dumps(d.metadata, ensure_ascii=False, default=str),
        "origin": _origin(d.origin),
        "n_events": n_events,
        **extra,
    }


def _storable(s: str | None) -> str | None:
    """Lone surrogates cannot be encoded as UTF-8, so one would fail the whole batch: the readers
    clean them, and this catches any that come another way (the Python API)."""
    if s is None or not _SURROGATE.search(s):
        return s
    return _SURROGATE.sub("\ufffd", s)


def _origin(origin: str | None) -> str | None:
    """Where a document came from, as text that can be stored and printed (file names may be
    bytes that are not UTF-8, or hold line breaks)."""
    if origin is None:
        return None

    return display_name(origin)


def event_row(ev: Event) -> dict[str, Any]:
    rec = ev.to_record()
    src = ev.actor[0] if ev.actor else None
    tgt = ev.recipient[0] if ev.recipient else None
    loc = ev.event_loc
    return {
        "id": rec["id"],
        "doc_id": ev.doc_id,
        "sentence_index": ev.sentence_index,
        "date": ev.date,
        "event": ev.event,
        "mode": ev.mode,
        "context": list(ev.context),
        "quad_code": ev.quad_code,
        "cameo_code": ev.cameo_code,
        "goldstein": ev.goldstein,
        "event_scale": ev.event_scale,
        "source_code": src.code if src else None,
        "source_sector": src.sector if src else None,
        "target_code": tgt.code if tgt else None,
        "target_sector": tgt.sector if tgt else None,
        "event_text": ev.event_text,
        "text": ev.text,
        "span_start": ev.span[0],
        "span_end": ev.span[1],
        "loc_text": loc.text if loc else None,
        "loc_name": loc.name if loc else None,
        "loc_country": loc.country_code if loc else None,
        "lat": loc.lat if loc else None,
        "lon": loc.lon if loc else None,
        "geonameid": loc.geonameid if loc else None,
        "confidence": float(ev.confidence),
        "negated": bool(ev.flags.get("negated")),
        "hypothetical": bool(ev.flags.get("hypothetical")),
        "future": bool(ev.flags.get("future")),
        "historical": bool(ev.flags.get("historical")),
        "symmetric": bool(ev.symmetric),
        "coder_version": ev.coder_version,
        "record": json.dumps(rec, ensure_ascii=False),
        "date_precision": rec["date_precision"],
    }


def record_row(rec: dict[str, Any], sentence_index: int = 0) -> dict[str, Any]:
    """Same flattening from a PLOVER record dict (used when loading Parquet/JSONL back)."""
    src = (rec.get("actor") or [None])[0] or {}
    tgt = (rec.get("recipient") or [None])[0] or {}
    loc = rec.get("event_loc") or {}
    flags = rec.get("flags") or {}
    span = rec.get("span") or {}
    return {
        "id": rec["id"],
        "doc_id": rec["doc_id"],
        "sentence_index": rec.get("sentence_index", sentence_index),
        "date": rec.get("date"),
        "event": rec["event"],
        "mode": rec.get("mode"),
        "context": list(rec.get("context") or []),
        "quad_code": rec.get("quad_code"),
        "cameo_code": rec.get("cameo_code"),
        "goldstein": rec.get("goldstein"),
        "event_scale": rec.get("event_scale"),
        "source_code": src.get("code"),
        "source_sector": src.get("sector"),
        "target_code": tgt.get("code"),
        "target_sector": tgt.get("sector"),
        "event_text": rec.get("event_text"),
        "text": rec.get("text"),
        "span_start": span.get("start"),
        "span_end": span.get("end"),
        "loc_text": loc.get("text"),
        "loc_name": loc.get("name"),
        "loc_country": loc.get("country_code"),
        "lat": loc.get("lat"),
        "lon": loc.get("lon"),
        "geonameid": loc.get("geonameid"),
        "confidence": rec.get("confidence"),
        "negated": bool(flags.get("negated")),
        "hypothetical": bool(flags.get("hypothetical")),
        "future": bool(flags.get("future")),
        "historical": bool(flags.get("historical")),
        "symmetric": bool(rec.get("symmetric")),
        "coder_version": rec.get("coder_version"),
        "record": json.dumps(rec, ensure_ascii=False),
        "date_precision": rec.get("date_precision") or ("day" if rec.get("date") else None),
    }


def actor_rows(rec: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for role in ("actor", "recipient"):
        for i, a in enumerate(rec.get(role) or []):
            rows.append(
                {
                    "event_id": rec["id"],
                    "role": role,
                    "position": i,
                    "code": a.get("code"),
                    "sector": a.get("sector"),
                    "text": a.get("text"),
                    "name": a.get("name"),
                }
            )
    return rows


ACTOR_COLUMNS = ["event_id", "role", "position", "code", "sector", "text", "name"]
MENTION_COLUMNS = ["event_id", "doc_id", "source", "date"]


@dataclass
class _BatchRows:
    """The rows one write_batch inserts, gathered before its transaction starts."""

    docs: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    # (event, document) rows of events stored with this batch
    own_mentions: list[dict[str, Any]] = field(default_factory=list)
    # events of near-duplicate copies, still to be matched to the original story's events
    duplicate_mentions: list[dict[str, Any]] = field(default_factory=list)
    doc_ids: set[str] = field(default_factory=set)
    event_ids: set[str] = field(default_factory=set)

    def add(self, d: Document, evs: list[Event], duplicate_of: str | None, coded_at: dt.datetime) -> None:
        self.doc_ids.add(d.id)
        # distinct ids: an event found twice in a document is stored once, and counted once
        n_distinct = len({ev.id or ev.make_id() for ev in evs})
        self.docs.append(document_row(d, n_distinct, duplicate_of=duplicate_of, coded_at=coded_at))
        for ev in evs:
            row = event_row(ev)
            mention = {"doc_id": d.id, "source": d.source, "date": d.date}
            if duplicate_of is not None:
                sig = _event_signature(row)
                self.duplicate_mentions.append({**mention, "_sig": sig, "_dup": duplicate_of, "_row": row})
            elif row["id"] not in self.event_ids:
                self.event_ids.add(row["id"])
                self.events.append(row)
                self.own_mentions.append({"event_id": row["id"], **mention})


class EventStore:
    """A DuckDB event store. `read_only=True` for queries (API, analysis), False for coding runs."""

    def __init__(self, path: str | Path = "detente.duckdb", read_only: bool = False):

        self.con = None
        check_database_path(path, for_writing=not read_only)
        try:
            self._open(path, read_only)
        except duckdb.Error as e:
            # a truncated or damaged file can open, then fail on its first read
            self.close()
            raise StoreError(
                f"{path}: cannot use the database (damaged or truncated file?): {str(e).splitlines()[0]}"
            ) from None
        except BaseException:
            self.close()
            raise

    def _open(self, path: str | Path, read_only: bool) -> None:
        self.path = str(path)
        self.read_only = read_only
        if read_only and not os.path.exists(self.path):
            raise StoreError(f"{self.path}: no such database (run `detente code` first)")
        if read_only and os.path.isdir(self.path):
            # A Parquet directory written by `detente code --engine dask`: query it through views.

            self.con = duckdb.connect(":memory:")
            try:
                parquet_views(self.con, self.path)
            except (DetenteError, duckdb.Error) as e:
                self.con.close()
                raise StoreError(f"{self.path}: {str(e).splitlines()[0]}") from None
            return
        self.con = connect(self.path, read_only)
        if not read_only:
            self.con.execute(SCHEMA)
            # databases made before the column existed (the table is not recreated)
            self.con.execute("ALTER TABLE events ADD COLUMN IF NOT EXISTS date_precision VARCHAR")
            self.con.execute(WATCH_SCHEMA)
            self.con.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
        else:
            tables = {
                r[0] for r in self.con.execute("SELECT table_name FROM information_schema.tables").fetchall()
            }
            if "events" not in tables:
                raise StoreError(f"{self.path}: not a Detente database (no events table)")

    # ------------------------------------------------------------------ context manager
    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------------ writing
    def known_documents(self, ids: Sequence[str]) -> dict[str, tuple[str, str | None]]:
        """{id: (content_hash, origin)} of the given ids that are stored."""
        if not ids:
            return {}
        self.con.register("_probe_docs", pa.table({"id": pa.array(list(ids), pa.string())}))
        try:
            rows = self.con.execute(
                "SELECT d.id, d.content_hash, d.origin FROM documents d JOIN _probe_docs p USING (id)"
            ).fetchall()
        finally:
            self.con.unregister("_probe_docs")
        return {r[0]: (r[1], r[2]) for r in rows}

    def known_ids(self, ids: Sequence[str]) -> set[str]:
        if not ids:
            return set()
        self.con.register("_probe_ids", pa.table({"id": pa.array(list(ids), pa.string())}))
        try:
            rows = self.con.execute("SELECT d.id FROM documents d JOIN _probe_ids p USING (id)").fetchall()
        finally:
            self.con.unregister("_probe_ids")
        return {r[0] for r in rows}

    def write_batch(
        self,
        coded: Iterable[tuple[Document, list[Event]]],
        duplicate_of: dict[str, str] | None = None,
        extra_rows: dict[str, list[dict[str, Any]]] | None = None,
    ) -> tuple[int, int]:
        """Insert documents with their events in one transaction. Returns (documents, events) added.

        Documents whose id is already stored are skipped (so reruns and resumed runs add nothing).
        `duplicate_of` maps a document id to the id of an earlier story it is a near-copy of:
        its events are then recorded as extra mentions of that story's matching events, not as
        new events. `extra_rows` ({table: rows}) are written in the same transaction (e.g. the
        near-duplicate index's bands), so a crash never leaves one without the other.
        """
        coded = list(coded)
        if not coded:
            return 0, 0
        seen = self.known_ids([d.id for d, _ in coded])
        batch = _BatchRows()
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        for d, evs in coded:
            if d.id not in seen and d.id not in batch.doc_ids:
                batch.add(d, evs, (duplicate_of or {}).get(d.id), now)
        if not batch.docs:
            return 0, 0
        try:
            self.con.execute("BEGIN TRANSACTION")
            self._insert_batch(batch, extra_rows or {})
            self.con.execute("COMMIT")
        except StoreError:
            self._rollback()
            raise
        except Exception as e:
            self._rollback()
            raise self._write_error(e) from e
        return len(batch.docs), len(batch.events)

    def _insert_batch(self, batch: _BatchRows, extra_rows: dict[str, list[dict[str, Any]]]) -> None:
        """The inserts of one write_batch, inside its transaction."""
        self._insert("documents", batch.docs, DOC_COLUMNS)
        self._insert_events(batch.events)
        dup_mentions, fresh = self._resolve_duplicate_mentions(batch.duplicate_mentions, batch.event_ids)
        if fresh:  # an updated copy can add events the original did not have
            self._insert_events(fresh)
            batch.events.extend(fresh)
        if batch.own_mentions or dup_mentions:
            self._insert("mentions", batch.own_mentions + dup_mentions, MENTION_COLUMNS, ignore=True)
        for table, rows in extra_rows.items():
            rows = [r for r in rows if r.get("doc_id") in batch.doc_ids]
            if rows:
                # rows of documents inserted just now: new by construction (no key needed)
                self._insert(table, rows, list(rows[0].keys()))

    def _insert_events(self, rows: list[dict[str, Any]]) -> None:
        """Event rows and the actor rows of their records."""
        if rows:
            self._insert("events", rows, EVENT_COLUMNS)
            actors = [a for r in rows for a in actor_rows(json.loads(r["record"]))]
            if actors:
                self._insert("event_actors", actors, ACTOR_COLUMNS)

    def _rollback(self) -> None:
        # any failure: the connection may already be gone (disk full, killed)
        with contextlib.suppress(Exception):
            self.con.execute("ROLLBACK")

    def _write_error(self, e: Exception) -> BaseException:
        """What a failed batch raises: Ctrl-C that arrived while DuckDB was executing (DuckDB
        reports the signal as its own exception) as the user's interrupt (exit 130), not a write
        error; anything else as a StoreError saying the batch was rolled back."""
        if isinstance(e, duckdb.InterruptException):
            return KeyboardInterrupt()
        return StoreError(f"{self.path}: write failed, batch rolled back: {str(e).splitlines()[0]}")

    def _resolve_duplicate_mentions(
        self, pending: list[dict[str, Any]], batch_event_ids: set[str]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Match a near-duplicate's events to the original story's events by signature.
        Returns (mentions of existing events, rows of events the copy adds)."""
        if not pending:
            return [], []
        out, fresh = [], []
        originals = {m["_dup"] for m in pending}
        sigs: dict[tuple[str, tuple], str] = {}
        for orig in originals:
            for (rec_json,) in self.con.execute(
                "SELECT record FROM events WHERE doc_id = ?", [orig]
            ).fetchall():
                rec = json.loads(rec_json)
                sigs.setdefault((orig, _event_signature(record_row(rec))), rec["id"])
        for m in pending:
            ev_id = sigs.get((m["_dup"], m["_sig"]))
            if ev_id is None:
                row = m["_row"]
                if row["id"] in batch_event_ids:
                    continue
                batch_event_ids.add(row["id"])
                fresh.append(row)
                ev_id = row["id"]
            out.append({"event_id": ev_id, "doc_id": m["doc_id"], "source": m["source"], "date": m["date"]})
        return out, fresh

    def _insert(
        self, table: str, rows: list[dict[str, Any]], columns: list[str], ignore: bool = False
    ) -> None:
        df = pa.Table.from_pydict({c: [r.get(c) for r in rows] for c in columns})
        name = f"_batch_{table}"
        self.con.register(name, df)
        try:
            verb = "INSERT OR IGNORE" if ignore else "INSERT"
            cols = ", ".join(f'"{c}"' for c in columns)
            self.con.execute(f"{verb} INTO {table} ({cols}) SELECT {cols} FROM {name}")
        finally:
            # an aborted transaction refuses even this; the rollback cleans up
            with contextlib.suppress(Exception):
                self.con.unregister(name)

    def add_records(self, records: Iterable[dict[str, Any]]) -> int:
        """Load PLOVER records (e.g. from the Dask Parquet output) into the store, skipping known ids."""
        recs = list(records)
        if not recs:
            return 0
        rows = [record_row(r) for r in recs]
        self.con.execute("BEGIN TRANSACTION")
        try:
            before = self.con.execute("SELECT count(*) FROM events").fetchone()[0]
            self._insert("events", rows, EVENT_COLUMNS, ignore=True)
            after = self.con.execute("SELECT count(*) FROM events").fetchone()[0]
            self._insert(
                "event_actors",
                [a for r in recs for a in actor_rows(r)],
                ACTOR_COLUMNS,
            )
            self.con.execute("COMMIT")
        except Exception:
            self.con.execute("ROLLBACK")
            raise
        return after - before

    # ------------------------------------------------------------------ reading
    def counts(self) -> dict[str, int]:
        q = lambda sql: self.con.execute(sql).fetchone()[0]
        return {
            "documents": q("SELECT count(*) FROM documents"),
            "events": q("SELECT count(*) FROM events"),
            "duplicates": q("SELECT count(*) FROM documents WHERE duplicate_of IS NOT NULL"),
            "mentions": q("SELECT count(*) FROM mentions"),
        }

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        return self.con.execute(sql, params or []).df()

    def events(self, **filters: Any) -> pd.DataFrame:
        """Events as a DataFrame; filters as in `EventQuery` (actor, target, dyad, type, quad,
        since, until, limit, offset, include_flagged, text)."""

        q = EventQuery(**filters)
        sql, params = q.to_sql()
        return self.con.execute(sql, params).df()

    def records(self, **filters: Any) -> Iterable[dict[str, Any]]:
        q = EventQuery(**filters)
        sql, params = q.to_sql(columns="e.record")
        cur = self.con.execute(sql, params)
        while True:
            rows = cur.fetchmany(5000)
            if not rows:
                break
            for (rec,) in rows:
                yield json.loads(rec)

    def document(self, doc_id: str) -> dict[str, Any] | None:
        df = self.con.execute("SELECT * FROM documents WHERE id = ?", [doc_id]).df()
        if df.empty:
            return None
        return df.iloc[0].to_dict()


def open_store(path: str | Path = "detente.duckdb", read_only: bool = True) -> EventStore:
    """Open an event store for queries that return pandas DataFrames (`detente.open`)."""
    return EventStore(path, read_only=read_only)


def _event_signature(row: dict[str, Any]) -> tuple:
    """What makes two coded events 'the same event' across copies of one story."""
    return (
        row["event"],
        row["source_code"],
        row["source_sector"],
        row["target_code"],
        row["target_sector"],
        row["negated"],
        row["hypothetical"],
    )
