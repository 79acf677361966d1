"""Opening a DuckDB file: the one place that retries while another process holds the lock.

DuckDB allows one writing process per file, and a process that holds the file open (even for a
read) blocks a writer. API readers hold it only for the few milliseconds of one request, so a
writer that finds the file locked retries for a while instead of failing; a reader does not
wait (a coding run holds the file for minutes).
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

from detente.errors import DetenteError


class StoreError(DetenteError):
    """The database cannot be opened or written (locked, corrupt, disk full...)."""


# How long a writer retries a locked file (the few milliseconds of an API request, many times over).
LOCK_RETRY_SECONDS = 5.0
# First pause between tries, doubled after each, up to the longest.
FIRST_RETRY_DELAY, LONGEST_RETRY_DELAY = 0.01, 0.5

# DuckDB must never fetch extensions (no network at run time; a file must not make it try).
DUCKDB_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


def is_lock_error(error: duckdb.Error) -> bool:
    """Whether DuckDB refused the file because another process holds its lock. DuckDB raises a
    plain IOException for this too, so its message is the only thing that tells."""
    return isinstance(error, duckdb.IOException) and "lock" in str(error).lower()


def _first_line(error: BaseException) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def connect(
    path: str | Path, read_only: bool, retry_seconds: float | None = None
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection to `path`. A writer retries a locked file for `retry_seconds`
    (default LOCK_RETRY_SECONDS); any failure is a StoreError naming the file."""
    deadline = time.monotonic() + (LOCK_RETRY_SECONDS if retry_seconds is None else retry_seconds)
    delay = FIRST_RETRY_DELAY
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=dict(DUCKDB_CONFIG))
        except duckdb.Error as e:
            if not is_lock_error(e):
                raise StoreError(f"{path}: cannot open database: {_first_line(e)}") from None
            if read_only or time.monotonic() >= deadline:
                raise StoreError(
                    f"{path}: database is in use by another process ({_first_line(e)})"
                ) from None
        time.sleep(delay)
        delay = min(delay * 2, LONGEST_RETRY_DELAY)
