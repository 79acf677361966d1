"""Generator of a hostile / broken input corpus, written by the tests into a temporary directory.

Nothing here is committed as a binary: every file is made from code, so the corpus is reviewable
and each case says what must happen to it. `build(root)` writes every case and returns them;
`GOOD` stories are mixed in so a test can check that good documents in the same run survive.

Each `Case` names the files it wrote, how many good documents the readers must yield from them,
and substrings every one of which must appear in the error messages naming those files.
"""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

MB = 1024 * 1024

# Good stories with known events, used alongside the hostile files.
GOOD = {
    "good_assault.txt": "Title: Clashes\nDate: 2024-11-18\n\n"
    "Russian troops attacked Ukrainian positions near Kharkiv on Sunday.\n",
    "good_aid.txt": "Title: Aid pledged\nDate: 2024-06-03\n\nGermany sent humanitarian aid to Sudan.\n",
}

COUNTRIES = [
    "Russia",
    "Ukraine",
    "Germany",
    "France",
    "China",
    "Japan",
    "Iran",
    "Israel",
    "Egypt",
    "Jordan",
    "Sudan",
    "Kenya",
    "Brazil",
    "Chile",
    "Peru",
    "India",
    "Pakistan",
    "Turkey",
    "Greece",
    "Poland",
    "Spain",
    "Morocco",
    "Qatar",
    "Oman",
    "Nigeria",
    "Ghana",
]
VERBS = [
    "attacked",
    "sent aid to",
    "threatened",
    "met",
    "criticized",
    "signed an agreement with",
    "imposed sanctions on",
    "praised",
    "accused",
    "hosted talks with",
]
PLACES = ["Geneva", "Cairo", "Lima", "Doha", "Nairobi", "Warsaw", "Ankara", "Madrid"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def varied_story(i: int, sentences: int = 5) -> str:
    """A distinct short story (no two are near-duplicates), deterministic in i."""
    rng = random.Random(i)
    out = []
    for _ in range(sentences):
        a, b = rng.sample(COUNTRIES, 2)
        out.append(
            f"{a} {rng.choice(VERBS)} {b} in {rng.choice(PLACES)} on {rng.choice(DAYS)}, "
            f"officials said after {rng.randint(2, 999)} days."
        )
    return f"Story {i}. " + " ".join(out)


SENTENCE = "Egypt and Jordan held talks in Amman on Tuesday about the crisis in Gaza. "


@dataclass
class Case:
    name: str  # what the issue calls it
    files: list[Path]
    docs: int = 0  # good documents the readers must yield from these files
    errors: list[str] = field(default_factory=list)  # substrings of the expected error messages
    doc_ids: list[str] = field(default_factory=list)  # ids of those documents, when known
    heavy: bool = False  # large files (tens of MB): written only when asked
    follow_symlinks: bool = False  # read with --follow-symlinks


def _w(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def _jl(*recs) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in recs)


def _write_big(path: Path, size: int, unit: bytes, newline_every: int | None = None) -> Path:
    """Write `size` bytes of repeated `unit` without holding them all in memory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    block = unit * (MB // len(unit))
    if newline_every:
        block = block[:-1] + b"\n"
    with open(path, "wb") as f:
        left = size
        while left > 0:
            f.write(block[:left])
            left -= len(block)
    return path


# --------------------------------------------------------------------------- the cases


def binary_files(d: Path) -> list[Case]:
    rng = random.Random(1)
    payload = _jl(
        *[{"id": f"tz{i}", "text": f"{SENTENCE} {rng.random()} {rng.random()}"} for i in range(400)]
    ).encode()
    csv_payload = ("id,text\n" + "".join(f"c{i},{SENTENCE} {rng.random()}\n" for i in range(400))).encode()
    noise = bytes(rng.randrange(256) for _ in range(20_000)) + b"\x00" * 10
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + noise[:2000]
    return [
        Case("binary file (.txt)", [_w(d / "binary.txt", noise)], errors=["binary file"]),
        Case("binary file (PNG renamed .html)", [_w(d / "image.html", png)], errors=["binary file"]),
        Case("binary file (.jsonl)", [_w(d / "binary.jsonl", noise)], errors=["binary file"]),
        Case("binary file (.csv)", [_w(d / "binary.csv", noise)], errors=["binary file"]),
        Case("binary file (no extension)", [_w(d / "blob", noise)], errors=["binary file"]),
        Case(
            "not gzip data (.jsonl.gz)",
            [_w(d / "fake.jsonl.gz", b"plain text, not gzip\n")],
            errors=["not a gzip file"],
        ),
        Case(
            "truncated gzip (.jsonl.gz)",
            [_w(d / "trunc.jsonl.gz", gzip.compress(payload)[: len(gzip.compress(payload)) // 2])],
            docs=-1,
            errors=["corrupt or truncated gzip"],
        ),  # -1: some lines may decode first
        Case(
            "truncated gzip (.csv.gz)",
            [_w(d / "trunc.csv.gz", gzip.compress(csv_payload)[: len(gzip.compress(csv_payload)) // 2])],
            docs=-1,
            errors=["corrupt or truncated gzip"],
        ),
    ]


def encodings(d: Path) -> list[Case]:
    story = "Title: Talks\n\nIran and Oman held talks in Muscat on Monday about shipping."
    mixed = (
        b"Title: Mixed\n\nFrance and Chad signed an accord. "
        + "Le ministre a déclaré que".encode("cp1252")
        + " l'accord est signé.".encode()
    )
    u16_jsonl = _jl(
        {"id": "u16-a", "text": "Qatar hosted talks between the parties."},
        {"id": "u16-b", "text": "Kenya sent police officers to Haiti."},
    )
    u16_csv = "id,text\nc16-a,Brazil and Argentina signed a trade deal.\nc16-b,Japan protested to China.\n"
    latin_line = ('{"id": "lat-bad", "text": "Caf\xe9 talks"}\n').encode("latin-1")
    return [
        Case(
            "invalid UTF-8",
            [_w(d / "latin1.txt", "Caf\xe9 diplomacy in P\xe9ru".encode("latin-1"))],
            errors=["not valid UTF-8", "at byte 3", "re-encode"],
        ),
        Case("UTF-16 with BOM (.txt)", [_w(d / "u16.txt", story.encode("utf-16"))], docs=1, doc_ids=["u16"]),
        Case(
            "UTF-16 BE with BOM (.txt)",
            [_w(d / "u16be.txt", b"\xfe\xff" + story.encode("utf-16-be"))],
            docs=1,
            doc_ids=["u16be"],
        ),
        Case("UTF-32 with BOM (.txt)", [_w(d / "u32.txt", story.encode("utf-32"))], docs=1, doc_ids=["u32"]),
        Case(
            "UTF-8 with BOM (.txt)",
            [_w(d / "u8bom.txt", b"\xef\xbb\xbf" + story.encode())],
            docs=1,
            doc_ids=["u8bom"],
        ),
        Case(
            "UTF-16 with BOM (.jsonl)",
            [_w(d / "u16.jsonl", u16_jsonl.encode("utf-16"))],
            docs=2,
            doc_ids=["u16-a", "u16-b"],
        ),
        Case(
            "UTF-16 with BOM (.csv)",
            [_w(d / "u16.csv", u16_csv.encode("utf-16"))],
            docs=2,
            doc_ids=["c16-a", "c16-b"],
        ),
        Case(
            "UTF-16 without BOM",
            [_w(d / "u16nobom.txt", story.encode("utf-16-le"))],
            errors=["UTF-16 without a byte-order mark"],
        ),
        Case(
            "mixed encodings in one file (UTF-8 + cp1252)",
            [_w(d / "mixed.txt", mixed)],
            errors=["not valid UTF-8", "at byte"],
        ),
        Case(
            "mixed encodings across JSONL lines",
            [
                _w(
                    d / "mixed.jsonl",
                    _jl({"id": "mx1", "text": "Peru and Chile met."}).encode()
                    + latin_line
                    + _jl({"id": "mx2", "text": "Chile protested to Bolivia."}).encode(),
                )
            ],
            docs=2,
            doc_ids=["mx1", "mx2"],
            errors=[":2: not valid UTF-8"],
        ),
        Case(
            "mixed encodings in a CSV",
            [_w(d / "mixed.csv", b"id,text\nm1,Peru met Chile.\nm2,Caf\xe9 talks\nm3,Chile met Peru.\n")],
            docs=2,
            doc_ids=["m1", "m3"],
            errors=[":3: not valid UTF-8"],
        ),
        Case(
            "lone surrogate escapes in JSON",
            [
                _w(
                    d / "surrogate.jsonl",
                    '{"id": "sur\\ud800", "title": "T\\udfff", "text": "Italy and Libya '
                    'signed a migration deal \\ud83d.", "note": "\\udc00"}\n',
                )
            ],
            docs=1,
            doc_ids=["sur\ufffd"],
        ),
    ]


def empties(d: Path) -> list[Case]:
    return [
        Case("empty file (.txt)", [_w(d / "empty.txt", b"")], errors=["empty text"]),
        Case("whitespace-only file", [_w(d / "blank.txt", "  \n\n\t \n")], errors=["empty text"]),
        Case(
            "control characters only",
            [_w(d / "controls.txt", "\x07\x08\x1b\u200f\u202e ...")],
            errors=["no letters or digits"],
        ),
        Case("empty file (.jsonl)", [_w(d / "empty.jsonl", b"")], errors=["empty file"]),
        Case("blank lines only (.jsonl)", [_w(d / "blank.jsonl", "\n\n  \n")], errors=["empty file"]),
        Case("empty file (.csv)", [_w(d / "empty.csv", b"")], errors=["empty CSV file"]),
        Case("header only (.csv)", [_w(d / "header.csv", "id,text\n")], docs=0),
        Case("empty file (.html)", [_w(d / "empty.html", b"")], errors=["no article text"]),
        Case(
            "empty texts in records",
            [
                _w(
                    d / "emptytexts.jsonl",
                    _jl(
                        {"id": "e1", "text": ""},
                        {"id": "e2", "text": "   "},
                        {"id": "e3", "title": "", "body": None},
                        {"id": "e4", "text": "Nepal and India met."},
                    ),
                )
            ],
            docs=1,
            doc_ids=["e4"],
            errors=[":1: missing text", ":2: missing text", ":3: missing text"],
        ),
    ]


def huge(d: Path, heavy: bool = False) -> list[Case]:
    """Long inputs. The two 50 MB files are `heavy`: written only when asked."""
    cases = []
    if heavy:
        cases += [
            Case(
                "50 MB single story (.txt)",
                [_write_big(d / "huge50.txt", 50 * MB, SENTENCE.encode(), 1)],
                errors=["story too long", "--max-chars"],
                heavy=True,
            ),
            Case(
                "50 MB single story (one JSONL line)",
                [_write_big(d / "huge50.jsonl", 50 * MB, b"x", None)],
                errors=["line too long", "--max-chars"],
                heavy=True,
            ),
        ]
    cases += [
        Case(
            "5 MB line without newlines (.txt)",
            [_write_big(d / "line5.txt", 5 * MB, SENTENCE.encode())],
            errors=["story too long"],
        ),
        Case(
            "5 MB line without newlines in a JSONL file",
            [
                _w(
                    d / "line5.jsonl",
                    _jl({"id": "l5-a", "text": "Spain and Morocco met."}).encode()
                    + b'{"id": "l5-big", "text": "'
                    + SENTENCE.encode() * (5 * MB // len(SENTENCE))
                    + b'"}\n'
                    + _jl({"id": "l5-b", "text": "Morocco thanked Spain."}).encode()
                    + b"{"
                    + b"y" * (5 * MB),
                )
            ],  # last line: 5 MB, no newline at all, not JSON
            docs=2,
            doc_ids=["l5-a", "l5-b"],
            errors=[":2: line too long", ":4: line too long"],
        ),
        Case(
            "5 MB field in a CSV",
            [
                _w(
                    d / "field5.csv",
                    'id,text\nf1,Chile met Peru.\nf2,"'
                    + "z " * (5 * MB // 2)
                    + '"\nf3,Peru thanked Chile.\n',
                )
            ],
            docs=2,
            doc_ids=["f1", "f3"],
            errors=["story too long"],
        ),
        Case(
            "10 MB HTML page",
            [_write_big(d / "page10.html", 10 * MB, b"<p>" + SENTENCE.encode() + b"</p>")],
            errors=["story too long", "bytes of HTML"],
        ),
    ]
    return cases


def markup(d: Path) -> list[Case]:
    body = "<p>" + SENTENCE * 4 + "</p>"
    deep = "<html><body>" + "<div>" * 50_000 + body + "</div>" * 50_000 + "</body></html>"
    scripts = (
        "<script>document.write('Iran attacked Israel');alert(1)</script>"
        "<style>p{color:red}</style><noscript>Iran bombed Israel</noscript>"
        "<iframe src='javascript:alert(1)'></iframe><svg onload='alert(1)'></svg>"
    )
    scripty = (
        f"<!doctype html><html><head><title>Ministers meet</title>{scripts * 200}</head>"
        f"<body><nav>Home</nav><article><h1>Ministers meet</h1>{body}<p>Both sides agreed to "
        f"keep talking.</p></article>{scripts * 500}<img src=x onerror=alert(1)></body></html>"
    )
    deep_json = '{"id": "deep", "text": ' + "[" * 100_000 + "]" * 100_000 + "}\n"
    return [
        Case("deeply nested HTML", [_w(d / "deep.html", deep)], errors=["no article text"]),
        Case("script-laden HTML", [_w(d / "scripts.html", scripty)], docs=1, doc_ids=["scripts"]),
        Case(
            "deeply nested JSON",
            [_w(d / "deep.jsonl", deep_json + _jl({"id": "after-deep", "text": "Iraq met Syria."}))],
            docs=1,
            doc_ids=["after-deep"],
            errors=[":1: malformed JSON"],
        ),
    ]


def malformed_records(d: Path, n_lines: int = 20_000) -> list[Case]:
    rng = random.Random(7)
    bad = [
        "{oops",
        "[1, 2, 3]",
        '"just a string"',
        "null",
        '{"id": "x", "text": "a"',
        "\x1b[31m{}",
        '{"id": "big-int", "text": ' + "9" * 5000 + "}",
        '{"id": "nan", "text": NaN}',
        '{"id": "obj", "text": {"nested": "text"}}',
        '{"id": ["a"], "text": "List id."}',
        '{"id": "' + "i" * 2000 + '", "text": "Long id."}',
        "}{",
        "\x00\x00",
    ]
    lines, bad_lines = [], []
    middle = n_lines // 2
    for i in range(1, n_lines + 1):
        if middle <= i < middle + len(bad):
            lines.append(bad[i - middle])
            bad_lines.append(i)
        else:
            lines.append(
                json.dumps(
                    {
                        "id": f"big-{i}",
                        "date": f"2023-05-0{rng.randint(1, 9)}",
                        "text": f"Story {i}: Peru and Chile held talks.",
                        "n": i,
                    }
                )
            )
    big = _w(d / "large_with_bad_middle.jsonl", "\n".join(lines) + "\n")
    csv_text = (
        "id,date,title,body\n"
        'r1,2024-02-01,T1,"Israel struck Gaza, officials said."\n'
        "r2,2024-02-01,T2\n"  # missing column
        "r3,2024-02-02,T3,Egypt hosted talks.,extra,extra\n"  # extra columns
        'r4,2024-02-03,T4,"unterminated quote\n'
        "r5,2024-02-04,T5,Qatar mediated.\n"
    )
    return [
        Case(
            f"malformed JSONL lines in the middle of a {n_lines:,}-line file",
            [big],
            docs=n_lines - len(bad),
            errors=[f":{i}:" for i in bad_lines],
        ),
        Case(
            "CSV with missing and extra columns",
            [_w(d / "columns.csv", csv_text)],
            docs=1,
            doc_ids=["r1"],
            errors=[":3: row has 3 columns", ":4: row has 6 columns", "unterminated quote"],
        ),
        Case(
            "CSV without a text column",
            [_w(d / "notext.csv", "id,date\n1,2024-01-01\n")],
            errors=["no text column"],
        ),
    ]


def feeds(d: Path, secret: Path, port: int | None = None) -> list[Case]:
    url = f"http://127.0.0.1:{port}/x" if port else "http://127.0.0.1:9/x"
    item = "<item><title>&xxe;</title><description>Peru met Chile.</description></item>"
    return [
        Case(
            "feed with an external file entity (XXE)",
            [
                _w(
                    d / "xxe_file.xml",
                    f'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM '
                    f'"file://{secret}">]>\n<rss version="2.0"><channel>{item}</channel></rss>',
                )
            ],
            errors=["feed refused", "DTDs and entities are not allowed"],
        ),
        Case(
            "feed with an external network entity",
            [
                _w(
                    d / "xxe_net.rss",
                    f'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{url}">]>\n'
                    f'<rss version="2.0"><channel>{item}</channel></rss>',
                )
            ],
            errors=["feed refused"],
        ),
        Case(
            "feed with an external DTD",
            [
                _w(
                    d / "xxe_dtd.xml",
                    f'<?xml version="1.0"?>\n<!DOCTYPE rss SYSTEM "{url}">\n'
                    '<rss version="2.0"><channel><item><title>T</title>'
                    "<description>Peru met Chile.</description></item></channel></rss>",
                )
            ],
            errors=["feed refused"],
        ),
        Case(
            "feed with a parameter entity",
            [
                _w(
                    d / "xxe_param.xml",
                    f'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY % p SYSTEM "{url}"> %p;]>\n'
                    '<rss version="2.0"><channel></channel></rss>',
                )
            ],
            errors=["feed refused"],
        ),
        Case(
            "feed with entity expansion (billion laughs)",
            [
                _w(
                    d / "laughs.xml",
                    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
                    + "".join(
                        f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">'
                        for i in range(1, 10)
                    )
                    + "]>\n<rss><channel><item><title>&lol9;</title></item></channel></rss>",
                )
            ],
            errors=["feed refused"],
        ),
        Case(
            "XInclude in a feed (not processed)",
            [
                _w(
                    d / "xinclude.xml",
                    '<?xml version="1.0"?><rss version="2.0" xmlns:xi="http://www.w3.org/2001/XInclude">'
                    f'<channel><item><title>XI</title><description><xi:include href="{secret}" '
                    'parse="text"/>Peru met Chile.</description><guid>xi-1</guid></item></channel></rss>',
                )
            ],
            docs=1,
            doc_ids=["xi-1"],
        ),
        Case(
            "malformed XML feed",
            [_w(d / "broken.rss", "<rss><channel><item><title>T</title></chan")],
            errors=["malformed XML feed"],
        ),
    ]


BAD_DATES = {
    "invalid": ("2024-02-30", "invalid date"),
    "invalid month": ("2024-13-01", "invalid date"),
    "zero date": ("0000-00-00", "invalid date"),
    "ambiguous": ("03/04/2024", "ambiguous date"),
    "ambiguous 2-digit year": ("3.4.24", "ambiguous date"),
    "far future": ("2999-01-01", "in the future"),
    "far past": ("1066-10-14", "before 1900"),
    "epoch-like past": ("0001-01-01", "before 1900"),
    "huge year": ("99999-01-01", "invalid date"),
    "words": ("the day after tomorrow", "invalid date"),
    "bad RFC 822 zone": ("Mon, 18 Nov 2024 09:00:00 +9999", "invalid date"),
    "not a string": ({"y": 2024}, "must be a string"),
}


def dates(d: Path) -> list[Case]:
    recs = [
        {"id": f"date-{k.replace(' ', '-')}", "date": v, "text": "Ghana and Togo signed an accord."}
        for k, (v, _) in BAD_DATES.items()
    ]
    recs.append({"id": "date-good", "date": "2024-11-18", "text": "Ghana and Togo signed an accord."})
    txt = _w(d / "baddate.txt", "Title: T\nDate: 31/12/2024\n\nGhana and Togo signed an accord.")
    return [
        Case(
            "dates: invalid, ambiguous, far future, far past",
            [_w(d / "dates.jsonl", _jl(*recs))],
            docs=1,
            doc_ids=["date-good"],
            errors=[f":{i}: bad date: " for i in range(1, len(recs))] + [m for _, m in BAD_DATES.values()],
        ),
        Case("ambiguous date in a text header", [txt], errors=["bad date: ambiguous date"]),
    ]


def names(d: Path) -> list[Case]:
    text = (
        "Title: Marks\nDate: 2024-11-18\n\nR\u200fussian\u202e troops\x07 attacked U\u200bkrainian "
        "positions near Kharkiv on Sunday.\x0bGermany\u2066 sent\u2069 humanitarian aid to Sudan.\u2028"
        "\u202bIran\u202c threatened Israel.\n"
    )
    return [
        Case(
            "control characters and right-to-left marks in names",
            [_w(d / "marks.txt", text)],
            docs=1,
            doc_ids=["marks"],
        )
    ]


def paths(d: Path) -> list[Case]:
    loop_dir = d / "looped"
    _w(loop_dir / "inner" / "ok.txt", "Title: Loop\n\nChile and Peru met in Lima.")
    (loop_dir / "inner" / "back").symlink_to(loop_dir)
    (loop_dir / "self.txt").symlink_to(loop_dir / "self.txt")
    (loop_dir / "zero.txt").symlink_to("/dev/zero")
    inside_zero = d / "inside_zero"
    _w(inside_zero / "ok.txt", "Title: Zero\n\nChile and Peru met in Lima.")
    (inside_zero / "zero.txt").symlink_to("/dev/zero")
    return [
        # /dev/zero is outside the folder: not followed by default (see test_hostile_round2)
        Case(
            "directory loop through symlinks",
            [loop_dir],
            docs=1,
            doc_ids=["inner/ok"],
            errors=[
                "directory loop",
                "broken symlink (or a symlink loop)",
                "symlink to a path outside the input directory",
            ],
        ),
        Case(
            "symlink to a device, followed on request",
            [inside_zero],
            docs=1,
            doc_ids=["ok"],
            errors=["not a regular file"],
            follow_symlinks=True,
        ),
        Case("non-existent path", [d / "does-not-exist.txt"], errors=["no such file or directory"]),
        Case("a device given as input", [Path("/dev/zero")], errors=["not a regular file"]),
    ]


def build(
    root: Path,
    heavy: bool = False,
    secret: Path | None = None,
    port: int | None = None,
    n_lines: int = 20_000,
) -> list[Case]:
    """Write every case under root (one sub-directory per group) and the GOOD stories in root/good.
    The unreadable-file case is not here: as root every file is readable (see test_hostile)."""
    root.mkdir(parents=True, exist_ok=True)
    secret = secret or _w(root / "secret" / "secret.txt", "TOP SECRET")
    for name, text in GOOD.items():
        _w(root / "good" / name, text)
    cases: list[Case] = []
    for group, make in (
        ("binary", binary_files),
        ("enc", encodings),
        ("empty", empties),
        ("markup", markup),
        ("dates", dates),
        ("names", names),
        ("paths", paths),
    ):
        cases += make(root / group)
    cases += malformed_records(root / "records", n_lines)
    cases += feeds(root / "feeds", secret, port)
    cases += huge(root / "huge", heavy)
    return cases
