"""Training the learned event decision (decision.PairModel) on annotated news.

Input: JSONL in the codebook format of news_silver (one item a line: `id`, `date`, `title`,
`description` or `text`, `events` with `source`/`target` codes, `event`, `symmetric`). Every
candidate pair of mentions (decision.candidates) of an item is a training row; its labels are the
item's gold types for that (source, target) — either direction for a symmetric gold event. A pair
whose two actors the codebook counts as one (two organisations, or one country) carries no label
information and is left out of training.

One L2 logistic regression per class (scikit-learn liblinear, deterministic), C = DEFAULT_C.
Cross-validation splits by item, so a model is never scored on an item it was trained on.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from detente.coding.coder import Coder
from detente.coding.events.decision import (
    PAIR_CLASSES,
    PairCandidate,
    PairDecider,
    PairModel,
    candidates,
    pair_features,
    with_places,
)
from detente.coding.events.finder import EventFinder
from detente.coding.events.reader import VECTOR_SIZE, pair_vectors
from detente.coding.places import PlaceResolver
from detente.coding.relation.linear import RelationClassifier, to_matrix
from detente.model import Actor, Document
from detente.nlp.normalise import normalise_text
from detente.resources import PACKAGE_DIR
from detente.training.annotation import with_corpus_text
from detente.training.pair_reader import fit_pair_reader
from detente.training.train import PlvRow, read_plv, shared_data_dir, strip_marks
from detente.training.weak import synthetic_rows

# Our own annotations of corpus items (labels only), in the checkout beside src/.
ANNOTATIONS_DIR = PACKAGE_DIR.parents[1] / "annotations"

# Regularisation and decision thresholds, chosen by 5-fold CV on news_silver's 800 (C in {0.3, 0.6,
# 1.0}, threshold in {0.3, 0.35, 0.4, 0.45}); with 20,800-30,800 more annotated items it wants less
# regularisation and a higher first threshold than it did on 2,000 (0.3, 0.35).
DEFAULT_C = 0.6
# Per document, see decision.decide.
THRESHOLD = 0.4
SECOND = 0.5
ORG_SECTORS = {"IGO", "NGO"}
YIELD_TYPES = {"CONCEDE", "RETREAT", "YIELD"}


def gold_code(code: str | None) -> str | None:
    """A codebook actor code as it is compared: ISO alpha-3 upper case; organisations as 'ORG'."""
    c = (code or "").strip().upper()
    if not c:
        return None
    if c.startswith(("IGO", "NGO")):
        return "ORG"
    if len(c) > 3 and c[:3].isalpha():
        c = c[:3]
    return c if len(c) == 3 else "ORG"


def actor_code(a: Actor) -> str | None:
    """A coded actor as the codebook compares it (organisations, by sector, are 'ORG')."""
    if (a.sector or "").upper() in ORG_SECTORS:
        return "ORG"
    return gold_code(a.code)


def label_of(event: str) -> str:
    e = (event or "").upper()
    return "YIELD" if e in YIELD_TYPES else e


def actor_dicts(v) -> list[dict]:
    """The actor objects of a codebook/record field (one object or a list)."""
    if v is None:
        return []
    if isinstance(v, dict):
        v = [v]
    return [a for a in v if isinstance(a, dict)]


@dataclass
class NewsItem:
    id: str
    date: dt.date | None
    text: str
    title: str | None
    events: list[dict] = field(default_factory=list)

    def document(self) -> Document:
        return Document(id=self.id, text=self.text, date=self.date, title=self.title)

    def gold_pairs(self) -> dict[tuple[str, str], set[str]]:
        """{(source code, target code): {labels}}; a symmetric event stands both ways."""
        out: dict[tuple[str, str], set[str]] = {}
        for e in self.events:
            for s in actor_dicts(e.get("source") or e.get("actor")):
                for t in actor_dicts(e.get("target") or e.get("recipient")):
                    a, b = gold_code(s.get("code")), gold_code(t.get("code"))
                    if a is None or b is None or a == b:
                        continue
                    out.setdefault((a, b), set()).add(label_of(e.get("event")))
                    if e.get("symmetric"):
                        out.setdefault((b, a), set()).add(label_of(e.get("event")))
        return out


def read_codebook(path: str | Path, corpus: str | Path | None = None) -> list[NewsItem]:
    """Items of a codebook-format JSONL file; the text is the title and its lead, as `detente
    code` reads such a record (ingest: title, blank line, description). Label-only records (our
    own annotations, `annotations/`) get their text from the corpus they were drawn from: `corpus`,
    else the RSS corpus in the shared data directory."""
    with open(path, encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh if line.strip()]
    records = with_corpus_text(records, corpus or default_corpus())
    items = []
    for d in records:
        title = (d.get("title") or "").strip() or None
        body = (d.get("text") or d.get("description") or d.get("body") or "").strip()
        if body and title and not body.startswith(title):
            text = f"{title}\n\n{body}"
        else:
            text = body or title or ""
        date = None
        if d.get("date"):
            try:
                date = dt.date.fromisoformat(str(d["date"])[:10])
            except ValueError:
                date = None
        items.append(NewsItem(str(d["id"]), date, text, title, list(d.get("events") or [])))
    return items


@dataclass
class PairRows:
    """Training rows of the learned decision: features, labels (n, classes), item of each row."""

    feats: list[dict[str, float]]
    labels: np.ndarray
    item: np.ndarray
    weights: np.ndarray | None = None
    vectors: np.ndarray | None = None  # the pair reader's inputs (pair_rows(vectors=True))

    def weight_array(self) -> np.ndarray:
        return self.weights if self.weights is not None else np.ones(len(self.feats), np.float32)


# Relation rows (PLV_train and our synthetic templates: one marked pair a sentence, always an event)
# are extra positives for the event types; weighted below the news rows they do not resemble.
PLV_WEIGHT = 0.5
SYNTHETIC_WEIGHT = 0.3


def _mention_over(mentions: list, span: tuple[int, int]) -> int | None:
    """Index of the first mention overlapping the character span, or None."""
    for k, m in enumerate(mentions):
        if m.start_char < span[1] and span[0] < m.end_char:
            return k
    return None


def relation_rows(rows, coder, weight: float) -> PairRows:
    """Training rows from marked relation sentences (train.PlvRow): the mentions the coder finds
    over the marked source and target make one candidate labelled with the row's class. A
    marked sentence reads as a lead sentence (not a headline)."""

    relation = getattr(coder.event_finder, "classifier", None)
    gazetteer = PlaceResolver.gazetteer_for()
    feats, labels = [], []
    for row, sdoc in zip(rows, coder.nlp.pipe((r.text for r in rows), batch_size=64)):
        if row.src is None or row.tgt is None or row.label not in PAIR_CLASSES:
            continue
        mentions = with_places(sdoc, coder.actor_finder.find(sdoc, None), gazetteer)

        a, b = _mention_over(mentions, row.src), _mention_over(mentions, row.tgt)
        if a is None or b is None or a == b or mentions[a].actor.code == mentions[b].actor.code:
            continue
        rule = coder.event_finder.find(sdoc, mentions, story_date=None, doc_id=row.uid)
        cand = PairCandidate(a, b, 1, sdoc[:])
        feats += pair_features(sdoc, [cand], mentions, PairDecider.rule_types(rule), relation)
        y = np.zeros(len(PAIR_CLASSES), np.float32)
        y[PAIR_CLASSES.index(row.label)] = 1.0
        labels.append(y)
    lab = np.array(labels, np.float32).reshape(-1, len(PAIR_CLASSES))
    return PairRows(feats, lab, np.full(len(feats), -1, np.int64), np.full(len(feats), weight, np.float32))


def extra_relation_rows(plv_path, coder) -> PairRows:
    """PLV_train rows plus our synthetic template rows, as relation_rows."""

    plv = relation_rows(read_plv(plv_path), coder, PLV_WEIGHT)
    marked = []
    for i, (lab, m) in enumerate(synthetic_rows()):
        text, s, t = strip_marks(m)
        marked.append(PlvRow(uid=f"syn{i}", label=lab, text=text, src=s, tgt=t))
    syn = relation_rows(marked, coder, SYNTHETIC_WEIGHT)
    return concat_rows([plv, syn])


def concat_rows(parts: list[PairRows]) -> PairRows:
    """Rows of several sources in one; vectors are kept only when every part has them."""
    feats = [f for p in parts for f in p.feats]
    labels = np.vstack([p.labels for p in parts]) if parts else np.zeros((0, len(PAIR_CLASSES)), np.float32)
    if not parts:
        return PairRows([], labels, np.zeros(0, np.int64), np.zeros(0, np.float32))
    vectors = None
    if all(p.vectors is not None for p in parts):
        vectors = np.vstack([p.vectors for p in parts])
    return PairRows(
        feats,
        labels,
        np.concatenate([p.item for p in parts]),
        np.concatenate([p.weight_array() for p in parts]),
        vectors,
    )


def pair_rows(
    items: list[NewsItem], coder, log: Callable[[str], None] | None = None, vectors: bool = False
) -> PairRows:
    """Parse items with the coder's own stages and build one row per informative candidate.
    vectors: also the pair reader's input of each row (events/reader.pair_vectors; float16 to
    halve the memory of 200k rows)."""

    feats: list[dict[str, float]] = []
    vecs: list[np.ndarray] = []
    labels: list[np.ndarray] = []
    owner: list[int] = []
    relation = getattr(coder.event_finder, "classifier", None)
    gazetteer = PlaceResolver.gazetteer_for()
    texts = [normalise_text(it.text) for it in items]
    for n, sdoc in enumerate(coder.nlp.pipe(texts, batch_size=64)):
        it = items[n]
        mentions = coder.actor_finder.find(sdoc, it.date)
        rule = coder.event_finder.find(sdoc, mentions, story_date=it.date, doc_id=it.id)
        mentions = with_places(sdoc, mentions, gazetteer)
        cands = candidates(sdoc, mentions)
        if not cands:
            continue
        fs = pair_features(sdoc, cands, mentions, PairDecider.rule_types(rule), relation)
        gold = it.gold_pairs()
        kept = []
        for k, (c, f) in enumerate(zip(cands, fs)):
            a, b = actor_code(mentions[c.src].actor), actor_code(mentions[c.tgt].actor)
            if a is None or b is None or a == b:
                continue
            kept.append(k)
            y = np.zeros(len(PAIR_CLASSES), np.float32)
            for lab in gold.get((a, b), ()):
                if lab in PAIR_CLASSES:
                    y[PAIR_CLASSES.index(lab)] = 1.0
            feats.append(f)
            labels.append(y)
            owner.append(n)
        if vectors and kept:
            vecs.append(pair_vectors([cands[k] for k in kept], mentions).astype(np.float16))
        if log and (n + 1) % 500 == 0:
            log(f"  {n + 1}/{len(items)} items")
    lab = np.array(labels, np.float32).reshape(-1, len(PAIR_CLASSES))
    vec = None
    if vectors:
        vec = np.vstack(vecs) if vecs else np.zeros((0, VECTOR_SIZE), np.float16)
    return PairRows(feats, lab, np.array(owner, np.int64), None, vec)


def fit_pairs(
    feats: list[dict[str, float]],
    labels: np.ndarray,
    C: float = DEFAULT_C,
    min_count: int = 1,
    meta: dict | None = None,
    weights: np.ndarray | None = None,
) -> PairModel:
    """One logistic regression per class; the vocabulary is every feature seen min_count times."""
    from sklearn.linear_model import LogisticRegression

    counts: dict[str, int] = {}
    for f in feats:
        for k in f:
            counts[k] = counts.get(k, 0) + 1
    names = sorted(k for k, c in counts.items() if c >= min_count)
    vocab = {k: i for i, k in enumerate(names)}
    X = to_matrix(feats, vocab, dtype=np.float64).tocsr()
    X.indices = X.indices.astype(np.int32)
    X.indptr = X.indptr.astype(np.int32)
    coef = np.zeros((len(PAIR_CLASSES), len(names)), np.float32)
    intercept = np.full(len(PAIR_CLASSES), -10.0, np.float32)  # a class never seen is never predicted
    for k in range(len(PAIR_CLASSES)):
        y = labels[:, k]
        if y.sum() == 0 or y.sum() == len(y):
            continue
        m = LogisticRegression(C=C, solver="liblinear", max_iter=3000)
        m.fit(X, y, sample_weight=weights)
        coef[k] = m.coef_[0]
        intercept[k] = m.intercept_[0]
    info = {"C": C, "rows": len(labels), "positives": int(labels.sum())}
    info.update(meta or {})
    return PairModel(vocab, coef, intercept, PAIR_CLASSES, THRESHOLD, SECOND, info)


def item_folds(n: int, k: int, seed: int = 0) -> list[np.ndarray]:
    """k folds of item indices (a seeded permutation, dealt round-robin)."""
    perm = np.random.RandomState(seed).permutation(n)
    return [np.sort(perm[f::k]) for f in range(k)]


def default_corpus() -> Path:
    """The RSS corpus our own annotations were drawn from (read by path, never copied)."""
    return shared_data_dir() / "corpora" / "rss_world_news_2023.jsonl.gz"


def own_annotation_files() -> list[Path]:
    """Detente's own annotated news (labels only; texts come from the corpus by id)."""
    return sorted(ANNOTATIONS_DIR.glob("*.jsonl")) if ANNOTATIONS_DIR.is_dir() else []


