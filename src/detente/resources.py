"""Where the package's data lives, and the one reader of its tab-separated tables."""

from __future__ import annotations

import csv
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
MODELS_DIR = DATA_DIR / "models"
STATIC_DIR = PACKAGE_DIR / "web" / "static"


def read_table(path: str | Path) -> list[dict[str, str]]:
    """Rows of a TSV table as dicts keyed by its header, values stripped.

    Blank lines and lines starting with '#' (comments) are skipped; quotes are plain characters.
    A relative path is read from the package's data directory."""
    path = Path(path)
    if not path.is_absolute():
        path = DATA_DIR / path
    with open(path, encoding="utf-8", newline="") as f:
        lines = [ln for ln in f if ln.strip() and not ln.startswith("#")]
    rows = list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [{k: (v or "").strip() for k, v in r.items() if k is not None} for r in rows]
