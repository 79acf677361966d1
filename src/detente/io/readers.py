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
import fcntl
import gzip
import hashlib
import html as html_lib
import io
import json
import math
import os
import re
import stat
import sys
import zlib
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import defusedxml.ElementTree as DET
import trafilatura
from defusedxml import DefusedXmlException

from detente.errors import InputError
from detente.model import Document
from detente.settings import current

TEXT_EXTS = {".txt", ".text", ".md"}
HTML_EXTS = {".html", ".htm", ".xhtml"}
JSONL_EXTS = {".jsonl", ".ndjson", ".json"}
CSV_EXTS = {".csv", ".tsv"}
FEED_EXTS = {".xml", ".rss", ".atom", ".feed"}
KNOWN_EXTS = TEXT_EXTS | HTML_EXTS | JSONL_EXTS | CSV_EXTS | FEED_EXTS

# Dates outside this window are almost certainly errors (a typo, epoch 0, a 2-digit year).
EARLIEST_YEAR = 1900
FUTURE_SLACK_DAYS = 2
# One story longer than this is refused: it is not a news story, and would stall a worker (spaCy
# parses roughly 30-40k characters a second on one core, so 500k characters is ~15 s; a 50 MB
# "story" would take half an hour). Raise it with `detente code --max-chars N`, the environment
# variable DETENTE_MAX_STORY_CHARS, or the `max_chars` argument of the readers.
# (DEFAULT_MAX_STORY_CHARS = 500,000 is in settings, which reads the variable.)
MAX_STORY_CHARS = current().max_story_chars
# A document id longer than this is refused (ids are keys, not content).
MAX_ID_CHARS = 1000
# Feeds hold many stories; a feed file larger than this is refused before it is parsed.
MAX_FEED_BYTES = 100_000_000
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
        shown = repr(s) if len(s) <= 60 else repr(s[:57] + "...")
        d = None
        if _ISO_DATE.match(s):
            try:
                # every "Z" becomes "+00:00" (a trailing one only would be the same for valid dates)
                d = dt.datetime.fromisoformat(s.replace("Z", "+00:00")).date()  # noqa: FURB162
            except ValueError:
                try:
                    d = dt.date.fromisoformat(s[:10])
                except ValueError as e:
                    raise ValueError(f"invalid date {shown}: {e}") from None
        elif _AMBIGUOUS.match(s):
            raise ValueError(f"ambiguous date {shown}: use ISO 8601 (YYYY-MM-DD)")
        else:
            try:
                d = email.utils.parsedate_to_datetime(s).date()
            except (TypeError, ValueError, IndexError, OverflowError):
                raise ValueError(f"invalid date {shown}: expected ISO 8601 (YYYY-MM-DD)") from None
    today = today or dt.date.today()
    if d.year < EARLIEST_YEAR:
        raise ValueError(f"date {d.isoformat()} is before {EARLIEST_YEAR}")
    if d > today + dt.timedelta(days=FUTURE_SLACK_DAYS):
        raise ValueError(f"date {d.isoformat()} is in the future")
    return d


# --------------------------------------------------------------------------- limits and cleaning


def _limit(max_chars: int | None) -> int:
    """The story-length limit in force: the caller's, else the module's (env-configurable)."""
    return int(max_chars) if max_chars else MAX_STORY_CHARS


def _max_text_bytes(max_chars: int) -> int:
    # UTF-8 needs up to 4 bytes a character; allow header lines on top.
    return 4 * max_chars + 65_536


def _max_line_bytes(max_chars: int) -> int:
    # A JSON line may escape every character as \uXXXX (6 bytes), plus the other fields.
    return 6 * max_chars + 65_536


def _max_html_bytes(max_chars: int) -> int:
    # Pages carry markup, scripts and styles around the text; extraction time grows with the page
    # (about 4 s a megabyte for trafilatura), so the page is bounded too.
    return 8 * max_chars


def _too_long(n: int, unit: str, max_chars: int) -> str:
    return (
        f"story too long ({n:,} {unit}; limit {max_chars:,} characters, raise it with "
        f"--max-chars or DETENTE_MAX_STORY_CHARS)"
    )


_SURROGATES = re.compile("[\ud800-\udfff]")


def _clean_str(s: str) -> str:
    """Lone UTF-16 surrogates (possible through JSON \\ud800 escapes) cannot be stored as UTF-8:
    replace them with U+FFFD."""
    return _SURROGATES.sub("\ufffd", s) if _SURROGATES.search(s) else s


