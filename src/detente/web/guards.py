"""What every request passes before and after its route: the Host check (DNS rebinding), the
URL and body size limits, the answer cache, the worker-slot limit, HEAD as GET, and the security
headers of each response."""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from detente.storage.connections import StoreError
from detente.web.snapshots import Database

MAX_URL = 4096
MAX_BODY = 16 * 1024

# The dashboard page may load only what this server serves.
DASHBOARD_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; font-src 'self' data:; frame-ancestors 'none'"
)
# The docs pages start with an inline script; nothing they load may leave this server (ReDoc's
# footer asks a CDN for its logo: refused here, the page hides it).
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; font-src 'self' data:; "
    "frame-ancestors 'none'"
)


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

    def get(self, key: tuple) -> tuple[bytes, dict] | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def put(self, key: tuple, body: bytes, headers: dict) -> None:
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


def _refusal(request: Request, hosts: set[str]) -> JSONResponse | None:
    """The 400/414/413 answer for a request refused before any work, or None."""
    if host_of(request.headers.get("host", "")) not in hosts:
        return JSONResponse(
            {"detail": "unknown Host header (see detente serve --allowed-host)"}, status_code=400
        )
    if len(str(request.url)) > MAX_URL:
        return JSONResponse({"detail": f"request URL longer than {MAX_URL} characters"}, status_code=414)
    cl = request.headers.get("content-length")
    if (cl and (not cl.isdigit() or int(cl) > MAX_BODY)) or request.headers.get("transfer-encoding"):
        return JSONResponse({"detail": f"request body too large (limit {MAX_BODY} bytes)"}, status_code=413)
    return None


def _cache_key(request: Request, database: Database) -> tuple | None:
    """The answer-cache key of a cacheable request (the Origin is part of it: CORS headers
    depend on it), None for the others."""
    if request.method != "GET" or not request.url.path.startswith(CACHED_PREFIXES):
        return None
    return (database.generation, request.url.path, request.url.query, request.headers.get("origin"))


async def _kept(response: Response, answers: AnswerCache, cache_key: tuple) -> Response:
    """Store a fresh JSON answer in the cache and hand back an equal response."""
    body = b"".join([chunk async for chunk in response.body_iterator])
    keep = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "content-type")}
    answers.put(cache_key, body, keep)
    return Response(body, status_code=200, media_type="application/json", headers=keep)


def _add_security_headers(request: Request, response: Response) -> None:
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    if response.headers.get("content-type", "").startswith("text/html") and request.url.path == "/":
        response.headers["Content-Security-Policy"] = DASHBOARD_CSP
    elif request.url.path in ("/docs", "/redoc"):
        response.headers["Content-Security-Policy"] = DOCS_CSP


def request_guard(
    hosts: set[str], database: Database, answers: AnswerCache
) -> Callable[[Request, Callable], Awaitable[Response]]:
    """The app's HTTP middleware: refuse, answer from the cache, or call the route (and cache
    its answer); then add the security headers."""

    async def limits_and_headers(request: Request, call_next):
        refused = _refusal(request, hosts)
        if refused is not None:
            return refused
        cache_key = _cache_key(request, database)
        hit = answers.get(cache_key) if cache_key is not None else None
        if hit is not None:
            response = Response(hit[0], status_code=200, media_type="application/json", headers=hit[1])
            response.headers["X-Detente-Cache"] = "hit"
        else:
            response = await call_next(request)
            if (
                cache_key is not None
                and response.status_code == 200
                and response.headers.get("content-type", "").startswith("application/json")
            ):
                response = await _kept(response, answers, cache_key)
        _add_security_headers(request, response)
        return response

    return limits_and_headers
