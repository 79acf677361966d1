"""Reading stories from files, directories, feeds and stdin.

Every reader yields `Document` objects for good items and `InputError` objects (not raised) for bad
ones, so one bad line never stops a run: the caller reports the error and carries on.

Formats: .txt (one story; optional `Title:`/`Date:` header lines or a plain first-line title),
.html/.htm (main text and date via trafilatura), .jsonl/.ndjson (+ .gz), .csv/.tsv (+ .gz),
RSS/Atom feeds (.xml/.rss/.atom, or sniffed), a directory (recursively), or `-` for stdin.
"""
from __future__ import annotations

import csv
import datetime as dt
import email.utils
import gzip
import hashlib
import io
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from .model import Document, InputError

TEXT_EXTS = {".txt", ".text", ".md"}
HTML_EXTS = {".html", ".htm", ".xhtml"}
JSONL_EXTS = {".jsonl", ".ndjson", ".json"}
CSV_EXTS = {".csv", ".tsv"}
FEED_EXTS = {".xml", ".rss", ".atom", ".feed"}
KNOWN_EXTS = TEXT_EXTS | HTML_EXTS | JSONL_EXTS | CSV_EXTS | FEED_EXTS

# Dates outside this window are almost certainly errors (a typo, epoch 0, a 2-digit year).
EARLIEST_YEAR = 1900
FUTURE_SLACK_DAYS = 2
# One story longer than this is refused: it is not a news story, and would stall a worker.
MAX_STORY_CHARS = 60_000_000
# Bytes sniffed to tell text from binary.
SNIFF_BYTES = 8192

TEXT_FIELDS = ("text", "body", "content", "article", "story")
BODY_FIELDS = ("description", "body", "summary", "content", "text")
DATE_FIELDS = ("date", "date_published", "published", "publish_date", "pubdate", "datetime", "timestamp")


ReadItem = Document | InputError


# --------------------------------------------------------------------------- dates

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_AMBIGUOUS = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})$")


def parse_date(value: Any, today: dt.date | None = None) -> dt.date:
    """Story date from ISO 8601 (with or without time/zone), RFC 822 (feeds) or a date object.

    Raises ValueError with a clear reason for invalid, ambiguous (03/04/2024), far-past or
    far-future dates, so the caller can name the bad item.
    """
    if isinstance(value, dt.datetime):
        d = value.date()
    elif isinstance(value, dt.date):
        d = value
    else:
        s = str(value).strip()
        if not s:
            raise ValueError("empty date")
        d = None
        if _ISO_DATE.match(s):
            try:
                d = dt.datetime.fromisoformat(s.replace("Z", "+00:00")).date()
            except ValueError:
                try:
                    d = dt.date.fromisoformat(s[:10])
                except ValueError as e:
                    raise ValueError(f"invalid date {s!r}: {e}") from None
        elif _AMBIGUOUS.match(s):
            raise ValueError(f"ambiguous date {s!r}: use ISO 8601 (YYYY-MM-DD)")
        else:
            try:
                d = email.utils.parsedate_to_datetime(s).date()
            except (TypeError, ValueError, IndexError, OverflowError):
                raise ValueError(f"invalid date {s!r}: expected ISO 8601 (YYYY-MM-DD)") from None
    today = today or dt.date.today()
    if d.year < EARLIEST_YEAR:
        raise ValueError(f"date {d.isoformat()} is before {EARLIEST_YEAR}")
    if d > today + dt.timedelta(days=FUTURE_SLACK_DAYS):
        raise ValueError(f"date {d.isoformat()} is in the future")
    return d


# --------------------------------------------------------------------------- decoding

def decode_bytes(data: bytes, what: str) -> str:
    """Decode a text file: BOM-aware (UTF-8/UTF-16/UTF-32), otherwise strict UTF-8.

    Raises InputError-ready ValueError messages for binary data and invalid UTF-8."""
    if data.startswith(b"\xef\xbb\xbf"):
        return _strict(data[3:], "utf-8", what)
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return _strict(data, "utf-32", what)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _strict(data, "utf-16", what)
    if b"\x00" in data[:SNIFF_BYTES]:
        raise ValueError("binary file (NUL bytes), not text")
    return _strict(data, "utf-8", what)