_NOT_ESCAPED_BYTE = re.compile("[\ud800-\udc7f\udd00-\udfff]")
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def display_name(s: str | os.PathLike) -> str:
    """A file name as text that can be stored, printed and read back on one line.

    POSIX file names are bytes: a name that is not UTF-8 (`b'caf\\xe9.txt'`) reaches Python with
    lone surrogates (surrogateescape), which cannot be encoded, stored or printed; and a name may
    hold a newline, which would let it forge an extra `error:` line. Undecodable bytes become
    `\\xe9`, control, line-breaking and bidirectional characters become escapes (`\\n`,
    `\\u202e`). Deterministic, so ids made from names are stable across runs."""
    s = os.fspath(s)
    if isinstance(s, bytes):
        s = os.fsdecode(s)
    if _SURROGATES.search(s):
        # surrogates that are not escaped bytes (e.g. from a JSON "\\ud800") are written as \\uXXXX
        s = _NOT_ESCAPED_BYTE.sub(lambda m: f"\\u{ord(m.group()):04x}", s)
        s = s.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    if _UNPRINTABLE.search(s):
        s = _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), s)
    return s


def _clean_json(v: Any, depth: int = 0) -> Any:
    """Metadata made storable: no lone surrogates, no NaN/Infinity, bounded nesting."""
    if isinstance(v, str):
        return _clean_str(v)
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if v is None or isinstance(v, (bool, int)):
        return v
    if depth >= 32:
        try:
            return _clean_str(json.dumps(v, default=str)[:10_000])
        except (TypeError, ValueError, RecursionError):
            return "<unrepresentable>"
    if isinstance(v, dict):
        return {_clean_str(str(k)): _clean_json(x, depth + 1) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean_json(x, depth + 1) for x in v]
    return _clean_str(str(v))


# --------------------------------------------------------------------------- decoding


def _utf16_without_bom(data: bytes) -> bool:
    head = data[:SNIFF_BYTES]
    if len(head) < 4:
        return False
    even, odd = head[0::2], head[1::2]
    return (odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.1 * len(even)) or (
        even.count(0) > 0.4 * len(even) and odd.count(0) < 0.1 * len(odd)
    )


def _binary_message(data: bytes, what: str = "text") -> str:
    if _utf16_without_bom(data):
        return (
            "looks like UTF-16 without a byte-order mark (NUL bytes); re-encode the file as "
            "UTF-8 or add a BOM"
        )
    return f"binary file (NUL bytes), not {what}"


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
        raise ValueError(_binary_message(data))
    return _strict(data, "utf-8", what)


def _strict(data: bytes, encoding: str, what: str) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as e:
        raise ValueError(
            f"not valid {encoding.upper()} ({e.reason} at byte {e.start}); re-encode the {what} as UTF-8"
        ) from None
    if encoding != "utf-8" and text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:
        raise ValueError(f"binary data (NUL characters) in the {what}, not text")
    return text


def _stream_encoding(head: bytes) -> str | None:
    """The encoding a BOM announces (utf-8-sig, utf-16, utf-32), or None."""
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "utf-32"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    return None


class _Prefixed(io.RawIOBase):
    """A stream with bytes already read from it put back in front (for sniffing)."""

    def __init__(self, head: bytes, rest: BinaryIO):
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        if self._head:
            n = min(len(b), len(self._head))
            b[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(b))
        n = len(data)
        b[:n] = data
        return n


def _sniffed(stream: BinaryIO) -> tuple[bytes, io.BufferedReader]:
    head = stream.read(SNIFF_BYTES)
    return head, io.BufferedReader(_Prefixed(head, stream), buffer_size=1 << 16)


