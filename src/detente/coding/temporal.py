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
from dataclasses import dataclass

import dateparser

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

NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "several": 3,
    "a few": 3,
    "few": 3,
    "a couple of": 2,
    "couple of": 2,
}

# Verbs whose own date is the date of speaking, not of the reported event.
REPORTING_LEMMAS = {"say", "tell", "add", "report", "note", "write", "quote", "comment", "explain"}
# Prepositions that make a date expression a boundary rather than the event's date.
BOUNDARY_WORDS = {"since", "until", "till", "by", "through", "throughout"}
# Verbs governing a to-infinitive whose event lies in the future.
FUTURE_GOVERNORS = {
    "plan",
    "expect",
    "schedule",
    "set",
    "due",
    "intend",
    "aim",
    "hope",
    "prepare",
    "agree",
    "promise",
    "pledge",
    "vow",
    "decide",
    "want",
    "seek",
    "threaten",
    "offer",
    "propose",
    "invite",
    "urge",
    "ask",
    "call",
}

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

# Order matters: longer / more specific patterns first; overlapping later matches are dropped.
_PATTERNS: list[tuple[str, re.Pattern]] = [
    (name, re.compile(rx, re.IGNORECASE if flags else 0))
    for name, rx, flags in [
        ("iso", r"\b(?P<y>" + _YEAR + r")-(?P<m>0[1-9]|1[0-2])-(?P<d>0[1-9]|[12][0-9]|3[01])\b", 0),
        (
            "dmy",
            r"\b(?P<d>" + _DAYNUM + r")(?:\s+of)?\s+(?P<mon>" + _MONTH_RE + r"),?\s+(?P<y>" + _YEAR + r")\b",
            0,
        ),
        ("mdy", r"\b(?P<mon>" + _MONTH_RE + r")\s+(?P<d>" + _DAYNUM + r"),?\s+(?P<y>" + _YEAR + r")\b", 0),
        ("dm", r"\b(?P<d>" + _DAYNUM + r")(?:\s+of)?\s+(?P<mon>" + _MONTH_RE + r")(?![\w-])", 0),
        (
            "md",
            r"\b(?P<mon>"
            + _MONTH_RE
            + r")\s+(?P<d>"
            + _DAYNUM
            + r")\b(?!\s*(?:%|per|million|billion|troops|people))",
            0,
        ),
        ("my", r"\b(?P<mon>" + _MONTH_RE + r"),?\s+(?P<y>" + _YEAR + r")\b", 0),
        ("day_before_yesterday", r"\bthe\s+day\s+before\s+yesterday\b", 1),
        ("day_after_tomorrow", r"\bthe\s+day\s+after\s+tomorrow\b", 1),
        ("yesterday", r"\byesterday\b", 1),
        ("last_night", r"\blast\s+night\b", 1),
        ("today", r"\b(?:today|tonight|this\s+(?:morning|afternoon|evening))\b", 1),
        ("tomorrow", r"\btomorrow\b", 1),
        ("ago", r"\b(?P<n>" + _NUM + r")\s+(?P<unit>day|week|month|year|decade)s?\s+ago\b", 1),
        ("vague_ago", r"\b(?P<unit>days|weeks|months|years|decades|centuries)\s+ago\b", 1),
        (
            "in_n",
            r"\b(?:in|within)\s+(?P<n>" + _NUM + r")\s+(?P<unit>day|week|month|year)s?(?:'|\s+time)?\b",
            1,
        ),
        (
            "rel_unit",
            r"\b(?P<which>last|next|this|past|coming|earlier\s+this|later\s+this)\s+(?P<unit>week|month|year|weekend)\b",
            1,
        ),
        (
            "weekday",
            r"\b(?:(?P<which>last|next|this|past|coming)\s+)?(?P<wd>" + _WEEKDAY_RE + r")(?:'s)?\b",
            0,
        ),
        ("weekend", r"\b(?:over\s+|at\s+|during\s+)?the\s+weekend\b", 1),
        (
            "rel_month",
            r"\b(?P<which>last|next|this|early|late|mid|mid-|earlier\s+in|later\s+in|in|since|until|by|during|from)\s*(?P<mon>"
            + _MONTH_RE
            + r")(?![\w-])(?!\s+\d)",
            0,
        ),
        ("decade", r"\b(?:the\s+)?(?P<y>1[89][0-9]0|20[0-9]0)s\b", 0),
        ("year", r"(?<![\d,.$£€-])\b(?P<y>" + _YEAR + r")\b(?![\d%-]|[,.]\d)", 0),
        (
            "named_war",
            r"\b(?:the\s+)?(?P<name>Cold\s+War|(?:First|Second)\s+World\s+War|World\s+War\s+(?:I{1,2}|One|Two|1|2)|Korean\s+War|Vietnam\s+War|Gulf\s+War)\b",
            0,
        ),
    ]
]

