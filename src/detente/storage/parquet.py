"""Reading a Parquet directory written by `detente code --engine dask` as the store's tables."""

from __future__ import annotations

import glob
from pathlib import Path

import duckdb

from detente.errors import DetenteError
from detente.storage.schema import DOC_COLUMNS, EVENT_COLUMNS


def parquet_views(con: duckdb.DuckDBPyConnection, parquet_dir: str) -> None:
    """Create the store's tables as DuckDB views over a Parquet directory (read-only queries).

    With mentions/ (written when the run also loaded a database), near-duplicate copies are
    folded exactly as in the database: an event counts once, however many copies report it."""
    root = Path(parquet_dir)
    q = lambda p: str(root / p).replace("'", "''")
    if not glob.glob(str(root / "documents" / "*.parquet")):
        raise DetenteError(f"{parquet_dir}: not a Detente Parquet directory (no documents/*.parquet)")
    has_events = bool(glob.glob(str(root / "events" / "date=*" / "*.parquet")))
    has_mentions = bool(glob.glob(str(root / "mentions" / "*.parquet")))
    dup = (
        f"(SELECT DISTINCT doc_id, duplicate_of FROM read_parquet('{q('mentions/*.parquet')}'))"
        if has_mentions
        else "(SELECT NULL::VARCHAR AS doc_id, NULL::VARCHAR AS duplicate_of WHERE false)"
    )
    con.execute(f"""CREATE VIEW documents AS SELECT d.id, d.content_hash, d.source, d.url, d.title, d.date,
        d.text, d.metadata::JSON AS metadata, d.origin, d.n_events, m.duplicate_of, NULL::TIMESTAMP AS coded_at
        FROM read_parquet('{q("documents/*.parquet")}') d LEFT JOIN {dup} m ON m.doc_id = d.id""")
    cols = ", ".join(f'"{c}"' if c != "record" else "record::JSON AS record" for c in EVENT_COLUMNS)
    if has_events:
        raw = (
            f"(SELECT * REPLACE (CAST(date AS DATE) AS date) FROM read_parquet('{q('events/*/*.parquet')}', "
            "hive_partitioning = true, union_by_name = true))"
        )
        where = (
            f" WHERE id IN (SELECT event_id FROM read_parquet('{q('mentions/*.parquet')}'))"
            if has_mentions
            else ""
        )
        con.execute(f"CREATE VIEW events AS SELECT {cols} FROM {raw}{where}")
        if glob.glob(str(root / "actors" / "*.parquet")):
            con.execute(
                f"CREATE VIEW event_actors AS SELECT * FROM read_parquet('{q('actors/*.parquet')}') "
                "WHERE event_id IN (SELECT id FROM events)"
            )
    else:
        con.execute("CREATE TABLE events AS SELECT * FROM (SELECT 1) WHERE false")  # pragma: no cover
    if has_mentions:
        con.execute(
            f"CREATE VIEW mentions AS SELECT event_id, doc_id, source, date "
            f"FROM read_parquet('{q('mentions/*.parquet')}')"
        )
    else:
        con.execute(
            "CREATE VIEW mentions AS SELECT e.id AS event_id, e.doc_id, d.source, d.date "
            "FROM events e JOIN documents d ON d.id = e.doc_id"
        )
    _ = DOC_COLUMNS
