"""A coding run: stream documents from the readers through the coder into the store.

Documents travel in batches; each batch is checked against the store first (so a resumed run skips
what is already there), coded (in this process or on a pool of worker processes, each with its
own model, loaded once), checked for near-duplicates, and written in one transaction together with
its events, mentions and near-duplicate index rows. Memory is bounded by batch size x workers,
never by the corpus size: the reader is a generator, at most `2 x workers` batches are in flight,
and nothing is kept per document after its batch is written.

Crash safety: a batch is either wholly in the database or not at all (DuckDB transaction + WAL),
so a run killed at any point (Ctrl-C, SIGKILL, power loss) is finished by running the same command
again: stored documents are skipped by id, the rest are coded, and nothing is duplicated.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import importlib
import multiprocessing as mp
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from threadpoolctl import threadpool_limits

from detente.errors import DetenteError, InputError
from detente.execution.ids import IdGuard
from detente.model import Document, Event
from detente.nlp.without_torch import keep_torch_out
from detente.settings import DEFAULT_CODER, PIPE_BATCH, Settings, current

DEFAULT_BATCH = 64
# A batch is also cut at this many characters of text (bounded parse memory for long stories).
MAX_BATCH_CHARS = 100_000
PARSE_ONLY_CODER = "detente.coding.coder:ParseOnlyCoder"


@dataclass
class RunStats:
    read: int = 0  # documents read from the inputs
    coded: int = 0  # documents coded and stored in this run
    skipped_known: int = 0  # already in the store (rerun/resume)
    duplicates: int = 0  # near-duplicates folded into an earlier story
    events: int = 0
    errors: int = 0
    words: int = 0  # words in the documents coded (for words/s)
    error_messages: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def docs_per_second(self) -> float:
        return self.coded / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        s = (
            f"{self.coded:,} documents coded, {self.events:,} events stored"
            f" ({self.docs_per_second:.1f} docs/s over {self.seconds:.1f}s)"
        )
        extras = []
        if self.skipped_known:
            extras.append(f"{self.skipped_known:,} already stored")
        if self.duplicates:
            extras.append(f"{self.duplicates:,} near-duplicates folded")
        if self.errors:
            extras.append(f"{self.errors:,} items skipped with errors")
        return s + ("; " + ", ".join(extras) if extras else "")


# ----------------------------------------------------------------- coders


def resolve_factory(spec: str | Callable | None) -> Callable:
    """'package.module:Name' (or a callable) -> a zero-argument coder factory. None: the coder of
    this process's settings (DETENTE_CODER, default the real `Coder`)."""
    if spec is None:
        spec = current().coder
    if callable(spec):
        return spec
    mod, _, name = spec.partition(":")
    return getattr(importlib.import_module(mod), name)


@dataclass(frozen=True)
class CoderFactory:
    """A picklable zero-argument coder factory: what a worker process (pool initialiser or Dask
    task) needs to build its coder, so settings travel with the work instead of through
    `os.environ`. `accurate=True` turns the relation reader on (`--accurate`); it is passed only
    when on, so a custom coder class without that argument still works."""

    spec: str | Callable = DEFAULT_CODER
    accurate: bool = False

    @classmethod
    def from_settings(
        cls, settings: Settings | None = None, spec: str | Callable | None = None
    ) -> CoderFactory:
        settings = settings or current()
        return cls(spec=spec or settings.coder, accurate=settings.encoder)

    def __call__(self):
        build = resolve_factory(self.spec)
        return build(accurate=True) if self.accurate else build()


# ----------------------------------------------------------------- worker-process side
_WORKER_CODER = None
_WORKER_PIPE_BATCH = PIPE_BATCH


def _limit_threads() -> None:
    """One BLAS/OpenMP thread per process: the parallelism is across processes, and several
    processes each spinning up a thread per core only fight over the cores."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    try:
        threadpool_limits(1)
    except Exception:  # noqa: BLE001, S110 - one thread per process is an optimisation, never a reason to fail
        pass


def _worker_init(factory_spec, pipe_batch: int = PIPE_BATCH) -> None:
    global _WORKER_CODER, _WORKER_PIPE_BATCH
    _limit_threads()
    keep_torch_out()  # a worker only codes: spaCy without PyTorch (nlp/without_torch.py)
    _WORKER_CODER = resolve_factory(factory_spec)()
    _WORKER_PIPE_BATCH = pipe_batch


def _worker_code(docs: list[Document]) -> list[tuple[Document, list[Event]]]:
    return list(_WORKER_CODER.code_many(docs, batch_size=_WORKER_PIPE_BATCH))


def distinct_events(events: list[Event]) -> list[Event]:
    """Events with distinct ids, first kept. The coder can find one event twice (the same
    participants named twice in a sentence: "Iran" and "Iranian"); the store keeps an id once,
    so without this a document's event count would not match the events stored for it."""
    seen: set[str] = set()
    out = []
    for ev in events:
        key = ev.id or ev.make_id()
        if key not in seen:
            seen.add(key)
            out.append(ev)
    return out if len(out) != len(events) else events


def batched(items: Iterable, n: int, max_chars: int | None = None) -> Iterator[list]:
    """Lists of at most n items; with max_chars, a batch of documents is also cut once its texts
    reach max_chars characters, so a batch of long speeches costs no more memory to parse than a
    batch of short news items (spaCy's activations grow with the tokens in a batch)."""
    buf: list = []
    chars = 0
    for x in items:
        buf.append(x)
        if max_chars is not None:
            chars += len(getattr(x, "text", "") or "")
        if len(buf) >= n or (max_chars is not None and chars >= max_chars):
            yield buf
            buf = []
            chars = 0
    if buf:
        yield buf