_NAMED_PERIODS = {
    "cold war": (dt.date(1947, 1, 1), dt.date(1991, 12, 31)),
    "first world war": (dt.date(1914, 7, 28), dt.date(1918, 11, 11)),
    "world war i": (dt.date(1914, 7, 28), dt.date(1918, 11, 11)),
    "world war one": (dt.date(1914, 7, 28), dt.date(1918, 11, 11)),
    "world war 1": (dt.date(1914, 7, 28), dt.date(1918, 11, 11)),
    "second world war": (dt.date(1939, 9, 1), dt.date(1945, 9, 2)),
    "world war ii": (dt.date(1939, 9, 1), dt.date(1945, 9, 2)),
    "world war two": (dt.date(1939, 9, 1), dt.date(1945, 9, 2)),
    "world war 2": (dt.date(1939, 9, 1), dt.date(1945, 9, 2)),
    "korean war": (dt.date(1950, 6, 25), dt.date(1953, 7, 27)),
    "vietnam war": (dt.date(1955, 11, 1), dt.date(1975, 4, 30)),
    "gulf war": (dt.date(1990, 8, 2), dt.date(1991, 2, 28)),
}

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


# The precision each kind of expression gives (relative kinds depend on their unit word).
_KIND_PRECISION = {
    "iso": "day",
    "dmy": "day",
    "mdy": "day",
    "dm": "day",
    "md": "day",
    "day_before_yesterday": "day",
    "day_after_tomorrow": "day",
    "yesterday": "day",
    "last_night": "day",
    "today": "day",
    "tomorrow": "day",
    "weekday": "day",
    "weekend": "day",
    "dateparser": "day",
    "my": "month",
    "rel_month": "month",
    "year": "year",
    "decade": "year",
    "named_war": "year",
}
_UNIT_PRECISION = {
    "day": "day",
    "week": "week",
    "weekend": "day",
    "month": "month",
    "year": "year",
    "decade": "year",
    "days": "week",
    "weeks": "month",
    "months": "year",
    "years": "year",
    "decades": "year",
    "centuries": "year",
}


def expression_precision(e: DateExpr) -> str:
    if e.kind in _KIND_PRECISION:
        return _KIND_PRECISION[e.kind]
    return _UNIT_PRECISION.get(e.unit, {3: "day", 2: "month"}.get(e.precision, "year"))


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


