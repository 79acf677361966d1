"""What every `detente` sub-command shares: the default database and the one way to fail with
exit status 2 (`raise FatalError(message)`)."""

from __future__ import annotations

from typing import IO, Any

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