def _strict(data: bytes, encoding: str, what: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as e:
        raise ValueError(f"not valid {encoding.upper()} ({e.reason} at byte {e.start}); "
                         f"re-encode the {what} as UTF-8") from None


def _doc_id(*parts: str) -> str:
    return hashlib.sha1("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _check_text(text: str, path: str, line: int | None) -> InputError | None:
    if not text or not text.strip():
        return InputError("empty text", path, line)
    if len(text) > MAX_STORY_CHARS:
        return InputError(f"story too long ({len(text):,} characters; limit {MAX_STORY_CHARS:,})",
                          path, line)
    return None


# --------------------------------------------------------------------------- records (JSONL/CSV)

def document_from_record(rec: dict[str, Any], path: str, line: int | None,
                         default_id: str | None = None) -> ReadItem:
    """Build a Document from a JSON/CSV record: id, date, text | title + description/body."""
    if not isinstance(rec, dict):
        return InputError(f"expected a JSON object, got {type(rec).__name__}", path, line)
    rec = {str(k).strip().lower() if isinstance(k, str) else str(k): v for k, v in rec.items()}
    title = _str_or_none(rec.get("title"))
    text = None
    used: set[str] = {"id", "title", "url", "link", "source", "feed"}
    for f in TEXT_FIELDS:
        if _str_or_none(rec.get(f)):
            text = _str_or_none(rec[f])
            used.add(f)
            break
    if text is None:
        for f in BODY_FIELDS:
            if _str_or_none(rec.get(f)):
                text = _str_or_none(rec[f])
                used.add(f)
                break
    if text and title and not text.startswith(title):
        text = f"{title}\n\n{text}"
    elif text is None and title:
        text = title
    err = _check_text(text or "", path, line)
    if err:
        err.reason = "missing text (need 'text', or 'title' and 'description'/'body')" if not text else err.reason
        return InputError(err.reason, path, line)
    date = None
    for f in DATE_FIELDS:
        if rec.get(f) not in (None, ""):
            used.add(f)
            try:
                date = parse_date(rec[f])
            except ValueError as e:
                return InputError(f"bad date: {e}", path, line)
            break
    doc_id = _str_or_none(rec.get("id"))
    if doc_id is None:
        doc_id = default_id or _doc_id(text)
    metadata = {k: v for k, v in rec.items() if k not in used and v not in (None, "")}
    return Document(id=doc_id, text=text, date=date, title=title,
                    url=_str_or_none(rec.get("url") or rec.get("link")),
                    source=_str_or_none(rec.get("source") or rec.get("feed")),
                    metadata=_jsonable(metadata), origin=f"{path}:{line}" if line else path)


def _str_or_none(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, float) and v != v:  # NaN from CSV readers
        return None
    s = str(v).strip()
    return s or None


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    try:
        json.dumps(d)
        return d
    except (TypeError, ValueError):
        return {k: str(v) for k, v in d.items()}


def _open_binary(path: Path) -> BinaryIO:
    if path.suffix.lower() == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def _inner_suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def read_jsonl_stream(stream: BinaryIO, name: str) -> Iterator[ReadItem]:
    """One JSON object per line. Malformed lines become InputErrors; the rest go on."""
    lineno = 0
    try:
        for raw in stream:
            lineno += 1
            if not raw.strip():
                continue
            try:
                line = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
            except UnicodeDecodeError as e:
                yield InputError(f"not valid UTF-8 ({e.reason} at byte {e.start})", name, lineno)
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                yield InputError(f"malformed JSON ({e.msg} at column {e.colno})", name, lineno)
                continue
            except RecursionError:
                yield InputError("malformed JSON (nested too deeply)", name, lineno)
                continue
            yield document_from_record(rec, name, lineno, default_id=None)
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        yield InputError(f"read failed after line {lineno}: {e}", name, None)


def read_csv_stream(stream: BinaryIO, name: str, delimiter: str = ",") -> Iterator[ReadItem]:
    text_stream = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="strict", newline="")
    csv.field_size_limit(MAX_STORY_CHARS)
    try:
        reader = csv.reader(text_stream, delimiter=delimiter)
        header = next(reader, None)
        if not header:
            yield InputError("empty CSV file (no header row)", name, None)
            return
        header = [h.strip().lower() for h in header]
        if not ({"text", "title", "description", "body"} & set(header)):
            yield InputError(f"CSV header has no text column (need 'text', or 'title' plus "
                             f"'description'/'body'); found: {', '.join(header)}", name, 1)
            return
        row_no = 1
        for row in reader:
            row_no = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                yield InputError(f"row has {len(row)} columns, header has {len(header)}", name, row_no)
                continue
            yield document_from_record(dict(zip(header, row)), name, row_no)
    except UnicodeDecodeError as e:
        yield InputError(f"not valid UTF-8 ({e.reason}); re-encode the file as UTF-8", name, None)
    except csv.Error as e:
        yield InputError(f"malformed CSV: {e}", name, None)


# --------------------------------------------------------------------------- text / html / feed

_HEADER = re.compile(r"^(title|date|source|url|id)\s*:\s*(.*)$", re.I)


def document_from_text(text: str, name: str, default_id: str) -> ReadItem:
    """A plain story: optional `Title:`, `Date:`, `Source:`, `URL:`, `ID:` header lines, else a
    short first line followed by a blank line is the title."""
    lines = text.split("\n")
    fields: dict[str, str] = {}
    i = 0
    while i < len(lines) and (m := _HEADER.match(lines[i].strip())):
        fields[m.group(1).lower()] = m.group(2).strip()
        i += 1
    body = "\n".join(lines[i:]).strip()
    title = fields.get("title")
    if title is None and len(lines) > 2 and lines[0].strip() and not lines[1].strip() \
            and len(lines[0]) < 200 and not lines[0].rstrip().endswith("."):
        title = lines[0].strip()
    date = None
    if fields.get("date"):
        try:
            date = parse_date(fields["date"])
        except ValueError as e:
            return InputError(f"bad date: {e}", name, None)
    if title and not body.startswith(title):
        body = f"{title}\n\n{body}"
    err = _check_text(body, name, None)
    if err:
        return err
    return Document(id=fields.get("id") or default_id, text=body, date=date, title=title,
                    url=fields.get("url"), source=fields.get("source"), origin=name)


def read_text_file(path: Path, root: Path | None = None) -> ReadItem:
    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        return InputError(f"cannot read: {e.strerror or e}", name)
    try:
        text = decode_bytes(data, "file")
    except ValueError as e:
        return InputError(str(e), name)
    return document_from_text(text, name, default_id=_file_id(path, root))


def _file_id(path: Path, root: Path | None) -> str:
    try:
        rel = path.resolve().relative_to(root.resolve()) if root else Path(path.name)
    except ValueError:
        rel = Path(path.name)
    return str(rel.with_suffix("")).replace(os.sep, "/")


def read_html_file(path: Path, root: Path | None = None) -> ReadItem:
    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        return InputError(f"cannot read: {e.strerror or e}", name)
    if b"\x00" in data[:SNIFF_BYTES] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return InputError("binary file (NUL bytes), not HTML", name)
    return document_from_html(data, name, _file_id(path, root))


def document_from_html(data: bytes | str, name: str, default_id: str) -> ReadItem:
    import trafilatura

    try:
        html = data if isinstance(data, str) else decode_bytes(data, "HTML file")
    except ValueError:
        # HTML often declares its own charset; let trafilatura's detection try the bytes.
        html = data  # type: ignore[assignment]
    try:
        extracted = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False,
                                                include_tables=False, favor_precision=True)
    except Exception as e:  # trafilatura/lxml raise many types on hostile markup
        return InputError(f"HTML could not be parsed: {type(e).__name__}: {e}", name)
    if extracted is None:
        return InputError("no article text found in HTML", name)
    meta = extracted.as_dict() if hasattr(extracted, "as_dict") else dict(extracted)
    text = (meta.get("text") or "").strip()
    title = (meta.get("title") or "").strip() or None
    if title and text and not text.startswith(title):
        text = f"{title}\n\n{text}"
    err = _check_text(text, name, None)
    if err:
        return InputError("no article text found in HTML", name) if not text else err
    date = None
    if meta.get("date"):
        try:
            date = parse_date(meta["date"])
        except ValueError:
            date = None  # a page's guessed date is a hint, not a promise
    return Document(id=default_id, text=text, date=date, title=title, url=meta.get("url"),
                    source=meta.get("sitename") or meta.get("hostname"), origin=name)


