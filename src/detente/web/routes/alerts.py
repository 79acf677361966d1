"""REST and server-sent-event endpoints for the alerts of `detente watch`, and the dashboard's
alerts panel script.

The server never holds the live database file (the watcher writes to it): like every other
endpoint, each read goes through the app's `Database` and whatever copy it serves (see
web/snapshots.py; a copy refreshed as the file changes). The stream polls that way every
`POLL_SECONDS` and ends after `STREAM_SECONDS`; the browser's EventSource reconnects by itself with the id of the
last alert it received (Last-Event-ID), so nothing is missed and a server shutdown never waits
long on an open stream.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import FileResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from detente.monitoring.alerts import evidence, list_alerts
from detente.web.dependencies import DatabaseReader, Reader

STREAM_SECONDS = 25.0
HEARTBEAT_SECONDS = 10.0
# How often an open stream looks for new alerts.
POLL_SECONDS = 1.0

router = APIRouter(tags=["alerts"])


def _with_events(con, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Attach the events behind each alert (evidence sentence, document) to the rows."""
    found = evidence(con, [i for r in rows for i in r["event_ids"]])
    for r in rows:
        r["events"] = [found[i] for i in r["event_ids"] if i in found]
    return rows


def fetch(
    reader: DatabaseReader, after: int, limit: int, rule: str | None, newest_first: bool
) -> tuple[list[dict], str]:
    with reader.cursor() as (con, source):
        rows = list_alerts(con, after=after, limit=limit, rule=rule, newest_first=newest_first)
        return _with_events(con, rows), source


@router.get("/alerts", summary="Alerts raised by `detente watch`, newest first, with their events")
def alerts(
    response: Response,
    reader: Reader,
    after: Annotated[int, Query(ge=0, le=10**12, description="Only alerts with seq above this")] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    rule: Annotated[str | None, Query(max_length=200)] = None,
):
    rows, source = fetch(reader, after, limit, rule, True)
    response.headers["X-Detente-Source"] = source
    return {"alerts": rows, "last_seq": max((r["seq"] for r in rows), default=after)}


async def _alert_events(request: Request, reader: DatabaseReader, start: int) -> AsyncIterator[str]:
    """The text of the stream: alerts after `start` as they come, keep-alives, for STREAM_SECONDS."""
    cursor = start
    t0 = last_beat = time.monotonic()
    yield "retry: 1000\n\n"
    while time.monotonic() - t0 < STREAM_SECONDS:
        if await request.is_disconnected():
            return
        try:
            rows, _ = await run_in_threadpool(fetch, reader, cursor, 100, None, False)
        except Exception as e:  # noqa: BLE001 - database briefly unavailable: say so, keep the stream
            yield f": unavailable {str(e).splitlines()[0][:200]}\n\n"
            rows = []
        for r in rows:
            cursor = max(cursor, int(r["seq"]))
            yield f"id: {r['seq']}\nevent: alert\ndata: {json.dumps(r, default=str)}\n\n"
        if not rows and time.monotonic() - last_beat > HEARTBEAT_SECONDS:
            last_beat = time.monotonic()
            yield ": keep-alive\n\n"
        await asyncio.sleep(POLL_SECONDS)


@router.get(
    "/alerts/stream",
    summary="Server-sent events: each new alert as an `alert` event",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "`event: alert`, `id: <seq>`, `data: <alert JSON>`",
        }
    },
)
async def stream(
    request: Request,
    reader: Reader,
    after: Annotated[int, Query(ge=0, le=10**12)] = 0,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
):
    start = after
    if last_event_id and last_event_id.strip().isdigit():
        start = max(start, int(last_event_id.strip()))
    return StreamingResponse(
        _alert_events(request, reader, start),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/alerts/panel.js", include_in_schema=False)
def panel_js():
    path = Path(str(resources.files("detente.web") / "static" / "alerts.js"))
    return FileResponse(path, media_type="application/javascript", headers={"Cache-Control": "no-cache"})
