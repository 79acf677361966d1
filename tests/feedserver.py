"""A real HTTP feed server and a real webhook receiver on 127.0.0.1 for the `detente watch` tests
and benchmark. Feeds are RSS built from our own short stories; each route can be changed between
polls (new items, a 500, a malformed body, a slow answer) and answers 304 to a matching ETag."""

from __future__ import annotations

import datetime as dt
import email.utils
import gzip
import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape


def rss(items: list[dict], title: str = "Test wire") -> bytes:
    """items: {guid, title, text, date (YYYY-MM-DD or datetime), link}"""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0"><channel>',
        f"<title>{escape(title)}</title><link>https://example.org/</link><description>tests</description>",
    ]
    for it in items:
        d = it.get("date") or dt.datetime.now(dt.UTC)
        if isinstance(d, str):
            d = dt.datetime.fromisoformat(d)
        if not isinstance(d, dt.datetime):
            d = dt.datetime(d.year, d.month, d.day, 9, 0)
        if d.tzinfo is None:
            d = d.replace(tzinfo=dt.UTC)
        parts.append(
            "<item>"
            f"<title>{escape(it['title'])}</title>"
            f"<link>{escape(it.get('link') or 'https://example.org/' + it['guid'])}</link>"
            f"<guid>{escape(it['guid'])}</guid>"
            f"<pubDate>{email.utils.format_datetime(d)}</pubDate>"
            f"<description>{escape(it['text'])}</description>"
            "</item>"
        )
    parts.append("</channel></rss>")
    return "\n".join(parts).encode("utf-8")


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    delay: float = 0.0  # seconds before the answer
    dribble: float = 0.0  # seconds between 100-byte chunks of the body
    content_type: str = "application/rss+xml"
    gzip: bool = False  # send the body gzip-compressed (Content-Encoding: gzip)
    retry_after: int | None = None  # Retry-After header on an error answer


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    status: int
    at: float = field(default_factory=time.time)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class FeedServer:
    def __init__(self):
        self.routes: dict[str, Route] = {}
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                with owner._lock:
                    route = owner.routes.get(self.path)
                if route is None:
                    return self._answer(404, b"not found", "text/plain")
                if route.delay:
                    time.sleep(route.delay)
                if route.status != 200:
                    return self._answer(
                        route.status, b"server error", "text/plain", retry_after=route.retry_after
                    )
                etag = '"' + hashlib.sha1(route.body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    return self._answer(304, b"", None, etag=etag)
                body = gzip.compress(route.body) if route.gzip else route.body
                self._answer(
                    200,
                    body,
                    route.content_type,
                    etag=etag,
                    dribble=route.dribble,
                    encoding="gzip" if route.gzip else None,
                )

            def _answer(self, status, body, ctype, etag=None, dribble=0.0, encoding=None, retry_after=None):
                with owner._lock:
                    owner.hits.append(Hit(self.path, dict(self.headers.items()), status))
                try:
                    self.send_response(status)
                    if ctype:
                        self.send_header("Content-Type", ctype)
                    if etag:
                        self.send_header("ETag", etag)
                    if encoding:
                        self.send_header("Content-Encoding", encoding)
                    if retry_after is not None:
                        self.send_header("Retry-After", str(retry_after))
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if dribble:
                        for i in range(0, len(body), 100):
                            self.wfile.write(body[i : i + 100])
                            self.wfile.flush()
                            time.sleep(dribble)
                    elif body:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def set(self, path: str, body: bytes = b"", **kw) -> None:
        with self._lock:
            self.routes[path] = Route(body=body, **kw)

    def hits_for(self, path: str) -> list[Hit]:
        with self._lock:
            return [h for h in self.hits if h.path == path]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


class WebhookReceiver:
    """Records the JSON POSTed to it; answers 500 to the first `fail_first` requests and waits
    `delay` seconds before answering."""

    def __init__(self, fail_first: int = 0, delay: float = 0.0):
        self.received: list[dict] = []
        self.attempts: list[tuple[float, int]] = []  # (time, status answered)
        self.fail_first = fail_first
        self.delay = delay
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                if owner.delay:
                    time.sleep(owner.delay)
                with owner._lock:
                    fail = len(owner.attempts) < owner.fail_first
                    status = 500 if fail else 200
                    owner.attempts.append((time.time(), status))
                    if not fail:
                        owner.received.append(json.loads(body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
