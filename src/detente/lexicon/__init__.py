"""The ontology (PLOVER/CAMEO tables), the trigger lexicon and every word list, read from data files.

Word lists live in data/lexicon/<name>.txt, one entry per line (a '#' starts a comment line), so
that each list is defined once and edited as data, not code. `words(name)` is the one reader."""

from __future__ import annotations

from functools import cache

from detente.resources import DATA_DIR

LEXICON_DIR = DATA_DIR / "lexicon"


@cache
def words(name: str) -> frozenset[str]:
    """The entries of data/lexicon/<name>.txt (stripped; blank and '#' lines skipped)."""
    return frozenset(word_sequence(name))


@cache
def word_sequence(name: str) -> tuple[str, ...]:
    """The entries of data/lexicon/<name>.txt in file order (for lists whose order matters)."""
    path = LEXICON_DIR / f"{name}.txt"
    with open(path, encoding="utf-8") as f:
        entries = (line.strip() for line in f)
        return tuple(e for e in entries if e and not e.startswith("#"))
