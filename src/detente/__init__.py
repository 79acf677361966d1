"""Detente: political event data from news text (who did what to whom, when and where)."""

from detente.errors import DetenteError, InputError
from detente.model import CODER_VERSION, PLOVER_TYPES, Actor, Document, Event, Location
from detente.version import __version__


def code_text(text, date=None, doc_id="doc", title=None):
    """Code one story; returns a list of PLOVER event records (dicts)."""
    # Imported here, not at the top: every `import detente.<anything>` (the CLI included) runs this
    # file first, and the coder brings spaCy (and torch through thinc, when installed): seconds.
    from detente.coding.coder import code_text as _code_text

    return _code_text(text, date=date, doc_id=doc_id, title=title)


def open(path="detente.duckdb", read_only=True):
    """Open an event store for queries that return pandas DataFrames."""
    # Imported here for the same reason as in code_text (DuckDB and pandas).
    from detente.storage.store import EventStore

    return EventStore(path, read_only=read_only)


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
