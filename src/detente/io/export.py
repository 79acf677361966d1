"""Event exports: PLOVER JSONL, flat CSV, Parquet and GDELT 2.0 event columns.

Writers take an iterable of PLOVER record dicts (from the store or straight from the coder), so the
same code serves `detente code --out` and `detente export`.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
import os
import re
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

from detente.errors import DetenteError

FORMATS = ("jsonl", "csv", "parquet", "gdelt")

FLAT_COLUMNS = [
    "id",
    "doc_id",
    "date",
    "source_code",
    "source_sector",
    "source_text",
    "target_code",
    "target_sector",
    "target_text",
    "event",
    "mode",
    "context",
    "quad_code",
    "cameo_code",
    "goldstein",
    "event_scale",
    "loc_text",
    "loc_name",
    "loc_country",
    "lat",
    "lon",
    "geonameid",
    "event_text",
    "text",
    "span_start",
    "span_end",
    "confidence",
    "negated",
    "hypothetical",
    "future",
    "historical",
    "symmetric",
    "actors",
    "recipients",
    "coder_version",
]

# The 61 columns of a GDELT 2.0 event file, in order. Columns we cannot fill stay empty.
GDELT_COLUMNS = [
    "GlobalEventID",
    "Day",
    "MonthYear",
    "Year",
    "FractionDate",
    *[
        f"Actor1{c}"
        for c in (
            "Code",
            "Name",
            "CountryCode",
            "KnownGroupCode",
            "EthnicCode",
            "Religion1Code",
            "Religion2Code",
            "Type1Code",
            "Type2Code",
            "Type3Code",
        )
    ],
    *[
        f"Actor2{c}"
        for c in (
            "Code",
            "Name",
            "CountryCode",
            "KnownGroupCode",
            "EthnicCode",
            "Religion1Code",
            "Religion2Code",
            "Type1Code",
            "Type2Code",
            "Type3Code",
        )
    ],
    "IsRootEvent",
    "EventCode",
    "EventBaseCode",
    "EventRootCode",
    "QuadClass",
    "GoldsteinScale",
    "NumMentions",
    "NumSources",
    "NumArticles",
    "AvgTone",
    *[
        f"{p}Geo_{c}"
        for p in ("Actor1", "Actor2", "Action")
        for c in ("Type", "FullName", "CountryCode", "ADM1Code", "ADM2Code", "Lat", "Long", "FeatureID")
    ],
    "DATEADDED",
    "SOURCEURL",
]


def flat_row(rec: dict[str, Any]) -> dict[str, Any]:
    src = (rec.get("actor") or [{}])[0] or {}
    tgt = (rec.get("recipient") or [{}])[0] or {}
    loc = rec.get("event_loc") or {}
    flags = rec.get("flags") or {}
    span = rec.get("span") or {}
    return {
        "id": rec.get("id"),
        "doc_id": rec.get("doc_id"),
        "date": rec.get("date"),
        "source_code": src.get("code"),
        "source_sector": src.get("sector"),
        "source_text": src.get("text"),
        "target_code": tgt.get("code"),
        "target_sector": tgt.get("sector"),
        "target_text": tgt.get("text"),
        "event": rec.get("event"),
        "mode": rec.get("mode"),
        "context": ";".join(rec.get("context") or []),
        "quad_code": rec.get("quad_code"),
        "cameo_code": rec.get("cameo_code"),
        "goldstein": rec.get("goldstein"),
        "event_scale": rec.get("event_scale"),
        "loc_text": loc.get("text"),
        "loc_name": loc.get("name"),
        "loc_country": loc.get("country_code"),
        "lat": loc.get("lat"),
        "lon": loc.get("lon"),
        "geonameid": loc.get("geonameid"),
        "event_text": rec.get("event_text"),
        "text": rec.get("text"),
        "span_start": span.get("start"),
        "span_end": span.get("end"),
        "confidence": rec.get("confidence"),
        "negated": bool(flags.get("negated")),
        "hypothetical": bool(flags.get("hypothetical")),
        "future": bool(flags.get("future")),
        "historical": bool(flags.get("historical")),
        "symmetric": bool(rec.get("symmetric")),
        "actors": "|".join(f"{a.get('code')}:{a.get('sector') or ''}" for a in rec.get("actor") or []),
        "recipients": "|".join(
            f"{a.get('code')}:{a.get('sector') or ''}" for a in rec.get("recipient") or []
        ),
        "coder_version": rec.get("coder_version"),
    }


def _gdelt_actor(a: dict[str, Any] | None, prefix: str) -> dict[str, Any]:
    if not a:
        return {}
    code = a.get("code") or ""
    sector = a.get("sector") or ""
    country = code if len(code) == 3 and code.isalpha() and code.isupper() else ""
    return {
        f"{prefix}Code": code + sector,
        f"{prefix}Name": (a.get("name") or a.get("text") or "").upper(),
        f"{prefix}CountryCode": country,
        f"{prefix}Type1Code": sector,
        f"{prefix}KnownGroupCode": "" if country else code,
    }


def gdelt_row(
    rec: dict[str, Any],
    num_mentions: int = 1,
    num_sources: int = 1,
    url: str | None = None,
    numeric_id: int | None = None,
) -> dict[str, Any]:
    date = rec.get("date")
    d = dt.date.fromisoformat(date) if date else None
    cameo = str(rec.get("cameo_code") or "")
    row: dict[str, Any] = {c: "" for c in GDELT_COLUMNS}
    row.update(
        {
            # Stable across exports: the first 60 bits of the event id (fits GDELT's integer column).
            "GlobalEventID": numeric_id if numeric_id is not None else int(str(rec["id"])[:15], 16),
            "Day": d.strftime("%Y%m%d") if d else "",
            "MonthYear": d.strftime("%Y%m") if d else "",
            "Year": d.year if d else "",
            "FractionDate": f"{d.year + (d.timetuple().tm_yday - 1) / 365:.4f}" if d else "",
            "IsRootEvent": 1,
            "EventCode": cameo,
            "EventBaseCode": cameo[:3],
            "EventRootCode": cameo[:2],
            "QuadClass": rec.get("quad_code") or "",
            "GoldsteinScale": rec.get("goldstein") if rec.get("goldstein") is not None else "",
            "NumMentions": num_mentions,
            "NumSources": num_sources,
            "NumArticles": num_mentions,
            "DATEADDED": dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S"),
            "SOURCEURL": url or "",
        }
    )
    row.update(_gdelt_actor((rec.get("actor") or [None])[0], "Actor1"))
    row.update(_gdelt_actor((rec.get("recipient") or [None])[0], "Actor2"))
    loc = rec.get("event_loc")
    if loc and loc.get("lat") is not None:
        row.update(
            {
                "ActionGeo_Type": 4 if loc.get("geonameid") else 1,
                "ActionGeo_FullName": loc.get("name") or loc.get("text") or "",
                "ActionGeo_CountryCode": loc.get("country_code") or "",
                "ActionGeo_Lat": loc.get("lat"),
                "ActionGeo_Long": loc.get("lon"),
                "ActionGeo_FeatureID": loc.get("geonameid") or "",
            }
        )
    return row


# A spreadsheet treats a cell that starts with one of these as a formula (`=HYPERLINK(...)`,
# `=cmd|' /C calc'!A0`, `@SUM(...)`, `+1+1`, `-1+1`), also after a tab or carriage return, and
# in their full-width forms. CSV is opened in spreadsheets, so such text cells get a leading
# apostrophe (OWASP's advice): shown as written, never run. Numbers are written as numbers.
_FORMULA_START = tuple("=+-@\t\r") + ("\uff1d", "\uff0b", "\uff0d", "\uff20")


def spreadsheet_safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


# Characters that end a line for some reader (csv, str.splitlines, awk, spreadsheets): none may
# appear inside a tab-separated GDELT field, or one row becomes several.
_TSV_BREAKERS = re.compile("[\t\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029\x00]")


def _tsv_field(v: Any) -> str:
    if v is None:
        return ""
    return _TSV_BREAKERS.sub(" ", str(v))


def write_jsonl(records: Iterable[dict[str, Any]], fh: IO[str]) -> int:
    n = 0
    for rec in records:
        fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        n += 1
    return n


def write_csv(records: Iterable[dict[str, Any]], fh: IO[str]) -> int:
    w = csv.DictWriter(fh, fieldnames=FLAT_COLUMNS)
    w.writeheader()
    n = 0
    for rec in records:
        w.writerow({k: spreadsheet_safe(v) for k, v in flat_row(rec).items()})
        n += 1
    return n


def write_gdelt(rows: Iterable[dict[str, Any]], fh: IO[str], header: bool = False) -> int:
    """Tab-separated, no header (as GDELT publishes it) unless header=True. GDELT files have no
    quoting or escapes, so every character that could split a row or a field (tab, CR, LF, VT,
    FF, NEL, U+2028/2029, the file/group/record separators) becomes a space: one event, one
    line of exactly 61 fields."""
    if header:
        fh.write("\t".join(GDELT_COLUMNS) + "\n")
    n = 0
    for row in rows:
        fh.write("\t".join(_tsv_field(row.get(c)) for c in GDELT_COLUMNS) + "\n")
        n += 1
    return n


def write_parquet(records: Iterable[dict[str, Any]], path: str | Path, batch_size: int = 50_000) -> int:
    """Flat columns plus the actor lists as JSON, written in row groups to bound memory."""

    schema = parquet_schema()
    n = 0
    writer = pq.ParquetWriter(str(path), schema)
    try:
        for chunk in _chunks(records, batch_size):
            rows = [parquet_row(r) for r in chunk]
            writer.write_table(pa.Table.from_pylist(rows, schema=schema))
            n += len(rows)
        if n == 0:
            writer.write_table(pa.Table.from_pylist([], schema=schema))
    finally:
        writer.close()
    return n


def parquet_schema() -> pa.Schema:
    fields = []
    for c in FLAT_COLUMNS:
        if c in ("quad_code", "span_start", "span_end", "geonameid"):
            t = pa.int64()
        elif c in ("goldstein", "event_scale", "lat", "lon", "confidence"):
            t = pa.float64()
        elif c in ("negated", "hypothetical", "future", "historical", "symmetric"):
            t = pa.bool_()
        elif c == "date":
            t = pa.date32()
        else:
            t = pa.string()
        fields.append(pa.field(c, t))
    fields.append(pa.field("record", pa.string()))
    return pa.schema(fields)


def parquet_row(rec: dict[str, Any]) -> dict[str, Any]:
    row = flat_row(rec)
    row["date"] = dt.date.fromisoformat(row["date"]) if row["date"] else None
    row["record"] = json.dumps(rec, ensure_ascii=False)
    return row


def _chunks(it: Iterable[Any], n: int) -> Iterator[list[Any]]:
    buf = []
    for x in it:
        buf.append(x)
        if len(buf) >= n:
            yield buf
            buf = []
    if buf:
        yield buf


class OutputError(DetenteError):
    """An output file cannot be written where asked."""


def check_output_path(out: str | Path) -> None:
    """Fail early (before a long run) when `out` cannot be written: missing or unwritable folder,
    a directory in its place."""
    p = Path(out)
    if p.is_dir():
        raise OutputError(f"{out}: is a directory; give a file name")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"{out}: cannot write: folder {str(parent)!r} does not exist")
    if not p.exists() and not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"{out}: cannot write: no permission to create files in {str(parent)!r}")
    if p.exists() and not os.access(p, os.W_OK):
        raise OutputError(f"{out}: cannot write: permission denied")


@contextlib.contextmanager
def atomic_output(out: str | Path) -> Iterator[str]:
    """A temporary path beside `out`, renamed onto it only when writing succeeded: a full disk or a
    crash never leaves a truncated or empty `out` behind (the previous file, if any, stays).
    Special files (/dev/stdout, a pipe) are written directly."""
    out = str(out)
    try:
        st = os.stat(out)
        special = not stat.S_ISREG(st.st_mode)
    except FileNotFoundError:
        special = False
    if special:
        yield out
        return
    folder = os.path.dirname(os.path.abspath(out))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(out) + ".", suffix=".part", dir=folder)
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb") as fh:  # make sure the data reached the disk before the rename
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_records(records: Iterable[dict[str, Any]], fmt: str, out: str | Path, store: Any = None) -> int:
    """Write records to the file `out` in one of FORMATS, atomically (see atomic_output). OSError
    (disk full, permission) propagates after the partial file is removed. "gdelt" needs `store`
    (mention counts and URLs)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    with atomic_output(out) as path:
        if fmt == "parquet":
            return write_parquet(records, path)
        with open(path, "w", encoding="utf-8", newline="") as fh:
            if fmt == "jsonl":
                n = write_jsonl(records, fh)
            elif fmt == "csv":
                n = write_csv(records, fh)
            else:
                n = write_gdelt(_gdelt_rows(store, records), fh)
            fh.flush()
        return n


def export_store(store: Any, fmt: str, out: str | Path, **filters: Any) -> int:
    """Write the store's events (filtered as in EventQuery) in one of FORMATS."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    check_output_path(out)
    return write_records(store.records(**filters), fmt, out, store=store)


def _gdelt_rows(store, records: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    stats = {
        r[0]: (r[1], r[2])
        for r in store.con.execute(
            "SELECT event_id, count(*), count(DISTINCT coalesce(source, doc_id)) FROM mentions GROUP BY event_id"
        ).fetchall()
    }
    urls = dict(store.con.execute("SELECT id, url FROM documents WHERE url IS NOT NULL").fetchall())
    for rec in records:
        m, s = stats.get(rec["id"], (1, 1))
        yield gdelt_row(rec, num_mentions=m, num_sources=s, url=urls.get(rec["doc_id"]))
