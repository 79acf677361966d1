"""The errors Detente raises on purpose: DetenteError and its subclasses shared across stages."""

from __future__ import annotations


class DetenteError(Exception):
    """Base of every error the project raises on purpose (documented, catchable)."""


class InputError(DetenteError):
    """An input item (file, line, record) cannot be read. Carries where it came from."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None):
        self.path = path
        self.line = line
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(f"{where}{message}")
        self.reason = message
