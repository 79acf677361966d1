"""Our own annotations: label-only records joined with corpus texts by id, and the shipped label
files themselves (valid codebook records that carry no publisher text)."""

from __future__ import annotations

import gzip
import json
import re

import pytest

from detente.errors import DetenteError
from detente.model import PLOVER_TYPES
from detente.training.annotation import corpus_texts, with_corpus_text
from detente.training.pairs import ANNOTATIONS_DIR, own_annotation_files, read_codebook


def write_corpus(path, records):
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r) + "\n")


CORPUS = [
    {
        "id": 11,
        "feed": "wire",
        "date_published": "2024-04-14 08:00:00+00:00",
        "title": "Chancellor lands in Beijing",
        "description": "Germany's chancellor arrived in Beijing on Sunday for a three-day visit.",
        "link": "x",
    },
    {
        "id": 12,
        "feed": "wire",
        "date_published": "2024-05-10T01:00:00+00:00",
        "title": "Strikes on Rafah",
        "description": "Israeli strikes hit Rafah overnight, killing 20 people.",
        "link": "y",
    },
]


def test_label_records_get_title_and_lead_from_the_corpus(tmp_path):
    corpus = tmp_path / "c.jsonl.gz"
    write_corpus(corpus, CORPUS)
    labels = tmp_path / "labels.jsonl"
    ev = {
        "source": {"code": "DEU", "sector": "GOV"},
        "target": {"code": "CHN", "sector": "GOV"},
        "event": "CONSULT",
        "symmetric": False,
        "historical": False,
        "trigger": "arrived",
    }
    labels.write_text(
        json.dumps({"id": "11", "date": "2024-04-14 08:00:00+00:00", "events": [ev]})
        + "\n"
        + json.dumps({"id": "12", "events": []})
        + "\n"
    )
    items = read_codebook(labels, corpus=corpus)
    assert [i.id for i in items] == ["11", "12"]
    assert items[0].text == "Chancellor lands in Beijing\n\n" + CORPUS[0]["description"]
    assert items[0].title == "Chancellor lands in Beijing"
    assert items[0].gold_pairs() == {("DEU", "CHN"): {"CONSULT"}}
    # a record without its own date takes the corpus item's date
    assert str(items[1].date) == "2024-05-10"


def test_records_with_their_own_text_do_not_need_a_corpus(tmp_path):
    f = tmp_path / "silver.jsonl"
    f.write_text(
        json.dumps({"id": "1", "date": "2024-01-05", "title": "T", "description": "D", "events": []})
    )
    items = read_codebook(f, corpus=tmp_path / "absent.jsonl.gz")
    assert items[0].text == "T\n\nD"


def test_an_id_the_corpus_lacks_is_an_error_naming_it(tmp_path):
    corpus = tmp_path / "c.jsonl.gz"
    write_corpus(corpus, CORPUS)
    with pytest.raises(DetenteError, match="999"):
        with_corpus_text([{"id": "999", "events": []}], corpus)
    with pytest.raises(DetenteError, match="need the corpus"):
        with_corpus_text([{"id": "11", "events": []}], tmp_path / "absent.jsonl.gz")
    assert set(corpus_texts(corpus, ["12", "13"])) == {"12"}


# the codebook's sectors, plus NGO and ELI (named in its actor rules)
SECTORS = {"GOV", "MIL", "LEG", "JUD", "COP", "SPY", "PTY", "REB", "OPP", "BUS", "MED", "CVL", "REF", "UAF"}
SECTORS |= {"IGO", "NGO", "UNK", "ELI"}


def test_the_shipped_annotations_are_valid_label_only_records():
    files = own_annotation_files()
    assert files, f"no annotation files in {ANNOTATIONS_DIR}"
    ids = set()
    n_events = 0
    for f in files:
        for line in f.read_text(encoding="utf-8").splitlines():
            d = json.loads(line)
            # labels only: no publisher text in the repository
            assert not {"title", "description", "text", "link"} & set(d), (f.name, d["id"])
            assert d["id"] not in ids, f"{d['id']} annotated twice"
            ids.add(d["id"])
            for e in d["events"]:
                n_events += 1
                assert e["event"] in PLOVER_TYPES
                assert "evidence" not in e
                for role in ("source", "target"):
                    a = e[role]
                    assert set(a) <= {"code", "sector", "name"}
                    assert a["sector"] in SECTORS
                    assert a["code"] == "IGO" and a.get("name") or re.fullmatch(r"[A-Z]{3}", a["code"])
                assert isinstance(e["symmetric"], bool) and isinstance(e["historical"], bool)
    assert len(ids) >= 1000 and n_events >= 500
