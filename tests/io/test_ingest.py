"""Readers: every input format on real files written by the test, and bad items reported, not fatal."""

from __future__ import annotations

import datetime as dt
import gzip
import json

import pytest

from detente.errors import InputError
from detente.io.readers import parse_date, read_inputs, read_stdin_bytes
from detente.model import Document


def docs_and_errors(items):
    items = list(items)
    return [i for i in items if isinstance(i, Document)], [i for i in items if isinstance(i, InputError)]


def test_text_file_with_header(tmp_path):
    p = tmp_path / "summit.txt"
    p.write_text("Title: Leaders meet\nDate: 2024-11-16\n\nThe presidents met in Lima.\n", encoding="utf-8")
    docs, errs = docs_and_errors(read_inputs([str(p)]))
    assert not errs
    (d,) = docs
    assert d.id == "summit"
    assert d.title == "Leaders meet"
    assert d.date == dt.date(2024, 11, 16)
    assert d.text.startswith("Leaders meet\n\nThe presidents met in Lima.")


def test_text_file_plain_first_line_title(tmp_path):
    p = tmp_path / "a.txt"
    p.write_text("Ministers hold talks\n\nThe foreign ministers held talks in Cairo.", encoding="utf-8")
    (d,), _ = docs_and_errors(read_inputs([str(p)]))
    assert d.title == "Ministers hold talks"
    assert d.date is None


def test_utf16_bom_text(tmp_path):
    p = tmp_path / "u16.txt"
    p.write_bytes("Title: Talks\n\nIran and Oman held talks.".encode("utf-16"))
    (d,), errs = docs_and_errors(read_inputs([str(p)]))
    assert not errs and "Oman" in d.text


def test_jsonl_good_and_bad_lines(tmp_path):
    p = tmp_path / "c.jsonl"
    lines = [
        json.dumps(
            {"id": "a", "date": "2023-01-02T10:00:00Z", "text": "Russia attacked Ukraine.", "lang": "en"}
        ),
        "{not json",
        json.dumps(
            {
                "id": "b",
                "date": "2023-01-02 00:00:30+00:00",
                "title": "Talks",
                "description": "Iran met Oman.",
            }
        ),
        json.dumps({"id": "c", "date": "2023-13-45", "text": "Bad date here."}),
        json.dumps({"id": "d", "date": "2023-01-03"}),
        "",
        json.dumps({"id": "e", "text": "No date is fine."}),
    ]
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    docs, errs = docs_and_errors(read_inputs([str(p)]))
    assert [d.id for d in docs] == ["a", "b", "e"]
    assert docs[0].metadata == {"lang": "en"}
    assert docs[1].text == "Talks\n\nIran met Oman."
    assert docs[1].date == dt.date(2023, 1, 2)
    assert [(e.line, e.path) for e in errs] == [(2, str(p)), (4, str(p)), (5, str(p))]
    assert "malformed JSON" in str(errs[0])
    assert "bad date" in str(errs[1])
    assert "missing text" in str(errs[2])
    assert f"{p}:2:" in str(errs[0])


def test_jsonl_gz(tmp_path):
    p = tmp_path / "c.jsonl.gz"
    with gzip.open(p, "wt", encoding="utf-8") as f:
        f.write(
            json.dumps({"id": "g1", "date": "2023-05-01", "title": "Headline", "description": "Body."}) + "\n"
        )
    docs, errs = docs_and_errors(read_inputs([str(p)]))
    assert [d.id for d in docs] == ["g1"] and not errs