def default_news_files() -> list[Path]:
    """The annotated news the shipped model is trained on: news_silver beside the project (read by
    path, never copied) and our own annotations of further corpus items."""
    d = shared_data_dir() / "news_silver"
    return [d / "news_silver_2023.jsonl", d / "news_silver_2023_more.jsonl", *own_annotation_files()]


def train_news(
    paths: list[str | Path],
    out_dir: str | Path | None,
    model_dir: str | Path | None = None,
    log: Callable[[str], None] = print,
    plv: str | Path | None = None,
    reader: bool = True,
) -> PairModel:
    """Train the learned event decision on codebook files and write pairs.npz/.json, and (reader)
    the accurate mode's pair reader on the same news rows, pair_reader.npz.

    model_dir: where the relation classifier whose opinion is a feature lives (the one just
    trained by `detente train`); default: the shipped one."""

    relation = RelationClassifier.load(model_dir) if model_dir else RelationClassifier.load_default()
    relation.use_encoder = False
    coder = Coder(event_finder=EventFinder(classifier=relation), rules_only=True)
    items: list[NewsItem] = []
    for p in paths:
        got = read_codebook(p)
        log(f"read {len(got)} annotated items from {p}")
        items += got
    rows = pair_rows(items, coder, log=log, vectors=reader)
    log(f"{len(rows.feats)} candidate pairs, {int(rows.labels.sum())} positive labels")
    parts = [rows]
    if plv:
        extra = extra_relation_rows(plv, coder)
        log(
            f"{len(extra.feats)} relation rows from {plv} and the synthetic templates (weights "
            f"{PLV_WEIGHT}, {SYNTHETIC_WEIGHT})"
        )
        parts.append(extra)
    allrows = concat_rows(parts)
    model = fit_pairs(
        allrows.feats,
        allrows.labels,
        weights=allrows.weight_array(),
        meta={
            "trained_on": [Path(p).name for p in paths] + ([Path(plv).name] if plv else []),
            "items": len(items),
        },
    )
    if out_dir is not None:
        model.save(out_dir)
        log(f"wrote {out_dir}/pairs.npz, pairs.json ({len(model.vocab)} features)")
    if reader:
        log(f"fitting the pair reader on the {len(rows.feats)} news pairs")
        pr = fit_pair_reader(rows.vectors, rows.feats, rows.labels, PAIR_CLASSES, log=log)
        if out_dir is not None:
            pr.save(out_dir)
            log(f"wrote {out_dir}/pair_reader.npz")
    return model
