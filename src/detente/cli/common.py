"""What every `detente` sub-command shares: the default database and the exit-status-2 failure."""

from __future__ import annotations

import click

DEFAULT_DB = "detente.duckdb"


class FatalError(click.ClickException):
    exit_code = 2


def _die(msg: str) -> None:
    raise FatalError(msg)
