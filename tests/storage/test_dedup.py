"""Near-duplicate stories fold into one event with several mentions."""

from __future__ import annotations

import datetime as dt

from detente.execution.local import CodingRun
from detente.model import Document
from detente.storage.near_duplicates import NearDuplicateIndex, title_similarity
from detente.storage.store import EventStore

BODY = (
    "France and Germany signed a defence cooperation agreement in Paris on Monday, "
    "officials from both governments said after a day of talks at the Elysee palace."
)
OTHER = (
    "Heavy rain flooded several districts of Nairobi overnight, and the city council said "
    "schools would stay closed until the water receded from the main roads."
)


def doc(i, text, date="2024-03-04", title=None, source=None):
    return Document(id=i, text=text, date=dt.date.fromisoformat(date), title=title, source=source)


def test_same_batch_and_earlier_run(tmp_path):
    db = tmp_path / "d.duckdb"
    with EventStore(db) as st:
        idx = NearDuplicateIndex.from_store(st)
        batch = [doc("a", BODY), doc("b", OTHER), doc("a2", BODY + " More to follow.")]
        dup = idx.assign(batch)
        assert dup == {"a2": "a"}
        st.write_batch([(d, []) for d in batch], duplicate_of=dup, extra_rows=idx.pending)
    # a later run, a fresh index over the same database: the copy of a stored story folds
    with EventStore(db) as st:
        idx = NearDuplicateIndex.from_store(st)
        assert idx.assign(
            [doc("a3", "UPDATE: " + BODY), doc("c", OTHER.replace("Nairobi", "Mombasa") + " " + BODY[:20])]
        ) == {"a3": "a"}
        # only originals go into the index
        assert {r["doc_id"] for r in idx.pending["doc_signatures"]} == {"c"}


def test_guards_dates_titles_and_short_texts():
    idx = NearDuplicateIndex(None)
    # a week later: a new story that happens to reuse the text (templates, recaps)
    assert idx.assign([doc("a", BODY), doc("b", BODY, date="2024-03-20")]) == {}
    # same boilerplate body, different headlines: a newsletter, not a copy
    assert (
        idx.assign(
            [
                doc("a", BODY, title="The 12:30 Report: Classified document probes put Dems in awkward spot"),
                doc("b", BODY, title="The 12:30 Report: GOP's plan to reset the tax code hits headwinds"),
            ]
        )
        == {}
    )
    # an updated headline of the same story still folds
    assert idx.assign(
        [
            doc("a", BODY, title="France and Germany sign defence pact"),
            doc("b", BODY, title="France, Germany sign defence pact in Paris"),
        ]
    ) == {"b": "a"}
    # too short to call
    assert idx.assign([doc("a", "Talks in Paris."), doc("b", "Talks in Paris.")]) == {}
    assert title_similarity("A B C", None) is None


def test_copies_become_mentions_not_new_events(tmp_path, coder):
    """Coded copies: their events map onto the original's (mentions, sources); an updated copy's
    extra event is a new event; counts are distinct by default and mention-weighted on request."""
    text = (
        "Russia accused Ukraine of shelling the Zaporizhzhia nuclear plant on Sunday. "
        "Officials in Kyiv denied the claims, calling them propaganda."
    )
    docs = [
        doc("orig", text, source="wire1"),
        doc("copy1", text + " ", source="paper2"),
        doc("filler", OTHER, source="wire1"),
    ]
    later = [doc("copy2", text + " France sent humanitarian aid to Ukraine.", source="paper3")]
    db = tmp_path / "m.duckdb"
    with EventStore(db) as st:
        idx = NearDuplicateIndex.from_store(st)
        s1 = CodingRun(st, coder=coder, dedup=idx, batch_size=8).run(docs)
        s2 = CodingRun(st, coder=coder, dedup=idx, batch_size=8).run(later)
        assert s1.duplicates == 1 and s2.duplicates == 1
        orig_events = st.query("SELECT id, event FROM events WHERE doc_id = 'orig'")
        assert len(orig_events) >= 1
        # every original event is mentioned by the original and both copies
        m = st.query(
            "SELECT event_id, count(*) n, count(DISTINCT source) s FROM mentions "
            "WHERE event_id IN (SELECT id FROM events WHERE doc_id='orig') GROUP BY 1"
        )
        assert set(m["n"]) == {3} and set(m["s"]) == {3}
        # no event row comes from copy1; copy2 adds only what the original did not report
        assert st.query("SELECT count(*) n FROM events WHERE doc_id='copy1'").iloc[0, 0] == 0
        added = st.query("SELECT event FROM events WHERE doc_id='copy2'")["event"].tolist()
        assert set(added) <= {"AID", "SUPPORT", "COOPERATE"}
        c = st.counts()
        assert c["duplicates"] == 2
        assert c["mentions"] == c["events"] + 2 * len(orig_events)


def test_cli_corpus_with_copies_folds_and_weights(tmp_path):
    from conftest import run_cli
    from scale_corpus import write_corpus

    corpus = tmp_path / "c.jsonl"
    rows = write_corpus(corpus, 30, copies_every=5)
    n_copies = sum(1 for r in rows if r["id"].endswith("-copy"))
    db = tmp_path / "c.duckdb"
    r = run_cli("code", corpus, "--db", db)
    assert r.returncode == 0, r.stderr
    assert f"{n_copies:,} near-duplicates folded" in r.stderr
    with EventStore(db, read_only=True) as st:
        c = st.counts()
        assert c["duplicates"] == n_copies
        assert c["mentions"] > c["events"]
        assert (
            st.query(
                "SELECT count(*) FROM events e JOIN documents d ON d.id = e.doc_id "
                "WHERE d.duplicate_of IS NOT NULL"
            ).iloc[0, 0]
            == 0
        )
