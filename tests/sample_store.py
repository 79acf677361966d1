"""A small event store with known content (series, a spike, places, a near-duplicate), built
through the real EventStore: shared by the analysis, API and dashboard tests."""

from __future__ import annotations

import datetime as dt

from detente.model import Actor, Document, Event, Location
from detente.storage.store import EventStore

MON = dt.date(2024, 1, 1)  # a Monday: week w starts at MON + 7w
KYIV = Location("Kyiv", "Kyiv", "UKR", 50.45, 30.52, 703448)
GENEVA = Location("Geneva", "Geneva", "CHE", 46.2, 6.14, 2660646)

QUAD = {
    "CONSULT": (1, "040", 1.0),
    "AGREE": (1, "057", 8.0),
    "THREATEN": (3, "130", -4.4),
    "SANCTION": (4, "163", -8.0),
    "ASSAULT": (4, "190", -10.0),
    "ACCUSE": (3, "112", -2.0),
    "AID": (2, "070", 7.0),
}
NAMES = {"USA": "The United States", "CHN": "China", "RUS": "Russia", "UKR": "Ukraine", "GBR": "Britain"}
VERB = {
    "CONSULT": "held talks with",
    "THREATEN": "threatened",
    "SANCTION": "imposed sanctions on",
    "ASSAULT": "shelled",
    "ACCUSE": "accused",
    "AID": "sent aid to",
    "AGREE": "signed a deal with",
}


def _doc_event(doc_id, kind, src, tgt, day, loc=None, negated=False):
    sentence = f"{NAMES[src]} {VERB[kind]} {NAMES[tgt]}."
    text = f"Story {doc_id} opens here. {sentence} More context follows."
    start = text.index(sentence)
    quad, cameo, gold = QUAD[kind]
    trig = VERB[kind]
    ts = text.index(trig)
    ev = Event(
        doc_id=doc_id,
        event=kind,
        actor=[Actor(src, "GOV", text=NAMES[src])],
        recipient=[Actor(tgt, "GOV", text=NAMES[tgt])],
        text=sentence,
        span=(start, start + len(sentence)),
        event_text=trig,
        trigger_span=(ts, ts + len(trig)),
        cameo_code=cameo,
        quad_code=quad,
        goldstein=gold,
        event_scale=gold / 2,
        date=day,
        confidence=0.9,
        event_loc=loc,
        sentence_index=1,
    )
    ev.flags["negated"] = negated
    ev.make_id()
    return Document(id=doc_id, text=text, date=day, title=f"{src} {kind} {tgt}", source="wire"), ev


def build_db(path) -> str:
    """USA-CHN: one CONSULT every week for 10 weeks (Wednesdays from 2024-01-03); in week 8
    (2024-02-26) also 3 THREATEN (CHN->USA) and 3 SANCTION (USA->CHN): a spike of 7 events.
    A negated ASSAULT in week 2. The week-0 story has a near-duplicate copy (2 mentions).
    RUS->UKR: 4 ASSAULT in Kyiv in week 1, UKR->RUS 1 ACCUSE; USA->UKR 2 AID; GBR->RUS 1 SANCTION;
    USA->CHN 1 AGREE in Geneva on 2024-03-20 (week 11)."""
    items = []
    for w in range(10):
        items.append(_doc_event(f"uc{w}", "CONSULT", "USA", "CHN", MON + dt.timedelta(days=7 * w + 2)))
    spike_day = MON + dt.timedelta(days=7 * 8 + 3)
    for i in range(3):
        items.append(_doc_event(f"th{i}", "THREATEN", "CHN", "USA", spike_day))
        items.append(_doc_event(f"sa{i}", "SANCTION", "USA", "CHN", spike_day + dt.timedelta(days=1)))
    items.append(_doc_event("neg", "ASSAULT", "USA", "CHN", MON + dt.timedelta(days=15), negated=True))
    for i in range(4):
        items.append(_doc_event(f"ru{i}", "ASSAULT", "RUS", "UKR", MON + dt.timedelta(days=8 + i), loc=KYIV))
    items.append(_doc_event("ua0", "ACCUSE", "UKR", "RUS", MON + dt.timedelta(days=9)))
    items.append(_doc_event("aid0", "AID", "USA", "UKR", MON + dt.timedelta(days=20)))
    items.append(_doc_event("aid1", "AID", "USA", "UKR", MON + dt.timedelta(days=40)))
    items.append(_doc_event("gb0", "SANCTION", "GBR", "RUS", MON + dt.timedelta(days=30)))
    items.append(_doc_event("ag0", "AGREE", "USA", "CHN", dt.date(2024, 3, 20), loc=GENEVA))
    coded = [(d, [e]) for d, e in items]
    # a near-duplicate copy of uc0 reporting the same event
    d0, e0 = items[0]
    copy = Document(id="uc0-copy", text=d0.text + " Updated.", date=d0.date, source="other")
    e_copy = _doc_event("uc0-copy", "CONSULT", "USA", "CHN", d0.date)[1]
    e_copy.span = e0.span
    e_copy.doc_id = "uc0-copy"
    e_copy.make_id()
    with EventStore(path) as st:
        st.write_batch(coded)
        st.write_batch([(copy, [e_copy])], duplicate_of={"uc0-copy": "uc0"})
    return str(path)