_ATOM = "{http://www.w3.org/2005/Atom}"
_RSS1 = "{http://purl.org/rss/1.0/}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
_TAGS = re.compile(r"<[^>]{0,2000}>")


def read_feed_bytes(data: bytes, name: str) -> Iterator[ReadItem]:
    """RSS 2.0, RSS 1.0 and Atom, parsed with defusedxml: DTDs, entity expansion and external
    entities are refused, so a feed can never make us read a file or the network."""
    import html as html_lib

    import defusedxml.ElementTree as DET
    from defusedxml import DefusedXmlException

    try:
        root = DET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as e:
        yield InputError(f"feed refused: {type(e).__name__} (DTDs and entities are not allowed)", name)
        return
    except Exception as e:  # xml.etree ParseError and friends
        yield InputError(f"malformed XML feed: {e}", name)
        return

    def text_of(el, *tags):
        for t in tags:
            c = el.find(t)
            if c is not None:
                if c.text and c.text.strip():
                    return c.text.strip()
                if t.endswith("link") and c.get("href"):
                    return c.get("href")
        return None

    channel_title = None
    items = []
    if root.tag == f"{_ATOM}feed":
        channel_title = text_of(root, f"{_ATOM}title")
        items = [(e, "atom") for e in root.findall(f"{_ATOM}entry")]
    else:
        ch = root.find("channel")
        if ch is None:
            ch = root.find(f"{_RSS1}channel")
        if ch is not None:
            channel_title = text_of(ch, "title", f"{_RSS1}title")
        items = [(e, "rss") for e in root.iter() if e.tag in ("item", f"{_RSS1}item")]
    if not items:
        yield InputError("feed has no items/entries (not RSS or Atom?)", name)
        return
    for n, (el, kind) in enumerate(items, 1):
        if kind == "atom":
            title = text_of(el, f"{_ATOM}title")
            body = text_of(el, f"{_ATOM}content", f"{_ATOM}summary")
            date = text_of(el, f"{_ATOM}published", f"{_ATOM}updated")
            link = text_of(el, f"{_ATOM}link")
            guid = text_of(el, f"{_ATOM}id")
        else:
            title = text_of(el, "title", f"{_RSS1}title")
            body = text_of(el, f"{_CONTENT}encoded", "description", f"{_RSS1}description")
            date = text_of(el, "pubDate", f"{_DC}date")
            link = text_of(el, "link", f"{_RSS1}link")
            guid = text_of(el, "guid")
        if body:
            body = html_lib.unescape(_TAGS.sub(" ", body))
        rec = {"id": guid or link, "title": title and html_lib.unescape(_TAGS.sub(" ", title)),
               "description": body, "date": date, "url": link, "source": channel_title}
        yield document_from_record(rec, name, None, default_id=_doc_id(name, str(n), title or ""))