# ---------------------------------------------------------------- the resolver
class DateResolver:
    """Stateless apart from a small dateparser cache; build once, call `resolve` per event."""

    def __init__(self, use_dateparser: bool = True, historical_days: int = HISTORICAL_DAYS):
        self.use_dateparser = use_dateparser
        self.historical_days = historical_days

    # public -------------------------------------------------------------------------
    def resolve(self, sent, story_date: dt.date | None, trigger=None) -> tuple[ResolvedDate | None, bool]:
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

    def find_expressions(self, sent, story_date: dt.date | None) -> list[tuple[DateExpr, str]]:
        """All date expressions in the sentence with their clause role (for debugging/tests)."""
        return [(e, self._clause(sent, e)[0]) for e in self._expressions(sent, story_date)]

    # internals ----------------------------------------------------------------------
    def _resolve(self, sent, story_date, trigger):
        text = sent.text
        if not text or not text.strip():
            return _story(story_date), False
        exprs = self._expressions(sent, story_date)
        if story_date is not None:
            exprs = [e for e in exprs if self._future_ok(sent, e, story_date)]
        if not exprs:
            return _story(story_date), False
        trig_tok = self._trigger_token(sent, trigger)
        trig_clause = self._clause_verb(trig_tok) if trig_tok is not None else None
        best = None
        best_key = None
        for e in exprs:
            role, verb = self._clause(sent, e)
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
        for kind, rx in _PATTERNS:
            for m in rx.finditer(text):
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
        return prev is not None and prev.lower_ in {
            "in",
            "during",
            "since",
            "until",
            "by",
            "before",
            "after",
            "of",
            "from",
            "the",
            "to",
            "early",
            "late",
            "mid",
            "through",
            "year",
            "'s",
            "between",
            "and",
        }

    def _interpret(self, kind, m, story, tense) -> DateExpr | None:
        g = m.groupdict()
        if kind == "iso":
            d = _safe_date(int(g["y"]), int(g["m"]), int(g["d"]))
            return DateExpr(0, 0, kind, d, d, 3) if d else None
        if kind in ("dmy", "mdy"):
            d = _safe_date(int(g["y"]), _month(g["mon"]), _day(g["d"]))
            return DateExpr(0, 0, kind, d, d, 3) if d else None
        if kind == "my":
            a, b = _month_bounds(int(g["y"]), _month(g["mon"]))
            return DateExpr(0, 0, kind, a, b, 2)
        if kind == "year":
            y = int(g["y"])
            if story is not None and y == story.year:
                return DateExpr(0, 0, kind, story, story, 1)  # "this year": no more precise
            return DateExpr(0, 0, kind, dt.date(y, 1, 1), dt.date(y, 12, 31), 1)
        if kind == "decade":
            y = int(g["y"])
            return DateExpr(0, 0, kind, dt.date(y, 1, 1), dt.date(y + 9, 12, 31), 1)
        if kind == "named_war":
            a, b = _NAMED_PERIODS[" ".join(g["name"].lower().split())]
            return DateExpr(0, 0, kind, a, b, 1)
        if story is None:
            return None  # everything below is relative to the story date
        one = dt.timedelta(days=1)
        if kind in ("dm", "md"):
            d = _nearest_year(story, _month(g["mon"]), _day(g["d"]), tense)
            return DateExpr(0, 0, kind, d, d, 3) if d else None
        if kind == "day_before_yesterday":
            d = story - 2 * one
            return DateExpr(0, 0, kind, d, d, 3)
        if kind == "day_after_tomorrow":
            d = story + 2 * one
            return DateExpr(0, 0, kind, d, d, 3)
        if kind in ("yesterday", "last_night"):
            return DateExpr(0, 0, kind, story - one, story - one, 3)
        if kind == "today":
            return DateExpr(0, 0, kind, story, story, 3)
        if kind == "tomorrow":
            return DateExpr(0, 0, kind, story + one, story + one, 3)
        if kind in ("ago", "in_n"):
            n = _num(g["n"])
            unit = g["unit"].lower()
            sign = -1 if kind == "ago" else 1
            if unit == "day":
                d = story + sign * n * one
                return DateExpr(0, 0, kind, d, d, 3)
            if unit == "week":
                d = story + sign * 7 * n * one
                return DateExpr(0, 0, kind, d, d, 2)
            months = {"month": 1, "year": 12, "decade": 120}[unit] * n
            d = _add_months(story, sign * months)
            return DateExpr(0, 0, kind, d, d, 2 if unit == "month" else 1)
        if kind == "vague_ago":
            unit = g["unit"].lower()
            back = {
                "days": (3, 2),
                "weeks": (21, 14),
                "months": (120, 60),
                "years": (3 * 365, 2 * 365),
                "decades": (20 * 365, 10 * 365),
                "centuries": (200 * 365, 100 * 365),
            }[unit]
            return DateExpr(
                0,
                0,
                kind,
                story - back[0] * one,
                story - back[1] * one,
                3 if unit == "days" else 2 if unit in ("weeks", "months") else 1,
            )
        if kind == "rel_unit":
            which = " ".join(g["which"].lower().split())
            unit = g["unit"].lower()
            if unit == "weekend":
                if which in ("last", "past") or (which == "this" and tense == "past"):
                    sat = _weekday(story, 5, "last" if story.weekday() not in (5, 6) else "past")
                elif which in ("next", "coming") or tense == "future":
                    sat = _weekday(story, 5, "future")
                else:
                    sat = _weekday(story, 5, "past")
                return DateExpr(0, 0, kind, sat, sat + one, 3)
            if unit == "week":
                monday = story - story.weekday() * one
                if which in ("last", "past"):
                    return DateExpr(0, 0, kind, monday - 7 * one, monday - one, 2)
                if which in ("next", "coming"):
                    return DateExpr(0, 0, kind, monday + 7 * one, monday + 13 * one, 2)
                if which == "earlier this":
                    return DateExpr(0, 0, kind, monday, max(monday, story - one), 2)
                if which == "later this":
                    return DateExpr(0, 0, kind, story + one, monday + 6 * one, 2)
                return DateExpr(0, 0, kind, story, story, 2)
            if unit == "month":
                a, b = _month_bounds(story.year, story.month)
                if which in ("last", "past"):
                    p = _add_months(a, -1)
                    return DateExpr(0, 0, kind, *_month_bounds(p.year, p.month), 2)
                if which in ("next", "coming"):
                    n = _add_months(a, 1)
                    return DateExpr(0, 0, kind, *_month_bounds(n.year, n.month), 2)
                if which == "earlier this":
                    return DateExpr(0, 0, kind, a, max(a, story - one), 2)
                if which == "later this":
                    return DateExpr(0, 0, kind, min(b, story + one), b, 2)
                return DateExpr(0, 0, kind, story, story, 2)
            # year
            a, b = dt.date(story.year, 1, 1), dt.date(story.year, 12, 31)
            if which in ("last", "past"):
                return DateExpr(0, 0, kind, dt.date(story.year - 1, 1, 1), dt.date(story.year - 1, 12, 31), 1)
            if which in ("next", "coming"):
                return DateExpr(0, 0, kind, dt.date(story.year + 1, 1, 1), dt.date(story.year + 1, 12, 31), 1)
            if which == "earlier this":
                return DateExpr(0, 0, kind, a, max(a, story - one), 1)
            if which == "later this":
                return DateExpr(0, 0, kind, min(b, story + one), b, 1)
            return DateExpr(0, 0, kind, story, story, 1)
        if kind == "weekday":
            wd = WEEKDAYS[g["wd"].lower()]
            which = (g.get("which") or "").lower()
            if which in ("last", "past"):
                direction = "last"
            elif which in ("next", "coming"):
                direction = "next"
            else:
                direction = {"past": "past", "future": "future"}.get(tense, "near")
            d = _weekday(story, wd, direction)
            return DateExpr(0, 0, kind, d, d, 3)
        if kind == "weekend":
            direction = "future" if tense == "future" else "past"
            sat = _weekday(story, 5, direction)
            return DateExpr(0, 0, kind, sat, sat + one, 3)
        if kind == "rel_month":
            which = " ".join(g["which"].lower().split())
            mon = _month(g["mon"])
            if g["mon"].lower().rstrip(".") == "may" and which not in (
                "in",
                "early",
                "late",
                "mid",
                "mid-",
                "last",
                "next",
                "since",
                "until",
                "by",
                "during",
                "from",
                "this",
                "earlier in",
                "later in",
            ):
                return None
            if which in ("since", "until", "by"):
                pass  # a boundary; still interpreted, then skipped by the clause filter
            cands = [story.year - 1, story.year, story.year + 1]
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
                y = min(cands, key=lambda yy: abs((dt.date(yy, mon, 15) - story).days))
            a, b = _month_bounds(y, mon)
            return DateExpr(0, 0, kind, a, b, 2)
        return None

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
            if t.dep_ in ("relcl", "acl", "appos"):
                # a verbless root noun with an 'acl' ("Relations soured last year ...") is a
                # mis-parse of a main clause, not a subordinate one
                if not (t.head.dep_ == "ROOT" and t.head.pos_ not in ("VERB", "AUX")):
                    return "sub", v
            t = t.head
            hops += 1
        if v.lemma_.lower() in REPORTING_LEMMAS and v.dep_ == "ROOT":
            return "report", v
        return "main", v


