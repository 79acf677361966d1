"""Events and documents: the paginated event list, one event, a document with its evidence."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi import Path as PathParam

from detente.analysis import series as an
from detente.storage.query import EventQuery, QueryError
from detente.web import models as M
from detente.web.dependencies import (
    ACTOR_RE,
    MAX_PAGE,
    NOT_FOUND,
    Actor,
    Day,
    Flagged,
    Future,
    Historical,
    Quad,
    Reader,
    Types,
    clean,
    records,
)

router = APIRouter()

# Each listed event also carries how many stories report it and the title of its first story.
EVENT_LIST_COLUMNS = (
    "e.* EXCLUDE (record), greatest(1, (SELECT count(*) FROM mentions m WHERE m.event_id = e.id)) "
    "AS n_mentions, (SELECT d.title FROM documents d WHERE d.id = e.doc_id) AS doc_title"
)


@dataclass(frozen=True)
class EventPage:
    """One page of /events: the filters of `detente events`, an optional place, order and window."""

    filters: dict[str, Any]
    lat: float | None
    lon: float | None
    order: str
    limit: int
    offset: int

    def total(self, con) -> int:
        base = EventQuery(**self.filters)
        if self.lat is None:
            sql, params = base.to_sql(columns="e.id")
            return con.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0]
        sql, params = base.to_sql(columns="e.id, e.lat, e.lon")
        return con.execute(
            f"SELECT count(*) FROM ({sql}) WHERE lat = ? AND lon = ?", [*params, self.lat, self.lon]
        ).fetchone()[0]

    def rows(self, con):
        at_place = self.lat is not None
        query = EventQuery(
            **self.filters,
            limit=None if at_place else self.limit,
            offset=0 if at_place else self.offset,
            order=self.order,
        )
        sql, params = query.to_sql(columns=EVENT_LIST_COLUMNS)
        if at_place:
            # the place is filtered after the query, so the page window is applied here
            sql = f"SELECT * FROM ({sql}) WHERE lat = ? AND lon = ? LIMIT ? OFFSET ?"
            params = [*params, self.lat, self.lon, self.limit, self.offset]
        return con.execute(sql, params).df()

    def answer(self, con, request: Request) -> dict[str, Any]:
        total = self.total(con)
        df = self.rows(con)
        nxt = None
        if self.offset + self.limit < total:
            # relative: the same answer serves every Host name the server is reached by
            u = request.url.include_query_params(offset=self.offset + self.limit)
            nxt = f"{u.path}?{u.query}"
        return {
            "total": int(total),
            "limit": self.limit,
            "offset": self.offset,
            "next": nxt,
            "events": records(df),
        }


@router.get(
    "/events",
    summary="Events matching the filters of `detente events`, paginated",
    response_model=M.EventsPage,
)
def events(
    request: Request,
    response: Response,
    reader: Reader,
    actor: Actor = None,
    target: Actor = None,
    dyad: Annotated[str | None, Query(max_length=40, description="A,B: events between two actors")] = None,
    directed: bool = False,
    type: Types = None,
    quad: Quad = None,
    since: Day = None,
    until: Day = None,
    q: Annotated[str | None, Query(max_length=200, description="Text in the evidence sentence")] = None,
    doc_id: Annotated[str | None, Query(max_length=512)] = None,
    involving: Annotated[
        str | None, Query(pattern=ACTOR_RE, description="Events with this actor on either side")
    ] = None,
    lat: Annotated[float | None, Query(ge=-90, le=90, description="Events at this place (with lon)")] = None,
    lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
    include_flagged: Flagged = False,
    include_historical: Historical = False,
    include_future: Future = False,
    order: Annotated[
        Literal["date", "-date", "confidence"],
        Query(description="Sort order; ties are broken by event id, so pages are stable"),
    ] = "date",
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
):
    filters = {
        "actor": actor,
        "target": target,
        "dyad": dyad,
        "directed": directed,
        "type": type,
        "quad": quad,
        "involving": involving,
        "since": since,
        "until": until,
        "text": q,
        "doc_id": doc_id,
        "include_flagged": include_flagged,
        "include_historical": include_historical,
        "include_future": include_future,
        "fold_symmetric": None,
    }
    if (lat is None) != (lon is None):
        raise QueryError("lat and lon go together")
    page = EventPage(filters, lat, lon, order, limit, offset)
    return reader.run(lambda con: page.answer(con, request), response)


@router.get(
    "/events/{event_id}",
    summary="One event with its PLOVER record and evidence",
    responses=NOT_FOUND,
    response_model=M.EventRecord,
)
def event(
    response: Response,
    reader: Reader,
    event_id: Annotated[str, PathParam(max_length=64, pattern=r"^[A-Za-z0-9_-]+$")],
):
    def go(con):
        row = con.execute("SELECT record FROM events WHERE id = ?", [event_id]).fetchone()
        if row is None:
            raise HTTPException(404, f"no event {event_id!r}")
        rec = json.loads(row[0])
        rec["mentions"] = [
            r[0]
            for r in con.execute(
                "SELECT doc_id FROM mentions WHERE event_id = ? ORDER BY date, doc_id", [event_id]
            ).fetchall()
        ]
        return rec

    return reader.run(go, response)


# `:path`: document ids may hold '/' (files in subfolders, RSS guids that are URLs)
@router.get(
    "/documents/{doc_id:path}",
    summary="A document's text with the evidence of each event marked",
    responses=NOT_FOUND,
    response_model=M.DocumentOut,
)
def document(
    response: Response,
    reader: Reader,
    doc_id: Annotated[str, PathParam(max_length=512)],
    include_flagged: Annotated[bool, Query(description="Include negated and hypothetical events")] = True,
):
    def go(con):
        d = an.document_evidence(con, doc_id, include_flagged=include_flagged)
        if d is None:
            raise HTTPException(404, f"no document {doc_id!r}")
        return clean(d)

    return reader.run(go, response)
