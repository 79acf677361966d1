"""What the routes share: the database reader (a FastAPI dependency), the query-parameter types,
the 404 answer's schema and the JSON helpers.

The reader is made once by `create_app` and kept in `app.state`; a route asks for it with a
`reader: Reader` parameter (FastAPI resolves it per request), so routes live in plain APIRouters
with no closure over the app.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Callable, Iterator
from typing import Annotated, Any, TypeVar

import pandas as pd
from fastapi import Depends, Query, Request, Response
from fastapi import Path as PathParam

from detente.web.guards import WorkLimiter
from detente.web.snapshots import Database

MAX_PAGE = 500
DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
ACTOR_RE = r"^[A-Za-z0-9]{2,12}(:[A-Za-z]{2,5})?$"

T = TypeVar("T")


class DatabaseReader:
    """Runs a route's query on the current snapshot within a worker slot, and says in the
    X-Detente-Source header which copy answered."""

    def __init__(self, database: Database, limiter: WorkLimiter):
        self.database = database
        self.limiter = limiter

    def run(self, fn: Callable[[Any], T], response: Response) -> T:
        """fn(cursor) on the current snapshot; DetenteError -> 422/503 by the app's handlers."""
        with self.limiter.slot(), self.database.connect() as (con, source):
            response.headers["X-Detente-Source"] = source
            return fn(con)

    @contextlib.contextmanager
    def cursor(self) -> Iterator[tuple[Any, str]]:
        """(cursor, source) without a worker slot (the alerts stream polls in the background)."""
        with self.database.connect() as found:
            yield found


async def database_reader(request: Request) -> DatabaseReader:
    return request.app.state.reader


Reader = Annotated[DatabaseReader, Depends(database_reader)]

Day = Annotated[str | None, Query(pattern=DATE_RE, description="YYYY-MM-DD")]
Actor = Annotated[str | None, Query(pattern=ACTOR_RE, description="Actor code, e.g. USA or USA:GOV")]
ActorPath = Annotated[str, PathParam(pattern=ACTOR_RE, description="Actor code, e.g. USA or USA:GOV")]
Flagged = Annotated[bool, Query(description="Include negated and hypothetical events")]
Historical = Annotated[
    bool,
    Query(description="Include historical (background) events, e.g. 'since Russia invaded last year'"),
]
Future = Annotated[bool, Query(description="Include future (planned, announced) events")]
Types = Annotated[str | None, Query(max_length=200, description="PLOVER type(s), comma-separated")]
Quad = Annotated[str | None, Query(pattern=r"^[1-4](,[1-4]){0,3}$", description="Quad class(es) 1-4")]

NOT_FOUND = {
    404: {
        "description": "No such item",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"detail": {"type": "string"}},
                    "required": ["detail"],
                }
            }
        },
    }
}


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame -> JSON-safe records (dates as YYYY-MM-DD, NaN as null)."""
    df = df.copy()
    for c in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[c]):
            df[c] = df[c].dt.strftime("%Y-%m-%d")
    return json.loads(
        df.to_json(
            orient="records", date_format="iso", force_ascii=False, default_handler=str, double_precision=15
        )
    )


def clean(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: clean(x) for k, x in v.items()}
    if isinstance(v, list):
        return [clean(x) for x in v]
    return v
