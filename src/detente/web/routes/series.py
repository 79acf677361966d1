"""Series over time: a dyad's relation, one actor against all, and a dyad's spikes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Query, Response

from detente.analysis import series as an
from detente.model import PLOVER_TYPES
from detente.storage.query import QueryError, parse_actor, parse_day
from detente.web import models as M
from detente.web.dependencies import ActorPath, Day, Flagged, Future, Historical, Quad, Reader, Types, records

router = APIRouter()

Period = Literal["day", "week", "month"]
Weight = Literal["events", "mentions"]
# Longest span (days) a series may cover at each resolution: longer ones are slow to build and draw.
MAX_SPAN_DAYS = {"day": 3660, "week": 3660 * 7, "month": 3660 * 31}
PERIOD_END = {"day": pd.DateOffset(days=0), "week": pd.DateOffset(days=6), "month": pd.offsets.MonthEnd(0)}


@dataclass(frozen=True)
class SeriesRequest:
    """What a series answer echoes back besides its rows."""

    a: str
    b: str
    directed: bool
    period: str
    weight: str
    include_flagged: bool
    include_historical: bool
    include_future: bool
    include_imprecise: bool
    max_ids: int

    def answer(self, s: pd.DataFrame) -> dict[str, Any]:
        s["n_ids"] = s["event_ids"].map(len)
        s["event_ids"] = s["event_ids"].map(lambda v: v[: self.max_ids])
        s["period_end"] = pd.to_datetime(s["period"]) + PERIOD_END[self.period]
        types = s[list(PLOVER_TYPES)]
        out = records(s.drop(columns=list(PLOVER_TYPES)))
        for row, t in zip(out, records(types)):
            row["types"] = {k: v for k, v in t.items() if v}
        return {
            "a": self.a,
            "b": self.b,
            "directed": self.directed,
            "period": self.period,
            "weight": self.weight,
            "include_flagged": self.include_flagged,
            "include_historical": self.include_historical,
            "include_future": self.include_future,
            "include_imprecise": self.include_imprecise,
            "cci_definition": an.CCI_DEFINITION,
            "undated": s.attrs.get("undated", 0),
            "imprecise": s.attrs.get("imprecise", 0),
            "series": out,
        }


def check_span(since: str | None, until: str | None, period: str) -> None:
    """Refuse series so long they would be slow to build and to draw (e.g. 50 years by day)."""

    lo, hi = parse_day(since, "since"), parse_day(until, "until")
    if lo and hi and lo > hi:
        raise QueryError(f"since ({lo}) is after until ({hi})")
    if lo and hi:
        days = (hi - lo).days
        cap = MAX_SPAN_DAYS[period]
        if days > cap:
            raise QueryError(f"period too long for {period} resolution: {days} days (limit {cap})")


def _pair(a: str, b: str) -> tuple[str, str]:
    parse_actor(a), parse_actor(b)
    return a.upper(), b.upper()


@router.get(
    "/dyads/{a}/{b}/series",
    summary="Time series of the relation between a and b",
    response_model=M.SeriesOut,
)
def series(
    response: Response,
    reader: Reader,
    a: ActorPath,
    b: ActorPath,
    period: Period = "week",
    directed: bool = False,
    since: Day = None,
    until: Day = None,
    include_flagged: Flagged = False,
    include_historical: Historical = False,
    include_future: Future = False,
    include_imprecise: Annotated[
        bool, Query(description="Also count events dated only to a coarser period (month or year)")
    ] = False,
    type: Types = None,
    quad: Quad = None,
    weight: Weight = "events",
    max_ids: Annotated[int, Query(ge=0, le=1000)] = 100,
):
    a, b = _pair(a, b)
    check_span(since, until, period)
    asked = SeriesRequest(
        a,
        b,
        directed,
        period,
        weight,
        include_flagged,
        include_historical,
        include_future,
        include_imprecise,
        max_ids,
    )

    def go(con):
        s = an.dyad_series(
            con,
            a,
            b,
            freq=period,
            directed=directed,
            since=since,
            until=until,
            include_flagged=include_flagged,
            weight=weight,
            include_historical=include_historical,
            include_future=include_future,
            include_imprecise=include_imprecise,
            types=type,
            quad=quad,
        )
        return asked.answer(s)

    return reader.run(go, response)


@router.get(
    "/actors/{a}/series",
    summary="One actor against all: the series of every event a takes part in",
    response_model=M.SeriesOut,
)
def actor_series(
    response: Response,
    reader: Reader,
    a: ActorPath,
    period: Period = "week",
    since: Day = None,
    until: Day = None,
    include_flagged: Flagged = False,
    include_historical: Historical = False,
    include_future: Future = False,
    include_imprecise: Annotated[
        bool, Query(description="Also count events dated only to a coarser period")
    ] = False,
    type: Types = None,
    quad: Quad = None,
    weight: Weight = "events",
    max_ids: Annotated[int, Query(ge=0, le=1000)] = 100,
):
    parse_actor(a)
    a = a.upper()
    check_span(since, until, period)
    asked = SeriesRequest(
        a,
        "*",
        False,
        period,
        weight,
        include_flagged,
        include_historical,
        include_future,
        include_imprecise,
        max_ids,
    )

    def go(con):
        s = an.actor_series(
            con,
            a,
            freq=period,
            since=since,
            until=until,
            include_flagged=include_flagged,
            weight=weight,
            include_historical=include_historical,
            include_future=include_future,
            include_imprecise=include_imprecise,
            types=type,
            quad=quad,
        )
        return asked.answer(s)

    return reader.run(go, response)


@router.get(
    "/dyads/{a}/{b}/spikes",
    summary="Periods where the dyad departs from its baseline",
    response_model=M.SpikesOut,
)
def spikes(
    response: Response,
    reader: Reader,
    a: ActorPath,
    b: ActorPath,
    period: Period = "week",
    directed: bool = False,
    since: Day = None,
    until: Day = None,
    include_flagged: Flagged = False,
    include_historical: Historical = False,
    include_future: Future = False,
    window: Annotated[int, Query(ge=1, le=520)] = 8,
    threshold: Annotated[float, Query(gt=0, le=100)] = 2.0,
    min_events: Annotated[int, Query(ge=1, le=10**6)] = 3,
):
    a, b = _pair(a, b)
    check_span(since, until, period)

    def go(con):
        sp = an.spikes(
            con,
            a,
            b,
            freq=period,
            directed=directed,
            since=since,
            until=until,
            include_flagged=include_flagged,
            window=window,
            threshold=threshold,
            min_events=min_events,
            include_historical=include_historical,
            include_future=include_future,
        )
        sp["event_ids"] = sp["event_ids"].map(lambda v: v[:200])
        top = {r["id"]: r for r in records(an.events_by_id(con, [i for v in sp["top_event_ids"] for i in v]))}
        out = records(sp)
        for row in out:
            row["top_events"] = [top[i] for i in row["top_event_ids"] if i in top]
        return {"a": a, "b": b, "period": period, "spikes": out}

    return reader.run(go, response)
