"""How coding time grows with one long sentence without punctuation (issue 14, item 4).

A run-on "sentence" of N characters made of news clauses with no full stops: the parser leaves
long sentences, each with many events. Prints, per size, the seconds for the whole coder and for
each stage that works per event (places, dates), so a stage that grows faster than the text shows.

    python benchmarks/long_sentence.py [2000 4000 8000 12000]

The gazetteer and the models are loaded before timing (a warm-up story), so the figures are the
cost of the text alone. Figures go in notes, not in tests.
"""

from __future__ import annotations

import sys
import time

from detente.coding.coder import Coder
from detente.model import Document

CLAUSES = [
    "Russian",
    "troops",
    "attacked",
    "Ukrainian",
    "positions",
    "near",
    "Kharkiv",
    "and",
    "Chinese",
    "officials",
    "met",
    "Japanese",
    "diplomats",
    "in",
    "Tokyo",
    "while",
    "Germany",
    "sent",
    "aid",
    "to",
    "Sudan",
    "and",
    "Iran",
    "threatened",
    "Israel",
    "from",
    "Tehran",
]


def run_on(text: str) -> str:
    words, i = [], 0
    while sum(len(w) + 1 for w in words) < len(text):
        words.append(CLAUSES[i % len(CLAUSES)])
        i += 1
    return " ".join(words)


class Timed:
    """Wraps a stage object and adds up the time of its `resolve` calls."""

    def __init__(self, inner):
        self.inner = inner
        self.seconds = 0.0
        self.calls = 0

    def resolve(self, *a, **k):
        t = time.perf_counter()
        try:
            return self.inner.resolve(*a, **k)
        finally:
            self.seconds += time.perf_counter() - t
            self.calls += 1

    def __getattr__(self, name):
        return getattr(self.inner, name)


def main(sizes: list[int]) -> None:
    coder = Coder()
    coder.code(Document(id="warm", text="Chinese officials met Japanese diplomats in Tokyo."))
    coder.place_resolver.gazetteer()
    print(f"{'chars':>7} {'events':>7} {'total s':>8} {'places s':>9} {'dates s':>8} {'other s':>8}")
    for n in sizes:
        places, dates = Timed(coder.place_resolver), Timed(coder.date_resolver)
        coder.place_resolver, coder.date_resolver = places, dates
        doc = Document(id=f"long{n}", text=run_on("x" * n))
        t = time.perf_counter()
        events = coder.code(doc)
        total = time.perf_counter() - t
        coder.place_resolver, coder.date_resolver = places.inner, dates.inner
        print(
            f"{n:>7,} {len(events):>7} {total:>8.2f} {places.seconds:>9.2f} {dates.seconds:>8.2f} "
            f"{total - places.seconds - dates.seconds:>8.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [2000, 4000, 8000, 12000])
