"""Weakly labelled extra training data for the relation classifier (used by train.py, never at run time).

Two sources, both added to the *training* folds only and down-weighted against PLV rows:

  * `synthetic_rows()` -- templated sentences written for this project (the verb phrases, actors and
    tails in data/lexicon/weak_*.txt|tsv are our own wording, derived from the PLOVER event/mode
    definitions), e.g.
    "<s>The rebels</s> shelled <t>an army outpost</t> near the border." -> ASSAULT.
  * `cameo_rows(cameo_csv, cameo2plover)` -- the CAMEO code names (e.g. "Demand economic aid") turned
    into a marked sentence "<s>A</s> demanded economic aid from <t>B</t>" and mapped to a PLOVER root
    class with CAMEO2PLOVER (CONCEDE/RETREAT -> YIELD). Read from the shared data by path.

Each row is (label, marked_sentence) with <s>..</s>/<t>..</t> marks, as in PLV files.
"""

from __future__ import annotations

import csv
import random
import re
from pathlib import Path

from detente.lexicon import word_sequence
from detente.resources import read_table


def _templates_by_event(rows: list[dict[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row in rows:
        out.setdefault(row["event"], []).append(row["template"])
    return out


def _tail(text: str) -> str:
    """A sentence ending as stored (stripped) -> as appended: after a space unless it starts with
    a comma; empty stays empty."""
    if not text or text.startswith(","):
        return text
    return " " + text


# The actors, endings and templates of the synthetic sentences are data (data/lexicon/weak_*):
# {S} source slot, {T} target slot; the text between is our own phrasing of the PLOVER definitions.
# Lists, not sets: the seeded random draws depend on their order.
SOURCES = list(word_sequence("weak_sources"))
TARGETS = list(word_sequence("weak_targets"))
TAILS = [_tail(r["tail"]) for r in read_table("lexicon/weak_tails.tsv")]
TEMPLATES: dict[str, list[str]] = _templates_by_event(read_table("lexicon/weak_templates.tsv"))


def _mark(template: str, src: str, tgt: str, tail: str) -> str:
    s = template.replace("{S}", f"<s>{src}</s>").replace("{T}", f"<t>{tgt}</t>")
    return s + tail + "."


def synthetic_rows(per_template: int = 3, seed: int = 0) -> list[tuple[str, str]]:
    """Deterministic (label, marked sentence) rows: `per_template` random fillings of each template."""
    rng = random.Random(seed)
    out = []
    for lab in sorted(TEMPLATES):
        for tpl in TEMPLATES[lab]:
            for _ in range(per_template):
                s = rng.choice(SOURCES)
                t = rng.choice([x for x in TARGETS if x.lower() != s.lower()])
                out.append((lab, _mark(tpl, s, t, rng.choice(TAILS))))
    return out


CONNECTORS = [
    ", while {B}",
    " and {B}",
    "; meanwhile, {B}",
    ", as {B}",
    ", a day after {B}",
    ". Separately, {B}",
    ", even as {B}",
    " before {B}",
]


def _lower_first(clause: str) -> str:
    """'The army ...' -> 'the army ...' inside a sentence (marks kept)."""
    for prefix in ("The ", "<s>The "):
        if clause.startswith(prefix):
            return clause.replace("The ", "the ", 1)
    return clause


def compound_rows(per_class: int = 12, seed: int = 2) -> list[tuple[str, str]]:
    """Two events of different types in one sentence, each pair marked in turn: the same words
    with a different marked pair must get a different label. Teaches the relation reader to read
    the marked pair, not the sentence's overall event (news sentences often hold several)."""
    rng = random.Random(seed)
    labels = sorted(TEMPLATES)
    out = []
    for lab in labels:
        for _ in range(per_class):
            other = rng.choice([x for x in labels if x != lab])
            clauses = []
            for lb in (lab, other):
                tpl = rng.choice(TEMPLATES[lb])
                src = rng.choice(SOURCES)
                tgt = rng.choice([x for x in TARGETS if x.lower() != src.lower()])
                clauses.append((lb, tpl, src, tgt))
            if clauses[0][2] == clauses[1][2]:
                continue
            first = rng.random() < 0.5
            a, b = (clauses[0], clauses[1]) if first else (clauses[1], clauses[0])
            join = rng.choice(CONNECTORS)
            for marked in (0, 1):
                parts = []
                for k, (lb, tpl, src, tgt) in enumerate((a, b)):
                    if k == marked:
                        txt = tpl.replace("{S}", f"<s>{src}</s>").replace("{T}", f"<t>{tgt}</t>")
                    else:
                        txt = tpl.replace("{S}", src).replace("{T}", tgt)
                    parts.append(txt)
                second = parts[1] if join.startswith(".") else _lower_first(parts[1])
                out.append(((a, b)[marked][0], parts[0] + join.replace("{B}", second) + "."))
    return out


_IRREG = {r["verb"]: r["past"] for r in read_table("lexicon/weak_irregular_past.tsv")}
# preposition placing the target after the CAMEO name's words, by PLOVER class
_PREP = {r["event"]: r["preposition"] for r in read_table("lexicon/weak_target_prepositions.tsv")}


def _past(verb: str) -> str:
    v = verb.lower()
    if v in _IRREG:
        return _IRREG[v]
    if v.endswith("e"):
        return v + "d"
    if v.endswith("y") and len(v) > 2 and v[-2] not in "aeiou":
        return v[:-1] + "ied"
    return v + "ed"


def read_cameo2plover(path: str | Path) -> dict[str, str]:
    """CAMEO code -> PLOVER root (CONCEDE/RETREAT -> YIELD)."""
    out = {}
    for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
        m = re.match(r"\s*(\d{2,4})\s*:\s*([A-Z]+)", line)
        if m:
            ev = m.group(2)
            out[m.group(1)] = "YIELD" if ev in ("CONCEDE", "RETREAT") else ev
    return out


def cameo_rows(cameo_csv: str | Path, cameo2plover: str | Path, seed: int = 1) -> list[tuple[str, str]]:
    """CAMEO code names as marked sentences with the PLOVER class of the code (codes without a
    PLOVER root class, e.g. statements, are skipped)."""
    mapping = read_cameo2plover(cameo2plover)
    rng = random.Random(seed)
    out = []
    with Path(cameo_csv).open(encoding="utf-8", errors="replace", newline="") as fh:
        for r in csv.DictReader(fh):
            code = (r.get("code") or "").strip()
            root = (r.get("root_code") or "").strip()
            if root.isdigit() and int(root) < 10:
                code = "0" + code  # the CSV drops the leading zero of roots 01-09
            lab = mapping.get(code)
            name = (r.get("name") or "").strip()
            if not lab or not name or name.isupper() or len(code) < 3:
                continue
            words = re.sub(r"\(.*?\)", "", name).replace(",", " or").split()
            if not words:
                continue
            phrase = " ".join([_past(words[0])] + [w.lower() for w in words[1:]])
            s = rng.choice(SOURCES)
            t = rng.choice([x for x in TARGETS if x.lower() != s.lower()])
            out.append((lab, f"<s>{s}</s> {phrase} {_PREP[lab]} <t>{t}</t>."))
    return out
