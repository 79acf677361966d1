"""One id, one story: the check both engines (local pool and Dask) make before coding a document.

Policy (docs/ROBUSTNESS.md, issue 14): a document whose id is taken -- stored already, or read
earlier in this run -- is skipped. With the same text it is a repeat (a rerun, a resumed run, a
repeated record) and is counted as "already stored"; with a different text it is an error naming
both, never a silent skip."""

from __future__ import annotations

from dataclasses import dataclass, field

from detente.errors import InputError
from detente.io.readers import display_name
from detente.model import Document, content_hash
from detente.nlp.normalise import normalise_text


def shown(s: str, limit: int = 120) -> str:
    """An id or origin quoted for an error message: one line, bounded."""
    s = display_name(s)
    return repr(s if len(s) <= limit else s[: limit - 3] + "...")


@dataclass
class IdCheck:
    """What one batch came to: the documents to code, the errors, and how many were repeats."""

    fresh: list[Document] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    repeats: int = 0
    stored_repeats: int = 0  # of the repeats, those whose id the store already held


class IdGuard:
    """Asks the store about stored ids and remembers the (text hash, origin) of the ids handed
    on but not stored yet (several batches are in flight with worker processes, and the store
    cannot know their ids yet). `stored(ids)` forgets them once written, so memory is bounded by
    the batches in flight, not by the corpus."""

    def __init__(self, store=None):
        self.store = store
        self._seen: dict[str, tuple[str, str | None]] = {}

    def stored(self, ids) -> None:
        """These ids are in the store now: the store answers for them from here on."""
        if self.store is None:
            return  # nothing to ask later: keep them, or a repeat would be coded twice
        for i in ids:
            self._seen.pop(i, None)

    def check(self, batch: list[Document]) -> IdCheck:
        known = self.store.known_documents([d.id for d in batch]) if self.store is not None else {}
        out = IdCheck()
        for d in batch:
            # the coder normalises the text before it is stored (and hashed); normalising is
            # idempotent, so doing it here compares like with like
            d.text = normalise_text(d.text)
            digest = content_hash(d.text)
            prev = known.get(d.id) or self._seen.get(d.id)
            if prev is None:
                self._seen[d.id] = (digest, d.origin)
                out.fresh.append(d)
            elif prev[0] == digest:
                out.repeats += 1
                out.stored_repeats += d.id in known
            else:
                out.errors.append(
                    InputError(
                        f"id {shown(d.id)} is already used by {shown(prev[1] or 'another document', 300)}"
                        f" with a different text; skipped (give each story its own id: an 'id' "
                        f"field, an ID: header line or a distinct file name)",
                        d.origin,
                    )
                )
        return out
