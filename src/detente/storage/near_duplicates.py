"""Near-duplicate stories: syndicated and updated copies of one story are folded into the first.

MinHash signatures (datasketch) over word 3-shingles; locality-sensitive hashing bands are kept in
the DuckDB store itself (tables `lsh_bands` and `doc_signatures`), so the index survives restarts
and resumed runs, costs no Python memory that grows with the corpus, and is written in the same
transaction as the documents it describes (a killed run never leaves one without the other).

A candidate sharing a band is a copy when all of these hold:
  * estimated Jaccard similarity of the texts >= THRESHOLD (0.7);
  * the two story dates are at most MAX_DAYS_APART (3) days apart, when both are known -- so
    recurring templates ("List of key events, day 344" / "day 351") are not folded;
  * when both have a title, the titles share at least TITLE_MIN (0.3) of their words -- so a
    newsletter whose body is boilerplate ("The Hill's 12:30 Report -- <topic>") or a live blog
    with a stale standfirst is not folded into last week's edition, while an updated headline
    ("FBI conducting 'planned search' of Biden's home" -> "FBI searches Biden's home...") is.

Every candidate is an *original* (a story that was not itself a copy), and "earlier" means
stored before, or earlier in the same batch, so the outcome does not depend on batch boundaries:
an interrupted and resumed run folds exactly the same stories as an uninterrupted one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import re
import struct
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
from datasketch import MinHash

NUM_PERM = 64
BANDS = 16  # 16 bands x 4 rows: pairs with Jaccard >= ~0.6 collide with high probability
ROWS = NUM_PERM // BANDS
THRESHOLD = 0.7  # estimated Jaccard above which two stories are the same story
SHINGLE = 3  # word n-grams
MIN_TOKENS = 8  # shorter texts (a bare headline) are too short to call duplicates safely
MAX_DAYS_APART = 3  # copies of a story appear within days; later "copies" are new stories
TITLE_MIN = 0.3  # minimum word Jaccard of the two titles, when both stories have one

_WORD = re.compile(r"\w+", re.UNICODE)

# No primary keys: rows are only ever written for documents inserted in the same transaction, so
# they are unique by construction, and an ART index over millions of band keys would cost memory
# that grows with the corpus.
LSH_SCHEMA = """
CREATE TABLE IF NOT EXISTS lsh_bands (band_key BIGINT, doc_id VARCHAR, date DATE);
ALTER TABLE lsh_bands ADD COLUMN IF NOT EXISTS date DATE;
CREATE TABLE IF NOT EXISTS doc_signatures (doc_id VARCHAR, sig BLOB, date DATE, title VARCHAR);
ALTER TABLE doc_signatures ADD COLUMN IF NOT EXISTS date DATE;
ALTER TABLE doc_signatures ADD COLUMN IF NOT EXISTS title VARCHAR;
"""


def shingles(text: str, n: int = SHINGLE) -> set[bytes]:
    words = _WORD.findall(text.lower())
    if len(words) < n:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i : i + n]).encode() for i in range(len(words) - n + 1)}


def title_similarity(a: str | None, b: str | None) -> float | None:
    """Word Jaccard of two titles; None when either is missing."""
    if not a or not b:
        return None
    ta, tb = _WORD.findall(a.lower()), _WORD.findall(b.lower())
    if not ta or not tb:
        return None
    # Serial titles ("... key events, day 503" / "day 505") differ only in their numbers.
    na, nb = {w for w in ta if w.isdigit()}, {w for w in tb if w.isdigit()}
    if na and nb and na != nb:
        return 0.0
    # A shared series prefix/suffix ("The Hill's 12:30 Report - <topic>") says nothing about
    # whether the topics are the same: compare what remains once it is removed.
    i = 0
    while i < min(len(ta), len(tb)) and ta[i] == tb[i]:
        i += 1
    j = 0
    while j < min(len(ta), len(tb)) - i and ta[-1 - j] == tb[-1 - j]:
        j += 1
    ra, rb = set(ta[i : len(ta) - j]), set(tb[i : len(tb) - j])
    if not ra or not rb:
        return 1.0  # one title is the other plus or minus a few words
    if i + j >= 3:
        return len(ra & rb) / len(ra | rb)
    wa, wb = set(ta), set(tb)
    return len(wa & wb) / len(wa | wb)


def _as_date(v) -> dt.date | None:
    if v is None:
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    try:
        return dt.date.fromisoformat(str(v)[:10])
    except ValueError:
        return None


class NearDuplicateIndex:
    def __init__(
        self,
        store,
        threshold: float = THRESHOLD,
        max_days_apart: int | None = MAX_DAYS_APART,
        title_min: float | None = TITLE_MIN,
    ):
        self.store = store
        self.threshold = threshold
        self.max_days_apart = max_days_apart
        self.title_min = title_min
        self._proto = MinHash(num_perm=NUM_PERM, seed=7)
        self.pending: dict[str, list[dict[str, Any]]] = {"lsh_bands": [], "doc_signatures": []}
        self._stored_meta: dict[str, tuple[np.ndarray, dt.date | None, str | None]] = {}
        if store is not None and not getattr(store, "read_only", False):
            for stmt in LSH_SCHEMA.split(";"):
                if stmt.strip():
                    store.con.execute(stmt)

    @classmethod
    def from_store(cls, store: Any) -> NearDuplicateIndex:
        return cls(store)

    def signature(self, text: str) -> np.ndarray | None:
        sh = shingles(text)
        if len(sh) < MIN_TOKENS - SHINGLE + 1:
            return None
        m = MinHash(
            num_perm=NUM_PERM,
            seed=7,
            permutations=self._proto.permutations,
            scheme=getattr(self._proto, "scheme", None),
        )
        m.update_batch(list(sh))
        return m.hashvalues.astype(np.uint64)

    @staticmethod
    def band_keys(sig: np.ndarray) -> list[int]:
        keys = []
        for b in range(BANDS):
            chunk = bytes([b]) + sig[b * ROWS : (b + 1) * ROWS].tobytes()
            # A stable hash (Python's hash() of bytes changes per process).
            keys.append(struct.unpack("<q", hashlib.blake2b(chunk, digest_size=8).digest())[0])
        return keys

    def compatible(
        self, date_a: dt.date | None, title_a: str | None, date_b: dt.date | None, title_b: str | None
    ) -> bool:
        """The date and title guards (see the module docstring)."""
        if self.max_days_apart is not None:
            a, b = _as_date(date_a), _as_date(date_b)
            if a is not None and b is not None and abs((a - b).days) > self.max_days_apart:
                return False
        if self.title_min is not None:
            s = title_similarity(title_a, title_b)
            if s is not None and s < self.title_min:
                return False
        return True

    def assign(self, docs: Sequence) -> dict[str, str]:
        """Map each near-duplicate document id in `docs` to the earlier story it copies.

        Earlier means: already stored, or earlier in this batch. New originals' bands are queued
        in `self.pending` for the store to write in the same transaction as the documents."""
        self.pending = {"lsh_bands": [], "doc_signatures": []}
        sigs: dict[str, np.ndarray] = {}
        keys: dict[str, list[int]] = {}
        for d in docs:
            s = self.signature(d.text)
            if s is not None:
                sigs[d.id] = s
                keys[d.id] = self.band_keys(s)
        if not sigs:
            return {}
        dates = [x for x in (_as_date(d.date) for d in docs if d.id in sigs) if x is not None]
        undated = len(dates) < len(sigs)
        stored = self._stored_candidates(keys, (min(dates), max(dates)) if dates and not undated else None)
        meta: dict[str, tuple[np.ndarray, Any, Any]] = dict(self._stored_meta)
        dup_of: dict[str, str] = {}
        batch_bands: dict[int, list[str]] = {}
        for d in docs:
            if d.id not in sigs or d.id in dup_of:
                continue
            sig = sigs[d.id]
            cands: list[str] = []
            for k in keys[d.id]:
                cands.extend(stored.get(k, ()))
                cands.extend(batch_bands.get(k, ()))
            best, best_j = None, 0.0
            for c in dict.fromkeys(cands):
                if c == d.id or c not in meta:
                    continue
                other, o_date, o_title = meta[c]
                j = float(np.mean(sig == other))
                if j >= self.threshold and j > best_j and self.compatible(d.date, d.title, o_date, o_title):
                    best, best_j = c, j
            if best is not None:
                dup_of[d.id] = best
                continue
            meta[d.id] = (sig, d.date, d.title)
            for k in keys[d.id]:
                batch_bands.setdefault(k, []).append(d.id)
                self.pending["lsh_bands"].append({"band_key": k, "doc_id": d.id, "date": d.date})
            self.pending["doc_signatures"].append(
                {"doc_id": d.id, "sig": sig.tobytes(), "date": d.date, "title": d.title}
            )
        return dup_of

    def _stored_candidates(
        self, keys: dict[str, list[int]], date_range: tuple[dt.date, dt.date] | None = None
    ) -> dict[int, list[str]]:
        """Stored originals sharing a band with the batch. When every document in the batch is
        dated, only originals within MAX_DAYS_APART of the batch's dates (or undated) can be
        copies' originals, and the date filter lets DuckDB skip the row groups of older stories
        (their min/max statistics), so the lookup does not slow down as the corpus grows."""
        self._stored_meta = {}
        if self.store is None:
            return {}
        all_keys = sorted({k for ks in keys.values() for k in ks})
        probe = pa.table({"band_key": pa.array(all_keys, pa.int64())})
        con = self.store.con
        sql = "SELECT band_key, doc_id FROM lsh_bands WHERE band_key IN (SELECT band_key FROM _probe_bands)"
        params: list[Any] = []
        if date_range is not None and self.max_days_apart is not None:
            slack = dt.timedelta(days=self.max_days_apart)
            sql += " AND (date BETWEEN ? AND ? OR date IS NULL)"
            params = [date_range[0] - slack, date_range[1] + slack]
        con.register("_probe_bands", probe)
        try:
            rows = con.execute(sql, params).fetchall()
        finally:
            # an aborted transaction refuses even this; the rollback cleans up
            with contextlib.suppress(Exception):
                con.unregister("_probe_bands")
        out: dict[int, list[str]] = {}
        for k, doc_id in rows:
            out.setdefault(k, []).append(doc_id)
        ids = sorted({doc_id for _, doc_id in rows})
        if ids:
            # A literal IN list is pushed into the scan, so only matching rows' blobs are read.
            placeholders = ", ".join("?" for _ in ids)
            for doc_id, sig, date, title in con.execute(
                f"SELECT doc_id, sig, date, title FROM doc_signatures WHERE doc_id IN ({placeholders})", ids
            ).fetchall():
                if sig is not None:
                    self._stored_meta[doc_id] = (np.frombuffer(sig, dtype=np.uint64), date, title)
        return out

    def _stored_sig(self, doc_id: str) -> np.ndarray | None:
        m = self._stored_meta.get(doc_id)
        return m[0] if m else None
