"""The `detente` command line: one click group (`main`, in cli.main) and its sub-command modules.

`[project.scripts] detente = "detente.cli:main"` points here."""
from detente.cli.main import main

__all__ = ["main"]
