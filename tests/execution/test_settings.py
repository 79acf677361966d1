"""Settings are read once from DETENTE_* and reach worker processes through the coder factory,
not through the environment."""

from __future__ import annotations

import datetime as dt
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

from detente import settings as settings_module
from detente.execution.local import CoderFactory, CodingRun
from detente.model import Actor, Document, Event
from detente.settings import DEFAULT_CODER, DEFAULT_MAX_STORY_CHARS, Settings
from detente.storage.store import EventStore


class FlagCoder:
    """Codes each document into one event whose text says how the coder was built and whether
    DETENTE_ENCODER was set in the process that built it."""

    def __init__(self, accurate: bool | None = None):
        self.note = f"accurate={accurate} env={os.environ.get('DETENTE_ENCODER')} pid={os.getpid()}"

    def code_many(self, documents, batch_size=32):
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


def test_from_env_parses_each_variable_as_before():
    s = Settings.from_env(
        {
            "DETENTE_CODER": "pkg.mod:Thing",
            "DETENTE_DEBUG": "x",
            "DETENTE_ENCODER": " Yes ",
            "DETENTE_MAX_STORY_CHARS": "1234",
            "DETENTE_PRELOAD_GAZETTEER": "1",
            "DETENTE_SHARED_DATA": "/data/shared",
        }
    )
    assert s == Settings(
        coder="pkg.mod:Thing",
        debug=True,
        encoder=True,
        max_story_chars=1234,
        preload_gazetteer=True,
        shared_data=Path("/data/shared"),
    )
    empty = Settings.from_env({})
    assert empty == Settings()
    assert (empty.coder, empty.debug, empty.encoder) == (DEFAULT_CODER, False, False)
    assert empty.shared_data is None
    # malformed or non-positive lengths fall back to the default, as io.readers did
    for bad in ("", "abc", "0", "-5"):
        assert Settings.from_env({"DETENTE_MAX_STORY_CHARS": bad}).max_story_chars == DEFAULT_MAX_STORY_CHARS
    for off in ("0", "no", "off", "false", ""):
        assert Settings.from_env({"DETENTE_ENCODER": off}).encoder is False


def test_current_is_read_once_until_reload(monkeypatch):
    monkeypatch.setenv("DETENTE_MAX_STORY_CHARS", "777")
    assert settings_module.reload().max_story_chars == 777
    monkeypatch.setenv("DETENTE_MAX_STORY_CHARS", "888")
    assert settings_module.current().max_story_chars == 777  # kept, not read again
    monkeypatch.delenv("DETENTE_MAX_STORY_CHARS")
    assert settings_module.reload().max_story_chars == DEFAULT_MAX_STORY_CHARS


def test_coder_factory_from_settings_is_picklable():
    factory = CoderFactory.from_settings(Settings(encoder=True), spec="test_settings:FlagCoder")
    assert factory == CoderFactory("test_settings:FlagCoder", accurate=True)
    assert pickle.loads(pickle.dumps(factory)) == factory
    assert CoderFactory.from_settings(Settings(coder="a.b:C")).spec == "a.b:C"


def test_accurate_reaches_worker_processes_without_the_environment(monkeypatch):
    """The relation reader's switch travels with the pool initialiser: the workers' coders are
    built with accurate=True, and neither this process nor the workers see DETENTE_ENCODER."""
    monkeypatch.delenv("DETENTE_ENCODER", raising=False)
    docs = [Document(id=f"d{i}", text=f"Story {i} about talks.", date=dt.date(2024, 1, 1)) for i in range(40)]
    notes = []
    run = CodingRun(
        None,
        workers=2,
        batch_size=5,
        coder_factory=CoderFactory("test_settings:FlagCoder", accurate=True),
        on_events=lambda d, evs: notes.extend(e.text for e in evs),
    )
    stats = run.run(docs)
    assert stats.coded == 40
    assert len(notes) == 40
    assert all(n.startswith("accurate=True env=None pid=") for n in notes), notes[:3]
    assert {n.split("pid=")[1] for n in notes} - {str(os.getpid())}  # coded in other processes
    assert "DETENTE_ENCODER" not in os.environ

    # off: the coder is built without the argument (custom coders need not accept it)
    notes.clear()
    CodingRun(
        None,
        workers=2,
        batch_size=5,
        coder_factory=CoderFactory("test_settings:FlagCoder"),
        on_events=lambda d, evs: notes.extend(e.text for e in evs),
    ).run(docs)
    assert notes and all(n.startswith("accurate=None env=None") for n in notes)


def _code_with_flag_coder(tmp_path, *args):
    """`detente code` on 12 stories with DETENTE_CODER naming FlagCoder (importable by every worker
    through PYTHONPATH) and no DETENTE_ENCODER; the text of each stored event. (Read from the
    database: `--engine dask` does not write --out.)"""
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(
        "".join(
            f'{{"id": "s{i}", "text": "Story {i} about talks.", "date": "2024-01-01"}}\n' for i in range(12)
        )
    )
    env = {k: v for k, v in os.environ.items() if k != "DETENTE_ENCODER"}
    env["DETENTE_CODER"] = "test_settings:FlagCoder"
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parent), env.get("PYTHONPATH", "")])
    out = tmp_path / "out.jsonl"
    db = tmp_path / f"{len(list(tmp_path.glob('*.duckdb')))}.duckdb"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "detente",
            "code",
            str(corpus),
            "--db",
            str(db),
            "--out",
            str(out),
            "-q",
            *args,
        ],
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


def test_cli_accurate_reaches_workers_through_the_factory(tmp_path):
    """`detente code --accurate --workers 2`: every worker's coder is built with accurate=True and
    no process has DETENTE_ENCODER set; without --accurate the coder is built without it."""
    for flag, expected in (("--accurate", "accurate=True env=None"), (None, "accurate=None env=None")):
        texts = _code_with_flag_coder(tmp_path, "--workers", "2", *([flag] if flag else []))
        assert len(texts) == 12 and all(t.startswith(expected) for t in texts), texts[:2]


def test_cli_accurate_reaches_dask_workers(tmp_path):
    """The same through `--engine dask` (a LocalCluster): the factory travels with each partition."""
    texts = _code_with_flag_coder(
        tmp_path, "--engine", "dask", "--workers", "1", "--parquet-dir", str(tmp_path / "pq"), "--accurate"
    )
    assert len(texts) == 12 and all(t.startswith("accurate=True env=None") for t in texts), texts[:2]
