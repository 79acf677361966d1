"""When did an event happen? Resolve a sentence's date expressions against the story date.

`DateResolver.resolve(sent, story_date)` returns `(event_date, historical)`:

* event_date: the date named in the sentence ("on 12 March 2024", "March 12", "on Saturday",
  "yesterday", "two days ago", "last week", "earlier this month", "next month", "in 2019", ...)
  resolved against the story (publication) date; the story date when the sentence names none.
* historical: True when the event is background rather than news -- the *latest* day the
  expression can denote is more than `HISTORICAL_DAYS` (30) days before the story date
  ("in 1999", "during the 2008 war", "in March" in a November story, "last year", "decades ago").

Each expression denotes an interval (a day, a week, a month, a year); the reported date is the
interval's first day (day-precise expressions give that day), and the historical test uses its
last day, so "last month" is never historical but "in 2019" is.

Design (speed: this runs once per event):
* Our own regular expressions over the sentence text find the common forms; spaCy's DATE
  entities that the regexes did not cover are handed to `dateparser` (short entity strings only,
  never whole sentences, results cached) when they contain a digit or a month name.
* Tense of the governing verb decides weekday direction: past/perfect -> the most recent such
  weekday on or before the story date; future ("will meet", "is to meet", "agreed to meet on",
  "are meeting") -> the next one on or after; plain present -> the nearer of the two.
* When a sentence holds several expressions, the one in the main clause wins (a date attached to
  a reporting verb such as "said on Tuesday" loses to the date of the reported event); dates
  inside relative clauses ("Russia, which invaded Georgia in 2008, ...") are ignored unless the
  caller passes the event trigger (`resolve(..., trigger=token)`), in which case dates in the
  trigger's own clause are preferred.
* "since 2014", "until March", "by 2030" do not date the event (ongoing state / deadline).

Never after the story unless in the future. An expression whose date falls after the story date
is used only when its clause is in the future tense ("will meet on Monday"), and only up to
`FUTURE_DAYS` (366) days ahead: news reports plans for the coming months ("next year's summit"),
while a date years ahead in a past-tense clause is a misreading ("the first summit in 4 years"
read as "in 4 years' time") and one years ahead in a future clause is a target ("by 2030"), not
an event date. A rejected expression leaves the story date. The returned date then says the
event lies after the story (`ResolvedDate.after_story`), and the event is flagged future.

Precision. The returned date is a `ResolvedDate` (a `datetime.date`) carrying `precision`:
"day", "week", "month" or "year" -- how much of it the text actually says ("in March 2019" is
month precision, dated 2019-03-01; "in 2019" year precision, dated 2019-01-01). Series by day or
week leave out month- and year-precision events instead of piling them on the 1st.

Never raises: any internal error gives `(story_date, False)`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import dateparser

from detente.lexicon import words
from detente.resources import read_table

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

HISTORICAL_DAYS = 30
FUTURE_DAYS = 366
PRECISIONS = ("day", "week", "month", "year")  # finest first


class ResolvedDate(dt.date):
    """An event date with how precise the text is about it, and whether it lies after the story."""

    precision: str = "day"
    after_story: bool = False

    def __new__(cls, d: dt.date, precision: str = "day", after_story: bool = False):
        self = super().__new__(cls, d.year, d.month, d.day)
        self.precision = precision
        self.after_story = after_story
        return self

    def __reduce__(self):  # survives pickling to worker processes with its attributes
        return (ResolvedDate, (dt.date(self.year, self.month, self.day), self.precision, self.after_story))


MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
MONTHS.update({m.lower(): i for i, m in enumerate(calendar.month_abbr) if m})
MONTHS["sept"] = 9
WEEKDAYS = {d.lower(): i for i, d in enumerate(calendar.day_name)}  # monday=0

# Counts written as words ("two days ago"), read from data/lexicon/number_words.tsv.
NUMBER_WORDS = {r["words"]: int(r["number"]) for r in read_table("lexicon/number_words.tsv")}

# Verbs whose own date is the date of speaking, not of the reported event.
REPORTING_LEMMAS = words("date_reporting_lemmas")
# Prepositions that make a date expression a boundary rather than the event's date.
BOUNDARY_WORDS = words("date_boundary_words")
# Verbs governing a to-infinitive whose event lies in the future.
FUTURE_GOVERNORS = words("future_governors")
# Words before a bare four-digit number that make it a year.
YEAR_PREPOSITIONS = words("year_prepositions")
# Words before "May" that make it the month, not the modal verb.
MAY_MONTH_WORDS = words("may_month_words")

_MONTH_RE = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|"
    r"Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DAYNUM = r"(?:[12][0-9]|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:1[89][0-9]{2}|20[0-9]{2})"
_NUM = (
    r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|"
    r"twenty|thirty|several|a few|a couple of)"
)
_WEEKDAY_RE = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"

# Named wars and eras: lower-case name -> (first day, last day), from data/lexicon/named_periods.tsv.
_NAMED_PERIODS = {
    r["name"]: (dt.date.fromisoformat(r["first"]), dt.date.fromisoformat(r["last"]))
    for r in read_table("lexicon/named_periods.tsv")
}
# The precision of relative expressions by their unit word, from data/lexicon/date_unit_precision.tsv.
_UNIT_PRECISION = {r["unit"]: r["precision"] for r in read_table("lexicon/date_unit_precision.tsv")}

_DP_TRIGGER = re.compile(r"\d|\b" + _MONTH_RE + r"\b", re.IGNORECASE)


@dataclass
class DateExpr:
    start: int  # char offsets within the sentence text
    end: int
    kind: str
    first: dt.date  # interval start (reported date)
    last: dt.date  # interval end (used for the historical test)
    precision: int  # 3 day, 2 week/month, 1 year or coarser
    unit: str = ""  # the unit word of relative expressions ("week" in "two weeks ago")


# ---------------------------------------------------------------- small date arithmetic
def _add_months(d: dt.date, n: int) -> dt.date:
    y, m = divmod(d.month - 1 + n, 12)
    y += d.year
    m += 1
    return dt.date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def _month_bounds(y: int, m: int) -> tuple[dt.date, dt.date]:
    return dt.date(y, m, 1), dt.date(y, m, calendar.monthrange(y, m)[1])


def _safe_date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def _num(s: str) -> int:
    s = " ".join(s.lower().split())
    if s.isdigit():
        return int(s)
    return NUMBER_WORDS.get(s, 1)


def _day(s: str) -> int:
    return int(re.sub(r"\D", "", s))


def _month(s: str) -> int:
    return MONTHS[s.lower().rstrip(".")]


def _weekday(story: dt.date, wd: int, direction: str) -> dt.date:
    """direction: past (on or before), future (on or after), next (strictly after),
    last (strictly before), near (nearest, ties to the past)."""
    back = (story.weekday() - wd) % 7  # days back to the most recent such weekday
    fwd = (wd - story.weekday()) % 7  # days forward to the next one (0 = today)
    if direction == "past":
        return story - dt.timedelta(days=back)
    if direction == "future":
        return story + dt.timedelta(days=fwd)
    if direction == "next":
        return story + dt.timedelta(days=fwd or 7)
    if direction == "last":
        return story - dt.timedelta(days=back or 7)
    return story - dt.timedelta(days=back) if back <= fwd else story + dt.timedelta(days=fwd)


def _nearest_year(story: dt.date, m: int, d: int, tense: str) -> dt.date | None:
    """Year for a month-day without one: nearest to the story date, biased by tense."""
    cands = [c for c in (_safe_date(story.year + k, m, d) for k in (-1, 0, 1)) if c]
    if not cands:
        return None
    if tense == "past":
        pool = [c for c in cands if c <= story + dt.timedelta(days=2)]
    elif tense == "future":
        pool = [c for c in cands if c >= story - dt.timedelta(days=2)]
    else:
        pool = cands
    pool = pool or cands
    return min(pool, key=lambda c: abs((c - story).days))


# ---------------------------------------------------------------- interpreting a match
# One handler per form of expression: (kind, the match's named groups, story date, tense of the
# clause) -> DateExpr or None. DATE_PATTERNS below pairs each regular expression with its handler.
_ONE_DAY = dt.timedelta(days=1)


def _expr(kind: str, first: dt.date, last: dt.date, precision: int) -> DateExpr:
    return DateExpr(0, 0, kind, first, last, precision)


def _day_expr(kind: str, d: dt.date | None) -> DateExpr | None:
    return _expr(kind, d, d, 3) if d else None


def _iso_date(kind, g, story, tense):
    return _day_expr(kind, _safe_date(int(g["y"]), int(g["m"]), int(g["d"])))


def _full_date(kind, g, story, tense):
    return _day_expr(kind, _safe_date(int(g["y"]), _month(g["mon"]), _day(g["d"])))


def _month_year(kind, g, story, tense):
    return _expr(kind, *_month_bounds(int(g["y"]), _month(g["mon"])), 2)


def _year(kind, g, story, tense):
    y = int(g["y"])
    if story is not None and y == story.year:
        return _expr(kind, story, story, 1)  # "this year": no more precise
    return _expr(kind, dt.date(y, 1, 1), dt.date(y, 12, 31), 1)


def _decade(kind, g, story, tense):
    y = int(g["y"])
    return _expr(kind, dt.date(y, 1, 1), dt.date(y + 9, 12, 31), 1)


def _named_period(kind, g, story, tense):
    return _expr(kind, *_NAMED_PERIODS[" ".join(g["name"].lower().split())], 1)


def _day_month(kind, g, story, tense):
    return _day_expr(kind, _nearest_year(story, _month(g["mon"]), _day(g["d"]), tense))


def _offset_day(kind, g, story, tense, days: int = 0):
    """yesterday, today, tomorrow, the day before yesterday ...: `days` from the story date."""
    return _day_expr(kind, story + days * _ONE_DAY)


_MONTHS_PER_UNIT = {"month": 1, "year": 12, "decade": 120}


def _counted_offset(kind, g, story, tense, sign: int = -1):
    """ "two weeks ago" (sign -1), "in three days" (sign +1)."""
    n = _num(g["n"])
    unit = g["unit"].lower()
    if unit == "day":
        return _day_expr(kind, story + sign * n * _ONE_DAY)
    if unit == "week":
        d = story + sign * 7 * n * _ONE_DAY
        return _expr(kind, d, d, 2)
    d = _add_months(story, sign * _MONTHS_PER_UNIT[unit] * n)
    return _expr(kind, d, d, 2 if unit == "month" else 1)


# "days ago" ... "centuries ago": (days back to the interval's first day, to its last day)
_VAGUE_AGO_DAYS = {
    "days": (3, 2),
    "weeks": (21, 14),
    "months": (120, 60),
    "years": (3 * 365, 2 * 365),
    "decades": (20 * 365, 10 * 365),
    "centuries": (200 * 365, 100 * 365),
}


def _vague_ago(kind, g, story, tense):
    unit = g["unit"].lower()
    far, near = _VAGUE_AGO_DAYS[unit]
    precision = 3 if unit == "days" else 2 if unit in ("weeks", "months") else 1
    return _expr(kind, story - far * _ONE_DAY, story - near * _ONE_DAY, precision)


def _relative_weekend(kind, which, story, tense):
    if which in ("last", "past") or (which == "this" and tense == "past"):
        sat = _weekday(story, 5, "last" if story.weekday() not in (5, 6) else "past")
    elif which in ("next", "coming") or tense == "future":
        sat = _weekday(story, 5, "future")
    else:
        sat = _weekday(story, 5, "past")
    return _expr(kind, sat, sat + _ONE_DAY, 3)


def _relative_week(kind, which, story, tense):
    monday = story - story.weekday() * _ONE_DAY
    if which in ("last", "past"):
        return _expr(kind, monday - 7 * _ONE_DAY, monday - _ONE_DAY, 2)
    if which in ("next", "coming"):
        return _expr(kind, monday + 7 * _ONE_DAY, monday + 13 * _ONE_DAY, 2)
    if which == "earlier this":
        return _expr(kind, monday, max(monday, story - _ONE_DAY), 2)
    if which == "later this":
        return _expr(kind, story + _ONE_DAY, monday + 6 * _ONE_DAY, 2)
    return _expr(kind, story, story, 2)


def _relative_month_unit(kind, which, story, tense):
    a, b = _month_bounds(story.year, story.month)
    if which in ("last", "past"):
        p = _add_months(a, -1)
        return _expr(kind, *_month_bounds(p.year, p.month), 2)
    if which in ("next", "coming"):
        n = _add_months(a, 1)
        return _expr(kind, *_month_bounds(n.year, n.month), 2)
    if which == "earlier this":
        return _expr(kind, a, max(a, story - _ONE_DAY), 2)
    if which == "later this":
        return _expr(kind, min(b, story + _ONE_DAY), b, 2)
    return _expr(kind, story, story, 2)


def _relative_year(kind, which, story, tense):
    a, b = dt.date(story.year, 1, 1), dt.date(story.year, 12, 31)
    if which in ("last", "past"):
        return _expr(kind, dt.date(story.year - 1, 1, 1), dt.date(story.year - 1, 12, 31), 1)
    if which in ("next", "coming"):
        return _expr(kind, dt.date(story.year + 1, 1, 1), dt.date(story.year + 1, 12, 31), 1)
    if which == "earlier this":
        return _expr(kind, a, max(a, story - _ONE_DAY), 1)
    if which == "later this":
        return _expr(kind, min(b, story + _ONE_DAY), b, 1)
    return _expr(kind, story, story, 1)


_RELATIVE_UNIT = {
    "weekend": _relative_weekend,
    "week": _relative_week,
    "month": _relative_month_unit,
    "year": _relative_year,
}


def _relative_unit(kind, g, story, tense):
    """ "last week", "next month", "earlier this year", "this weekend"."""
    which = " ".join(g["which"].lower().split())
    return _RELATIVE_UNIT[g["unit"].lower()](kind, which, story, tense)


def _weekday_expr(kind, g, story, tense):
    wd = WEEKDAYS[g["wd"].lower()]
    which = (g.get("which") or "").lower()
    if which in ("last", "past"):
        direction = "last"
    elif which in ("next", "coming"):
        direction = "next"
    else:
        direction = {"past": "past", "future": "future"}.get(tense, "near")
    return _day_expr(kind, _weekday(story, wd, direction))


def _weekend(kind, g, story, tense):
    sat = _weekday(story, 5, "future" if tense == "future" else "past")
    return _expr(kind, sat, sat + _ONE_DAY, 3)


def _relative_month(kind, g, story, tense):
    """ "in March", "last May", "early June": the month's year from the word before it or the tense.
    ("since/until/by March" are boundaries: still interpreted, then skipped by the clause filter.)"""
    which = " ".join(g["which"].lower().split())
    mon = _month(g["mon"])
    if g["mon"].lower().rstrip(".") == "may" and which not in MAY_MONTH_WORDS:
        return None
    if which == "last":
        y = story.year if mon < story.month else story.year - 1
    elif which == "next":
        y = story.year if mon > story.month else story.year + 1
    elif which == "this":
        y = story.year
    elif tense == "future":
        y = story.year if mon >= story.month else story.year + 1
    elif tense == "past" or which in ("earlier in",):
        y = story.year if mon <= story.month else story.year - 1
    else:
        y = min(
            (story.year - 1, story.year, story.year + 1),
            key=lambda yy: abs((dt.date(yy, mon, 15) - story).days),
        )
    return _expr(kind, *_month_bounds(y, mon), 2)


@dataclass(frozen=True)
class DatePattern:
    """One form of date expression: its regular expression, the precision its dates have (None:
    given by the unit word, see `expression_precision`), and the handler interpreting a match.
    `relative` forms need the story date (without one they give nothing)."""

    kind: str
    regex: re.Pattern
    precision: str | None
    interpret: Callable[..., DateExpr | None]
    relative: bool = True


def _rx(pattern: str, ignore_case: bool = False) -> re.Pattern:
    return re.compile(pattern, re.IGNORECASE if ignore_case else 0)


# Order matters: longer / more specific patterns first; overlapping later matches are dropped.
DATE_PATTERNS: tuple[DatePattern, ...] = (
    DatePattern(
        "iso",
        _rx(r"\b(?P<y>" + _YEAR + r")-(?P<m>0[1-9]|1[0-2])-(?P<d>0[1-9]|[12][0-9]|3[01])\b"),
        "day",
        _iso_date,
        relative=False,
    ),
    DatePattern(
        "dmy",
        _rx(r"\b(?P<d>" + _DAYNUM + r")(?:\s+of)?\s+(?P<mon>" + _MONTH_RE + r"),?\s+(?P<y>" + _YEAR + r")\b"),
        "day",
        _full_date,
        relative=False,
    ),
    DatePattern(
        "mdy",
        _rx(r"\b(?P<mon>" + _MONTH_RE + r")\s+(?P<d>" + _DAYNUM + r"),?\s+(?P<y>" + _YEAR + r")\b"),
        "day",
        _full_date,
        relative=False,
    ),
    DatePattern(
        "dm",
        _rx(r"\b(?P<d>" + _DAYNUM + r")(?:\s+of)?\s+(?P<mon>" + _MONTH_RE + r")(?![\w-])"),
        "day",
        _day_month,
    ),
    DatePattern(
        "md",
        _rx(
            r"\b(?P<mon>"
            + _MONTH_RE
            + r")\s+(?P<d>"
            + _DAYNUM
            + r")\b(?!\s*(?:%|per|million|billion|troops|people))"
        ),
        "day",
        _day_month,
    ),
    DatePattern(
        "my",
        _rx(r"\b(?P<mon>" + _MONTH_RE + r"),?\s+(?P<y>" + _YEAR + r")\b"),
        "month",
        _month_year,
        relative=False,
    ),
    DatePattern(
        "day_before_yesterday",
        _rx(r"\bthe\s+day\s+before\s+yesterday\b", True),
        "day",
        functools.partial(_offset_day, days=-2),
    ),
    DatePattern(
        "day_after_tomorrow",
        _rx(r"\bthe\s+day\s+after\s+tomorrow\b", True),
        "day",
        functools.partial(_offset_day, days=2),
    ),
    DatePattern("yesterday", _rx(r"\byesterday\b", True), "day", functools.partial(_offset_day, days=-1)),
    DatePattern("last_night", _rx(r"\blast\s+night\b", True), "day", functools.partial(_offset_day, days=-1)),
    DatePattern(
        "today",
        _rx(r"\b(?:today|tonight|this\s+(?:morning|afternoon|evening))\b", True),
        "day",
        functools.partial(_offset_day, days=0),
    ),
    DatePattern("tomorrow", _rx(r"\btomorrow\b", True), "day", functools.partial(_offset_day, days=1)),
    DatePattern(
        "ago",
        _rx(r"\b(?P<n>" + _NUM + r")\s+(?P<unit>day|week|month|year|decade)s?\s+ago\b", True),
        None,
        functools.partial(_counted_offset, sign=-1),
    ),
    DatePattern(
        "vague_ago",
        _rx(r"\b(?P<unit>days|weeks|months|years|decades|centuries)\s+ago\b", True),
        None,
        _vague_ago,
    ),
    DatePattern(
        "in_n",
        _rx(
            r"\b(?:in|within)\s+(?P<n>" + _NUM + r")\s+(?P<unit>day|week|month|year)s?(?:'|\s+time)?\b", True
        ),
        None,
        functools.partial(_counted_offset, sign=1),
    ),
    DatePattern(
        "rel_unit",
        _rx(
            r"\b(?P<which>last|next|this|past|coming|earlier\s+this|later\s+this)\s+(?P<unit>week|month|year|weekend)\b",
            True,
        ),
        None,
        _relative_unit,
    ),
    DatePattern(
        "weekday",
        _rx(r"\b(?:(?P<which>last|next|this|past|coming)\s+)?(?P<wd>" + _WEEKDAY_RE + r")(?:'s)?\b"),
        "day",
        _weekday_expr,
    ),
    DatePattern("weekend", _rx(r"\b(?:over\s+|at\s+|during\s+)?the\s+weekend\b", True), "day", _weekend),
    DatePattern(
        "rel_month",
        _rx(
            r"\b(?P<which>last|next|this|early|late|mid|mid-|earlier\s+in|later\s+in|in|since|until|by|during|from)\s*(?P<mon>"
            + _MONTH_RE
            + r")(?![\w-])(?!\s+\d)"
        ),
        "month",
        _relative_month,
    ),
    DatePattern(
        "decade", _rx(r"\b(?:the\s+)?(?P<y>1[89][0-9]0|20[0-9]0)s\b"), "year", _decade, relative=False
    ),
    DatePattern(
        "year",
        _rx(r"(?<![\d,.$£€-])\b(?P<y>" + _YEAR + r")\b(?![\d%-]|[,.]\d)"),
        "year",
        _year,
        relative=False,
    ),
    DatePattern(
        "named_war",
        _rx(
            r"\b(?:the\s+)?(?P<name>Cold\s+War|(?:First|Second)\s+World\s+War|World\s+War\s+(?:I{1,2}|One|Two|1|2)|Korean\s+War|Vietnam\s+War|Gulf\s+War)\b"
        ),
        "year",
        _named_period,
        relative=False,
    ),
)
_PATTERN_OF_KIND = {p.kind: p for p in DATE_PATTERNS}
# The precision each kind of expression gives; the relative kinds missing here depend on their unit word.
_KIND_PRECISION = {p.kind: p.precision for p in DATE_PATTERNS if p.precision} | {"dateparser": "day"}


def expression_precision(e: DateExpr) -> str:
    if e.kind in _KIND_PRECISION:
        return _KIND_PRECISION[e.kind]
    return _UNIT_PRECISION.get(e.unit, {3: "day", 2: "month"}.get(e.precision, "year"))


# ---------------------------------------------------------------- the resolver
class DateResolver:
    """Stateless apart from a small dateparser cache; build once, call `resolve` per event."""

    def __init__(self, use_dateparser: bool = True, historical_days: int = HISTORICAL_DAYS):
        self.use_dateparser = use_dateparser
        self.historical_days = historical_days
        self._cache: tuple[object, dict] | None = None  # see _sentence_dates

    # public -------------------------------------------------------------------------
    def resolve(
        self, sent: Span | Doc, story_date: dt.date | None, trigger: Token | int | None = None
    ) -> tuple[ResolvedDate | None, bool]:
        """(event date, historical) for the event in `sent` (a spaCy Span or Doc).

        The date is a `ResolvedDate` (precision, after_story) or None without a story date.
        `trigger` (optional): the event's trigger token (spaCy Token) or its document-level
        character offset; dates in the trigger's clause are then preferred.
        """
        if isinstance(story_date, dt.datetime):
            story_date = story_date.date()
        if story_date is not None and not isinstance(story_date, dt.date):
            story_date = None
        try:
            return self._resolve(sent, story_date, trigger)
        except Exception:  # noqa: BLE001 -- resolution must never break coding
            return _story(story_date), False

    def find_expressions(self, sent: Span | Doc, story_date: dt.date | None) -> list[tuple[DateExpr, str]]:
        """All date expressions in the sentence with their clause role (for debugging/tests)."""
        return [(e, self._clause(sent, e)[0]) for e in self._expressions(sent, story_date)]

    # internals ----------------------------------------------------------------------
    def _resolve(self, sent, story_date, trigger):
        dated = self._sentence_dates(sent, story_date)
        if not dated:
            return _story(story_date), False
        trig_tok = self._trigger_token(sent, trigger)
        trig_clause = self._clause_verb(trig_tok) if trig_tok is not None else None
        best = _best_expression(dated, trig_clause)
        if best is None:
            return _story(story_date), False
        historical = False
        if story_date is not None:
            ref = best.last
            if best.precision == 1 and best.last > best.first:
                # year-or-coarser: "last year" / "in 2023" in a January story is background
                ref = best.first + (best.last - best.first) / 2
            historical = (story_date - ref).days > self.historical_days
        after = story_date is not None and best.first > story_date
        return ResolvedDate(best.first, expression_precision(best), after), historical

    def _sentence_dates(self, sent, story_date) -> list[tuple[DateExpr, str, object]]:
        """The sentence's usable date expressions with their clause role and verb, found once per
        (sentence, story date) of the latest document: every event of a sentence shares them, and
        finding them reads the whole sentence (a 12k-character run-on sentence with 330 events
        took 6.4 s when this ran per event). The cache is one (doc, dict) pair, replaced whole when
        another document comes, so it holds one document at a time."""
        doc = sent.doc if hasattr(sent, "doc") else sent
        cache = self._cache
        if cache is None or cache[0] is not doc:
            cache = self._cache = (doc, {})
        key = (getattr(sent, "start", 0), getattr(sent, "end", len(doc)), story_date)
        found = cache[1].get(key)
        if found is None:
            found = cache[1][key] = self._find_dates(sent, story_date)
        return found

    def _find_dates(self, sent, story_date) -> list[tuple[DateExpr, str, object]]:
        text = sent.text
        if not text or not text.strip():
            return []
        exprs = self._expressions(sent, story_date)
        if story_date is not None:
            exprs = [e for e in exprs if self._future_ok(sent, e, story_date)]
        return [(e, *self._clause(sent, e)) for e in exprs]

    def _future_ok(self, sent, e: DateExpr, story_date: dt.date) -> bool:
        """A date after the story only in a future-tense clause, and at most FUTURE_DAYS ahead."""
        if e.first <= story_date:
            return True
        if (e.first - story_date).days > FUTURE_DAYS:
            return False
        return self._tense_at(sent, e.start) == "future"

    @staticmethod
    def _trigger_token(sent, trigger):
        if trigger is None:
            return None
        if hasattr(trigger, "i") and hasattr(trigger, "head"):
            return trigger
        if isinstance(trigger, int):
            doc = sent.doc if hasattr(sent, "doc") else sent
            span = doc.char_span(trigger, trigger + 1, alignment_mode="expand")
            return span[0] if span is not None and len(span) else None
        return None

    # --- finding expressions
    def _expressions(self, sent, story_date) -> list[DateExpr]:
        text = sent.text
        taken: list[tuple[int, int]] = []
        out: list[DateExpr] = []
        for pattern in DATE_PATTERNS:
            kind = pattern.kind
            for m in pattern.regex.finditer(text):
                s, e = m.span()
                if any(s < te and ts < e for ts, te in taken):
                    continue
                if kind in ("year", "decade") and not self._year_ok(sent, s, e, kind):
                    continue
                if kind == "weekday" and not m.group("wd")[0].isupper():
                    continue
                tense = self._tense_at(sent, s)
                expr = self._interpret(kind, m, story_date, tense)
                taken.append((s, e))
                if expr is not None:
                    expr.start, expr.end = s, e
                    expr.unit = (m.groupdict().get("unit") or "").lower()
                    out.append(expr)
        if self.use_dateparser and story_date is not None:
            out.extend(self._entity_fallback(sent, story_date, taken))
        return out

    def _year_ok(self, sent, s, e, kind) -> bool:
        """A bare 4-digit number is a year only if spaCy calls it DATE or a preposition / 'the'
        introduces it ("in 2019", "during the 2008 war") and it does not count plural things."""
        tok = self._token_at(sent, s)
        if tok is None:
            return True
        if kind == "decade":
            return True
        nxt = tok.nbor(1) if tok.i + 1 < len(tok.doc) else None
        prev = tok.nbor(-1) if tok.i > 0 else None
        if (
            nxt is not None
            and nxt.tag_ == "NNS"
            and (prev is None or prev.lower_ not in ("the", "in", "of", "during"))
        ):
            return False  # "deployed 2000 troops"
        if tok.ent_type_ == "DATE":
            return True
        return prev is not None and prev.lower_ in YEAR_PREPOSITIONS

    def _interpret(self, kind: str, m: re.Match, story: dt.date | None, tense: str) -> DateExpr | None:
        """The DateExpr a match of the pattern `kind` denotes (see DATE_PATTERNS)."""
        pattern = _PATTERN_OF_KIND[kind]
        if pattern.relative and story is None:
            return None  # relative to the story date
        return pattern.interpret(kind, m.groupdict(), story, tense)

    def _entity_fallback(self, sent, story, taken) -> list[DateExpr]:
        out = []
        base = sent.start_char if hasattr(sent, "start_char") else 0
        for ent in getattr(sent, "ents", ()):
            if ent.label_ != "DATE":
                continue
            s, e = ent.start_char - base, ent.end_char - base
            if any(s < te and ts < e for ts, te in taken):
                continue
            t = ent.text.strip()
            if len(t) > 40 or not _DP_TRIGGER.search(t) or re.fullmatch(r"(?:the\s+)?\d{1,4}", t):
                continue
            tense = self._tense_at(sent, s)
            d = _dateparser(t, story, "future" if tense == "future" else "past")
            if d is not None:
                out.append(DateExpr(s, e, "dateparser", d, d, 3))
        return out

    # --- syntax helpers
    @staticmethod
    def _token_at(sent, char_in_sent: int):
        base = sent.start_char if hasattr(sent, "start_char") else 0
        doc = sent.doc if hasattr(sent, "doc") else sent
        span = doc.char_span(base + char_in_sent, base + char_in_sent + 1, alignment_mode="expand")
        if span is None or not len(span):
            return None
        return span[0]

    @staticmethod
    def _clause_verb(tok):
        seen = 0
        t = tok
        while t.pos_ not in ("VERB", "AUX") and t.head is not t and seen < 30:
            if t.dep_ in ("relcl", "acl") and t.pos_ in ("VERB", "AUX"):
                break
            t = t.head
            seen += 1
        return t if t.pos_ in ("VERB", "AUX") else None

    def _tense_at(self, sent, char_in_sent: int) -> str:
        tok = self._token_at(sent, char_in_sent)
        if tok is None:
            return "unknown"
        v = self._clause_verb(tok)
        if v is None:
            return "unknown"
        return _tense(v)

    def _clause(self, sent, e: DateExpr):
        """(role, governing verb): role is boundary, main, report, sub or other."""
        tok = self._token_at(sent, e.start)
        if tok is None:
            return "main", None
        prev = tok.nbor(-1) if tok.i > 0 else None
        if tok.lower_ in BOUNDARY_WORDS or (prev is not None and prev.lower_ in BOUNDARY_WORDS):
            return "boundary", None
        # "the March 2024 deadline" / "since" anywhere in the expression start
        first_word = (
            sent.text[e.start : e.end].split()[0].lower() if sent.text[e.start : e.end].split() else ""
        )
        if first_word in BOUNDARY_WORDS:
            return "boundary", None
        v = self._clause_verb(tok)
        if v is None:
            return "main", None
        # walk from the verb to the root: relative/adnominal clauses make it subordinate
        t = v
        hops = 0
        while t.head is not t and hops < 30:
            # a verbless root noun with an 'acl' ("Relations soured last year ...") is a
            # mis-parse of a main clause, not a subordinate one
            if t.dep_ in ("relcl", "acl", "appos") and not (
                t.head.dep_ == "ROOT" and t.head.pos_ not in ("VERB", "AUX")
            ):
                return "sub", v
            t = t.head
            hops += 1
        if v.lemma_.lower() in REPORTING_LEMMAS and v.dep_ == "ROOT":
            return "report", v
        return "main", v


def _best_expression(dated: list[tuple[DateExpr, str, object]], trig_clause) -> DateExpr | None:
    """The expression dating the event: with a trigger, one in the trigger's clause first; then
    main clause before reporting clause; then the more precise; then the earlier. Boundaries
    ("since 2014") and subordinate clauses (other than the trigger's) never date it."""
    best = None
    best_key = None
    for e, role, verb in dated:
        if role == "boundary":
            continue
        if trig_clause is not None:
            same = verb is not None and verb.i == trig_clause.i
            if role == "sub" and not same:
                continue
            key = (0 if same else 1, 0 if role == "main" else 1, -e.precision, e.start)
        else:
            if role == "sub":
                continue
            key = (0, {"main": 0, "report": 1}.get(role, 2), -e.precision, e.start)
        if best_key is None or key < best_key:
            best, best_key = e, key
    return best


def _tense(v) -> str:
    """past | future | present | unknown for a verb token."""
    auxes = [c for c in v.children if c.dep_ in ("aux", "auxpass")]
    lowers = {c.lower_ for c in auxes}
    if lowers & {"will", "'ll", "shall", "wo"}:
        return "future"
    if any(c.tag_ == "TO" for c in auxes) or "to" in lowers:
        return _infinitive_tense(v)
    if lowers & {"would"}:
        return "future"  # reported future: "said it would announce ... on Sunday"
    if lowers & {"could", "might", "may", "should"}:
        return "unknown"
    return _finite_tense(v, auxes, lowers)


def _infinitive_tense(v) -> str:
    """Tense of a to-infinitive: from the verb or adjective governing it ("plans to meet")."""
    h = v.head
    if v.dep_ not in ("xcomp", "ccomp", "advcl", "acl") or h is v:
        return "future"
    if h.lemma_.lower() in FUTURE_GOVERNORS or h.lower_ in ("going", "due", "set", "scheduled", "expected"):
        return "future"
    if h.lemma_.lower() == "be":
        return "future"
    if h.pos_ in ("VERB", "AUX"):
        return _tense(h)  # "reopened the crossing to aid deliveries on Sunday"
    return "unknown"


def _finite_tense(v, auxes, lowers: set[str]) -> str:
    """Tense of a finite verb without a modal, from its tag and auxiliaries."""
    if v.tag_ == "VBG" and any(c.lower_ in ("is", "are", "am", "'re", "'s") for c in auxes):
        return "future"  # "are meeting on Saturday"
    if v.tag_ == "VBD" or any(c.tag_ == "VBD" for c in auxes) or lowers & {"has", "have", "had", "did"}:
        return "past"
    if v.tag_ == "VBN" and not lowers & {"is", "are", "am", "be", "'s", "'re"}:
        return "past"
    if v.tag_ == "VBN":
        return "present"  # "talks are scheduled for Dec. 5"
    if v.tag_ in ("VBZ", "VBP"):
        return "present"
    return "unknown"


def _story(story_date: dt.date | None) -> ResolvedDate | None:
    """The story date as an event date (the sentence names no usable date): day precision."""
    return None if story_date is None else ResolvedDate(story_date, "day", False)


@functools.lru_cache(maxsize=4096)
def _dateparser(text: str, story: dt.date, prefer: str) -> dt.date | None:
    try:
        base = dt.datetime(story.year, story.month, story.day, 12, 0)
        res = dateparser.parse(
            text,
            languages=["en"],
            settings={
                "RELATIVE_BASE": base,
                "PREFER_DATES_FROM": prefer,
                "REQUIRE_PARTS": ["year"]
                if re.search(r"\b\d{4}\b", text) and not re.search(r"[a-z]", text, re.IGNORECASE)
                else [],
                "STRICT_PARSING": False,
            },
        )
        if res is None:
            return None
        d = res.date()
        if abs((d - story).days) > 365 * 200:
            return None
        return d
    except Exception:  # noqa: BLE001
        return None


def parse_date_value(s: str, story_date: dt.date | None = None) -> dt.date | None:
    """Parse a short stand-alone date string ("12 March 2024", "March 2024", "2024-03-12",
    "yesterday" with a story date). Returns the interval's first day, or None."""
    try:
        r = DateResolver(use_dateparser=False)
        for pattern in DATE_PATTERNS:
            m = pattern.regex.search(s)
            if m:
                e = r._interpret(pattern.kind, m, story_date, "past")
                if e is not None:
                    return e.first
        return None
    except Exception:  # noqa: BLE001
        return None
