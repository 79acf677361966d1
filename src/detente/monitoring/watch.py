"""`detente watch`: follow feeds, directories and growing JSONL files; code what is new; raise alerts.

A source is
  * an RSS/Atom URL (http/https): fetched with conditional requests (ETag / Last-Modified), a
    timeout on the whole response, a size cap, and gzip decoded within the same cap;
  * a directory: files that appeared since the last poll (by inode change time, which copying
    with preserved times does not fake), once they have been left alone for `settle` seconds;
  * a JSONL file that grows: the complete lines after the last stored one (a rotated or
    truncated file is read again from the start; stored stories are skipped by id).

Coding is `detente code`'s: the same `CodingRun` (same coder, same batches, one transaction per
batch with its near-duplicate index rows), so the same story read twice -- from two feeds, or
again after a restart -- is stored once (by id, by link, or folded as a near-duplicate).

Nothing lost, nothing twice. A source's position (HTTP validators, directory time mark, file
offset) is saved only after every item read up to it is stored; a watcher killed at any point
reads again from the last saved position and skips what is stored. Alerts follow the same rule
(see alerts.py).

Between polls the watcher closes the database, so `detente serve`, `detente alerts` and other
readers open it live; a source that fails is retried with exponential backoff and reported (JSON
log line each time, an error line after `REPORT_AFTER` failures in a row) but never stops the
others. SIGTERM or SIGINT: the batch being coded is finished and stored, source positions saved,
queued webhooks get a few seconds, and the process exits 0.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import signal
import socket
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TextIO

import pandas as pd

from detente.errors import DetenteError, InputError
from detente.execution.local import CoderFactory, CodingRun, RunStats
from detente.io.readers import (
    KNOWN_EXTS,
    _inner_suffix,
    document_from_record,
    read_feed_bytes,
    read_path,
    walk_directory,
)
from detente.model import Document
from detente.monitoring.alerts import (
    Evaluator,
    WebhookSender,
    attach_evidence,
    batch_mark,
    init_cursor,
    pending_webhook_alerts,
    record_alerts,
    record_deliveries,
    unevaluated_batches,
)
from detente.storage.near_duplicates import NearDuplicateIndex
from detente.storage.store import EventStore, StoreError

DEFAULT_EVERY = 900.0  # 15 minutes
DEFAULT_TIMEOUT = 20.0  # seconds for a whole HTTP response
DEFAULT_MAX_BYTES = 10_000_000
MAX_BACKOFF = 3600.0
REPORT_AFTER = 3  # failures in a row before a source is reported as failing
SETTLE_SECONDS = 1.0  # a new file in a directory is read once unchanged this long
USER_AGENT = "detente-watch/0.1 (+https://github.com/openeventdata/PLOVER)"


class SourceError(DetenteError):
    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# --------------------------------------------------------------------------- structured log


class JsonLog:
    """One JSON object per line: {"ts", "level", "event", ...fields}."""

    LEVELS: ClassVar[dict[str, int]] = {"debug": 10, "info": 20, "warning": 30, "error": 40}

    def __init__(self, stream: TextIO | None = None, level: str = "info"):
        self.stream = stream or sys.stderr
        self.min = self.LEVELS[level]
        self._lock = threading.Lock()

    def __call__(self, level: str, event: str, **fields: Any) -> None:
        if self.LEVELS.get(level, 20) < self.min:
            return
        rec = {
            "ts": utcnow().isoformat(timespec="milliseconds") + "Z",
            "level": level,
            "event": event,
            **fields,
        }
        line = json.dumps(rec, ensure_ascii=False, default=str)
        with self._lock:
            try:
                self.stream.write(line + "\n")
                self.stream.flush()
            except (OSError, ValueError):  # a closed pipe must not stop the watcher
                pass


# --------------------------------------------------------------------------- per-source state


@dataclass
class SourceState:
    source: str
    kind: str
    last_poll: dt.datetime | None = None
    last_success: dt.datetime | None = None
    etag: str | None = None
    last_modified: str | None = None
    cursor: str | None = None
    failures: int = 0
    last_status: int | None = None
    last_error: str | None = None
    items: int = 0

    COLUMNS = (
        "source",
        "kind",
        "last_poll",
        "last_success",
        "etag",
        "last_modified",
        "cursor",
        "failures",
        "last_status",
        "last_error",
        "items",
    )

    @classmethod
    def load(cls, con, source: str, kind: str) -> SourceState:
        row = con.execute(
            f"SELECT {', '.join(cls.COLUMNS)} FROM watch_sources WHERE source = ?", [source]
        ).fetchall()
        row = row[0] if row else None
        if row is None:
            return cls(source=source, kind=kind)
        st = cls(**dict(zip(cls.COLUMNS, row)))
        st.failures = st.failures or 0
        st.items = st.items or 0
        return st

    def save(self, con) -> None:
        vals = [getattr(self, c) for c in self.COLUMNS]
        con.execute(
            f"INSERT OR REPLACE INTO watch_sources ({', '.join(self.COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(self.COLUMNS))})",
            vals,
        )


# --------------------------------------------------------------------------- sources


@dataclass
class Poll:
    """What one poll of a source read: the items, and the position to save once they are all
    stored (None: nothing to save, e.g. a 304)."""

    items: list[Document | InputError] | Iterator[Document | InputError]
    status: int | None = None
    new_state: Callable[[SourceState], None] | None = None
    note: str = ""
    done: bool = field(default=False)  # the items iterator ran to its end


class Source:
    kind = "?"

    def __init__(self, spec: str):
        self.spec = spec
        self.key = spec

    def poll(self, state: SourceState, max_chars: int | None) -> Poll:
        raise NotImplementedError


class HttpFeedSource(Source):
    kind = "http"

    def __init__(self, url: str, timeout: float = DEFAULT_TIMEOUT, max_bytes: int = DEFAULT_MAX_BYTES):
        super().__init__(url)
        self.timeout = timeout
        self.max_bytes = max_bytes

    def fetch(self, state: SourceState) -> tuple[int, bytes, dict[str, str]]:
        headers = {
            "User-Agent": USER_AGENT,
            "Accept-Encoding": "gzip",
            "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5",
        }
        if state.etag:
            headers["If-None-Match"] = state.etag
        if state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
        req = urllib.request.Request(self.spec, headers=headers)
        deadline = time.monotonic() + self.timeout
        try:
            resp = urllib.request.urlopen(req, timeout=self.timeout)
        except urllib.error.HTTPError as e:
            with e:
                if e.code == 304:
                    return 304, b"", dict(e.headers.items())
                raise SourceError(
                    f"HTTP {e.code} {e.reason}",
                    status=e.code,
                    retry_after=_retry_after(e.headers.get("Retry-After")),
                ) from None
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as e:
            reason = getattr(e, "reason", None) or e
            if isinstance(reason, (TimeoutError, socket.timeout)):
                raise SourceError(f"no response within {self.timeout:g}s") from None
            raise SourceError(
                f"cannot fetch: {str(reason).splitlines()[0] if str(reason) else type(e).__name__}"
            ) from None
        with resp:
            length = resp.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > self.max_bytes:
                raise SourceError(
                    f"response too large ({int(length):,} bytes; limit {self.max_bytes:,})",
                    status=resp.status,
                )
            chunks, size = [], 0
            # The timeout covers the whole response: read what has arrived (read1, one receive)
            # with the socket's timeout set to the time left, so a server trickling bytes cannot
            # hold the watcher past the deadline.
            sock = getattr(getattr(resp.fp, "raw", None), "_sock", None)
            try:
                while True:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise SourceError(
                            f"response not complete within {self.timeout:g}s", status=resp.status
                        )
                    if sock is not None:
                        sock.settimeout(left)
                    chunk = resp.read1(65536)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise SourceError(
                            f"response too large (over {self.max_bytes:,} bytes)", status=resp.status
                        )
                    chunks.append(chunk)
            except TimeoutError:
                raise SourceError(
                    f"response not complete within {self.timeout:g}s", status=resp.status
                ) from None
            except (http.client.HTTPException, OSError) as e:
                raise SourceError(f"connection broken while reading: {e}", status=resp.status) from None
            body = b"".join(chunks)
            if (resp.headers.get("Content-Encoding") or "").lower() == "gzip":
                body = _gunzip_bounded(body, self.max_bytes)
            return resp.status, body, dict(resp.headers.items())

    def poll(self, state: SourceState, max_chars: int | None) -> Poll:
        status, body, headers = self.fetch(state)
        if status == 304:
            return Poll(items=[], status=304, note="not modified")
        items = list(read_feed_bytes(body, self.spec, max_chars))
        docs = [x for x in items if isinstance(x, Document)]
        if (
            not docs
            and items
            and isinstance(items[0], InputError)
            and not items[0].reason.startswith("item ")
        ):
            raise SourceError(items[0].reason, status=status)  # the whole feed is unreadable
        items.reverse()  # feeds list newest first
        etag, modified = _header(headers, "ETag"), _header(headers, "Last-Modified")

        def new_state(st: SourceState) -> None:
            st.etag, st.last_modified = etag, modified

        return Poll(items=items, status=status, new_state=new_state)


def _header(headers: dict[str, str], name: str) -> str | None:
    for k, v in headers.items():
        if k.lower() == name.lower():
            return v
    return None


def _retry_after(v: str | None) -> float | None:
    if v and v.strip().isdigit():
        return float(v.strip())
    return None


def _gunzip_bounded(data: bytes, limit: int) -> bytes:
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(data, limit + 1)
    except zlib.error as e:
        raise SourceError(f"bad gzip body: {e}") from None
    if len(out) > limit or d.unconsumed_tail:
        raise SourceError(f"response too large once decompressed (over {limit:,} bytes)")
    return out


class DirectorySource(Source):
    """New files in a directory (recursively). The position is the inode change time (ctime) of
    the newest file stored: the kernel sets it when a file is created, written or moved in, and
    it cannot be set back (unlike mtime, which `cp -p` and rsync preserve). Files are read once
    they have not changed for `settle` seconds, so a file still being written is not read half
    way; every file changed before that moment is visible, so none is skipped."""

    kind = "directory"

    def __init__(self, path: str, settle: float = SETTLE_SECONDS):
        super().__init__(path)
        self.path = Path(path)
        self.key = str(self.path.resolve())
        self.settle = settle

    def poll(self, state: SourceState, max_chars: int | None) -> Poll:
        if not self.path.is_dir():
            raise SourceError("no such directory")
        mark = int(state.cursor) if state.cursor else -1
        limit = time.time_ns() - int(self.settle * 1e9)
        files, errors = [], []
        for p in walk_directory(self.path):
            if isinstance(p, InputError):
                errors.append(p)
                continue
            if not (_inner_suffix(p) in KNOWN_EXTS or not p.suffix):
                continue
            try:
                c = p.stat().st_ctime_ns
            except OSError:
                continue
            if mark < c <= limit:
                files.append((c, str(p), p))
        files.sort()
        progress = {"mark": None}

        def items() -> Iterator[Document | InputError]:
            yield from errors
            for c, _, p in files:
                yield from read_path(p, root=self.path, max_chars=max_chars)
                progress["mark"] = c

        def new_state(st: SourceState) -> None:
            if progress["mark"] is not None:
                st.cursor = str(progress["mark"])

        return Poll(items=items(), new_state=new_state, note=f"{len(files)} new files")


class JsonlSource(Source):
    """A JSONL file that grows. The position is `inode:offset:line` after the last complete line
    read; a line still being written (no newline yet) waits for the next poll."""

    kind = "jsonl"
    MAX_LINE = 8_000_000

    def __init__(self, path: str):
        super().__init__(path)
        self.path = Path(path)
        self.key = str(self.path.resolve())

    def poll(self, state: SourceState, max_chars: int | None) -> Poll:
        try:
            st = self.path.stat()
        except OSError as e:
            raise SourceError(f"cannot read: {e.strerror or e}") from None
        ino, offset, line_no = st.st_ino, 0, 0
        note = ""
        if state.cursor:
            try:
                c_ino, c_off, c_line = (int(x) for x in state.cursor.split(":"))
            except ValueError:
                c_ino, c_off, c_line = -1, 0, 0
            if c_ino == st.st_ino and c_off <= st.st_size:
                offset, line_no = c_off, c_line
            else:
                note = "file replaced or truncated: reading it again from the start"
        if offset == st.st_size:
            return Poll(items=[], note="no new lines")
        name = str(self.path)
        progress = {"offset": offset, "line": line_no}

        def items() -> Iterator[Document | InputError]:
            with open(self.path, "rb") as f:
                f.seek(offset)
                pos, n = offset, line_no
                while True:
                    raw = f.readline(self.MAX_LINE + 1)
                    if not raw:
                        return
                    if not raw.endswith(b"\n"):
                        if len(raw) <= self.MAX_LINE:
                            return  # incomplete last line: wait for the rest
                        while raw and not raw.endswith(b"\n"):  # skip an over-long line
                            pos += len(raw)
                            raw = f.readline(self.MAX_LINE + 1)
                        pos += len(raw)
                        n += 1
                        if not raw:
                            return
                        progress.update(offset=pos, line=n)
                        yield InputError(f"line longer than {self.MAX_LINE:,} bytes; skipped", name, n)
                        continue
                    pos += len(raw)
                    n += 1
                    text = raw.strip()
                    if n == 1 and text.startswith(b"\xef\xbb\xbf"):
                        text = text[3:]
                    item: Document | InputError | None = None
                    if text:
                        try:
                            rec = json.loads(text.decode("utf-8"))
                        except (UnicodeDecodeError, ValueError) as e:
                            item = InputError(f"malformed JSON: {str(e)[:120]}", name, n)
                        else:
                            item = document_from_record(rec, name, n, max_chars=max_chars)
                    if item is not None:
                        yield item
                    # the position moves once the consumer asked for the next item, i.e. after
                    # this one was handed over (it is stored when its batch is)
                    progress.update(offset=pos, line=n)

        def new_state(s: SourceState) -> None:
            s.cursor = f"{ino}:{progress['offset']}:{progress['line']}"

        return Poll(items=items(), new_state=new_state, note=note)


def make_source(
    spec: str,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    settle: float = SETTLE_SECONDS,
) -> Source:
    if spec.startswith(("http://", "https://")):
        return HttpFeedSource(spec, timeout=timeout, max_bytes=max_bytes)
    p = Path(spec)
    if p.is_dir():
        return DirectorySource(spec, settle=settle)
    if p.suffix.lower() in (".jsonl", ".ndjson") or (not p.exists() and p.suffix.lower() == ".json"):
        return JsonlSource(spec)
    if p.is_file():
        raise DetenteError(
            f"{spec}: a watched file must be JSONL (.jsonl/.ndjson) that grows; "
            "to follow other files, watch their directory"
        )
    raise DetenteError(f"{spec}: not an http(s) URL, a directory or a .jsonl file")


# --------------------------------------------------------------------------- the watcher


@dataclass
class PollStats:
    polls: int = 0
    failures: int = 0
    read: int = 0
    coded: int = 0
    events: int = 0
    alerts: int = 0
    errors: int = 0
    seconds_coding: float = 0.0


class _PollProgress:
    """The CodingRun callbacks of one poll: log item errors, and after each committed batch
    evaluate the alert rules on that batch's new documents."""

    def __init__(self, watcher: Watcher, source_key: str):
        self.watcher = watcher
        self.source_key = source_key
        self.new_docs: list[str] = []
        self.alerts = 0

    def on_error(self, err: InputError) -> None:
        self.watcher.log("warning", "item_error", source=self.source_key, error=str(err)[:500])

    def on_events(self, doc: Document, evs: list) -> None:
        self.new_docs.append(doc.id)

    def on_progress(self, stats: RunStats, n: int) -> None:
        # called right after each batch is committed
        if self.new_docs:
            batch = list(self.new_docs)
            self.new_docs.clear()
            self.alerts += self.watcher._raise_alerts(batch)


