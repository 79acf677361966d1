"""Run-time settings: the DETENTE_* environment variables, read in one place into one `Settings`.

`current()` reads the environment once per process and keeps the result; code that needs a
setting asks `current()` (or is handed a `Settings`) instead of reading `os.environ`. Worker
processes do not learn settings from the environment either: the parent passes what they need
(the coder factory, with `accurate` when the relation reader is on) through the worker
initialiser / Dask task arguments, so `detente code --accurate` never writes `os.environ`.

Tests that change the environment call `reload()` (or build `Settings.from_env(env)` directly).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# Documents handed to nlp.pipe at once inside a worker (spaCy's own minibatch size).
PIPE_BATCH = 64

# The coder factory ('module:Name') of worker processes unless DETENTE_CODER names another.
DEFAULT_CODER = "detente.coding.coder:Coder"
# One story longer than this is refused (see io.readers: it would stall a worker for minutes).
DEFAULT_MAX_STORY_CHARS = 500_000

# Values of a yes/no variable that mean yes (DETENTE_ENCODER's historical spelling; compared
# after strip().lower()).
_YES = ("1", "yes", "on", "true")

ENVIRONMENT_VARIABLES = (
    "DETENTE_CODER",  # execution: the coder factory 'module:Name' of worker processes
    "DETENTE_DEBUG",  # cli: tracebacks instead of one-line errors
    "DETENTE_ENCODER",  # coding.relation: the --accurate reader on/off
    "DETENTE_MAX_STORY_CHARS",  # io.readers: longest story accepted
    "DETENTE_PRELOAD_GAZETTEER",  # coding.places: load the gazetteer at import
    "DETENTE_SHARED_DATA",  # training: the shared reference data directory
)


def _positive_int(value: str | None, default: int) -> int:
    """A positive integer, or `default` for an unset, empty, malformed or non-positive value
    (the rule io.readers applied to DETENTE_MAX_STORY_CHARS)."""
    try:
        n = int(value or default)
    except ValueError:
        return default
    return n if n > 0 else default


@dataclass(frozen=True)
class Settings:
    """Every DETENTE_* setting, typed. Frozen: a changed setting is a new object (`replace`)."""

    coder: str = DEFAULT_CODER  # DETENTE_CODER
    debug: bool = False  # DETENTE_DEBUG: any non-empty value
    encoder: bool = False  # DETENTE_ENCODER: 1/yes/on/true
    max_story_chars: int = DEFAULT_MAX_STORY_CHARS  # DETENTE_MAX_STORY_CHARS: positive integer
    preload_gazetteer: bool = False  # DETENTE_PRELOAD_GAZETTEER: any non-empty value
    shared_data: Path | None = None  # DETENTE_SHARED_DATA: None = the default next to the checkout

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from `environ` (default: this process's environment), with the same parsing
        each variable had where it used to be read."""
        env = os.environ if environ is None else environ
        shared = env.get("DETENTE_SHARED_DATA")
        return cls(
            coder=env.get("DETENTE_CODER") or DEFAULT_CODER,
            debug=bool(env.get("DETENTE_DEBUG")),
            encoder=env.get("DETENTE_ENCODER", "0").strip().lower() in _YES,
            max_story_chars=_positive_int(env.get("DETENTE_MAX_STORY_CHARS"), DEFAULT_MAX_STORY_CHARS),
            preload_gazetteer=bool(env.get("DETENTE_PRELOAD_GAZETTEER")),
            shared_data=Path(shared) if shared else None,
        )

    def replace(self, **changes: object) -> Settings:
        """A copy with some fields changed (e.g. `encoder=True` for `--accurate`)."""
        return dataclasses.replace(self, **changes)


_current: Settings | None = None


def current() -> Settings:
    """This process's settings, read from the environment on first use and kept."""
    global _current
    if _current is None:
        _current = Settings.from_env()
    return _current


def reload() -> Settings:
    """Read the environment again (for tests that change it; a running program does not)."""
    global _current
    _current = Settings.from_env()
    return _current
