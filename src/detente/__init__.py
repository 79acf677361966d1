"""Detente: political event data from news text (who did what to whom, when and where)."""

import importlib
from typing import Any

from detente.errors import DetenteError, InputError
from detente.model import CODER_VERSION, PLOVER_TYPES, Actor, Document, Event, Location
from detente.version import __version__

# The two entry points that need spaCy or DuckDB are attributes resolved on first use (PEP 562):
# every `import detente.<anything>` (the CLI included) runs this file first, and importing the
# coder takes seconds (spaCy, and torch through thinc when installed). Deliberate lazy loading,
# like the CLI's sub-commands.
#   detente.code_text(text, date=None, doc_id="doc", title=None) -> list of PLOVER records
#   detente.open(path="detente.duckdb", read_only=True) -> EventStore (queries return DataFrames)
_LAZY_ATTRIBUTES = {
    "code_text": ("detente.coding.coder", "code_text"),
    "open": ("detente.storage.store", "open_store"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY_ATTRIBUTES:
        module, attribute = _LAZY_ATTRIBUTES[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'detente' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_ATTRIBUTES))


__all__ = [
    "CODER_VERSION",
    "PLOVER_TYPES",
    "Actor",
    "DetenteError",
    "Document",
    "Event",
    "InputError",
    "Location",
    "__version__",
    "code_text",
    "open",
]
