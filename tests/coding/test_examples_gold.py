"""examples/gold_events.jsonl is well-formed and matches examples/stories/*.txt."""

import json
import re
from pathlib import Path

from detente.model import FLAG_NAMES, PLOVER_TYPES

ROOT = Path(__file__).resolve().parents[2]
EX = ROOT / "examples"
DATA = ROOT / "src" / "detente" / "data"


def _org_codes() -> set[str]:
    codes = {"IGO", "NGO", "UNO", "EUR", "NATO"}
    path = DATA / "organisations.tsv"
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#") and not line.startswith("code\t"):
                codes.add(line.split("\t", 1)[0])
    return codes


def _gold():
    return [
        json.loads(ln)
        for ln in (EX / "gold_events.jsonl").read_text(encoding="utf-8").splitlines()
        if ln.strip()
    ]


def _story(path: Path):
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[0].startswith("Title: "), path
    assert re.fullmatch(r"Date: \d{4}-\d{2}-\d{2}", lines[1]), path
    assert lines[2] == "", path
    return lines[0][7:], lines[1][6:], "\n".join(lines[3:]).strip()


def test_gold_is_valid():
    orgs = _org_codes()
    docs = _gold()
    assert len(docs) >= 16
    ids = [d["id"] for d in docs]
    assert len(ids) == len(set(ids))
    seen_types, seen_flags = set(), set()
    for d in docs:
        assert set(d) >= {"id", "date", "title", "text", "events"}
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", d["date"])
        assert d["events"], d["id"]
        for e in d["events"]:
            assert e["event"] in PLOVER_TYPES, e
            seen_types.add(e["event"])
            assert e["sentence"] in d["text"], e["sentence"]
            assert isinstance(e["symmetric"], bool)
            for f in FLAG_NAMES:
                assert isinstance(e[f], bool), (d["id"], f)
                if e[f]:
                    seen_flags.add(f)
            assert e["actor"], e
            for a in e["actor"] + e["recipient"]:
                code = a["code"]
                assert re.fullmatch(r"[A-Z]{3}", code) or code in orgs, code
                assert a["sector"] is None or re.fullmatch(r"[A-Z]{3}", a["sector"]), a
    assert seen_types == set(PLOVER_TYPES)
    assert seen_flags == set(FLAG_NAMES)


def test_every_story_has_gold():
    gold = {d["id"]: d for d in _gold()}
    stories = sorted((EX / "stories").glob("*.txt"))
    assert len(stories) >= 16
    for p in stories:
        title, date, body = _story(p)
        assert p.stem in gold, p.stem
        g = gold[p.stem]
        assert g["title"] == title and g["date"] == date and g["text"] == body
    assert set(gold) == {p.stem for p in stories}
