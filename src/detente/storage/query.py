"""Event filters shared by the CLI, the Python API and the REST API.

Every value from a user goes into the SQL as a bound parameter; only fixed column names and
operators are written into the statement text.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from detente.errors import DetenteError
from detente.model import PLOVER_TYPES

ACTOR_CODE = re.compile(r"^[A-Z0-9]{2,12}$")
SECTOR_CODE = re.compile(r"^[A-Z]{2,5}$")
MAX_LIMIT = 1_000_000
# e.id last: a unique tie-breaker, so LIMIT/OFFSET pages never repeat or skip an event
ORDER_BY = {
    "date": "e.date, e.doc_id, e.span_start, e.id",
    "confidence": "e.confidence DESC, e.date, e.id",
    "-date": "e.date DESC, e.doc_id, e.span_start, e.id",
}


class QueryError(DetenteError, ValueError):
    """A filter value is not valid (bad actor code, unknown event type, bad date...)."""


def parse_actor(value: str) -> tuple[str, str | None]:
    """'USA' or 'USA:GOV' -> (code, sector)."""
    v = value.strip().upper()
    code, _, sector = v.partition(":")
    if not ACTOR_CODE.match(code):
        raise QueryError(
            f"bad actor code {value!r}: expected a country code like USA or an "
            f"organisation code like NATO, optionally with :SECTOR"
        )
    if sector and not SECTOR_CODE.match(sector):
        raise QueryError(f"bad sector in {value!r}: expected e.g. USA:GOV")
    return code, sector or None


def parse_day(value: Any, name: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise QueryError(f"bad {name} date {value!r}: expected YYYY-MM-DD") from None


@dataclass
class EventQuery:
    actor: str | None = None  # source actor code ('USA', 'USA:MIL')
    target: str | None = None  # recipient actor code
    dyad: str | tuple[str, str] | None = None  # 'USA,CHN': events between the two
    involving: str | None = None  # events with this actor on either side (one actor against all)
    directed: bool = False  # dyad only A -> B
    type: str | list[str] | None = None  # PLOVER type(s)
    quad: int | list[int] | None = None
    since: dt.date | str | None = None
    until: dt.date | str | None = None
    text: str | None = None  # substring of the evidence sentence
    doc_id: str | None = None
    include_flagged: bool = False  # include negated and hypothetical events
    # Historical (background) and future (planned) events. Kept by default at this level (the
    # store's raw queries and exports); analyses, the API, the dashboard and `detente events`
    # pass False: they count news events only unless asked.
    include_historical: bool = True
    include_future: bool = True
    # Count a symmetric event (a meeting of A and B, stored once each way) once. None: yes
    # unless a role is asked for (actor/target filters, a directed dyad), where both rows matter.
    # The store's raw queries pass False (exports keep both rows, as coded).
    fold_symmetric: bool | None = False
    limit: int | None = None
    offset: int = 0
    order: str = "date"
    _where: list[str] = field(default_factory=list, repr=False)
    _params: list[Any] = field(default_factory=list, repr=False)

    def _add(self, sql: str, *params: Any) -> None:
        self._where.append(sql)
        self._params.extend(params)

    def _actor_clause(self, value: str, role: str | None) -> None:
        """Events with this actor (code, optional sector) in this role (None: either side)."""
        code, sector = parse_actor(value)
        sql = "EXISTS (SELECT 1 FROM event_actors a WHERE a.event_id = e.id"
        params: list[Any] = []
        if role:
            sql += " AND a.role = ?"
            params.append(role)
        sql += " AND a.code = ?"
        params.append(code)
        if sector:
            sql += " AND a.sector = ?"
            params.append(sector)
        self._add(sql + ")", *params)

    def _dyad_clause(self) -> None:
        a, b = self.dyad if isinstance(self.dyad, (tuple, list)) else _split_pair(self.dyad)
        (ca, sa), (cb, sb) = parse_actor(a), parse_actor(b)
        fwd = _pair_sql(sa, sb)
        params = _pair_params(ca, sa, cb, sb)
        if self.directed:
            self._add(fwd, *params)
        else:
            self._add(f"({fwd} OR {_pair_sql(sb, sa)})", *params, *_pair_params(cb, sb, ca, sa))

    def _type_clause(self) -> None:
        types = self.type if isinstance(self.type, list) else [t for t in str(self.type).split(",") if t]
        types = [t.strip().upper() for t in types]
        bad = [t for t in types if t not in PLOVER_TYPES]
        if bad:
            raise QueryError(f"unknown event type {bad[0]!r}; expected one of {', '.join(PLOVER_TYPES)}")
        self._add("e.event IN (" + ",".join("?" * len(types)) + ")", *types)

    def _quad_clause(self) -> None:
        quads = self.quad if isinstance(self.quad, list) else [q for q in str(self.quad).split(",") if q]
        try:
            quads = [int(q) for q in quads]
        except ValueError:
            raise QueryError(f"bad quad class {self.quad!r}: expected 1-4") from None
        if any(q not in (1, 2, 3, 4) for q in quads):
            raise QueryError(f"bad quad class {self.quad!r}: expected 1-4")
        self._add("e.quad_code IN (" + ",".join("?" * len(quads)) + ")", *quads)

    def _who_clauses(self) -> None:
        """Filters on the actors: source, target, either side, dyad."""
        if self.actor:
            self._actor_clause(self.actor, "actor")
        if self.target:
            self._actor_clause(self.target, "recipient")
        if self.involving:
            self._actor_clause(self.involving, None)
        if self.dyad:
            self._dyad_clause()

    def _what_clauses(self) -> None:
        """Filters on the event: type, quad class, dates, evidence text, document."""
        if self.type:
            self._type_clause()
        if self.quad not in (None, "", []):
            self._quad_clause()
        since, until = parse_day(self.since, "since"), parse_day(self.until, "until")
        if since:
            self._add("e.date >= ?", since)
        if until:
            self._add("e.date <= ?", until)
        if self.text:
            self._add("e.text ILIKE ? ESCAPE '\\'", "%" + _escape_like(self.text) + "%")
        if self.doc_id:
            self._add("e.doc_id = ?", self.doc_id)

    def _flag_clauses(self) -> None:
        """Leave out flagged events, and fold mirrored symmetric rows, as asked."""
        flags = flag_sql("e", self.include_flagged, self.include_historical, self.include_future)
        if flags:
            self._add(flags)
        fold = self.fold_symmetric
        if fold is None:
            fold = not (self.actor or self.target or (self.dyad and self.directed))
        if fold:
            self._add(symmetric_fold_sql("e"))

    def _page_sql(self) -> str:
        """ORDER BY, LIMIT and OFFSET (their values bound as parameters)."""
        order = ORDER_BY.get(self.order)
        if order is None:
            raise QueryError(f"bad order {self.order!r}: expected date, -date or confidence")
        sql = f" ORDER BY {order}"
        if self.limit is not None:
            limit = int(self.limit)
            if limit < 0 or limit > MAX_LIMIT:
                raise QueryError(f"bad limit {self.limit!r}: expected 0..{MAX_LIMIT}")
            sql += " LIMIT ?"
            self._params.append(limit)
        if self.offset:
            if int(self.offset) < 0:
                raise QueryError("offset must be >= 0")
            sql += " OFFSET ?"
            self._params.append(int(self.offset))
        return sql

    def to_sql(self, columns: str = "e.* EXCLUDE (record)") -> tuple[str, list[Any]]:
        """The SELECT of the events that pass every filter, and its parameters."""
        self._where, self._params = [], []
        self._who_clauses()
        self._what_clauses()
        self._flag_clauses()
        sql = f"SELECT {columns} FROM events e"
        if self._where:
            sql += " WHERE " + " AND ".join(self._where)
        return sql + self._page_sql(), list(self._params)


def _split_pair(value: str) -> tuple[str, str]:
    parts = [p.strip() for p in str(value).split(",")]
    if len(parts) != 2 or not all(parts):
        raise QueryError(f"bad dyad {value!r}: expected two actor codes like USA,CHN")
    return parts[0], parts[1]


def _pair_sql(sector_a: str | None, sector_b: str | None) -> str:
    def one(role: str, sector: str | None) -> str:
        s = "EXISTS (SELECT 1 FROM event_actors a WHERE a.event_id = e.id AND a.role = ? AND a.code = ?"
        return s + (" AND a.sector = ?)" if sector else ")")

    return f"({one('actor', sector_a)} AND {one('recipient', sector_b)})"


def _pair_params(ca: str, sa: str | None, cb: str, sb: str | None) -> list[Any]:
    p: list[Any] = ["actor", ca] + ([sa] if sa else []) + ["recipient", cb] + ([sb] if sb else [])
    return p


def _escape_like(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def flag_sql(
    alias: str = "e",
    include_flagged: bool = False,
    include_historical: bool = False,
    include_future: bool = False,
) -> str:
    """The WHERE clause that leaves out flagged events (empty when nothing is left out).
    Negated and hypothetical events did not happen; historical ones are background to the story
    ("since Russia invaded last year"); future ones are plans. None of them is news of the day."""
    parts = []
    if not include_flagged:
        parts.append(f"NOT coalesce({alias}.negated, false) AND NOT coalesce({alias}.hypothetical, false)")
    if not include_historical:
        parts.append(f"NOT coalesce({alias}.historical, false)")
    if not include_future:
        parts.append(f"NOT coalesce({alias}.future, false)")
    return " AND ".join(parts)


def symmetric_fold_sql(alias: str = "e") -> str:
    """True for every event except the second row of a mirrored symmetric pair.

    The coder stores a symmetric event (A met B) as two rows, A->B and B->A, with the same
    document, sentence, type, trigger, date and flags. Undirected counts keep the row whose
    source code sorts first. Rows whose flags or dates differ are not folded (both are kept)."""
    a = alias
    same = " AND ".join(
        f"m.{c} IS NOT DISTINCT FROM {a}.{c}"
        for c in ("event_text", "date", "negated", "hypothetical", "historical", "future")
    )
    return (
        f'NOT (coalesce({a}."symmetric", false) AND {a}.source_code > {a}.target_code AND EXISTS ('
        f'SELECT 1 FROM events m WHERE m."symmetric" AND m.doc_id = {a}.doc_id '
        f"AND m.span_start = {a}.span_start AND m.event = {a}.event AND m.source_code = {a}.target_code "
        f"AND m.target_code = {a}.source_code AND {same}))"
    )
