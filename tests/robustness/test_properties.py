"""Property-based tests (hypothesis): the readers, the normaliser, the story-date parser and the
date and actor resolvers never raise anything but the project's documented errors, whatever the
input, and what they return can be stored.

Documented errors: subclasses of detente.errors.DetenteError, and ValueError from parse_date.
Readers raise nothing at all: bad items come back as InputError objects.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from detente.errors import DetenteError, InputError
from detente.io import readers as ingest
from detente.io.readers import (
    decode_bytes,
    document_from_html,
    document_from_record,
    document_from_text,
    parse_date,
    read_csv_stream,
    read_feed_bytes,
    read_jsonl_stream,
    read_stdin_bytes,
)
from detente.model import Document
from detente.nlp.normalise import normalise_text

FAST = settings(deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(
    deadline=None,
    max_examples=40,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
TODAY = dt.date.today()

# Text that hits the awkward corners: controls, bidi marks, surrogates, combining marks, NUL, BOMs.
NASTY_CHARS = st.sampled_from(
    list(
        "\x00\x07\x0b\x0c\x1b\x7f\x85\xa0\u061c\u200b\u200e\u200f\u202a\u202e"
        "\u2028\u2029\u2066\u2069\ufeff\ufffd\ufffe\ud800\udfff\u0301\u0308"
        "\"'{}[],:\\\n\r\t <>&;"
    )
    + ["\U0001f600", "\u05d0", "\u0627"]
)
TEXTS = st.one_of(st.text(), st.text(alphabet=st.one_of(st.characters(), NASTY_CHARS)))


def storable(doc: Document) -> None:
    """A document the store can write: everything encodes as UTF-8, metadata is strict JSON."""
    assert isinstance(doc.id, str) and doc.id and len(doc.id) <= ingest.MAX_ID_CHARS
    for s in (doc.id, doc.text, doc.title or "", doc.url or "", doc.source or "", doc.origin or ""):
        s.encode("utf-8")
    json.dumps(doc.metadata, allow_nan=False).encode("utf-8")
    assert doc.text.strip() and len(doc.text) <= ingest.MAX_STORY_CHARS
    assert doc.date is None or dt.date(ingest.EARLIEST_YEAR, 1, 1) <= doc.date <= TODAY + dt.timedelta(days=2)


def consume(items) -> list:
    out = list(items)
    for it in out:
        assert isinstance(it, (Document, InputError)), type(it)
        if isinstance(it, Document):
            storable(it)
        else:
            assert str(it) and it.reason
    return out


# --------------------------------------------------------------------------- parse_date

DATE_STRINGS = st.one_of(
    TEXTS,
    st.from_regex(
        r"\A-?\d{1,5}-\d{1,2}-\d{1,3}([T ]\d{1,2}:\d{1,2}(:\d{1,2}(\.\d{1,9})?)?"
        r"(Z|[+-]\d{1,2}:?\d{2})?)?\Z"
    ),
    st.from_regex(
        r"\A(Mon|Tue|Sun), \d{1,2} (Jan|Feb|Nov|Foo) \d{1,6} \d{1,2}:\d{2}:\d{2} "
        r"([+-]\d{4}|GMT|[A-Z]{3})\Z"
    ),
    st.from_regex(r"\A\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\Z"),
    st.dates().map(str),
    st.datetimes().map(str),
    st.datetimes().map(lambda d: d.isoformat()),
)


@FAST
@given(value=st.one_of(DATE_STRINGS, st.dates(), st.datetimes(), st.integers(), st.floats(), st.none()))
@example(value="0000-00-00")
@example(value="99999-01-01")
@example(value="2024-02-30T10:00:00")
@example(value="Mon, 18 Nov 2024 09:00:00 +9999")
@example(value="Mon, 18 Nov 99999 09:00:00 GMT")
@example(value="\u0662\u0660\u0662\u0664-01-01")  # Arabic-Indic digits
def test_parse_date_returns_a_plausible_date_or_value_error(value):
    try:
        d = parse_date(value)
    except ValueError as e:
        assert str(e) and len(str(e)) < 300  # a short, clear reason
        return
    assert isinstance(d, dt.date) and not isinstance(d, dt.datetime)
    assert dt.date(ingest.EARLIEST_YEAR, 1, 1) <= d <= TODAY + dt.timedelta(days=ingest.FUTURE_SLACK_DAYS)


@FAST
@given(d=st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY))
def test_parse_date_round_trips_iso(d):
    assert parse_date(d.isoformat()) == d
    assert parse_date(d.isoformat() + "T12:30:00Z") == d


# --------------------------------------------------------------------------- normalise


@FAST
@given(text=TEXTS)
@example(text="a\u0301\u200b\u0301")
@example(text="\ud800\udc00")
@example(text="0\x1f\x1f \r0")
def test_normalise_is_total_idempotent_and_clean(text):
    out = normalise_text(text)
    out.encode("utf-8")
    assert normalise_text(out) == out
    assert not any(c in out for c in "\x00\x07\x1b\u200b\u200f\u202e\u2066\ufeff\r\u2028")
    assert "\n\n\n" not in out and out == out.strip()


# --------------------------------------------------------------------------- readers


@FAST
@given(data=st.binary(max_size=3000))
def test_decode_bytes_returns_text_or_value_error(data):
    try:
        decode_bytes(data, "file")
    except ValueError as e:
        assert str(e)


@FAST
@given(data=st.one_of(st.binary(max_size=3000), TEXTS.map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_text_and_stdin_readers_never_raise(data):
    consume(read_stdin_bytes(data))
    consume(ingest.read_stdin_stream(io.BytesIO(data)))


JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), TEXTS)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda c: st.one_of(st.lists(c, max_size=4), st.dictionaries(TEXTS, c, max_size=4)),
    max_leaves=12,
)
FIELD_NAMES = (
    st.sampled_from(
        [
            "id",
            "ID",
            " Text ",
            "text",
            "title",
            "body",
            "description",
            "content",
            "date",
            "published",
            "pubdate",
            "timestamp",
            "url",
            "link",
            "source",
            "feed",
            "lang",
            "",
        ]
    )
    | TEXTS
)
RECORDS = st.dictionaries(FIELD_NAMES, st.one_of(JSON_VALUES, DATE_STRINGS), max_size=8)


@FAST
@given(rec=st.one_of(RECORDS, JSON_VALUES))
def test_document_from_record_never_raises(rec):
    consume([document_from_record(rec, "x.jsonl", 1)])


@FAST
@given(
    lines=st.lists(
        st.one_of(
            RECORDS.map(lambda r: json.dumps(r, ensure_ascii=False).encode("utf-8", "surrogatepass")),
            RECORDS.map(lambda r: json.dumps(r).encode()),
            st.binary(max_size=200),
        ),
        max_size=8,
    ),
    sep=st.sampled_from([b"\n", b"\r\n", b"\n\n"]),
    bom=st.sampled_from([b"", b"\xef\xbb\xbf"]),
)
def test_jsonl_reader_never_raises(lines, sep, bom):
    data = bom + sep.join(lines)
    consume(read_jsonl_stream(io.BytesIO(data), "x.jsonl"))


@FAST
@given(
    text=st.lists(RECORDS.map(lambda r: json.dumps(r)), max_size=5).map("\n".join),
    enc=st.sampled_from(["utf-16", "utf-32", "utf-8-sig"]),
)
def test_jsonl_reader_any_bom_encoding(text, enc):
    data = text.encode(enc, "surrogatepass")
    plain = [i for i in consume(read_jsonl_stream(io.BytesIO(text.encode("utf-8", "surrogatepass")), "x"))]
    other = [i for i in consume(read_jsonl_stream(io.BytesIO(data), "x"))]
    assert [getattr(i, "id", None) for i in other] == [getattr(i, "id", None) for i in plain]


def _csv_bytes(rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode("utf-8", "surrogatepass")


CELLS = st.one_of(TEXTS, DATE_STRINGS, st.sampled_from(["text", "title", "body", "id", "date"]))


@FAST
@given(
    data=st.one_of(
        st.binary(max_size=2000),
        st.lists(st.lists(CELLS, max_size=5), max_size=6).map(_csv_bytes),
        st.tuples(
            st.lists(st.sampled_from(["id", "date", "title", "text", "body", "x"]), min_size=1, max_size=5),
            st.lists(st.lists(CELLS, max_size=6), max_size=5),
        ).map(lambda t: _csv_bytes([t[0], *t[1]])),
    ),
    delimiter=st.sampled_from([",", "\t"]),
)
def test_csv_reader_never_raises(data, delimiter):
    consume(read_csv_stream(io.BytesIO(data), "x.csv", delimiter=delimiter))


XML_BITS = st.sampled_from(
    [
        '<?xml version="1.0"?>',
        "<rss>",
        "</rss>",
        "<channel>",
        "</channel>",
        "<item>",
        "</item>",
        "<title>",
        "</title>",
        "<description>",
        "</description>",
        "<pubDate>",
        "</pubDate>",
        "<guid>",
        "</guid>",
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        "</feed>",
        "<entry>",
        "</entry>",
        "<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>",
        "&e;",
        "&amp;",
        "&#0;",
        "&#xD800;",
        "<![CDATA[",
        "]]>",
        "Peru met Chile.",
        "Mon, 18 Nov 2024 09:00:00 GMT",
        "2999-01-01",
        "<",
        ">",
    ]
)


@FAST
@given(
    data=st.one_of(
        st.binary(max_size=2000),
        st.lists(st.one_of(XML_BITS, TEXTS), max_size=30).map(
            lambda xs: "".join(xs).encode("utf-8", "surrogatepass")
        ),
    )
)
def test_feed_reader_never_raises(data):
    consume(read_feed_bytes(data, "x.xml"))


@FAST
@given(
    text=TEXTS,
    header=st.lists(
        st.sampled_from(
            [
                "Title: T",
                "Date: 2024-01-02",
                "Date: 31/12/2024",
                "ID: x",
                "URL: http://a",
                "Source: s",
                "Date: ",
            ]
        ),
        max_size=4,
    ),
)
def test_text_reader_never_raises(text, header):
    consume([document_from_text("\n".join(header + [text]), "x.txt", "x")])


HTML_BITS = st.sampled_from(
    [
        "<html>",
        "</html>",
        "<body>",
        "<article>",
        "</article>",
        "<p>",
        "</p>",
        "<div>" * 30,
        "</div>" * 30,
        "<script>alert(1)</script>",
        "<style>p{}</style>",
        "<meta charset='utf-16'>",
        "<title>T</title>",
        "Egypt and Jordan met in Amman. ",
        "<!--",
        "-->",
        "<svg onload=x>",
        "&nbsp;",
        "&#0;",
        "\x00",
    ]
)


@SLOW
@given(
    data=st.one_of(st.lists(st.one_of(HTML_BITS, TEXTS), max_size=40).map("".join), st.binary(max_size=1000))
)
def test_html_reader_never_raises(data):
    consume([document_from_html(data, "x.html", "x")])


@settings(deadline=None, max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    names=st.lists(
        st.sampled_from(
            [
                "a.txt",
                "b.jsonl",
                "c.csv",
                "d.xml",
                "e.html",
                "f",
                "g.json.gz",
                "h.tsv",
                "i.rss",
                ".hidden.txt",
            ]
        ),
        min_size=1,
        max_size=5,
        unique=True,
    ),
    blobs=st.lists(st.binary(max_size=400), min_size=5, max_size=5),
)
def test_read_inputs_on_random_files_never_raises(tmp_path_factory, names, blobs):
    d = tmp_path_factory.mktemp("rand")
    for n, b in zip(names, blobs):
        (d / n).write_bytes(b)
    consume(ingest.read_inputs([str(d), str(d / "missing")]))


# --------------------------------------------------------------------------- resolvers (need spaCy)

STORY_DATES = st.one_of(
    st.none(),
    st.dates(),
    st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 1, 1)),
    st.sampled_from([dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(1900, 1, 1)]),
)
DATE_WORDS = st.sampled_from(
    [
        "yesterday",
        "today",
        "tomorrow",
        "last week",
        "next month",
        "on Monday",
        "last Friday",
        "in March",
        "on 12 March",
        "March 12, 2024",
        "12/03/2024",
        "in 1999",
        "in 2099",
        "two years ago",
        "in 10 days",
        "early next year",
        "since January",
        "until 31 December",
        "on Feb 30",
        "on 31 April",
        "99999 years ago",
        "the day before",
        "this weekend",
        "in the 1990s",
        "last Christmas",
        "on the 45th",
        "in Q3 2024",
    ]
)
SENTENCE_BITS = st.sampled_from(
    [
        "Russian troops attacked Ukrainian positions",
        "Germany sent aid to Sudan",
        "Iran threatened Israel",
        "Chinese Foreign Minister Wang Yi met",
        "the president",
        "he said",
        "she",
        "Putin",
        "Xi",
        "the two leaders met",
        "NATO",
        "the United Nations",
        "Hamas fighters",
        "the Taliban",
        "the Pentagon",
        "U.S.",
        "US",
        "Georgia",
        "Michael Jordan",
        "Chad",
        "Foreign Minister John Smith",
        ",",
        ".",
        "'s",
        "and",
    ]
)
RESOLVER_TEXTS = st.lists(
    st.one_of(SENTENCE_BITS, DATE_WORDS, NASTY_CHARS, st.text(max_size=8)), max_size=25
).map(" ".join)


@pytest.fixture(scope="module")
def resolvers(nlp):
    from detente.coding.actors import ActorFinder
    from detente.coding.temporal import DateResolver, parse_date_value

    return nlp, ActorFinder(), DateResolver(), parse_date_value


@SLOW
@given(text=RESOLVER_TEXTS, story_date=STORY_DATES)
@example(text="It happened 99999 years ago and next year.", story_date=dt.date(9999, 12, 31))
@example(text="It happened yesterday, on Monday.", story_date=dt.date(1, 1, 1))
def test_date_resolver_never_raises(resolvers, text, story_date):
    nlp, _, dates, parse_date_value = resolvers
    doc = nlp(normalise_text(text))
    for sent in list(doc.sents) or [doc[:]]:
        d, historical = dates.resolve(sent, story_date)
        assert d is None or isinstance(d, dt.date)
        assert isinstance(historical, bool)
        if len(sent):
            dates.resolve(sent, story_date, trigger=sent[0])
    v = parse_date_value(text, story_date)
    assert v is None or isinstance(v, dt.date)


@SLOW
@given(text=RESOLVER_TEXTS, story_date=STORY_DATES)
@example(text="Xi met Putin. The two leaders said he and she would go.", story_date=dt.date(1, 1, 1))
@example(text="the the the 's 's , US US", story_date=None)
def test_actor_resolver_never_raises(resolvers, text, story_date):
    nlp, actors, _, _ = resolvers
    doc = nlp(normalise_text(text))
    try:
        mentions = actors.find(doc, story_date)
        actor = actors.resolve_text(normalise_text(text), story_date)
    except DetenteError:
        return
    for m in mentions:
        assert 0 <= m.start < m.end <= len(doc)
        assert doc.text[m.start_char : m.end_char] == m.text or m.text
        assert m.actor.code and isinstance(m.actor.code, str)
        assert m.antecedent is None or 0 <= m.antecedent < len(mentions)
    assert actor is None or actor.code


@settings(deadline=None, max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=RESOLVER_TEXTS, story_date=STORY_DATES)
def test_whole_coder_never_raises_and_spans_hold(coder, text, story_date):
    assume(normalise_text(text))
    doc = Document(id="p", text=text, date=story_date)
    for ev in coder.code(doc):
        rec = ev.to_record()
        json.dumps(rec, allow_nan=False).encode("utf-8")
        assert doc.text[ev.span[0] : ev.span[1]] == ev.text
        assert ev.event and ev.actor


def test_resolve_text_with_a_lone_surrogate(resolvers):
    _, actors, _, _ = resolvers
    actor = actors.resolve_text("Russian \ud800 troops", None)
    assert actor is None or actor.code