class Watcher:
    """Polls the sources, codes new items into `db`, raises alerts. `run()` until `stop()`."""

    def __init__(
        self,
        db: str,
        sources: Sequence[Source],
        *,
        every: float = DEFAULT_EVERY,
        rules: Sequence[Any] = (),
        webhook: str | None = None,
        once: bool = False,
        batch_size: int = 64,
        dedup: bool = True,
        max_chars: int | None = None,
        coder=None,
        log: JsonLog | None = None,
        out: TextIO | None = None,
        webhook_attempts: int = 5,
        webhook_delay: float = 1.0,
        coder_factory: Callable[[], Any] | None = None,
    ):
        self.db = db
        self.sources = list(sources)
        self.every = float(every)
        self.evaluator = Evaluator(rules)
        self.once = once
        self.batch_size = batch_size
        self.use_dedup = dedup
        self.max_chars = max_chars
        self._coder = coder
        # builds the coder on first use (default: this process's settings; `--accurate` passes
        # a CoderFactory with the relation reader on)
        self.coder_factory = coder_factory or CoderFactory.from_settings()
        self.log = log or JsonLog()
        self.out = out or sys.stdout
        self.stats = PollStats()
        self._stopping = False
        self._stop_logged = False
        self._signal: str | None = None
        self._due = {s.key: 0.0 for s in self.sources}
        self._failing = {s.key: 0 for s in self.sources}
        self.webhook = (
            WebhookSender(webhook, attempts=webhook_attempts, first_delay=webhook_delay, log=self.log)
            if webhook
            else None
        )
        self.store = None
        self._closed = False
        self._poll_t0 = time.perf_counter()

    # ------------------------------------------------------------------ control
    # A signal handler runs in the main thread between two bytecodes, possibly while that thread
    # holds a lock (the log's, an Event's): it must take none, or it can deadlock. So it only sets
    # plain attributes; the loops look at them and the main thread logs the signal.
    def stop(self, signame: str | None = None) -> None:
        if signame and self._signal is None:
            self._signal = signame
        self._stopping = True

    @property
    def stopping(self) -> bool:
        if self._stopping and not self._stop_logged:
            self._stop_logged = True
            self.log("info", "signal" if self._signal else "stopping", signal=self._signal)
        return self._stopping

    def install_signal_handlers(self) -> None:
        def handler(signum, frame):
            if self._stopping and signum == signal.SIGINT:
                raise KeyboardInterrupt  # a second Ctrl-C: stop now
            self.stop(signal.Signals(signum).name)

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    def _sleep(self, seconds: float) -> None:
        """Wait, waking every 0.2 s to see whether a signal asked to stop."""
        end = time.monotonic() + seconds
        while not self.stopping:
            left = end - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, 0.2))

    @property
    def coder(self):
        if self._coder is None:
            t0 = time.perf_counter()
            self._coder = self.coder_factory()
            self.log("info", "coder_loaded", seconds=round(time.perf_counter() - t0, 2))
        return self._coder

    # ------------------------------------------------------------------ database
    def _open(self):
        if self.store is None:
            self.store = EventStore(self.db)
        return self.store

    def _close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None

    # ------------------------------------------------------------------ alerts
    def _raise_alerts(self, doc_ids: list[str]) -> int:
        con = self.store.con
        mark = batch_mark(con, doc_ids)
        alerts = self.evaluator.evaluate(self.store, doc_ids)
        added = record_alerts(con, alerts, mark, webhook=self.webhook is not None)
        if self.webhook is not None and added:
            attach_evidence(con, added)
        for a in added:
            self._emit(a)
        return len(added)

    def _emit(self, alert) -> None:
        try:
            self.out.write(
                f"ALERT {alert.created_at.isoformat(timespec='seconds')}Z {alert.message} "
                f"events={','.join(alert.event_ids[:10])}\n"
            )
            self.out.flush()
        except (OSError, ValueError):
            pass
        self.log(
            "warning",
            "alert",
            id=alert.id,
            seq=alert.seq,
            rule=alert.rule,
            kind=alert.kind,
            message=alert.message,
            event_ids=alert.event_ids,
        )
        if self.webhook is not None:
            self.webhook.submit(alert)

    def _catch_up(self) -> None:
        """Alerts of batches stored by a watcher that was killed before evaluating them, and
        webhooks still pending from the last run."""

        con = self.store.con
        init_cursor(con)
        for mark, doc_ids in unevaluated_batches(con):
            n = self._raise_alerts(doc_ids)
            self.log("info", "alerts_caught_up", batch=mark.isoformat(), documents=len(doc_ids), alerts=n)
        if self.webhook is not None:
            pending = pending_webhook_alerts(con)
            attach_evidence(con, pending)
            for a in pending:
                self.webhook.submit(a)

    def _record_webhooks(self) -> None:
        if self.webhook is None:
            return
        results = self.webhook.results()
        if not results:
            return

        opened = self.store is None
        try:
            self._open()
            record_deliveries(self.store.con, results)
        except DetenteError as e:
            self.log("warning", "webhook_status_not_saved", error=str(e))
            return
        finally:
            if opened:
                self._close()

    # ------------------------------------------------------------------ one source
    def _stoppable(self, poll: Poll) -> Iterator[Document | InputError]:
        for item in poll.items:
            if self.stopping:
                return
            yield item
        poll.done = True

    def _known_links(self, items: list[Document | InputError]) -> list[Document | InputError]:
        """Drop items whose link is already stored under another id (the same story in two feeds)."""

        urls = [d.url for d in items if isinstance(d, Document) and d.url]
        if not urls:
            return items
        con = self.store.con
        con.register("_probe_urls", pd.DataFrame({"url": urls}))
        try:
            known = dict(
                con.execute(
                    "SELECT url, any_value(id) FROM documents WHERE url IN "
                    "(SELECT url FROM _probe_urls) GROUP BY url"
                ).fetchall()
            )
        finally:
            con.unregister("_probe_urls")
        out, seen = [], {}
        for d in items:
            if isinstance(d, Document) and d.url:
                owner = known.get(d.url) or seen.get(d.url)
                if owner is not None and owner != d.id:
                    self.log("debug", "same_link", id=d.id, url=d.url, stored_as=owner)
                    self._same_link += 1
                    continue
                seen.setdefault(d.url, d.id)
            out.append(d)
        return out

    def poll_source(self, source: Source) -> None:
        """Poll one source, code what is new (raising alerts after each batch), save its state."""
        store = self._open()
        state = SourceState.load(store.con, source.key, source.kind)
        now = utcnow()
        state.last_poll = now
        t0 = self._poll_t0 = time.perf_counter()
        self.stats.polls += 1
        self._same_link = 0
        poll = self._fetch(source, state)
        if poll is None:
            return
        progress = _PollProgress(self, source.key)
        try:
            rs = self._code(poll, progress)
        except StoreError:
            raise
        except Exception as e:  # noqa: BLE001 - a coder bug on some item (see below)
            # a coder bug on some item: every batch before it is stored; report the source as
            # failing (retried with backoff) rather than stop watching the others
            self.log(
                "error",
                "coding_failed",
                source=source.key,
                error=f"{type(e).__name__}: {e}",
                traceback=traceback.format_exc(limit=8),
            )
            self._failed(source, state, f"coding failed: {type(e).__name__}: {e}", poll.status, None)
            return
        self._save_position(source, state, poll)
        state.last_success = now
        state.failures = 0
        state.last_status = poll.status
        state.last_error = None
        state.items = (state.items or 0) + rs.coded
        state.save(store.con)
        self._count_poll(source, poll, rs, progress.alerts, time.perf_counter() - t0)
        self._due[source.key] = time.monotonic() + self.every

    def _fetch(self, source: Source, state: SourceState) -> Poll | None:
        """The source's new items, or None once the failure is recorded."""
        try:
            poll = source.poll(state, self.max_chars)
        except SourceError as e:
            self._failed(source, state, str(e), e.status, e.retry_after)
            return None
        except Exception as e:  # noqa: BLE001 - a bug or an unexpected input must not stop the other sources
            self._failed(source, state, f"{type(e).__name__}: {e}", None, None)
            return None
        if isinstance(poll.items, list) and source.kind == "http":
            poll.items = self._known_links(poll.items)
        return poll

    def _code(self, poll: Poll, progress: _PollProgress) -> RunStats:
        run = CodingRun(
            self.store,
            batch_size=self.batch_size,
            coder=self.coder,
            dedup=NearDuplicateIndex.from_store(self.store) if self.use_dedup else None,
            on_error=progress.on_error,
            on_events=progress.on_events,
            on_progress=progress.on_progress,
        )
        return run.run(self._stoppable(poll))

    def _save_position(self, source: Source, state: SourceState, poll: Poll) -> None:
        """Where the next poll starts: after a whole poll, the new position; after a stopped
        one, the last stored item's position (files) or nothing (a feed is read again)."""
        if poll.done and poll.new_state is not None:
            poll.new_state(state)
        elif not poll.done:
            self.log(
                "info",
                "poll_interrupted",
                source=source.key,
                note="position saved up to the last stored item"
                if source.kind != "http"
                else "validators not saved: the feed is read again next time",
            )
            if source.kind != "http" and poll.new_state is not None:
                poll.new_state(state)

    def _count_poll(self, source: Source, poll: Poll, rs: RunStats, alerts: int, secs: float) -> None:
        """Add a finished poll to the totals and log it."""
        self.stats.read += rs.read
        self.stats.coded += rs.coded
        self.stats.events += rs.events
        self.stats.errors += rs.errors
        self.stats.alerts += alerts
        self.stats.seconds_coding += rs.seconds
        if self._failing.get(source.key, 0) >= REPORT_AFTER:
            self.log("info", "source_recovered", source=source.key, after_failures=self._failing[source.key])
        self._failing[source.key] = 0
        self.log(
            "info",
            "poll",
            source=source.key,
            kind=source.kind,
            status=poll.status,
            note=poll.note or None,
            read=rs.read,
            new=rs.coded,
            known=rs.skipped_known,
            same_link=self._same_link,
            near_duplicates=rs.duplicates,
            events=rs.events,
            errors=rs.errors,
            alerts=alerts,
            seconds=round(secs, 3),
            docs_per_s=round(rs.coded / rs.seconds, 1) if rs.seconds else None,
        )

    def _failed(
        self, source: Source, state: SourceState, msg: str, status: int | None, retry_after: float | None
    ) -> None:
        self.stats.failures += 1
        state.failures = (state.failures or 0) + 1
        state.last_error = msg[:1000]
        state.last_status = status
        state.save(self.store.con)
        self._failing[source.key] = state.failures
        delay = min(self.every * 2 ** min(state.failures - 1, 16), max(self.every, MAX_BACKOFF))
        if retry_after is not None:
            delay = max(delay, min(retry_after, 6 * MAX_BACKOFF))
        self._due[source.key] = time.monotonic() + delay
        level = "error" if state.failures >= REPORT_AFTER else "warning"
        self.log(
            level,
            "source_failing" if state.failures >= REPORT_AFTER else "poll_failed",
            source=source.key,
            kind=source.kind,
            error=msg,
            status=status,
            failures=state.failures,
            next_poll_in=round(delay, 1),
            seconds=round(time.perf_counter() - self._poll_t0, 3),
        )

    # ------------------------------------------------------------------ the loop
    def start(self) -> None:
        """Load the coder, raise the alerts a killed watcher left unevaluated, queue pending webhooks."""
        self.log(
            "info",
            "watch_started",
            pid=os.getpid(),
            db=self.db,
            every=self.every,
            once=self.once,
            sources=[s.key for s in self.sources],
            rules=[r.name for r in self.evaluator.rules],
            webhook=self.webhook.url if self.webhook else None,
        )
        _ = self.coder
        try:
            self._open()
            self._catch_up()
        finally:
            self._close()

    def poll_due(self, force: bool = False) -> int:
        """Poll the sources that are due (all of them with `force`); returns how many were polled."""

        now = time.monotonic()
        due = [s for s in self.sources if force or self._due[s.key] <= now]
        if not due:
            return 0
        try:
            for s in due:
                if self.stopping:
                    break
                self.poll_source(s)
            self._record_webhooks()
        except StoreError as e:
            # the database is busy (a long `detente code` run holds it) or failing: report, wait,
            # try again; every batch stored is complete
            self.log("error", "database_unavailable", error=str(e))
            for s in due:
                self._due[s.key] = max(self._due[s.key], time.monotonic() + min(self.every, 30))
        finally:
            self._close()  # let readers open the database between polls
        return len(due)

    def run(self) -> int:
        """Poll until stopped (or once). Exit status: 0; with --once, 1 if a source failed or
        items were skipped."""
        self.start()
        try:
            while not self.stopping:
                self.poll_due()
                if self.once:
                    break
                wait = max(0.0, min(self._due.values()) - time.monotonic())
                # wake at least every second to record webhook deliveries
                self._sleep(min(wait, 1.0) if self.webhook else wait)
                self._record_webhooks()
        finally:
            self.close()
        if self.once and (self.stats.failures or self.stats.errors):
            return 1
        return 0

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._shutdown()

    def _shutdown(self) -> None:
        if self.webhook is not None:
            self.webhook.close(grace=5.0)
            self._record_webhooks()
        self._close()
        s = self.stats
        self.log(
            "info",
            "watch_stopped",
            polls=s.polls,
            failed_polls=s.failures,
            read=s.read,
            coded=s.coded,
            events=s.events,
            alerts=s.alerts,
            item_errors=s.errors,
            docs_per_s=round(s.coded / s.seconds_coding, 1) if s.seconds_coding else None,
        )
