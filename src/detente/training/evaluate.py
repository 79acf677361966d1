"""Evaluation routines behind `detente eval ...` (metrics are computed here, printing in cli_eval).

plv     relation classification on PLV-format TSV (accuracy, macro-F1, per class, confusion, ECE)
ner     source/target span detection on ConfliBERT BIO files (exact span P/R/F1)
penta   sentence-level penta class on ConfliBERT class files (accuracy, macro-F1)
events  end-to-end (source country, event, target country) P/R/F1 per document via pipeline.Coder
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np
from spacy.tokens import Doc

from detente.coding.actors import ActorFinder
from detente.coding.coder import Coder
from detente.coding.events.decision import PairDecider
from detente.coding.events.finder import EventFinder
from detente.coding.relation.linear import PLV_CLASSES, RelationClassifier, featurize, placeholder_text
from detente.coding.relation.reader import get_lower_encoder
from detente.errors import InputError
from detente.io.readers import parse_date
from detente.model import Actor, Document, Mention
from detente.nlp.load import load_nlp
from detente.training.pair_reader import fit_pair_reader
from detente.training.pairs import (
    PAIR_CLASSES,
    YIELD_TYPES,
    actor_dicts,
    concat_rows,
    extra_relation_rows,
    fit_pairs,
    gold_code,
    item_folds,
    pair_rows,
    read_codebook,
)
from detente.training.train import (
    cross_validate,
    fit_temperature,
    plv_items,
    read_plv,
    reader_states,
    weak_training_data,
)

# ---------------------------------------------------------------- generic metrics


def prf(tp: int, fp: int, fn: int) -> dict:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "tp": tp, "fp": fp, "fn": fn}


def classification_metrics(gold: list[str], pred: list[str], labels: list[str] | None = None) -> dict:
    labels = labels or sorted(set(gold) | set(pred))
    per = {}
    for lab in labels:
        tp = sum(1 for g, p in zip(gold, pred) if g == lab and p == lab)
        fp = sum(1 for g, p in zip(gold, pred) if g != lab and p == lab)
        fn = sum(1 for g, p in zip(gold, pred) if g == lab and p != lab)
        per[lab] = prf(tp, fp, fn)
        per[lab]["support"] = tp + fn
    present = [lab for lab in labels if per[lab]["support"] > 0]
    macro = float(np.mean([per[lab]["f1"] for lab in present])) if present else 0.0
    acc = sum(g == p for g, p in zip(gold, pred)) / len(gold) if gold else 0.0
    conf = {g: {p: 0 for p in labels} for g in labels}
    for g, p in zip(gold, pred):
        if g in conf and p in conf[g]:
            conf[g][p] += 1
    return {
        "n": len(gold),
        "accuracy": round(acc, 4),
        "macro_f1": round(macro, 4),
        "per_class": per,
        "labels": labels,
        "confusion": conf,
    }


def calibration(conf: list[float], correct: list[bool], bins: int = 10) -> dict:
    """Reliability table and expected calibration error of top-class confidences."""
    conf_a = np.asarray(conf, dtype=float)
    cor_a = np.asarray(correct, dtype=float)
    table, ece = [], 0.0
    edges = np.linspace(0, 1, bins + 1)
    for lo, hi in pairwise(edges):
        m = (conf_a > lo) & (conf_a <= hi) if lo > 0 else (conf_a >= lo) & (conf_a <= hi)
        n = int(m.sum())
        if not n:
            continue
        c, a = float(conf_a[m].mean()), float(cor_a[m].mean())
        ece += n / len(conf_a) * abs(c - a)
        table.append(
            {"bin": f"{lo:.1f}-{hi:.1f}", "n": n, "confidence": round(c, 4), "accuracy": round(a, 4)}
        )
    return {"ece": round(ece, 4), "bins": table}


# ---------------------------------------------------------------- PLV


@dataclass
class _PlvInput:
    """A PLV file read for evaluation: its rows, their pairs, features and placeholder texts."""

    path: str
    rows: list
    items: list
    feats: list
    texts: list
    labelled: list[int]  # indexes of the rows with a PLV_CLASSES label


def eval_plv(
    path: str | Path,
    cv: int | None = None,
    model: RelationClassifier | None = None,
    seed: int = 0,
    encoder: bool = True,
    log: Callable[[str], None] | None = None,
) -> dict:
    """Relation classification on a PLV file, by default as `detente code --accurate` classifies
    (fast model + fine-tuned relation reader on unsure pairs); encoder=False: the fast model alone, as
    `detente code` does by default."""
    rows = read_plv(path)
    items = plv_items(rows)
    t0 = time.perf_counter()
    data = _PlvInput(
        path=str(path),
        rows=rows,
        items=items,
        feats=[featurize(it) for it in items],
        texts=[placeholder_text(it) for it in items],
        labelled=[i for i, r in enumerate(rows) if r.label in PLV_CLASSES],
    )
    result: dict = {"file": str(path), "rows": len(rows), "encoder": encoder}
    if cv:
        probs_all = _plv_cross_validated(data, cv, seed, encoder, log, result)
    else:
        probs_all = _plv_model_probs(data, model, encoder, t0, result)
    _plv_scores(data, probs_all, result)
    return result


def _plv_cross_validated(data: _PlvInput, cv: int, seed: int, encoder: bool, log, result: dict) -> np.ndarray:
    """Out-of-fold probabilities of a `cv`-fold cross-validation on the file's labelled rows (zeros
    for the others); the fold details go into `result`."""
    labelled = data.labelled
    if len(labelled) < cv:
        raise InputError(f"--cv {cv} needs at least {cv} labelled rows", data.path)
    # the synthetic weak-label rows join every training fold (as in `detente train`), never a test fold
    extra = weak_training_data()
    states = None
    if encoder:
        states = reader_states([data.items[i] for i in labelled])
        extra.states = reader_states(extra.items)
        extra.reader_states = reader_states(extra.reader_items)
    details: dict = {}
    logits, y = cross_validate(
        [data.feats[i] for i in labelled],
        [data.rows[i].label for i in labelled],
        k=cv,
        seed=seed,
        texts=[data.texts[i] for i in labelled],
        extra=extra,
        states=states,
        details=details,
        log=log,
    )
    if encoder:
        result["encoder_share"] = round(details["encoder_share"], 4)
        gold = [PLV_CLASSES[k] for k in y]
        for key, name in (("fast_model_only", "fast_logits"), ("reader_only", "reader_logits")):
            pred = [PLV_CLASSES[k] for k in details[name].argmax(axis=1)]
            result[key] = classification_metrics(gold, pred, list(PLV_CLASSES))
    # temperature fitted on the out-of-fold logits of the other folds would be nested CV;
    # we report calibration at the shipped default temperature of 1 and after OOF fitting.
    temp = fit_temperature(logits, y)
    z = logits / temp
    z = z - z.max(axis=1, keepdims=True)
    probs = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    full = np.zeros((len(data.rows), len(PLV_CLASSES)))
    full[labelled] = probs
    result["mode"] = f"{cv}-fold cross-validation on the file"
    result["temperature"] = temp
    return full


def _plv_model_probs(data: _PlvInput, model, encoder: bool, t0: float, result: dict) -> np.ndarray:
    """Probabilities of a trained model (default: the shipped one), timed from t0 (featurizing
    included, loading the encoder not); the speed goes into `result`."""
    shipped = model is None
    model = model or RelationClassifier.load_default()
    model.use_encoder = encoder
    result["encoder"] = model.has_encoder
    t1 = time.perf_counter()
    if model.has_encoder:
        # load the encoder outside the timing (a coder loads it once per process)
        get_lower_encoder()
        t0 = time.perf_counter() - (t1 - t0)
        t1 = time.perf_counter()
    if model.reader is not None:
        model.reader.calls = 0
    probs_all = model.predict_proba_feats(data.feats, data.texts, data.items)
    elapsed = time.perf_counter() - t0
    n = len(data.items)
    result["mode"] = "shipped model" if shipped else f"model trained on {model.meta.get('trained_on')}"
    result["model_trained_on"] = model.meta.get("trained_on")
    result["pairs_per_second"] = round(n / max(elapsed, 1e-9), 1)
    result["pairs_per_second_classifier_only"] = round(n / max(time.perf_counter() - t1, 1e-9), 1)
    if model.has_encoder:
        result["encoder_share"] = round(model.encoder_calls / max(1, n), 4)
    return probs_all


def _plv_scores(data: _PlvInput, probs_all: np.ndarray, result: dict) -> None:
    """Predictions of every row, and metrics and calibration on the labelled ones."""
    rows, labelled = data.rows, data.labelled
    preds = [(PLV_CLASSES[int(k)], float(p[k])) for p, k in zip(probs_all, probs_all.argmax(axis=1))]
    result["predictions"] = [(rows[i].uid, preds[i][0], round(preds[i][1], 4)) for i in range(len(rows))]
    if labelled:
        gold = [rows[i].label for i in labelled]
        pred = [preds[i][0] for i in labelled]
        result.update(classification_metrics(gold, pred, list(PLV_CLASSES)))
        result["calibration"] = calibration(
            [preds[i][1] for i in labelled], [g == p for g, p in zip(gold, pred)]
        )


# ---------------------------------------------------------------- ConfliBERT files


def read_bio(path) -> list[tuple[list[str], list[str]]]:
    sents, toks, tags = [], [], []
    p = Path(path)
    if not p.exists():
        raise InputError("no such file", str(p))
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            if toks:
                sents.append((toks, tags))
                toks, tags = [], []
            continue
        parts = line.rsplit(None, 1)
        if len(parts) != 2:
            raise InputError("expected 'token TAG'", str(p), n)
        toks.append(parts[0])
        tags.append(parts[1])
    if toks:
        sents.append((toks, tags))
    return sents


def bio_spans(tags: list[str]) -> set[tuple[str, int, int]]:
    spans, cur = set(), None
    for i, t in enumerate(tags + ["O"]):
        if t.startswith("B-") or t == "O" or (t.startswith("I-") and (cur is None or cur[0] != t[2:])):
            if cur is not None:
                spans.add((cur[0], cur[1], i))
                cur = None
            if t.startswith(("B-", "I-")):
                cur = (t[2:], i)
    return spans


def chunk_mentions(doc):
    """Noun phrases as pseudo-mentions (used where gold spans are arbitrary noun phrases)."""
    out = []
    for nc in doc.noun_chunks:
        if nc.root.pos_ == "PRON" and nc.root.lower_ not in ("they", "he", "she", "we"):
            continue
        if nc.root.ent_type_ in ("DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "CARDINAL", "ORDINAL"):
            continue
        out.append(
            Mention(
                nc.start,
                nc.end,
                nc.start_char,
                nc.end_char,
                nc.text,
                Actor(code="NP" + str(nc.start), kind="unknown"),
            )
        )
    for e in doc.ents:
        if e.label_ in ("GPE", "NORP", "ORG", "PERSON") and not any(m.start <= e.start < m.end for m in out):
            out.append(
                Mention(
                    e.start,
                    e.end,
                    e.start_char,
                    e.end_char,
                    e.text,
                    Actor(code="NE" + str(e.start), kind="unknown"),
                )
            )
    return sorted(out, key=lambda m: m.start)


def _get_mentions(doc, mode: str, actor_finder=None):
    if mode == "actors" and actor_finder is not None:
        return actor_finder.find(doc, None)
    return chunk_mentions(doc)


def _actor_finder():
    return ActorFinder()


def _doc_from_tokens(nlp, toks):
    doc = Doc(nlp.vocab, words=toks)
    for _, proc in nlp.pipeline:
        doc = proc(doc)
    return doc


def eval_ner(path, mentions: str = "chunks", finder=None, all_events: bool = False) -> dict:
    """Spans of event sources (S) and targets (T): exact-match span P/R/F1 per role and overall."""

    nlp = load_nlp()
    # sentence-level task: one-sided events (no recipient) still mark their source
    finder = finder or EventFinder(require_target=False)
    af = _actor_finder() if mentions == "actors" else None
    counts = {r: Counter() for r in ("S", "T")}
    for toks, tags in read_bio(path):
        doc = _doc_from_tokens(nlp, toks)
        ms = _get_mentions(doc, mentions, af)
        gold = bio_spans(tags)
        pred = set()
        if all_events:
            for a, b in finder.roles(doc, ms):
                pred.add(("S", ms[a].start, ms[a].end))
                if b is not None:
                    pred.add(("T", ms[b].start, ms[b].end))
        else:
            # the gold marks one (main) event per sentence: take the most confident asserted dyad
            by_code = {m.actor.code: m for m in ms}
            evs = finder.find(doc, ms, None, "ner")
            if evs:
                best = max(evs, key=lambda e: (not e.flags["negated"], bool(e.recipient), e.confidence))
                m = by_code.get(best.actor[0].code)
                if m is not None:
                    pred.add(("S", m.start, m.end))
                m = by_code.get(best.recipient[0].code) if best.recipient else None
                if m is not None:
                    pred.add(("T", m.start, m.end))
        for role in ("S", "T"):
            g = {s for s in gold if s[0] == role}
            p = {s for s in pred if s[0] == role}
            counts[role]["tp"] += len(g & p)
            counts[role]["fp"] += len(p - g)
            counts[role]["fn"] += len(g - p)
    out = {"file": str(path), "mentions": mentions if af or mentions == "chunks" else "chunks"}
    for role, name in (("S", "source"), ("T", "target")):
        c = counts[role]
        out[name] = prf(c["tp"], c["fp"], c["fn"])
    tot = counts["S"] + counts["T"]
    out["overall"] = prf(tot["tp"], tot["fp"], tot["fn"])
    return out


def read_penta(path) -> list[tuple[str, int]]:
    p = Path(path)
    if not p.exists():
        raise InputError("no such file", str(p))
    rows = []
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        text, _, lab = line.rpartition("\t")
        if not text or not lab.strip().isdigit():
            raise InputError("expected 'text<TAB>penta'", str(p), n)
        rows.append((text, int(lab)))
    return rows


def sentence_penta(doc, finder, onto) -> int:
    """Penta class of a sentence: the most confident (non-negated) event, else the strongest
    lexicon trigger, else 0 (statement)."""
    ms = chunk_mentions(doc)
    evs = [e for e in finder.find(doc, ms, None, "s") if not e.flags.get("negated")]
    if evs:
        best = max(evs, key=lambda e: e.confidence)
        return onto.penta(best.event, best.cameo_code)
    trigs = finder.index.match(doc[:])
    if trigs:
        t = max(trigs, key=lambda x: x[0].weight)[0]
        if t.weight >= 0.5:
            return onto.penta(t.event, t.cameo)
    return 0


def eval_penta(path, finder=None) -> dict:
    nlp = load_nlp()
    finder = finder or EventFinder(require_target=False)  # sentence-level: one-sided events count
    rows = read_penta(path)
    gold, pred = [], []
    for (text, lab), doc in zip(rows, nlp.pipe((t for t, _ in rows), batch_size=64)):
        gold.append(str(lab))
        pred.append(str(sentence_penta(doc, finder, finder.onto)))
    res = classification_metrics(gold, pred, ["0", "1", "2", "3", "4"])
    res["file"] = str(path)
    return res


# ---------------------------------------------------------------- end-to-end


def _country(a: dict) -> str:
    return (a.get("country") or a.get("code") or "").upper()


def _triples(evs: list[dict]) -> Counter:
    out = Counter()
    for e in evs:
        srcs = {_country(a) for a in e.get("actor") or []} or {""}
        tgts = {_country(a) for a in e.get("recipient") or []} or {""}
        for s in srcs:
            for t in tgts:
                out[(s, e["event"], t)] = 1
                if e.get("symmetric") and t:
                    out[(t, e["event"], s)] = 1
    return out


def _jsonl_records(path):
    """(line number, parsed JSON) of a JSONL file's non-blank lines; bad JSON is an InputError."""
    p = Path(path)
    if not p.exists():
        raise InputError("no such file", str(p))
    with open(p, encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                yield n, json.loads(line)
            except json.JSONDecodeError as e:
                raise InputError(f"bad JSON: {e.msg}", str(p), n) from None


def read_gold_events(path) -> list[dict]:
    p = Path(path)
    docs = []
    for n, d in _jsonl_records(p):
        if "text" not in d or "events" not in d:
            raise InputError("record needs 'text' and 'events'", str(p), n)
        docs.append(d)
    return docs


def eval_events(path, coder=None, include_flagged: bool = False) -> dict:
    """Micro P/R/F1 of (source country, event type, target country) per document. Predicted events
    flagged negated or hypothetical are not counted as assertions unless include_flagged."""

    coder = coder or Coder()
    gold_docs = read_gold_events(path)
    docs = [
        Document(
            id=str(d.get("id", i)), text=d["text"], date=parse_date(d["date"]) if d.get("date") else None
        )
        for i, d in enumerate(gold_docs)
    ]
    tot = Counter()
    per_type: dict[str, Counter] = defaultdict(Counter)
    flag_tot: dict[str, Counter] = {f: Counter() for f in FLAGS}
    details = []
    for (doc, evs), gd in zip(coder.code_many(docs), gold_docs):
        all_recs = [e.to_record() for e in evs]
        recs = [r for r in all_recs if include_flagged or not _gold_flagged(r)]
        gold = [e for e in gd["events"] if include_flagged or not _gold_flagged(e)]
        g = set(_triples(gold))
        p = set(_triples(recs))
        tp, fp, fn = g & p, p - g, g - p
        tot.update(tp=len(tp), fp=len(fp), fn=len(fn))
        for kind, sset in (("tp", tp), ("fp", fp), ("fn", fn)):
            for s in sset:
                per_type[s[1]][kind] += 1
        # Flags: is each flagged gold triple produced with that flag, and vice versa?
        for flag in FLAGS:
            gf = set(_triples([e for e in gd["events"] if _flag(e, flag)]))
            pf = set(_triples([r for r in all_recs if _flag(r, flag)]))
            flag_tot[flag].update(tp=len(gf & pf), fp=len(pf - gf), fn=len(gf - pf))
        details.append({"id": doc.id, "gold": sorted(g), "pred": sorted(p)})
    return {
        "file": str(path),
        "documents": len(gold_docs),
        "micro": prf(tot["tp"], tot["fp"], tot["fn"]),
        "per_type": {k: prf(v["tp"], v["fp"], v["fn"]) for k, v in sorted(per_type.items())},
        "flags": {f: prf(c["tp"], c["fp"], c["fn"]) for f, c in flag_tot.items()},
        "details": details,
    }


FLAGS = ("negated", "hypothetical", "future", "historical")


def _flag(e: dict, flag: str) -> bool:
    """A flag from a record (`flags: {...}`) or a gold event (top-level boolean keys)."""
    return bool((e.get("flags") or {}).get(flag) or e.get(flag))


def _gold_flagged(e: dict) -> bool:
    """Negated and hypothetical events are not assertions that something happened."""
    return _flag(e, "negated") or _flag(e, "hypothetical")


# ---------------------------------------------------------------------------------------------
# End to end on annotated news in the codebook format (news_silver): the tuple rules of the
# reference scorer (news_silver/README.md), implemented here from those rules.


def _record_code(a: dict) -> str | None:
    return "ORG" if (a.get("sector") or "").upper() in ("IGO", "NGO") else gold_code(a.get("code"))


def _as_actors(v) -> list[dict]:
    return actor_dicts(v)


def gold_tuples(item) -> list[tuple[str, str, str | None, bool]]:
    """(source, type, target, symmetric) of a codebook item; compound actors give every pair and
    same-actor pairs are dropped."""
    out = []
    for e in item.events:
        srcs = [gold_code(a.get("code")) for a in _as_actors(e.get("source") or e.get("actor"))]
        tgts = [gold_code(a.get("code")) for a in _as_actors(e.get("target") or e.get("recipient"))] or [None]
        out += [
            (s, (e.get("event") or "").upper(), t, bool(e.get("symmetric")))
            for s in srcs
            for t in tgts
            if s != t
        ]
    return out


def pred_tuples(records: list[dict]) -> set[tuple[str | None, str, str | None]]:
    """Distinct (source, type, target) of event records, leaving out negated and hypothetical."""
    out = set()
    for r in records:
        fl = r.get("flags") or {}
        if fl.get("negated") or fl.get("hypothetical"):
            continue
        srcs = [_record_code(a) for a in _as_actors(r.get("actor"))] or [None]
        tgts = [_record_code(a) for a in _as_actors(r.get("recipient"))] or [None]
        out |= {(s, (r.get("event") or "").upper(), t) for s in srcs for t in tgts if s != t}
    return out


def _same_event(a: str, b: str) -> bool:
    return a == b or (a in YIELD_TYPES and b in YIELD_TYPES)


def _hit(p, g, with_type: bool) -> bool:
    s, e, t, sym = g
    dyad = (p[0], p[2]) == (s, t) or (sym and (p[0], p[2]) == (t, s))
    return dyad and (not with_type or _same_event(p[1], e))


def _why_missed(g, preds) -> str:
    s, _e, t, sym = g
    if not preds:
        return "no event in the item"
    if any((p[0], p[2]) == (s, t) or (sym and (p[0], p[2]) == (t, s)) for p in preds):
        return "right pair, wrong type"
    if any((p[0], p[2]) == (t, s) for p in preds):
        return "reversed direction"
    if any(p[0] == s and p[2] is None for p in preds):
        return "source found without a target"
    seen = {p[0] for p in preds} | {p[2] for p in preds}
    if s in seen and t in seen:
        return "both actors seen, not as this pair"
    if t in seen:
        return "only the target seen"
    if s in seen:
        return "only the source seen"
    return "neither actor in the item's events"


def score_news(items, records_by_item: dict[str, list[dict]]) -> dict:
    """Precision, recall and F1 of tuples (as the reference scorer counts them), dyad-only F1,
    per-type figures and why each missed gold tuple was missed."""
    res = {}
    for with_type in (True, False):
        tp_p = tp_g = n_p = n_g = 0
        per_type: dict[str, Counter] = defaultdict(Counter)
        missed: Counter = Counter()
        for it in items:
            gl = gold_tuples(it)
            ps = pred_tuples(records_by_item.get(it.id, []))
            n_p += len(ps)
            seen = set()
            for g in gl:
                if g[:3] in seen:
                    continue
                seen.add(g[:3])
                ok = any(_hit(p, g, with_type) for p in ps)
                tp_g += ok
                per_type[g[1]]["gold"] += 1
                per_type[g[1]]["found"] += ok
                if not ok and with_type:
                    missed[_why_missed(g, ps)] += 1
            n_g += len(seen)
            for p in ps:
                good = any(_hit(p, g, with_type) for g in gl)
                tp_p += good
                per_type[p[1]]["pred"] += 1
                per_type[p[1]]["correct"] += good
        P = tp_p / n_p if n_p else 0.0
        R = tp_g / n_g if n_g else 0.0
        F = 2 * P * R / (P + R) if P + R else 0.0
        out = {"precision": round(P, 3), "recall": round(R, 3), "f1": round(F, 3), "pred": n_p, "gold": n_g}
        if with_type:
            types = {}
            for k, v in sorted(per_type.items()):
                p = v["correct"] / v["pred"] if v["pred"] else 0.0
                r = v["found"] / v["gold"] if v["gold"] else 0.0
                types[k] = {
                    "gold": v["gold"],
                    "pred": v["pred"],
                    "precision": round(p, 3),
                    "recall": round(r, 3),
                    "f1": round(2 * p * r / (p + r), 3) if p + r else 0.0,
                }
            out["per_type"] = types
            out["missed"] = dict(missed.most_common())
            res["event"] = out
        else:
            res["dyad"] = out
    return res


def _code_records(coder, items) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for doc, evs in coder.code_many(it.document() for it in items):
        out[doc.id] = [e.to_record() for e in evs]
    return out


def eval_news(
    path,
    cv: int | None = None,
    extra: list | None = None,
    coder=None,
    seed: int = 0,
    log=None,
    plv: str | Path | None = None,
) -> dict:
    """End-to-end figures on a codebook-format file. Without `cv`: the given (default: shipped)
    coder. With `cv`=K: the items are split K ways; for each fold the learned decision is trained
    on the other folds plus the `extra` files and scores the held-out fold (never an item it
    learned from). `plv`: a PLV file whose rows (plus our synthetic rows) join every fold's
    training side as extra positives, as in `detente train`."""

    items = read_codebook(path)
    coder = coder or Coder()
    if not cv:
        recs = _code_records(coder, items)
        res = score_news(items, recs)
        return {"file": str(path), "items": len(items), "mode": "shipped model", **res}
    log = log or (lambda m: None)
    relation = getattr(coder.event_finder, "classifier", None)
    accurate = relation is not None and relation.has_encoder
    # Training rows are built as `detente train` builds them: with the rule path in the fast
    # mode (the shipped pair model never sees the relation reader's rule-path output). In accurate
    # mode every fold also fits its own pair reader, on the same rows.
    if accurate:
        relation.use_encoder = False
    try:
        log(f"building candidate pairs of {len(items)} items")
        rows = pair_rows(items, coder, log=log, vectors=accurate)
        parts = []
        if plv:
            log(f"building relation rows of {plv} and the synthetic templates")
            parts.append(extra_relation_rows(plv, coder))
        news_extra = []
        for p in extra or []:
            more = read_codebook(p)
            log(f"building candidate pairs of {len(more)} extra training items ({p})")
            news_extra.append(pair_rows(more, coder, log=log, vectors=accurate))
    finally:
        if accurate:
            relation.use_encoder = True
    ext = concat_rows(parts + news_extra)
    ext_news = concat_rows(news_extra) if news_extra else None
    recs: dict[str, list[dict]] = {}
    base = coder.pair_decider
    for f, test in enumerate(item_folds(len(items), cv, seed)):
        train = ~np.isin(rows.item, test)
        feats = [rows.feats[i] for i in np.flatnonzero(train)] + ext.feats
        y = np.vstack([rows.labels[train], ext.labels])
        w = np.concatenate([np.ones(int(train.sum()), np.float32), ext.weight_array()])
        model = fit_pairs(feats, y, weights=w)
        reader = None
        if accurate:
            keep = np.flatnonzero(train)
            vec, lab, fs = rows.vectors[keep], rows.labels[keep], [rows.feats[i] for i in keep]
            if ext_news is not None:
                vec, lab = np.vstack([vec, ext_news.vectors]), np.vstack([lab, ext_news.labels])
                fs = fs + ext_news.feats
            reader = fit_pair_reader(vec, fs, lab, PAIR_CLASSES, log=log)
        coder.pair_decider = PairDecider(coder.event_finder, model, reader=reader)
        recs.update(_code_records(coder, [items[i] for i in test]))
        log(f"fold {f + 1}/{cv}: trained on {len(y)} pairs, scored {len(test)} items")
    coder.pair_decider = base
    res = score_news(items, recs)
    return {
        "file": str(path),
        "items": len(items),
        "mode": f"{cv}-fold cross-validation by item",
        "extra_training": [str(p) for p in extra or []] + ([f"{plv} + synthetic rows"] if plv else []),
        **res,
    }


def is_codebook_file(path) -> bool:
    """True for the codebook format (news_silver): events with source/target, or items with a
    title/description and no `text`."""
    for n, d in _jsonl_records(path):
        if not isinstance(d, dict):
            raise InputError("expected a JSON object", str(path), n)
        evs = d.get("events") or []
        if any(isinstance(e, dict) and ("source" in e or "target" in e) for e in evs):
            return True
        if "text" not in d and ("title" in d or "description" in d):
            return True
        if evs:
            return False
    return False
