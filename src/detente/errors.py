"""The errors Detente raises on purpose (DetenteError and its subclasses shared across stages) and
the one mapping from outcomes to process exit codes.

Errors are told apart by their type, never by their message text: code that must react to "the
database is in use" catches `DatabaseInUseError`, not a StoreError whose text says "in use".
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """Exit status of every `detente` command (see cli/__init__.py)."""

    OK = 0
    ITEMS_SKIPPED = 1  # the run finished; some input items were reported and skipped
    FATAL = 2  # usage error or fatal error: one `Error:` line, nothing (more) done
    INTERRUPTED = 130  # Ctrl-C / SIGINT (128 + 2, the shell's convention)


def run_exit_code(errors: int) -> ExitCode:
    """The status of a run that finished: 1 when items were skipped with errors, else 0."""
    return ExitCode.ITEMS_SKIPPED if errors else ExitCode.OK


class DetenteError(Exception):
    """Base of every error the project raises on purpose (documented, catchable)."""


class InputError(DetenteError):
    """An input item (file, line, record) cannot be read. Carries where it came from."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None):
        self.path = path
        self.line = line
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(f"{where}{message}")
        self.reason = message


class DatabaseInUseError(DetenteError):
    """Another process holds the database file (DuckDB allows one writer and, while it writes,
    no reader). A store raises this (as a subclass of its StoreError) so that callers which
    can work around it (read a snapshot copy, wait) catch it by type."""


# The words DuckDB's lock conflict and storage.store's "in use" error put in their messages.
# Only `is_database_in_use` reads them, for stores that do not raise DatabaseInUseError yet.
_IN_USE_WORDS = ("in use by another process",)


def is_database_in_use(error: BaseException) -> bool:
    """Whether `error` says another process holds the database file. By type; the message test
    is a bridge for storage.store's StoreError, which does not raise DatabaseInUseError yet
    (storage/ is not this module's to change: see notes/issue-13-web.md)."""
    if isinstance(error, DatabaseInUseError):
        return True
    return any(w in str(error) for w in _IN_USE_WORDS)
