"""Text normalisation before parsing: one canonical form so offsets and matching are stable."""

from __future__ import annotations

import re
import unicodedata

# Control and format characters that carry no meaning in news text but break tokenisation and
# matching: C0/C1 controls (except tab/newline), zero-width and bidirectional marks (LRM/RLM,
# embeddings, overrides, isolates, the Arabic letter mark), interlinear annotation marks, BOM.
# They are removed, so "Pu\u200btin" or "\u202eRussia" match like the plain names.
_STRIP = re.compile(
    "[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u2069\ufeff\ufff9-\ufffb\ufffe\uffff]"
)
# Characters that separate lines or pages (vertical tab, form feed, file/group/record/unit
# separators, NEL, line and paragraph separators) become newlines.
_LINE_BREAKS = re.compile("[\x0b\x0c\x1c-\x1f\x85\u2028\u2029]")
# Lone UTF-16 surrogates (from JSON \ud800 escapes) cannot be encoded or stored.
_SURROGATES = re.compile("[\ud800-\udfff]")
_SPACES = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_MANY_NEWLINES = re.compile(r"\n{3,}")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u02bc": "'"})


def normalise_text(text: str) -> str:
    """NFC, straight quotes, no control/bidi characters, single spaces, at most one blank line.

    Total: any str gives a str (lone surrogates become U+FFFD), and normalising twice changes
    nothing more."""
    if not text:
        return ""
    text = _SURROGATES.sub("\ufffd", text)
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _LINE_BREAKS.sub("\n", text)
    text = _STRIP.sub("", text)
    text = text.translate(_QUOTES)
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = _MANY_NEWLINES.sub("\n\n", text).strip()
    # Removing marks can bring combining characters next to a new base: normalise once more.
    return unicodedata.normalize("NFC", text)