class CodingRun:
    """Reads, codes and stores. `on_error(InputError)` and `on_progress(stats, n)` are callbacks
    for the CLI; `on_events(doc, events)` lets a caller stream records out (e.g. `--out`).

    `coder` is a ready Coder for the in-process path (workers=1); `coder_factory` ('module:Name'
    or a picklable zero-argument callable such as `CoderFactory`; default: the coder of
    `settings`, else of `current()`) builds one in each worker process."""

    def __init__(
        self,
        store,
        workers: int = 1,
        batch_size: int = DEFAULT_BATCH,
        coder=None,
        dedup=None,
        limit: int | None = None,
        on_error: Callable[[InputError], None] | None = None,
        on_progress: Callable[[RunStats, int], None] | None = None,
        on_events: Callable[[Document, list[Event]], None] | None = None,
        coder_factory: str | Callable | None = None,
        pipe_batch: int | None = None,
        settings: Settings | None = None,
    ):
        self.store = store
        self.workers = max(1, int(workers))
        self.batch_size = max(1, int(batch_size))
        self._coder = coder
        self.coder_factory = (
            coder_factory if coder_factory is not None else CoderFactory.from_settings(settings)
        )
        self.pipe_batch = pipe_batch or min(max(self.batch_size, 16), 256)
        self.dedup = dedup
        self.limit = limit
        self.on_error = on_error or (lambda e: print(f"error: {e}", file=sys.stderr))
        self.on_progress = on_progress or (lambda stats, n: None)
        self.on_events = on_events
        self.stats = RunStats()
        self._ids = IdGuard(store)

    @property
    def coder(self):
        if self._coder is None:
            self._coder = resolve_factory(self.coder_factory)()
        return self._coder

    def _report(self, err: InputError) -> None:
        self.stats.errors += 1
        if len(self.stats.error_messages) < 1000:
            self.stats.error_messages.append(str(err))
        self.on_error(err)

    def _documents(self, items: Iterable[Document | InputError]) -> Iterator[Document]:
        for item in items:
            if self.limit is not None and self.stats.read >= self.limit:
                return
            if isinstance(item, InputError):
                self._report(item)
                continue
            self.stats.read += 1
            yield item

    def _new_only(self, batches: Iterable[list[Document]]) -> Iterator[list[Document]]:
        """Documents not stored yet (execution.ids: one id, one story; a different text under a
        taken id is an error naming both, never a silent skip)."""
        for batch in batches:
            checked = self._ids.check(batch)
            self.stats.skipped_known += checked.repeats
            for err in checked.errors:
                self._report(err)
            skipped = len(batch) - len(checked.fresh)
            if skipped:
                self.on_progress(self.stats, skipped)
            if checked.fresh:
                yield checked.fresh

    def _coded_batches(
        self, batches: Iterable[list[Document]]
    ) -> Iterator[list[tuple[Document, list[Event]]]]:
        if self.workers == 1:
            coder = self.coder
            for batch in batches:
                yield list(coder.code_many(batch, batch_size=self.pipe_batch))
            return
        # A bounded window of batches in flight keeps memory flat however large the corpus.

        ctx = mp.get_context("forkserver" if sys.platform != "win32" else "spawn")
        pool = cf.ProcessPoolExecutor(
            self.workers,
            mp_context=ctx,
            initializer=_worker_init,
            initargs=(self.coder_factory, self.pipe_batch),
        )
        clean = False
        try:
            window: deque[cf.Future] = deque()
            for batch in batches:
                window.append(pool.submit(_worker_code, batch))
                if len(window) >= self.workers * 2:
                    yield window.popleft().result()
            while window:
                yield window.popleft().result()
            clean = True
        except cf.process.BrokenProcessPool as e:
            raise DetenteError(
                f"a worker process died ({e}); every batch written so far is "
                "complete: rerun the same command to resume"
            ) from None
        finally:
            if clean:
                pool.shutdown(wait=True)
            else:
                # Interrupted (Ctrl-C, an error, the consumer stopped): do not wait for batches
                # in flight -- they are not written, and a rerun codes them again.
                procs = list((getattr(pool, "_processes", None) or {}).values())
                pool.shutdown(wait=False, cancel_futures=True)
                for p in procs:
                    with contextlib.suppress(Exception):  # already gone: nothing to stop
                        p.terminate()

    def run(self, items: Iterable[Document | InputError]) -> RunStats:
        t0 = time.perf_counter()
        batches = self._new_only(batched(self._documents(items), self.batch_size, MAX_BATCH_CHARS))
        for coded in self._coded_batches(batches):
            coded = [(d, distinct_events(evs)) for d, evs in coded]
            duplicate_of = self.dedup.assign([d for d, _ in coded]) if self.dedup is not None else {}
            if self.store is not None:
                n_docs, n_events = self.store.write_batch(
                    coded,
                    duplicate_of=duplicate_of,
                    extra_rows=self.dedup.pending if self.dedup is not None else None,
                )
            else:
                n_docs, n_events = len(coded), sum(len(e) for _, e in coded)
            self._ids.stored(d.id for d, _ in coded)
            self.stats.coded += n_docs
            self.stats.events += n_events
            self.stats.duplicates += len(duplicate_of)
            self.stats.words += sum(len(d.text.split()) for d, _ in coded)
            if self.on_events is not None:
                for d, evs in coded:
                    self.on_events(d, evs)
            self.stats.seconds = time.perf_counter() - t0
            self.on_progress(self.stats, len(coded))
        self.stats.seconds = time.perf_counter() - t0
        return self.stats