def read_feed_file(path: Path) -> Iterator[ReadItem]:
    try:
        data = path.read_bytes()
    except OSError as e:
        yield InputError(f"cannot read: {e.strerror or e}", str(path))
        return
    yield from read_feed_bytes(data, str(path))


def _looks_like_feed(head: bytes) -> bool:
    h = head.lstrip()[:512].lower()
    return h.startswith(b"<?xml") or h.startswith(b"<rss") or h.startswith(b"<feed") or b"<rss" in h


# --------------------------------------------------------------------------- dispatch

def read_path(path: Path, root: Path | None = None) -> Iterator[ReadItem]:
    suffix = _inner_suffix(path)
    name = str(path)
    if suffix in JSONL_EXTS:
        try:
            with _open_binary(path) as f:
                yield from read_jsonl_stream(f, name)
        except OSError as e:
            yield InputError(f"cannot read: {e.strerror or e}", name)
    elif suffix in CSV_EXTS:
        try:
            with _open_binary(path) as f:
                yield from read_csv_stream(f, name, delimiter="\t" if suffix == ".tsv" else ",")
        except OSError as e:
            yield InputError(f"cannot read: {e.strerror or e}", name)
    elif suffix in HTML_EXTS:
        yield read_html_file(path, root)
    elif suffix in FEED_EXTS:
        yield from read_feed_file(path)
    else:
        # .txt and unknown extensions: sniff feeds, otherwise plain text.
        try:
            with open(path, "rb") as f:
                head = f.read(1024)
        except OSError as e:
            yield InputError(f"cannot read: {e.strerror or e}", name)
            return
        if _looks_like_feed(head):
            yield from read_feed_file(path)
        elif head.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
            yield read_html_file(path, root)
        else:
            yield read_text_file(path, root)


