"""The `detente` command line: one click group (`main`, the `detente` entry point) whose sub-commands
live in their own modules.

Exit status (detente.errors.ExitCode): 0 all good, 1 some input items skipped with errors, 2 usage or
fatal error (`raise FatalError(...)`, cli/common.py), 130 interrupted.

A sub-command's module is imported only when that command runs (click's lazy-group pattern): the
modules import spaCy, DuckDB, pandas or FastAPI at their top, and `detente --help` or
`detente events` must not pay seconds for the parser of `detente code`. The one-line help of each
command is kept in data/cli_commands.tsv for the same reason; tests/cli/test_cli_help.py checks it against the commands.
"""

from __future__ import annotations

import importlib
import sys

import click

from detente.cli.common import CtrlC, FatalError
from detente.errors import ExitCode
from detente.resources import read_table
from detente.settings import current

# name -> (module, attribute, first paragraph of the command's help), from data/cli_commands.tsv
COMMANDS: dict[str, tuple[str, str, str]] = {
    row["command"]: (row["module"], row["attribute"], row["help"]) for row in read_table("cli_commands.tsv")
}


class _Group(click.Group):
    """Loads sub-commands on demand (see the module docstring).

    Database errors that surface after a database was opened (a damaged block read later, an
    I/O error) end as one `Error:` line and exit status 2, not a traceback."""

    def list_commands(self, ctx):
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx, cmd_name):
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if cmd_name not in COMMANDS:
            return None
        module, attr, _ = COMMANDS[cmd_name]
        command = getattr(importlib.import_module(module), attr)
        self.add_command(command, cmd_name)
        return command

    def format_commands(self, ctx, formatter):
        """The command list of `--help` from COMMANDS, without importing the command modules."""
        rows = []
        limit = formatter.width - 6 - max(len(n) for n in self.list_commands(ctx))
        for name in self.list_commands(ctx):
            if name in self.commands or name not in COMMANDS:
                cmd = self.get_command(ctx, name)
            else:
                cmd = click.Command(name, help=COMMANDS[name][2])
            rows.append((name, cmd.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx):
        ctrl_c = CtrlC()
        try:
            with ctrl_c:
                return super().invoke(ctx)
        except KeyboardInterrupt:
            _interrupted()
        except Exception as e:
            if ctrl_c.seen and not isinstance(e, click.exceptions.Exit):
                # how a library (DuckDB: "Query interrupted") reported the Ctrl-C, not a fault
                _interrupted()
            if type(e).__module__.split(".")[0] in ("duckdb", "_duckdb") and not current().debug:
                first = (str(e).splitlines() or [type(e).__name__])[0]
                raise FatalError(f"database error (damaged file, disk or I/O problem?): {first}") from None
            raise


def _interrupted() -> None:
    """Ctrl-C: exit 130 with one line (click alone would print "Aborted!" and exit 1, the status
    that means "items skipped"). `detente code` says more (what was stored, how to resume)."""
    click.echo("interrupted", err=True)
    sys.exit(ExitCode.INTERRUPTED)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="detente")
def main() -> None:
    """Detente: political event data (who did what to whom, when and where) from news text."""


if __name__ == "__main__":
    main()
