"""Sentence boundaries the parser must respect: line breaks and one-sentence headlines."""

from __future__ import annotations

# A first line up to this many tokens without sentence-final punctuation is a headline: one sentence.
HEADLINE_TOKENS = 25


def _newline_sentences(doc):
    """A line break always ends a sentence: headlines, datelines and paragraphs must not be
    glued to the next sentence (the parser keeps boundaries that are already set). A headline is
    one sentence: the parser otherwise cuts "Russian missiles strike | Kyiv" and the headline's
    event loses its target."""
    for tok in doc[:-1]:
        if "\n" in tok.text or "\n" in tok.whitespace_:
            nxt = doc[tok.i + 1]
            if not nxt.is_space:
                nxt.is_sent_start = True
    end = 0
    while end < len(doc) and end <= HEADLINE_TOKENS and "\n" not in doc[end].text:
        end += 1
    if (
        1 < end <= HEADLINE_TOKENS
        and end < len(doc)
        and not any(t.text in (".", "!", "?") for t in doc[: end - 1])
    ):
        for tok in doc[1:end]:
            if not tok.is_space:
                tok.is_sent_start = False
    return doc
