"""What the rule path passes between its steps: trigger candidates and candidate dyads. (The
relation items the classifier scores, RelItem, are the relation model's: relation/features.py.)"""

from __future__ import annotations

from dataclasses import dataclass, field

from spacy.tokens import Span

from detente.lexicon.ontology import Trigger
from detente.model import FLAG_NAMES


@dataclass
class Candidate:
    """A trigger occurrence with its arguments (token indices, doc-level)."""

    trigger: Trigger
    tokens: list[int]  # trigger tokens
    head: int  # the trigger's main token
    verb: int  # the clause verb carrying subject/object (== head for verbs)
    sources: list[int] = field(default_factory=list)
    targets: list[int] = field(default_factory=list)
    flags: dict[str, bool] = field(default_factory=lambda: {f: False for f in FLAG_NAMES})
    absorbed: list[Candidate] = field(default_factory=list)
    suppressed: bool = False
    event: str = ""
    mode: str | None = None
    context: tuple[str, ...] = ()
    cameo: str = ""


@dataclass
class Dyad:
    """One candidate event between two mentions (indices into the finder's mention list)."""

    cand: Candidate
    src: int
    tgt: int | None  # None: an event coded without a recipient
    sent: Span
    sent_index: int
    symmetric: bool
    factor: float  # confidence factor from how the actors and the recipient were found