def test_csv_with_bad_rows(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text(
        'id,date,title,body,source\n1,2024-02-01,T1,"Israel struck Gaza, officials said.",wire\n'
        "2,2024-02-01,T2\n3,2024-02-02,T3,Egypt hosted talks.,wire\n",
        encoding="utf-8",
    )
    docs, errs = docs_and_errors(read_inputs([str(p)]))
    assert [d.id for d in docs] == ["1", "3"]
    assert docs[0].source == "wire"
    assert len(errs) == 1 and errs[0].line == 3 and "columns" in str(errs[0])


def test_csv_without_text_column(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("id,date\n1,2024-01-01\n", encoding="utf-8")
    docs, errs = docs_and_errors(read_inputs([str(p)]))
    assert not docs and "no text column" in str(errs[0])


RSS = """<?xml version="1.0"?>
<rss version="2.0"><channel><title>World Wire</title>
<item><title>Talks in Doha</title><description>&lt;p&gt;Qatar hosted talks between the parties.&lt;/p&gt;</description>
<pubDate>Mon, 18 Nov 2024 09:00:00 GMT</pubDate><guid>wire-1</guid><link>https://example.org/1</link></item>
<item><title>Aid arrives</title><description>Jordan sent aid to Gaza.</description><guid>wire-2</guid></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Desk</title>
<entry><id>tag:desk,2024:1</id><title>Ceasefire declared</title><updated>2024-11-20T08:00:00Z</updated>
<summary>The two sides declared a ceasefire.</summary><link href="https://example.org/a"/></entry></feed>"""


def test_rss_and_atom(tmp_path):
    (tmp_path / "f.rss").write_text(RSS, encoding="utf-8")
    (tmp_path / "g.xml").write_text(ATOM, encoding="utf-8")
    docs, errs = docs_and_errors(read_inputs([str(tmp_path / "f.rss"), str(tmp_path / "g.xml")]))
    assert not errs
    assert [d.id for d in docs] == ["wire-1", "wire-2", "tag:desk,2024:1"]
    assert docs[0].date == dt.date(2024, 11, 18)
    assert "<p>" not in docs[0].text and "Qatar hosted talks" in docs[0].text
    assert docs[0].source == "World Wire" and docs[0].url == "https://example.org/1"
    assert docs[2].date == dt.date(2024, 11, 20) and docs[2].url == "https://example.org/a"


def test_feed_with_external_entity_is_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET", encoding="utf-8")
    p = tmp_path / "evil.xml"
    p.write_text(f"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>
<rss version="2.0"><channel><item><title>&xxe;</title><description>x</description></item></channel></rss>""")
    docs, errs = docs_and_errors(read_inputs([str(p)]))
    assert not docs
    assert "refused" in str(errs[0])


def test_html_page(tmp_path):
    body = " ".join(
        ["The foreign ministers of Egypt and Jordan met in Amman on Tuesday to discuss the crisis."] * 3
    )
    html = f"""<!doctype html><html><head><title>Ministers meet in Amman</title>
<meta property="article:published_time" content="2024-10-01T08:00:00Z"></head>
<body><nav>Home | World</nav><article><h1>Ministers meet in Amman</h1><p>{body}</p>
<p>Both sides agreed to keep talking.</p></article><script>alert(1)</script></body></html>"""
    p = tmp_path / "page.html"
    p.write_text(html, encoding="utf-8")
    (d,), errs = docs_and_errors(read_inputs([str(p)]))
    assert not errs
    assert "Egypt and Jordan met in Amman" in d.text
    assert "alert(1)" not in d.text
    assert d.date == dt.date(2024, 10, 1)


def test_directory_recursive_and_errors(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.txt").write_text("Title: A\n\nIndia and Pakistan held talks.", encoding="utf-8")
    (tmp_path / "sub" / "b.txt").write_text("Title: B\n\nKenya sent troops to Haiti.", encoding="utf-8")
    (tmp_path / "sub" / "bin.txt").write_bytes(b"\x00\x01\x02garbage")
    (tmp_path / "sub" / "latin1.txt").write_bytes("Caf\xe9 talks".encode("latin-1"))
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    docs, errs = docs_and_errors(read_inputs([str(tmp_path), str(tmp_path / "missing.txt")]))
    assert sorted(d.id for d in docs) == ["a", "sub/b"]
    msgs = sorted(str(e) for e in errs)
    assert any("binary file" in m and "bin.txt" in m for m in msgs)
    assert any("not valid UTF-8" in m and "latin1.txt" in m for m in msgs)
    assert any("empty text" in m for m in msgs)
    assert any("no such file" in m and "missing.txt" in m for m in msgs)


def test_symlink_loop_terminates(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "s.txt").write_text("Title: S\n\nChile and Peru met.", encoding="utf-8")
    (tmp_path / "d" / "loop").symlink_to(tmp_path / "d")
    docs, errs = docs_and_errors(read_inputs([str(tmp_path)]))
    assert [d.id for d in docs] == ["d/s"]
    assert any("directory loop" in str(e) for e in errs)


def test_stdin_jsonl_and_text():
    docs, _ = docs_and_errors(read_stdin_bytes(b'{"id": "x", "text": "Oman mediated."}\n'))
    assert docs[0].id == "x"
    docs, _ = docs_and_errors(read_stdin_bytes(b"Title: T\nDate: 2024-01-05\n\nPeru and Chile met."))
    assert docs[0].date == dt.date(2024, 1, 5) and docs[0].id.startswith("stdin-")


@pytest.mark.parametrize(
    "value,expected",
    [
        ("2024-11-16", dt.date(2024, 11, 16)),
        ("2024-11-16T23:59:00", dt.date(2024, 11, 16)),
        ("2023-01-01 00:00:30+00:00", dt.date(2023, 1, 1)),
        ("2024-11-16T10:00:00Z", dt.date(2024, 11, 16)),
        ("Sat, 16 Nov 2024 10:00:00 +0000", dt.date(2024, 11, 16)),
    ],
)
def test_parse_date_good(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    "value,reason",
    [
        ("03/04/2024", "ambiguous"),
        ("2024-02-30", "invalid"),
        ("1066-10-14", "before"),
        ("2999-01-01", "future"),
        ("yesterday-ish", "invalid"),
        ("", "empty"),
    ],
)
def test_parse_date_bad(value, reason):
    with pytest.raises(ValueError, match=reason):
        parse_date(value)
