"""/search over stories with and without a title (a missing title was NaN in a string column and
made every such search a server error): real `detente code` into a real DuckDB file."""

from __future__ import annotations

from conftest import run_cli
from detente.analysis import series as an
from detente.storage.store import EventStore


def test_search_ranks_titled_and_untitled_stories(tmp_path):
    (tmp_path / "untitled.txt").write_text(
        "Russia imposed sanctions on Georgia on Monday.\n", encoding="utf-8"
    )
    (tmp_path / "titled.txt").write_text(
        "Title: Sanctions on Syria\n\nThe EU imposed new sanctions on Syria on Tuesday.\n", encoding="utf-8"
    )
    db = tmp_path / "s.duckdb"
    r = run_cli("code", tmp_path / "untitled.txt", tmp_path / "titled.txt", "--db", db, "-q")
    assert r.returncode == 0, r.stderr
    store = EventStore(str(db), read_only=True)
    try:
        found = an.search(store, "sanctions")
    finally:
        store.close()
    docs = {d["id"]: d for d in found["documents"]}
    assert set(docs) == {"untitled", "titled"}
    assert docs["titled"]["title"] == "Sanctions on Syria"
    assert docs["untitled"]["title"] is None
    assert "sanctions on Georgia" in docs["untitled"]["snippet"]
    assert "sanctions on Syria" in docs["titled"]["snippet"]
