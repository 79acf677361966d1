"""A coding run: stream documents from the readers through the coder into the store.

Documents travel in batches; each batch is checked against the store first (so a resumed run skips
what is already there), coded (in this process or on a pool of worker processes, each with its
own model), and written in one transaction. Memory is bounded by batch size x workers, never by the
corpus size.
"""
from __future__ import annotations

import concurrent.futures as cf
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from .model import Document, Event, InputError

DEFAULT_BATCH = 64


@dataclass
class RunStats:
    read: int = 0            # documents read from the inputs
    coded: int = 0           # documents coded and stored in this run
    skipped_known: int = 0   # already in the store (rerun/resume)
    duplicates: int = 0      # near-duplicates folded into an earlier story
    events: int = 0
    errors: int = 0
    error_messages: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def docs_per_second(self) -> float:
        return self.coded / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        s = (f"{self.coded:,} documents coded, {self.events:,} events stored"
             f" ({self.docs_per_second:.1f} docs/s over {self.seconds:.1f}s)")
        extras = []
        if self.skipped_known:
            extras.append(f"{self.skipped_known:,} already stored")
        if self.duplicates:
            extras.append(f"{self.duplicates:,} near-duplicates folded")
        if self.errors:
            extras.append(f"{self.errors:,} items skipped with errors")
        return s + ("; " + ", ".join(extras) if extras else "")


# ----------------------------------------------------------------- worker-process side
_WORKER_CODER = None


def _worker_init() -> None:
    global _WORKER_CODER
    # One thread per worker process: the parallelism is across processes.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from .pipeline import Coder

    _WORKER_CODER = Coder()


def _worker_code(docs: list[Document]) -> list[tuple[Document, list[Event]]]:
    return list(_WORKER_CODER.code_many(docs))


def batched(items: Iterable, n: int) -> Iterator[list]:
    buf: list = []
    for x in items:
        buf.append(x)
        if len(buf) >= n:
            yield buf
            buf = []
    if buf:
        yield buf


class CodingRun:
    """Reads, codes and stores. `on_error(InputError)` and `on_progress(stats)` are callbacks for
    the CLI; `on_events(doc, events)` lets a caller stream records out (e.g. `--out`)."""

    def __init__(self, store, workers: int = 1, batch_size: int = DEFAULT_BATCH, coder=None,
                 dedup=None, limit: int | None = None,
                 on_error: Callable[[InputError], None] | None = None,
                 on_progress: Callable[[RunStats, int], None] | None = None,
                 on_events: Callable[[Document, list[Event]], None] | None = None):
        self.store = store
        self.workers = max(1, int(workers))
        self.batch_size = batch_size
        self._coder = coder
        self.dedup = dedup
        self.limit = limit
        self.on_error = on_error or (lambda e: print(f"error: {e}", file=sys.stderr))
        self.on_progress = on_progress or (lambda stats, n: None)
        self.on_events = on_events
        self.stats = RunStats()

    @property
    def coder(self):
        if self._coder is None:
            from .pipeline import Coder

            self._coder = Coder()
        return self._coder

    def _documents(self, items: Iterable[Document | InputError]) -> Iterator[Document]:
        for item in items:
            if isinstance(item, InputError):
                self.stats.errors += 1
                if len(self.stats.error_messages) < 1000:
                    self.stats.error_messages.append(str(item))
                self.on_error(item)
                continue
            if self.limit is not None and self.stats.read >= self.limit:
                return
            self.stats.read += 1
            yield item

    def _new_only(self, batches: Iterable[list[Document]]) -> Iterator[list[Document]]:
        for batch in batches:
            known = self.store.known_ids([d.id for d in batch]) if self.store is not None else set()
            fresh, seen = [], set()
            for d in batch:
                if d.id in known or d.id in seen:
                    self.stats.skipped_known += 1
                    continue
                seen.add(d.id)
                fresh.append(d)
            skipped = len(batch) - len(fresh)
            if skipped:
                self.on_progress(self.stats, skipped)
            if fresh:
                yield fresh

    def _coded_batches(self, batches: Iterable[list[Document]]) -> Iterator[list[tuple[Document, list[Event]]]]:
        if self.workers == 1:
            for batch in batches:
                yield list(self.coder.code_many(batch))
            return
        # A bounded window of batches in flight keeps memory flat however large the corpus.
        import multiprocessing as mp

        ctx = mp.get_context("forkserver" if sys.platform != "win32" else "spawn")
        with cf.ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_worker_init) as pool:
            window: deque[cf.Future] = deque()
            for batch in batches:
                window.append(pool.submit(_worker_code, batch))
                if len(window) >= self.workers * 2:
                    yield window.popleft().result()
            while window:
                yield window.popleft().result()

    def run(self, items: Iterable[Document | InputError]) -> RunStats:
        t0 = time.perf_counter()
        batches = self._new_only(batched(self._documents(items), self.batch_size))
        for coded in self._coded_batches(batches):
            duplicate_of = self.dedup.assign([d for d, _ in coded]) if self.dedup is not None else {}
            if self.store is not None:
                n_docs, n_events = self.store.write_batch(
                    coded, duplicate_of=duplicate_of,
                    extra_rows=self.dedup.pending if self.dedup is not None else None)
            else:
                n_docs, n_events = len(coded), sum(len(e) for _, e in coded)
            self.stats.coded += n_docs
            self.stats.events += n_events
            self.stats.duplicates += len(duplicate_of)
            if self.on_events is not None:
                for d, evs in coded:
                    self.on_events(d, evs)
            self.stats.seconds = time.perf_counter() - t0
            self.on_progress(self.stats, len(coded))
        self.stats.seconds = time.perf_counter() - t0
        return self.stats
