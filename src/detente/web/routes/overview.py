"""Views over the whole database: top actors and dyads, the network, places, search, counts."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from detente.analysis import series as an
from detente.storage.query import QueryError, _split_pair
from detente.web import models as M
from detente.web.dependencies import (
    MAX_PAGE,
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

# Force-directed positions cost quadratic time in the nodes: only for small networks.
MAX_LAYOUT_EDGES = 300


@router.get(
    "/actors",
    summary="Top actors by number of events; q= looks actors up by code or name",
    response_model=M.ActorsOut,
)
def actors(
    response: Response,
    reader: Reader,
    since: Day = None,
    until: Day = None,
    include_flagged: Flagged = False,
    include_historical: Historical = False,
    include_future: Future = False,
    q: Annotated[
        str | None,
        Query(min_length=1, max_length=60, description="Part of an actor code or name, e.g. 'chin'"),
    ] = None,
    n: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    role: Literal["any", "source", "target"] = "any",
):
    def go(con):
        top = an.top_actors(
            con,
            since=since,
            until=until,
            n=n,
            role=role,
            q=q,
            include_flagged=include_flagged,
            include_historical=include_historical,
            include_future=include_future,
        )
        return {"actors": records(top)}

    return reader.run(go, response)


@router.get("/dyads", summary="Top dyads by number of events", response_model=M.DyadsOut)
def dyads(
    response: Response,
    reader: Reader,
    since: Day = None,
    until: Day = None,
    include_flagged: Flagged = False,
    include_historical: Historical = False,
    include_future: Future = False,
    n: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    directed: bool = False,
    actor: Actor = None,
):
    def go(con):
        top = an.top_dyads(
            con,
            since=since,
            until=until,
            n=n,
            directed=directed,
            actor=actor,
            include_flagged=include_flagged,
            include_historical=include_historical,
            include_future=include_future,
        )
        return {"dyads": records(top)}

    return reader.run(go, response)


@router.get(
    "/network",
    summary="Actor network: edges weighted by events, signed by cooperation/conflict",
    response_model=M.NetworkOut,
)
def network(
    response: Response,
    reader: Reader,
    since: Day = None,
    until: Day = None,
    include_flagged: Flagged = False,
    include_historical: Historical = False,
    include_future: Future = False,
    min_events: Annotated[int, Query(ge=1, le=10**6)] = 1,
    max_edges: Annotated[int, Query(ge=1, le=2000)] = 200,
    actor: Actor = None,
    layout: Annotated[
        bool, Query(description="Add force-directed node positions x, y (max_edges <= 300)")
    ] = False,
):
    if layout and max_edges > MAX_LAYOUT_EDGES:
        raise QueryError(f"layout needs max_edges <= {MAX_LAYOUT_EDGES}")

    def go(con):
        net = an.network(
            con,
            since=since,
            until=until,
            min_events=min_events,
            max_edges=max_edges,
            actor=actor,
            include_flagged=include_flagged,
            include_historical=include_historical,
            include_future=include_future,
            layout=layout,
        )
        return {"nodes": records(net.nodes), "edges": records(net.edges)}

    return reader.run(go, response)


@router.get("/locations", summary="Event locations with counts and event ids", response_model=M.LocationsOut)
def locations(
    response: Response,
    reader: Reader,
    since: Day = None,
    until: Day = None,
    include_flagged: Flagged = False,
    include_historical: Historical = False,
    include_future: Future = False,
    dyad: Annotated[str | None, Query(max_length=40)] = None,
    type: Types = None,
    quad: Quad = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
):
    pair = _split_pair(dyad) if dyad else None

    def go(con):
        places = an.event_locations(
            con,
            since=since,
            until=until,
            dyad=pair,
            include_flagged=include_flagged,
            limit=limit,
            include_historical=include_historical,
            include_future=include_future,
            types=type,
            quad=quad,
        )
        return {"locations": records(places)}

    return reader.run(go, response)


@router.get(
    "/search",
    summary="Ranked search (BM25) over evidence sentences and documents",
    response_model=M.SearchOut,
)
def search(
    response: Response,
    reader: Reader,
    q: Annotated[str, Query(min_length=2, max_length=200)],
    include_flagged: Flagged = False,
    include_historical: Historical = True,
    include_future: Future = True,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
):
    def go(con):
        found = an.search(
            con,
            q,
            limit=limit,
            include_flagged=include_flagged,
            include_historical=include_historical,
            include_future=include_future,
        )
        return clean(found)

    return reader.run(go, response)


@router.get(
    "/stats",
    summary="Counts and coverage of the database, and the suggested first view",
    response_model=M.StatsOut,
)
def stats(
    response: Response,
    reader: Reader,
    include_flagged: Flagged = False,
    include_historical: Historical = False,
    include_future: Future = False,
):
    def go(con):
        st = an.stats(
            con,
            include_flagged=include_flagged,
            include_historical=include_historical,
            include_future=include_future,
        )
        st["default_view"] = an.default_view(con) or None
        return st

    return reader.run(go, response)


@router.get("/health", include_in_schema=False)
def health(response: Response, reader: Reader):
    return reader.run(
        lambda con: {"ok": True, "events": con.execute("SELECT count(*) FROM events").fetchone()[0]},
        response,
    )
