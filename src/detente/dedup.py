"""Near-duplicate stories: syndicated and updated copies of one story are folded into the first.

MinHash signatures (datasketch) over word shingles; locality-sensitive hashing bands are kept in
the DuckDB store itself (table `lsh_bands`), so the index survives restarts, costs no memory that
grows with the corpus, and is written in the same transaction as the documents it describes.
A candidate sharing a band is confirmed by its estimated Jaccard similarity.
"""
from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

NUM_PERM = 64
BANDS = 16            # 16 bands x 4 rows: pairs with Jaccard >= ~0.6 collide with high probability
ROWS = NUM_PERM // BANDS
THRESHOLD = 0.7       # estimated Jaccard above which two stories are the same story
SHINGLE = 3           # word n-grams
MIN_TOKENS = 8        # shorter texts (a bare headline) are too short to call duplicates safely

_WORD = re.compile(r"\w+", re.UNICODE)

LSH_SCHEMA = """
CREATE TABLE IF NOT EXISTS lsh_bands (band_key BIGINT, doc_id VARCHAR, PRIMARY KEY (band_key, doc_id));
CREATE TABLE IF NOT EXISTS doc_signatures (doc_id VARCHAR PRIMARY KEY, sig BLOB);
"""


def shingles(text: str, n: int = SHINGLE) -> set[bytes]:
    words = _WORD.findall(text.lower())
    if len(words) < n:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i:i + n]).encode() for i in range(len(words) - n + 1)}


class NearDuplicateIndex:
    def __init__(self, store, threshold: float = THRESHOLD):
        from datasketch import MinHash

        self.store = store
        self.threshold = threshold
        self._proto = MinHash(num_perm=NUM_PERM, seed=7)
        self.pending: dict[str, list[dict[str, Any]]] = {"lsh_bands": [], "doc_signatures": []}
        if store is not None and not store.read_only:
            store.con.execute(LSH_SCHEMA)

    @classmethod
    def from_store(cls, store) -> "NearDuplicateIndex":
        return cls(store)

    def signature(self, text: str) -> np.ndarray | None:
        from datasketch import MinHash

        sh = shingles(text)
        if len(sh) < MIN_TOKENS - SHINGLE + 1:
            return None
        m = MinHash(num_perm=NUM_PERM, seed=7, permutations=self._proto.permutations,
                    scheme=getattr(self._proto, "scheme", None))
        m.update_batch(list(sh))
        return m.hashvalues.astype(np.uint64)

    @staticmethod
    def band_keys(sig: np.ndarray) -> list[int]:
        keys = []
        for b in range(BANDS):
            chunk = bytes([b]) + sig[b * ROWS:(b + 1) * ROWS].tobytes()
            # A stable hash (Python's hash() of bytes changes per process).
            keys.append(struct.unpack("<q", hashlib.blake2b(chunk, digest_size=8).digest())[0])
        return keys

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
        stored = self._stored_candidates(keys)
        dup_of: dict[str, str] = {}
        batch_bands: dict[int, list[str]] = {}
        for d in docs:
            if d.id not in sigs:
                continue
            sig = sigs[d.id]
            cands: list[str] = []
            for k in keys[d.id]:
                cands.extend(stored.get(k, ()))
                cands.extend(batch_bands.get(k, ()))
            best, best_j = None, 0.0
            for c in dict.fromkeys(cands):
                other = sigs.get(c)
                if other is None:
                    other = self._stored_sig(c)
                if other is None:
                    continue
                j = float(np.mean(sig == other))
                if j > best_j:
                    best, best_j = c, j
            if best is not None and best_j >= self.threshold:
                dup_of[d.id] = best
                continue
            for k in keys[d.id]:
                batch_bands.setdefault(k, []).append(d.id)
                self.pending["lsh_bands"].append({"band_key": k, "doc_id": d.id})
            self.pending["doc_signatures"].append({"doc_id": d.id, "sig": sig.tobytes()})
        return dup_of

    def _stored_candidates(self, keys: dict[str, list[int]]) -> dict[int, list[str]]:
        if self.store is None:
            return {}
        all_keys = sorted({k for ks in keys.values() for k in ks})
        self._sig_cache: dict[str, np.ndarray] = {}
        df = pd.DataFrame({"band_key": np.array(all_keys, dtype=np.int64)})
        con = self.store.con
        con.register("_probe_bands", df)
        try:
            rows = con.execute("SELECT b.band_key, b.doc_id, s.sig FROM lsh_bands b JOIN _probe_bands p "
                               "USING (band_key) LEFT JOIN doc_signatures s USING (doc_id)").fetchall()
        finally:
            con.unregister("_probe_bands")
        out: dict[int, list[str]] = {}
        for k, doc_id, sig in rows:
            out.setdefault(k, []).append(doc_id)
            if sig is not None:
                self._sig_cache[doc_id] = np.frombuffer(sig, dtype=np.uint64)
        return out

    def _stored_sig(self, doc_id: str) -> np.ndarray | None:
        return getattr(self, "_sig_cache", {}).get(doc_id)
