"""Processes that only code run spaCy without PyTorch (nlp/without_torch.py): `detente code`'s
own process and its workers do not import torch, and the events are the same as with it."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from detente.storage.store import EventStore

HAS_TORCH = importlib.util.find_spec("torch") is not None


class TorchProbeCoder:
    """Imports spaCy as a coder would and codes each document into one event whose text says
    whether this process then holds torch and whether thinc believes torch is installed."""

    def __init__(self, accurate: bool | None = None):
        import spacy  # noqa: F401
        import thinc.compat

        self.note = f"torch={'torch' in sys.modules} thinc={thinc.compat.has_torch} pid={os.getpid()}"

    def code_many(self, documents, batch_size=32):
        from detente.model import Actor, Event

        for d in documents:
            ev = Event(
                doc_id=d.id,
                event="CONSULT",
                actor=[Actor("FRA")],
                recipient=[Actor("DEU")],
                text=self.note,
                span=(0, 5),
            )
            ev.make_id()
            yield d, [ev]


def _run_code(tmp_path, *args, env_extra=None) -> list[str]:
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(
        "".join(
            f'{{"id": "s{i}", "text": "Story {i} about talks.", "date": "2024-01-01"}}\n' for i in range(8)
        )
    )
    env = {k: v for k, v in os.environ.items() if k != "DETENTE_SPACY_TORCH"}
    env["DETENTE_CODER"] = "test_without_torch:TorchProbeCoder"
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parent), env.get("PYTHONPATH", "")])
    env.update(env_extra or {})
    db = tmp_path / f"{len(list(tmp_path.glob('*.duckdb')))}.duckdb"
    r = subprocess.run(
        [sys.executable, "-m", "detente", "code", str(corpus), "--db", str(db), "-q", *args],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    with EventStore(db, read_only=True) as store:
        records = store.query("SELECT record FROM events ORDER BY id")["record"]
    return [json.loads(rec)["text"] for rec in records]


@pytest.mark.parametrize("how", ["in-process", "pool", "dask"])
def test_coding_processes_import_spacy_without_torch(tmp_path, how):
    args = {
        "in-process": ["--workers", "1"],
        "pool": ["--workers", "2"],
        "dask": ["--engine", "dask", "--workers", "1", "--parquet-dir", str(tmp_path / "pq")],
    }[how]
    texts = _run_code(tmp_path, *args)
    assert len(texts) == 8
    assert all(t.startswith("torch=False thinc=False") for t in texts), texts[:2]


@pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed here")
def test_the_environment_variable_lets_thinc_import_torch(tmp_path):
    texts = _run_code(tmp_path, "--workers", "2", env_extra={"DETENTE_SPACY_TORCH": "1"})
    assert len(texts) == 8 and all(t.startswith("torch=True thinc=True") for t in texts), texts[:2]


CODE_ONE_STORY = r"""
import json, sys
from detente.nlp.without_torch import keep_torch_out
if sys.argv[1] == "without":
    assert keep_torch_out()
from detente.coding.coder import Coder
from detente.model import Document
text = sys.stdin.read()
doc = Document(id="s1", text=text, date="2024-05-10")
events = next(iter(Coder(accurate=True).code_many([doc])))[1]
print(json.dumps({"torch": "torch" in sys.modules, "events": [e.to_record() for e in events]}, sort_keys=True))
"""


@pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed here")
def test_events_are_the_same_without_torch():
    """The parse does not depend on torch: the same story gives the same records (accurate mode,
    every component involved) in a process without torch and in one with it."""
    story = (
        "Chinese hackers breached US telecom networks, officials said.\n\n"
        "Israeli strikes hit Rafah overnight, killing 20 people. Egypt's foreign minister met his "
        "Qatari counterpart in Cairo on Saturday and urged Israel to halt the offensive."
    )
    out = {}
    for how in ("without", "with"):
        env = {k: v for k, v in os.environ.items() if k != "DETENTE_SPACY_TORCH"}
        r = subprocess.run(
            [sys.executable, "-c", CODE_ONE_STORY, how],
            input=story,
            check=True,
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        out[how] = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["without"]["torch"] is False and out["with"]["torch"] is True
    assert len(out["without"]["events"]) >= 3
    assert out["without"]["events"] == out["with"]["events"]
