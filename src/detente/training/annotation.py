"""Detente's own annotations of real news: which corpus items to annotate, and joining the labels
(kept in the repository, `annotations/`) with the texts (read from the corpus by id, never copied).

The labels follow news_silver's codebook (`GUIDELINE.md` next to it): one JSON object per item with
`id`, `date` and `events` (source/target `code` and `sector`, `event`, `symmetric`, `historical`,
`trigger`). They carry no sentence of the item, so the publishers' text stays out of the repository;
`with_corpus_text` puts title and description back from the corpus for training and evaluation.
"""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Iterable, Iterator
from pathlib import Path

from detente.coding.actors.finder import ActorFinder
from detente.errors import DetenteError
from detente.nlp.load import load_nlp
from detente.nlp.normalise import normalise_text

TEXT_FIELDS = ("title", "description", "text", "body")


def corpus_records(path: str | Path) -> Iterator[dict]:
    """The records of a JSONL corpus (gzip read by the file name)."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def corpus_texts(path: str | Path, ids: Iterable[str]) -> dict[str, dict]:
    """{id: {date, title, description}} for the wanted ids, in one pass over the corpus."""
    wanted = {str(i) for i in ids}
    out: dict[str, dict] = {}
    for r in corpus_records(path):
        rid = str(r.get("id"))
        if rid in wanted:
            out[rid] = {
                "date": r.get("date_published") or r.get("date"),
                "title": r.get("title") or "",
                "description": r.get("description") or "",
            }
    return out


def needs_text(record: dict) -> bool:
    return not any((record.get(f) or "").strip() for f in TEXT_FIELDS)


def with_corpus_text(records: list[dict], corpus: str | Path | None) -> list[dict]:
    """Label records with the title and description of their corpus item filled in. Records that
    carry their own text are returned as they are; an id the corpus lacks is an error."""
    missing = [r for r in records if needs_text(r)]
    if not missing:
        return records
    if corpus is None or not Path(corpus).exists():
        raise DetenteError(
            f"{len(missing)} label records carry no text and need the corpus they were drawn from "
            f"(not found: {corpus}); give its path (the RSS corpus of ../shared/data/corpora)"
        )
    texts = corpus_texts(corpus, [r["id"] for r in missing])
    absent = [str(r["id"]) for r in missing if str(r["id"]) not in texts]
    if absent:
        raise DetenteError(f"ids not in the corpus {corpus}: {', '.join(absent[:10])}")
    out = []
    for r in records:
        if needs_text(r):
            t = texts[str(r["id"])]
            r = {
                **r,
                "title": t["title"],
                "description": t["description"],
                "date": r.get("date") or t["date"],
            }
        out.append(r)
    return out


def distinct_actors(finder: ActorFinder, doc) -> set[str]:
    """Distinct actors a text names: country codes, and organisations by name."""
    out = set()
    for m in finder.find(doc):
        a = m.actor
        if a.sector in ("IGO", "NGO"):
            out.add("ORG:" + (a.name or a.code or ""))
        elif a.code:
            out.add(a.code[:3])
    return out


def sample_for_annotation(
    corpus: str | Path,
    exclude: set[str],
    n: int,
    seed: int = 2026,
    min_actors: int = 2,
    pool_factor: int = 4,
) -> list[dict]:
    """n corpus items drawn at random (seeded) among those whose title and description name at least
    `min_actors` distinct countries or organisations, as news_silver was drawn; `exclude` ids (the
    items annotated before) are never drawn."""
    records = [r for r in corpus_records(corpus) if str(r.get("id")) not in exclude]
    rng = random.Random(seed)
    rng.shuffle(records)
    nlp, finder = load_nlp(), ActorFinder()
    chosen: list[dict] = []
    pool = records[: n * pool_factor]
    texts = [normalise_text(f"{r.get('title') or ''}\n\n{r.get('description') or ''}") for r in pool]
    for r, doc in zip(pool, nlp.pipe(texts, batch_size=64)):
        if len(distinct_actors(finder, doc)) >= min_actors:
            chosen.append(r)
            if len(chosen) == n:
                break
    return chosen
