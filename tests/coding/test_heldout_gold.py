"""benchmarks/gold/heldout_events.jsonl (held-out gold set) is well-formed. Does not run the coder."""

import json
import re
from collections import Counter
from pathlib import Path

from detente.model import FLAG_NAMES, PLOVER_TYPES

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "benchmarks" / "gold" / "heldout_events.jsonl"
DATA = ROOT / "src" / "detente" / "data"


def _org_codes() -> set[str]:
    codes = set()
    for line in (DATA / "organisations.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#") and not line.startswith("code\t"):
            codes.add(line.split("\t", 1)[0])
    return codes


def _country_codes() -> set[str]:
    codes = set()
    for line in (DATA / "iso_alpha2_alpha3.tsv").read_text(encoding="utf-8").splitlines():
        for cell in line.split("\t"):
            if re.fullmatch(r"[A-Z]{3}", cell):
                codes.add(cell)
    return codes


def _sectors() -> set[str]:
    out = {"IGO", "NGO"}
    for line in (DATA / "sectors.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#") and not line.startswith("keyword\t"):
            out.add(line.split("\t")[1])
    return out


def _docs():
    return [json.loads(ln) for ln in GOLD.read_text(encoding="utf-8").splitlines() if ln.strip()]


def test_heldout_gold_structure():
    docs = _docs()
    assert len(docs) == 24
    ids = [d["id"] for d in docs]
    assert len(ids) == len(set(ids))
    for d in docs:
        assert set(d) == {"id", "date", "title", "text", "events"}, d["id"]
        assert re.fullmatch(r"h\d\d_[a-z0-9_]+", d["id"]), d["id"]
        assert re.fullmatch(r"20\d\d-\d\d-\d\d", d["date"]), d["id"]
        assert d["text"].startswith(d["title"] + "\n\n"), d["id"]
        assert d["events"], d["id"]


def test_heldout_gold_events_valid():
    orgs, countries, sectors = _org_codes(), _country_codes(), _sectors()
    keys = {"actor", "recipient", "event", "symmetric", "sentence", *FLAG_NAMES}
    for d in _docs():
        body = d["text"][len(d["title"]) :]
        for e in d["events"]:
            assert set(e) == keys, (d["id"], e)
            assert e["event"] in PLOVER_TYPES, (d["id"], e["event"])
            assert e["sentence"] and e["sentence"] in body, (d["id"], e["sentence"])
            assert isinstance(e["symmetric"], bool)
            for f in FLAG_NAMES:
                assert isinstance(e[f], bool), (d["id"], f)
            assert e["actor"], (d["id"], e)
            if e["symmetric"]:
                assert e["recipient"], (d["id"], e)
            for a in e["actor"] + e["recipient"]:
                assert set(a) == {"code", "sector"}, a
                assert a["code"] in countries or a["code"] in orgs, (d["id"], a["code"])
                assert a["sector"] is None or a["sector"] in sectors, (d["id"], a)


def test_heldout_gold_coverage():
    docs = _docs()
    types = Counter(e["event"] for d in docs for e in d["events"])
    assert set(types) == set(PLOVER_TYPES)
    assert all(types[t] >= 3 for t in PLOVER_TYPES), types
    flags = Counter(f for d in docs for e in d["events"] for f in FLAG_NAMES if e[f])
    assert all(flags[f] >= 3 for f in FLAG_NAMES), flags
