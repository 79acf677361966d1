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
background (web/snapshots.py). The response header `X-Detente-Source` says which copy answered.

Load. Work on the database is limited (`max_work` requests at once; the rest wait their turn, up
to `queue_timeout` seconds, then 503 with Retry-After), not connections: idle or slow clients hold
a socket, never a slot.

Layout: this module builds the app (middleware, error handlers) and includes the routers of
web/routes/ (events, series, overview, pages, alerts); the routes reach the database through the
`Reader` dependency (web/dependencies.py), the request checks live in web/guards.py.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.middleware.gzip import GZipMiddleware

from detente.analysis import series as an
from detente.storage.connections import StoreError
from detente.storage.query import QueryError
from detente.version import __version__
from detente.web.dependencies import DatabaseReader
from detente.web.guards import AnswerCache, HeadAsGet, WorkLimiter, allowed_hosts_for, request_guard
from detente.web.routes import alerts, events, overview, pages, series
from detente.web.snapshots import Database

__all__ = ["Database", "create_app"]

# In this order: it is the order of the paths in the OpenAPI document (as before the split).
ROUTERS = (events.router, series.router, overview.router, pages.router, alerts.router)

API_DESCRIPTION = (
    "Political event data (PLOVER) with evidence: events, documents, dyad series, "
    "actors, network. Read-only. By default only news events are counted: negated, "
    "hypothetical, historical and future events are left out unless asked "
    "(include_flagged, include_historical, include_future), and a symmetric event "
    "(A met B) counts once in undirected views. " + an.CCI_DEFINITION
)
# The size limits and the busy answer apply to every route, so every route documents them.
COMMON_RESPONSES = {
    413: {"description": "Request body too large"},
    414: {"description": "Request URL too long"},
    503: {"description": "Busy or database unavailable; retry"},
}


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
) -> FastAPI:
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
        description=API_DESCRIPTION,
        responses=COMMON_RESPONSES,
    )
    app.state.database = database
    app.state.allowed_hosts = hosts
    app.state.reader = DatabaseReader(database, limiter)

    if cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cors_origins),
            allow_methods=["GET", "HEAD"],
            allow_headers=[],
            allow_credentials=False,
        )

    app.middleware("http")(request_guard(hosts, database, answers))
    # outermost last: HEAD is turned into GET before anything else sees it; bodies are gzipped
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(HeadAsGet)
    app.add_exception_handler(QueryError, query_error)
    app.add_exception_handler(StoreError, store_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    for router in ROUTERS:
        app.include_router(router)
    return app


# ----------------------------------------------------------------------------- error answers


def _422(msg: str) -> JSONResponse:
    return JSONResponse({"detail": [{"type": "value_error", "loc": ["query"], "msg": msg}]}, status_code=422)


async def query_error(request: Request, exc: QueryError) -> JSONResponse:
    return _422(str(exc))


async def store_error(request: Request, exc: StoreError) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": "1"})


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errs = []
    for e in exc.errors():
        loc = [str(x) for x in e.get("loc", ())]
        errs.append(
            {"type": e.get("type"), "loc": loc, "msg": f"{'.'.join(loc[1:]) or 'request'}: {e.get('msg')}"}
        )
    return JSONResponse({"detail": errs}, status_code=422)
