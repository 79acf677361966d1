"""What every `detente` sub-command shares: the default database, the one way to fail with
exit status 2 (`raise FatalError(message)`) and the way to tell Ctrl-C from a failure (`CtrlC`)."""

from __future__ import annotations

import signal
import threading
from typing import IO, Any, Self

import click

from detente.errors import ExitCode

DEFAULT_DB = "detente.duckdb"


class FatalError(click.ClickException):
    """A usage or fatal error: one `Error: message` line on standard error, exit status 2.
    `label` names the line's first word (`detente eval` has always printed `error: ...`)."""

    exit_code = ExitCode.FATAL

    def __init__(self, message: str, label: str = "Error"):
        super().__init__(message)
        self.label = label

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"{self.label}: {self.format_message()}", file=file or click.get_text_stream("stderr"))


class CtrlC:
    """Remembers that Ctrl-C arrived during the run. DuckDB turns a SIGINT that lands inside a
    query into an exception of its own, and not always InterruptException (a write can fail with
    a plain duckdb.Error or RuntimeError reading "Query interrupted"); whatever the exception,
    a run that saw Ctrl-C was interrupted by the user (exit 130), not broken (exit 2)."""

    def __init__(self) -> None:
        self.seen = False
        self._previous = None

    def __enter__(self) -> Self:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.getsignal(signal.SIGINT)
            signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame) -> None:
        self.seen = True
        if callable(self._previous):
            self._previous(signum, frame)
        else:
            raise KeyboardInterrupt

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