def _doc_id(*parts: str) -> str:
    return hashlib.sha1("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:16]


_WORDISH = re.compile(r"\w")


def _check_text(text: str, path: str, line: int | None, max_chars: int | None = None) -> InputError | None:
    limit = _limit(max_chars)
    if not text or not text.strip():
        return InputError("empty text", path, line)
    if len(text) > limit:
        return InputError(_too_long(len(text), "characters", limit), path, line)
    if not _WORDISH.search(text):
        return InputError(
            "empty text (no letters or digits, only punctuation or control characters)", path, line
        )
    return None


# --------------------------------------------------------------------------- records (JSONL/CSV)


# fields that name the story rather than hold its text (never kept as metadata)
_NAMING_FIELDS = ("id", "title", "url", "link", "source", "feed")


def document_from_record(
    rec: dict[str, Any],
    path: str,
    line: int | None,
    default_id: str | None = None,
    max_chars: int | None = None,
) -> ReadItem:
    """Build a Document from a JSON/CSV record: id, date, text | title + description/body."""
    if not isinstance(rec, dict):
        return InputError(f"expected a JSON object, got {_json_type(rec)}", path, line)
    rec = {_clean_str(k.strip().lower()) if isinstance(k, str) else str(k): v for k, v in rec.items()}
    nested = next((f for f in _NAMING_FIELDS + TEXT_FIELDS + BODY_FIELDS if _is_nested(rec.get(f))), None)
    if nested:
        return InputError(f"field '{nested}' must be a string, got {_json_type(rec[nested])}", path, line)
    used: set[str] = set(_NAMING_FIELDS)
    title = _str_or_none(rec.get("title"))
    text = _record_text(rec, title, used)
    if not text:
        return InputError("missing text (need 'text', or 'title' and 'description'/'body')", path, line)
    err = _check_text(text, path, line, max_chars)
    if err:
        return err
    date = _record_date(rec, used, path, line)
    if isinstance(date, InputError):
        return date
    doc_id = _str_or_none(rec.get("id")) or default_id or _doc_id(text)
    if len(doc_id) > MAX_ID_CHARS:
        return InputError(f"id too long ({len(doc_id):,} characters; limit {MAX_ID_CHARS:,})", path, line)
    metadata = {k: v for k, v in rec.items() if k not in used and v not in (None, "")}
    return Document(
        id=doc_id,
        text=text,
        date=date,
        title=title,
        url=_str_or_none(rec.get("url") or rec.get("link")),
        source=_str_or_none(rec.get("source") or rec.get("feed")),
        metadata=_jsonable(metadata),
        origin=f"{path}:{line}" if line else path,
    )


def _is_nested(v: Any) -> bool:
    return isinstance(v, (dict, list))


def _record_text(rec: dict[str, Any], title: str | None, used: set[str]) -> str | None:
    """The story text: the first non-empty text field, else the first body field (a summary),
    with the title in front when the text does not start with it; the title alone without
    either. The field read is added to `used`."""
    text = None
    for f in TEXT_FIELDS + BODY_FIELDS:
        text = _str_or_none(rec.get(f))
        if text:
            used.add(f)
            break
    if text and title and not text.startswith(title):
        return f"{title}\n\n{text}"
    return text or title


def _record_date(
    rec: dict[str, Any], used: set[str], path: str, line: int | None
) -> dt.date | InputError | None:
    """The date of the first non-empty date field (added to `used`), None without one, or the
    error saying why it is not a date."""
    for f in DATE_FIELDS:
        value = rec.get(f)
        if value in (None, ""):
            continue
        used.add(f)
        if isinstance(value, (dict, list, bool)):
            return InputError(f"bad date: field '{f}' must be a string, got {_json_type(value)}", path, line)
        try:
            return parse_date(value)
        except ValueError as e:
            return InputError(f"bad date: {e}", path, line)
    return None


def _json_type(v: Any) -> str:
    return {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        type(None): "null",
        int: "a number",
        float: "a number",
    }.get(type(v), type(v).__name__)


def _str_or_none(v: Any) -> str | None:
    if v is None or isinstance(v, (dict, list)):
        return None
    if isinstance(v, float) and math.isnan(v):  # NaN from CSV readers
        return None
    s = _clean_str(str(v)).strip()
    return s or None


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    d = _clean_json(d)
    try:
        json.dumps(d, allow_nan=False)
        return d
    except (TypeError, ValueError, RecursionError):
        return {k: _clean_str(str(v))[:10_000] for k, v in d.items()}


def _open_binary(path: Path) -> BinaryIO:
    if path.suffix.lower() == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def _inner_suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


# Errors a (possibly gzipped) stream can raise while being read: truncated or corrupt archives,
# I/O errors (a disk going away, EIO), permissions.
_STREAM_ERRORS = (OSError, EOFError, zlib.error)


def _stream_error(e: BaseException, after: int, name: str) -> InputError:
    if isinstance(e, gzip.BadGzipFile):
        why = f"not a gzip file ({e})"
    elif isinstance(e, (EOFError, zlib.error)):
        why = f"corrupt or truncated gzip data ({e or type(e).__name__})"
    else:
        why = getattr(e, "strerror", None) or str(e) or type(e).__name__
    return InputError(f"read failed after line {after}: {why}", name, None)


def _bounded_lines(readline, max_len: int) -> Iterator[tuple[Any, int]]:
    """(line, length) pairs; a line longer than max_len is drained without being kept and
    yielded as (None, length), so one endless line never fills memory."""
    while True:
        raw = readline(max_len + 1)
        if not raw:
            return
        if len(raw) > max_len and raw[-1:] not in (b"\n", "\n"):
            n = len(raw)
            while True:
                chunk = readline(1 << 20)
                n += len(chunk)
                if not chunk or chunk[-1:] in (b"\n", "\n"):
                    break
            yield None, n
        else:
            yield raw, len(raw)


def read_jsonl_stream(stream: BinaryIO, name: str, max_chars: int | None = None) -> Iterator[ReadItem]:
    """One JSON object per line. Malformed lines become InputErrors; the rest go on.

    UTF-8 (with or without BOM), or UTF-16/UTF-32 with a BOM. Lines longer than the story limit
    allows are skipped without being held in memory."""
    limit = _limit(max_chars)
    max_line = _max_line_bytes(limit)
    lineno = 0
    records = 0
    try:
        head, buffered = _sniffed(stream)
        encoding = _stream_encoding(head)
        if encoding in ("utf-16", "utf-32"):
            text_stream = io.TextIOWrapper(buffered, encoding=encoding, errors="strict", newline=None)
            lines = (
                (ln.encode("utf-8", "surrogatepass") if ln is not None else None, n)
                for ln, n in _bounded_lines(text_stream.readline, max_line)
            )
        else:
            if b"\x00" in head:
                yield InputError(_binary_message(head, "JSON lines"), name, None)
                return
            lines = _bounded_lines(buffered.readline, max_line)
        for raw, length in lines:
            lineno += 1
            if raw is None:
                records += 1
                yield InputError(
                    f"line too long ({length:,} bytes; limit {max_line:,} bytes for a "
                    f"{limit:,}-character story, raise it with --max-chars)",
                    name,
                    lineno,
                )
                continue
            if not raw.strip():
                continue
            records += 1
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
            except ValueError as e:  # e.g. an integer of more than 4300 digits
                yield InputError(f"malformed JSON ({str(e).split(':')[0]})", name, lineno)
                continue
            yield document_from_record(rec, name, lineno, default_id=None, max_chars=limit)
    except UnicodeDecodeError as e:  # UTF-16/32 stream with a bad code unit
        yield InputError(
            f"not valid {encoding.upper()} ({e.reason}) after line {lineno}; re-encode the file as UTF-8",
            name,
            None,
        )
        return
    except _STREAM_ERRORS as e:
        yield _stream_error(e, lineno, name)
        return
    if records == 0:
        yield InputError("empty file (no JSON lines)", name, None)


@dataclass
class _CsvRead:
    """The state of reading one CSV stream: its limits, the row being read (for error messages)
    and the physical lines that could not be decoded (reported with the row that holds them)."""

    name: str
    limit: int  # longest story, in characters
    row_no: int = 0
    bad_lines: dict[int, str] = field(default_factory=dict)  # physical line -> why

    @property
    def field_limit(self) -> int:
        return self.limit + 65_536

    def utf8_lines(self, buffered: BinaryIO) -> Iterator[str]:
        """Decoded lines for csv.reader; an over-long or undecodable line is noted in bad_lines
        and replaced by a stand-in, so the rows after it are still read."""
        n = 0
        for raw, length in _bounded_lines(buffered.readline, _max_line_bytes(self.limit)):
            n += 1
            if raw is None:  # an over-long line: hand csv a stand-in of the same shape
                self.bad_lines[n] = _too_long(length, "bytes in one line", self.limit)
                yield "\n"
                continue
            try:
                yield raw.decode("utf-8-sig" if n == 1 else "utf-8")
            except UnicodeDecodeError as e:
                self.bad_lines[n] = f"not valid UTF-8 ({e.reason} at byte {e.start} of the line)"
                yield raw.decode("utf-8", "replace")

    def row_error(self, error: csv.Error) -> InputError:
        msg = str(error)
        if "field larger than field limit" in msg:
            msg = _too_long(self.field_limit, "characters or more in one field", self.limit)
        elif "unexpected end of data" in msg:
            msg = (
                "malformed CSV row: unexpected end of data (an unterminated quote took in "
                "every line after it)"
            )
        else:
            msg = f"malformed CSV row: {msg}"
        return InputError(msg, self.name, self.row_no)

    def row_item(self, row: list[str], header: list[str], first_line: int) -> ReadItem | None:
        """The document of one row (physical lines first_line..row_no), its error, or None for a
        blank row."""
        lines = range(first_line, self.row_no + 1)
        why = next((self.bad_lines.pop(i) for i in lines if i in self.bad_lines), None)
        if why:
            return InputError(why, self.name, self.row_no)
        if not any(cell.strip() for cell in row):
            return None
        if len(row) != len(header):
            return InputError(f"row has {len(row)} columns, header has {len(header)}", self.name, self.row_no)
        return document_from_record(dict(zip(header, row)), self.name, self.row_no, max_chars=self.limit)


# a CSV header needs one of these to hold a story
CSV_TEXT_COLUMNS = frozenset({"text", "title", "description", "body"})


def read_csv_stream(
    stream: BinaryIO, name: str, delimiter: str = ",", max_chars: int | None = None
) -> Iterator[ReadItem]:
    """A CSV/TSV corpus with a header row. UTF-8 (BOM optional) or UTF-16/32 with a BOM. A bad row
    (wrong number of columns, malformed quoting, bad encoding, an over-long field) is reported and
    skipped; the rows after it are still read."""
    state = _CsvRead(name, _limit(max_chars))
    encoding = "utf-8-sig"
    try:
        head, buffered = _sniffed(stream)
        encoding = _stream_encoding(head) or "utf-8-sig"
        if encoding == "utf-8-sig" and b"\x00" in head:
            yield InputError(_binary_message(head, "CSV"), name, None)
            return
        if not head.strip():
            yield InputError("empty CSV file (no header row)", name, None)
            return
        if encoding == "utf-8-sig":
            lines = state.utf8_lines(buffered)
        else:
            lines = io.TextIOWrapper(buffered, encoding=encoding, errors="strict", newline="")
        # Fields may be as long as a story (plus slack); longer ones are errors, not memory hogs.
        csv.field_size_limit(max(state.field_limit, 131_072))
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
        header = yield from _csv_header(reader, state)
        if header is not None:
            yield from _csv_rows(reader, header, state)
    except UnicodeDecodeError as e:
        yield InputError(
            f"not valid {encoding.upper()} ({e.reason}) after line {state.row_no}; re-encode the file as UTF-8",
            name,
            None,
        )
    except _STREAM_ERRORS as e:
        yield _stream_error(e, state.row_no, name)


def _csv_header(reader, state: _CsvRead) -> Generator[InputError, None, list[str] | None]:
    """Read the header row (after any blank lines), yielding why it is unusable; returns the
    column names (stripped, lower-case) or None."""
    header = None
    while header is None:
        try:
            header = next(reader, None)
        except csv.Error as e:
            yield InputError(f"malformed CSV header: {e}", state.name, reader.line_num or 1)
            return None
        if header is None:
            yield InputError("empty CSV file (no header row)", state.name, None)
            return None
        if not any(h.strip() for h in header):
            header = None  # leading blank lines
    if state.bad_lines:
        yield InputError(f"CSV header: {next(iter(state.bad_lines.values()))}", state.name, reader.line_num)
        return None
    header = [_clean_str(h.strip().lower()) for h in header]
    if not (CSV_TEXT_COLUMNS & set(header)):
        shown = ", ".join(header)[:300]
        yield InputError(
            f"CSV header has no text column (need 'text', or 'title' plus "
            f"'description'/'body'); found: {shown}",
            state.name,
            1,
        )
        return None
    return header


def _csv_rows(reader, header: list[str], state: _CsvRead) -> Iterator[ReadItem]:
    """The rows after the header: a document or an error each (blank rows skipped)."""
    prev_line = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            state.row_no = reader.line_num
            yield state.row_error(e)
            prev_line = state.row_no
            continue
        state.row_no = reader.line_num
        first, prev_line = prev_line + 1, state.row_no
        item = state.row_item(row, header, first)
        if item is not None:
            yield item


# --------------------------------------------------------------------------- text / html / feed

_HEADER = re.compile(r"^(title|date|source|url|id)\s*:\s*(.*)$", re.IGNORECASE)


def document_from_text(text: str, name: str, default_id: str, max_chars: int | None = None) -> ReadItem:
    """A plain story: optional `Title:`, `Date:`, `Source:`, `URL:`, `ID:` header lines, else a
    short first line followed by a blank line is the title."""
    limit = _limit(max_chars)
    text = _clean_str(text)
    if len(text) > limit + 65_536:  # refuse before splitting a huge text into lines
        return InputError(_too_long(len(text), "characters", limit), name, None)
    lines = text.split("\n", 64)
    fields: dict[str, str] = {}
    i = 0
    while i < min(len(lines), 64) and (m := _HEADER.match(lines[i].strip())):
        fields[m.group(1).lower()] = m.group(2).strip()
        i += 1
    body = "\n".join(lines[i:]).strip()
    title = fields.get("title")
    if (
        title is None
        and len(lines) > 2
        and lines[0].strip()
        and not lines[1].strip()
        and len(lines[0]) < 200
        and not lines[0].rstrip().endswith(".")
    ):
        title = lines[0].strip()
    date = None
    if fields.get("date"):
        try:
            date = parse_date(fields["date"])
        except ValueError as e:
            return InputError(f"bad date: {e}", name, None)
    if title and not body.startswith(title):
        body = f"{title}\n\n{body}"
    err = _check_text(body, name, None, limit)
    if err:
        return err
    doc_id = fields.get("id") or default_id
    if len(doc_id) > MAX_ID_CHARS:
        return InputError(f"id too long ({len(doc_id):,} characters; limit {MAX_ID_CHARS:,})", name, None)
    return Document(
        id=doc_id,
        text=body,
        date=date,
        title=title,
        url=fields.get("url"),
        source=fields.get("source"),
        origin=name,
    )


def _read_bounded(path: Path, max_bytes: int, what: str, max_chars: int) -> bytes | InputError:
    """The bytes of a file, or an InputError if it cannot be read or is larger than max_bytes
    (checked before reading for regular files; read at most max_bytes + 1 from pipes)."""
    name = display_name(path)
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            if stat.S_ISREG(st.st_mode) and st.st_size > max_bytes:
                return InputError(_too_long(st.st_size, f"bytes of {what}", max_chars), name)
            data = f.read(max_bytes + 1)
    except OSError as e:
        return InputError(f"cannot read: {e.strerror or e}", name)
    if len(data) > max_bytes:
        return InputError(_too_long(len(data), f"bytes or more of {what}", max_chars), name)
    return data


def read_text_file(path: Path, root: Path | None = None, max_chars: int | None = None) -> ReadItem:
    name = display_name(path)
    limit = _limit(max_chars)
    data = _read_bounded(path, _max_text_bytes(limit), "text", limit)
    if isinstance(data, InputError):
        return data
    try:
        text = decode_bytes(data, "file")
    except ValueError as e:
        return InputError(str(e), name)
    return document_from_text(text, name, default_id=_file_id(path, root), max_chars=limit)


def _file_id(path: Path, root: Path | None) -> str:
    try:
        rel = path.resolve().relative_to(root.resolve()) if root else Path(path.name)
    except (ValueError, OSError, RuntimeError):
        rel = Path(path.name)
    return display_name(str(rel.with_suffix("")).replace(os.sep, "/"))


def read_html_file(path: Path, root: Path | None = None, max_chars: int | None = None) -> ReadItem:
    name = display_name(path)
    limit = _limit(max_chars)
    data = _read_bounded(path, _max_html_bytes(limit), "HTML", limit)
    if isinstance(data, InputError):
        return data
    if b"\x00" in data[:SNIFF_BYTES] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return InputError(_binary_message(data, "HTML"), name)
    return document_from_html(data, name, _file_id(path, root), max_chars=limit)


def document_from_html(
    data: bytes | str, name: str, default_id: str, max_chars: int | None = None
) -> ReadItem:
    limit = _limit(max_chars)
    if len(data) > _max_html_bytes(limit):
        return InputError(_too_long(len(data), "bytes of HTML", limit), name)
    try:
        html = data if isinstance(data, str) else decode_bytes(data, "HTML file")
    except ValueError:
        # HTML often declares its own charset; let trafilatura's detection try the bytes.
        html = data  # type: ignore[assignment]
    if isinstance(html, str):
        html = _clean_str(html)
    try:
        extracted = trafilatura.bare_extraction(
            html, with_metadata=True, include_comments=False, include_tables=False, favor_precision=True
        )
    except RecursionError:
        return InputError("HTML could not be parsed: nested too deeply", name)
    except Exception as e:  # noqa: BLE001 - trafilatura/lxml raise many types on hostile markup
        return InputError(f"HTML could not be parsed: {type(e).__name__}: {str(e)[:200]}", name)
    if extracted is None:
        return InputError(
            "no article text found in HTML (empty, script-only or too deeply nested markup)", name
        )
    meta = extracted.as_dict() if hasattr(extracted, "as_dict") else dict(extracted)
    text = _clean_str(meta.get("text") or "").strip()
    title = _clean_str(meta.get("title") or "").strip() or None
    if title and text and not text.startswith(title):
        text = f"{title}\n\n{text}"
    if not text:
        return InputError(
            "no article text found in HTML (empty, script-only or too deeply nested markup)", name
        )
    err = _check_text(text, name, None, limit)
    if err:
        return err
    date = None
    if meta.get("date"):
        try:
            date = parse_date(meta["date"])
        except ValueError:
            date = None  # a page's guessed date is a hint, not a promise
    url = meta.get("url")
    source = meta.get("sitename") or meta.get("hostname")
    return Document(
        id=default_id,
        text=text,
        date=date,
        title=title,
        url=_clean_str(url) if isinstance(url, str) else None,
        source=_clean_str(source) if isinstance(source, str) else None,
        origin=name,
    )


_ATOM = "{http://www.w3.org/2005/Atom}"
_RSS1 = "{http://purl.org/rss/1.0/}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
_TAGS = re.compile(r"<[^>]{0,2000}>")


def read_feed_bytes(data: bytes, name: str, max_chars: int | None = None) -> Iterator[ReadItem]:
    """RSS 2.0, RSS 1.0 and Atom, parsed with defusedxml: DTDs, entity expansion and external
    entities are refused, so a feed can never make us read a file or the network."""

    limit = _limit(max_chars)
    if len(data) > MAX_FEED_BYTES:
        yield InputError(f"feed too large ({len(data):,} bytes; limit {MAX_FEED_BYTES:,})", name)
        return
    try:
        root = DET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as e:
        yield InputError(f"feed refused: {type(e).__name__} (DTDs and entities are not allowed)", name)
        return
    except RecursionError:
        yield InputError("malformed XML feed: nested too deeply", name)
        return
    except Exception as e:  # noqa: BLE001 - xml.etree ParseError and friends
        yield InputError(f"malformed XML feed: {str(e)[:200]}", name)
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
        rec = {
            "id": guid or link,
            "title": title and html_lib.unescape(_TAGS.sub(" ", title)),
            "description": body,
            "date": date,
            "url": link,
            "source": channel_title,
        }
        item = document_from_record(
            rec, name, None, default_id=_doc_id(name, str(n), title or ""), max_chars=limit
        )
        if isinstance(item, InputError):  # name the item: feeds have no line numbers
            item = InputError(f"item {n}: {item.reason}", name, None)
        yield item


def read_feed_file(path: Path, max_chars: int | None = None) -> Iterator[ReadItem]:
    data = _read_bounded(path, MAX_FEED_BYTES, "feed", _limit(max_chars))
    if isinstance(data, InputError):
        yield InputError(data.reason.replace("story too long", "feed too large"), display_name(path))
        return
    yield from read_feed_bytes(data, display_name(path), max_chars)


def _looks_like_feed(head: bytes) -> bool:
    h = head.lstrip()[:512].lower()
    return h.startswith((b"<?xml", b"<rss", b"<feed")) or b"<rss" in h


# --------------------------------------------------------------------------- dispatch


def read_path(path: Path, root: Path | None = None, max_chars: int | None = None) -> Iterator[ReadItem]:
    suffix = _inner_suffix(path)
    name = display_name(path)
    if suffix in JSONL_EXTS:
        try:
            with _open_binary(path) as f:
                yield from read_jsonl_stream(f, name, max_chars)
        except OSError as e:
            yield InputError(f"cannot read: {e.strerror or e}", name)
    elif suffix in CSV_EXTS:
        try:
            with _open_binary(path) as f:
                yield from read_csv_stream(
                    f, name, delimiter="\t" if suffix == ".tsv" else ",", max_chars=max_chars
                )
        except OSError as e:
            yield InputError(f"cannot read: {e.strerror or e}", name)
    elif suffix in HTML_EXTS:
        yield read_html_file(path, root, max_chars)
    elif suffix in FEED_EXTS:
        yield from read_feed_file(path, max_chars)
    else:
        # .txt and unknown extensions: sniff feeds, otherwise plain text.
        try:
            with open(path, "rb") as f:
                head = f.read(1024)
        except OSError as e:
            yield InputError(f"cannot read: {e.strerror or e}", name)
            return
        if _looks_like_feed(head):
            yield from read_feed_file(path, max_chars)
        elif head.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
            yield read_html_file(path, root, max_chars)
        else:
            yield read_text_file(path, root, max_chars)


OUTSIDE_ROOT = "symlink to a path outside the input directory; not followed (use --follow-symlinks to allow)"


def _inside(path: Path, root_real: Path) -> bool:
    return path == root_real or root_real in path.parents


def walk_directory(root: Path, follow_symlinks: bool = False) -> Iterator[Path | InputError]:
    """Files below root in a stable order, never the same directory twice (so a symlink loop ends
    with an error instead of recursing forever). Hidden files skipped; devices, sockets and pipes
    are reported and skipped.

    Symlinks are followed only while they stay inside root: a link in a downloaded folder that
    points at /etc/shadow or ~/.ssh/id_rsa must not end up in the database and the API. With
    follow_symlinks=True every link is followed (loops are still caught)."""
    seen: set[tuple[int, int]] = set()
    try:
        root_real = root.resolve()
    except (OSError, RuntimeError):
        root_real = root.absolute()
    stack = [root]
    while stack:
        d = stack.pop()
        try:
            st = d.stat()
        except OSError as e:
            yield InputError(f"cannot read directory: {e.strerror or e}", display_name(d))
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen:
            yield InputError("directory loop (symlink to a directory already read); skipped", display_name(d))
            continue
        seen.add(key)
        try:
            entries = sorted(d.iterdir(), key=lambda p: os.fsencode(p.name))
        except OSError as e:
            yield InputError(f"cannot read directory: {e.strerror or e}", display_name(d))
            continue
        subdirs = []
        for p in entries:
            if p.name.startswith("."):
                continue
            try:
                if p.is_symlink():
                    try:
                        target = p.resolve(strict=True)
                    except (OSError, RuntimeError):  # dangling, or a loop (RuntimeError < 3.13)
                        yield InputError("broken symlink (or a symlink loop); skipped", display_name(p))
                        continue
                    if not follow_symlinks and not _inside(target, root_real):
                        yield InputError(OUTSIDE_ROOT, display_name(p))
                        continue
                if p.is_dir():
                    subdirs.append(p)
                elif p.is_file():
                    yield p
                elif not p.exists():
                    yield InputError("broken symlink (or a symlink loop); skipped", display_name(p))
                else:
                    yield InputError("not a regular file (device, socket or pipe); skipped", display_name(p))
            except OSError as e:
                yield InputError(f"cannot read: {e.strerror or e}", display_name(p))
        stack.extend(reversed(subdirs))


def read_inputs(
    inputs: Iterable[str],
    stdin: BinaryIO | None = None,
    max_chars: int | None = None,
    follow_symlinks: bool = False,
) -> Iterator[ReadItem]:
    """Documents (and errors) from every input, in order. Directories are read recursively.

    `max_chars`: the longest story accepted (default MAX_STORY_CHARS); longer ones are reported
    and skipped. `follow_symlinks`: follow symlinks inside directories that point outside the
    directory given (default: reported and skipped). A path named here is always read, whatever
    it is a link to: naming it is the permission."""
    for spec in inputs:
        if spec == "-":
            yield from read_stdin_stream(stdin or sys.stdin.buffer, max_chars)
            continue
        name = display_name(spec)
        path = Path(spec)
        try:
            st = path.stat()
        except FileNotFoundError:
            yield InputError("no such file or directory", name)
            continue
        except (OSError, ValueError) as e:  # ELOOP, ENAMETOOLONG, EACCES, embedded NUL
            if isinstance(e, OSError) and e.errno is not None and os.path.islink(spec) and not path.exists():
                yield InputError("broken symlink (or a symlink loop)", name)
            else:
                yield InputError(f"cannot read: {getattr(e, 'strerror', None) or e}", name)
            continue
        if stat.S_ISDIR(st.st_mode):
            for item in walk_directory(path, follow_symlinks=follow_symlinks):
                if isinstance(item, InputError):
                    yield item
                elif _inner_suffix(item) in KNOWN_EXTS or not item.suffix:
                    yield from read_path(item, root=path, max_chars=max_chars)
            continue
        if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) or stat.S_ISSOCK(st.st_mode):
            yield InputError("not a regular file (device or socket)", name)
            continue
        if stat.S_ISFIFO(st.st_mode):
            yield from read_pipe(path, max_chars)
            continue
        yield from read_path(path, root=path.parent, max_chars=max_chars)


