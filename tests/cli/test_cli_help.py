"""The command list of `detente --help` comes from cli.COMMANDS without importing the command
modules (so that --help and the query commands start fast): it must match the real commands."""

from __future__ import annotations

import importlib
import subprocess
import sys

import click
import pytest

from detente.cli import COMMANDS, main


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_listed_help_is_the_commands_own(name):
    module, attr, listed = COMMANDS[name]
    command = getattr(importlib.import_module(module), attr)
    assert isinstance(command, click.Command)
    assert command.name == name
    for limit in (30, 45, 60, 94):
        assert click.Command(name, help=listed).get_short_help_str(limit) == command.get_short_help_str(limit)


def test_help_lists_every_command_without_loading_their_modules():
    # a fresh interpreter: this test process has already imported the command modules
    code = (
        "import sys; from click.testing import CliRunner; from detente.cli import main; "
        "r = CliRunner().invoke(main, ['--help']); print(r.output); "
        "print(sorted(m for m in sys.modules if m.startswith('detente.cli.') or m in ('spacy', 'duckdb')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    for name in COMMANDS:
        assert f"  {name} " in out
    assert out.rstrip().splitlines()[-1] == "['detente.cli.common']"


def test_each_command_runs_from_the_group():
    for name in COMMANDS:
        assert main.get_command(click.Context(main), name).name == name