def walk_directory(root: Path) -> Iterator[Path | InputError]:
    """Files below root in a stable order, following symlinks but never the same directory twice
    (so a symlink loop ends with an error instead of recursing forever). Hidden files skipped."""
    seen: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        d = stack.pop()
        try:
            st = d.stat()
        except OSError as e:
            yield InputError(f"cannot read directory: {e.strerror or e}", str(d))
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen:
            yield InputError("directory loop (symlink to a directory already read); skipped", str(d))
            continue
        seen.add(key)
        try:
            entries = sorted(d.iterdir(), key=lambda p: p.name)
        except OSError as e:
            yield InputError(f"cannot read directory: {e.strerror or e}", str(d))
            continue
        subdirs = []
        for p in entries:
            if p.name.startswith("."):
                continue
            try:
                if p.is_dir():
                    subdirs.append(p)
                elif p.is_file():
                    yield p
                elif not p.exists():
                    yield InputError("broken symlink", str(p))
            except OSError as e:
                yield InputError(f"cannot read: {e.strerror or e}", str(p))
        stack.extend(reversed(subdirs))


def read_inputs(inputs: Iterable[str], stdin: BinaryIO | None = None) -> Iterator[ReadItem]:
    """Documents (and errors) from every input, in order. Directories are read recursively."""
    for spec in inputs:
        if spec == "-":
            stream = stdin or sys.stdin.buffer
            data = stream.read()
            yield from read_stdin_bytes(data)
            continue
        path = Path(spec)
        if not path.exists():
            yield InputError("no such file or directory", spec)
            continue
        if path.is_dir():
            for item in walk_directory(path):
                if isinstance(item, InputError):
                    yield item
                elif _inner_suffix(item) in KNOWN_EXTS or not item.suffix:
                    yield from read_path(item, root=path)
            continue
        yield from read_path(path, root=path.parent)


def read_stdin_bytes(data: bytes) -> Iterator[ReadItem]:
    head = data.lstrip()[:1]
    if head == b"{":
        yield from read_jsonl_stream(io.BytesIO(data), "<stdin>")
    elif _looks_like_feed(data[:1024]):
        yield from read_feed_bytes(data, "<stdin>")
    else:
        try:
            text = decode_bytes(data, "input")
        except ValueError as e:
            yield InputError(str(e), "<stdin>")
            return
        yield document_from_text(text, "<stdin>", default_id="stdin-" + _doc_id(text))