def read_pipe(path: Path, max_chars: int | None = None) -> Iterator[ReadItem]:
    """A named pipe (mkfifo) or a shell's `<(...)` given as input, read once like stdin.

    Opened without blocking: a pipe that nobody writes to would otherwise hang the run forever
    in open(). A pipe with no writer at that moment reads as empty and is reported."""

    name = display_name(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as e:
        yield InputError(f"cannot read: {e.strerror or e}", name)
        return
    # Back to blocking reads: a writer that is there keeps us waiting for its data; with no writer
    # a read returns end-of-file at once (POSIX).
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
    with os.fdopen(fd, "rb", buffering=0) as raw:
        head = raw.read(1)
        if not head:
            yield InputError("named pipe with nothing to read (no writer); skipped", name)
            return
        yield from read_stdin_stream(io.BufferedReader(_Prefixed(head, raw)), max_chars, name=name)


def read_stdin_bytes(data: bytes, max_chars: int | None = None, name: str = "<stdin>") -> Iterator[ReadItem]:
    head = data.lstrip()[:1]
    if head == b"{" or (_stream_encoding(data[:4]) in ("utf-16", "utf-32") and b"{" in data[:16]):
        yield from read_jsonl_stream(io.BytesIO(data), name, max_chars)
    elif _looks_like_feed(data[:1024]):
        yield from read_feed_bytes(data, name, max_chars)
    else:
        try:
            text = decode_bytes(data, "input")
        except ValueError as e:
            yield InputError(str(e), name)
            return
        yield document_from_text(text, name, default_id="stdin-" + _doc_id(text), max_chars=max_chars)


def read_stdin_stream(
    stream: BinaryIO, max_chars: int | None = None, name: str = "<stdin>"
) -> Iterator[ReadItem]:
    """Standard input (or a pipe): JSON lines are streamed (a corpus of any size can be piped in);
    a feed or a single story is read whole, within the same bounds as a file."""
    limit = _limit(max_chars)
    try:
        head, buffered = _sniffed(stream)
    except _STREAM_ERRORS as e:
        yield _stream_error(e, 0, name)
        return
    if head.lstrip()[:1] == b"{" or (
        _stream_encoding(head[:4]) in ("utf-16", "utf-32") and b"{" in head[:16]
    ):
        yield from read_jsonl_stream(buffered, name, limit)
        return
    cap = MAX_FEED_BYTES if _looks_like_feed(head[:1024]) else _max_text_bytes(limit)
    try:
        data = buffered.read(cap + 1)
    except _STREAM_ERRORS as e:
        yield _stream_error(e, 0, name)
        return
    if len(data) > cap:
        yield InputError(_too_long(len(data), "bytes or more on standard input", limit), name)
        return
    yield from read_stdin_bytes(data, max_chars=limit, name=name)
