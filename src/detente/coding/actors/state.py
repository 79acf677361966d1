"""The per-document state of actor resolution: what has been found so far and who can be referred to."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

from detente.coding.actors.matching import Item
from detente.model import Actor, Mention


@dataclass
class PersonRef:
    """A person mention a later title or pronoun can refer to."""

    mention: int  # index in DocState.out
    gender: str | None
    role: str
    country: str | None


@dataclass
class DocState:
    """One document being resolved: its tokens and items, the mentions made so far, and the
    bookkeeping coreference and the story-level passes need."""

    doc: Any  # spacy Doc
    date: dt.date | None
    lows: list[str]
    texts: list[str]
    items: list[Item]
    out: list[Mention] = field(default_factory=list)
    person_full: dict[str, int] = field(default_factory=dict)  # person id -> latest full mention
    person_refs: list[PersonRef] = field(default_factory=list)
    item_mention: dict[int, int] = field(default_factory=dict)  # index of an N item -> its mention
    place_cands: list[int] = field(default_factory=list)  # mentions of lone country/IGO chunks
    unknown: list[tuple[int, str | None]] = field(default_factory=list)  # "---" mentions (index, title)
    junta: set[int] = field(default_factory=set)  # "---" mentions of "the junta"
    _sent_starts: list[int] | None = None

    def sent_index(self, tok_i: int) -> int:
        """Index of the sentence holding token tok_i (sentence starts computed on first use)."""
        if self._sent_starts is None:
            self._sent_starts = [s.start for s in self.doc.sents]
        starts = self._sent_starts
        lo, hi = 0, len(starts)
        while lo + 1 < hi:
            mid = (lo + hi) // 2
            if starts[mid] <= tok_i:
                lo = mid
            else:
                hi = mid
        return lo

    def add(self, start: int, end: int, actor: Actor, conf: float = 1.0, ante: int | None = None) -> int:
        """Append a mention of tokens start..end-1; returns its index."""
        span = self.doc[start:end]
        actor = replace(actor, text=span.text)
        self.out.append(Mention(start, end, span.start_char, span.end_char, span.text, actor, conf, ante))
        return len(self.out) - 1

    def copy_from(self, idx: int, start: int, end: int, conf: float) -> int:
        """A mention of tokens start..end-1 referring to mention idx (to its full antecedent)."""
        src = self.out[idx]
        full = src.antecedent if src.antecedent is not None else idx
        return self.add(start, end, src.actor, conf, full)