def _tense(v) -> str:
    """past | future | present | unknown for a verb token."""
    auxes = [c for c in v.children if c.dep_ in ("aux", "auxpass")]
    lowers = {c.lower_ for c in auxes}
    if lowers & {"will", "'ll", "shall", "wo"}:
        return "future"
    if any(c.tag_ == "TO" for c in auxes) or "to" in lowers:
        h = v.head
        if v.dep_ in ("xcomp", "ccomp", "advcl", "acl") and h is not v:
            if h.lemma_.lower() in FUTURE_GOVERNORS or h.lower_ in (
                "going",
                "due",
                "set",
                "scheduled",
                "expected",
            ):
                return "future"
            if h.lemma_.lower() == "be":
                return "future"
            if h.pos_ in ("VERB", "AUX"):
                return _tense(h)  # "reopened the crossing to aid deliveries on Sunday"
            return "unknown"
        return "future"
    if lowers & {"would"}:
        return "future"  # reported future: "said it would announce ... on Sunday"
    if lowers & {"could", "might", "may", "should"}:
        return "unknown"
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
        for kind, rx in _PATTERNS:
            m = rx.search(s)
            if m:
                e = r._interpret(kind, m, story_date, "past")
                if e is not None:
                    return e.first
        return None
    except Exception:  # noqa: BLE001
        return None
