"""Detente: political event data from news text (who did what to whom, when and where)."""

from detente.coding.coder import code_text as _code_text
from detente.errors import DetenteError, InputError
from detente.model import CODER_VERSION, PLOVER_TYPES, Actor, Document, Event, Location
from detente.storage.store import EventStore
from detente.version import __version__


def code_text(text, date=None, doc_id="doc", title=None):
    """Code one story; returns a list of PLOVER event records (dicts)."""
    return _code_text(text, date=date, doc_id=doc_id, title=title)


def open(path="detente.duckdb", read_only=True):  # noqa: A001 - mirrors sqlite3.connect / duckdb
    """Open an event store for queries that return pandas DataFrames."""
    return EventStore(path, read_only=read_only)


__all__ = ["CODER_VERSION", "PLOVER_TYPES", "Actor", "DetenteError", "Document", "Event", "InputError",
           "Location", "code_text", "open", "__version__"]
