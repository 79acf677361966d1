"""Snapshot copies of a Detente database for the server (see web/app.py, "Serving while coding").

DuckDB lets one process open a file read-write, and while it does no other process can open it
at all, not even read-only; a reader holding the file (even read-only) stops a writer from
starting. So the server never opens the live file: it serves a private copy (the file and its
WAL, validated by opening it), refreshed when the live file changes (default) or every `refresh`
seconds in the background (`snapshot=True`).
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import logging
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import duckdb

from detente.storage.connections import StoreError

log = logging.getLogger("detente.api")


class Database:
    """Read-only access to a DuckDB file that a coding run may be writing to (see module doc)."""

    def __init__(
        self,
        path: str | Path,
        snapshot: bool = False,
        refresh: float = 30.0,
        check_every: float = 1.0,
    ):
        self.path = str(path)
        self.snapshot_only = snapshot
        self.refresh = float(refresh)
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
            except Exception as e:  # noqa: BLE001 - keep serving the last good copy
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
