"""Text normalisation before parsing: one canonical form so offsets and matching are stable."""
from __future__ import annotations

import re
import unicodedata

# Control and format characters that carry no meaning in news text but break tokenisation and
# matching: C0/C1 controls (except tab/newline), zero-width and bidirectional marks, BOM.
_STRIP = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufffe]"
)
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_MANY_NEWLINES = re.compile(r"\n{3,}")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u02bc": "'"})


def normalise_text(text: str) -> str:
    """NFC, straight quotes, no control/bidi characters, single spaces, at most one blank line."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _STRIP.sub("", text)
    text = text.translate(_QUOTES)
    text = _SPACES.sub(" ", text)
    text = _MANY_NEWLINES.sub("\n\n", text)
    return "\n".join(line.strip() for line in text.split("\n")).strip()
