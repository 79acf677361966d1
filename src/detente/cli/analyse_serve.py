"""More `detente` sub-commands: `analyse` (dyad series, spikes, top actors/dyads, network),
`serve` (REST API and dashboard) and `report` (a self-contained HTML report)."""

from __future__ import annotations

import json

import click
import pandas as pd
import uvicorn

from detente.analysis import series as an
from detente.analysis.report import write_report
from detente.cli.common import DEFAULT_DB, FatalError
from detente.errors import DetenteError
from detente.model import PLOVER_TYPES
from detente.storage.query import QueryError, _split_pair
from detente.storage.store import EventStore
from detente.web.app import create_app


def _open_ro(db):
    try:
        return EventStore(db, read_only=True)
    except DetenteError as e:
        raise FatalError(str(e)) from None


def _split_dyad(value):
    try:
        return _split_pair(value)
    except QueryError as e:
        raise FatalError(str(e)) from None


def _emit(df, fmt):
    df = df.copy()
    for c in df.columns:
        if df[c].map(lambda v: isinstance(v, list)).any():
            df[c] = df[c].map(lambda v: " ".join(map(str, v)) if isinstance(v, list) else v)
        elif pd.api.types.is_datetime64_any_dtype(df[c]):
            df[c] = df[c].dt.strftime("%Y-%m-%d")
    if fmt == "csv":
        click.echo(df.to_csv(index=False), nl=False)
    elif fmt == "json":
        click.echo(df.to_json(orient="records", date_format="iso", force_ascii=False))
    else:
        if df.empty:
            click.echo("no events match")
            return
        for c in df.columns:
            if c.endswith("event_ids"):
                df[c] = df[c].map(lambda v: (v[:60] + "...") if isinstance(v, str) and len(v) > 63 else v)
        click.echo(df.to_string(index=False, na_rep="-", float_format=lambda v: f"{v:.3f}"))


def _common(f):
    opts = [
        click.option("--db", default=DEFAULT_DB, show_default=True, help="DuckDB file to read."),
        click.option("--since", help="From date (YYYY-MM-DD)."),
        click.option("--until", help="To date (YYYY-MM-DD)."),
        click.option(
            "--all",
            "include_flagged",
            is_flag=True,
            help="Include negated and hypothetical events (excluded by default).",
        ),
        click.option(
            "--include-historical",
            is_flag=True,
            help="Include historical (background) events, e.g. 'since Russia invaded last year'.",
        ),
        click.option("--include-future", is_flag=True, help="Include future (planned, announced) events."),
        click.option(
            "--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True
        ),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def _run(fn):
    try:
        return fn()
    except DetenteError as e:
        raise FatalError(str(e)) from None


@click.group("analyse")
def analyse_group():
    """Relations between actors over time: dyad series, spikes, top actors and dyads, network.

    Counts distinct events (near-duplicate copies once); negated and hypothetical events are
    left out unless --all. Cooperation-conflict index: CCI = (coop - conflict) / (coop + conflict)
    with coop = quad classes 1+2 and conflict = quad classes 3+4.
    """


_period = click.option(
    "--period", "freq", type=click.Choice(["day", "week", "month"]), default="week", show_default=True
)


@analyse_group.command("series")
@click.option("--dyad", required=True, help="Two actor codes A,B (USA,CHN or USA:GOV,CHN).")
@click.option("--directed", is_flag=True, help="Only A -> B.")
@_period
@click.option(
    "--weight",
    type=click.Choice(["events", "mentions"]),
    default="events",
    show_default=True,
    help="mentions: count each event once per story reporting it.",
)
@click.option("--types", "show_types", is_flag=True, help="Also print one count column per PLOVER type.")
@click.option(
    "--include-imprecise",
    is_flag=True,
    help="Also count events dated only to a coarser period (a month or year in a week series).",
)
@_common
def series_cmd(
    dyad,
    directed,
    freq,
    weight,
    show_types,
    include_imprecise,
    db,
    since,
    until,
    include_flagged,
    include_historical,
    include_future,
    fmt,
):
    """Time series of a dyad: counts by quad class and type, mean Goldstein, CCI, event ids."""

    a, b = _split_dyad(dyad)
    with _open_ro(db) as st:
        df = _run(
            lambda: an.dyad_series(
                st,
                a,
                b,
                freq=freq,
                directed=directed,
                since=since,
                until=until,
                include_flagged=include_flagged,
                weight=weight,
                include_historical=include_historical,
                include_future=include_future,
                include_imprecise=include_imprecise,
            )
        )
    if df.attrs.get("imprecise") and fmt == "table":
        click.echo(
            f"({df.attrs['imprecise']} events dated less precisely than a {freq} left out; "
            f"--include-imprecise counts them)",
            err=True,
        )
    if fmt == "table" and not show_types:
        df = df.drop(columns=list(PLOVER_TYPES))
    _emit(df, fmt)


@analyse_group.command("spikes")
@click.option("--dyad", required=True, help="Two actor codes A,B.")
@click.option("--directed", is_flag=True)
@_period
@click.option(
    "--window",
    type=click.IntRange(1, 520),
    default=8,
    show_default=True,
    help="Trailing baseline length in periods.",
)
@click.option(
    "--threshold",
    type=click.FloatRange(min=0.1),
    default=2.0,
    show_default=True,
    help="Report periods with |z| at least this.",
)
@click.option("--min-events", type=click.IntRange(min=1), default=3, show_default=True)
@_common
def spikes_cmd(
    dyad,
    directed,
    freq,
    window,
    threshold,
    min_events,
    db,
    since,
    until,
    include_flagged,
    include_historical,
    include_future,
    fmt,
):
    """Periods where a dyad departs sharply from its own baseline, with the events that caused it."""

    a, b = _split_dyad(dyad)
    with _open_ro(db) as st:
        sp = _run(
            lambda: an.spikes(
                st,
                a,
                b,
                freq=freq,
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
        )
        if fmt != "table":
            _emit(sp, fmt)
            return
        if sp.empty:
            click.echo("no spikes")
            return
        for r in sp.itertuples():
            click.echo(
                f"{r.period:%Y-%m-%d}  {r.events:g} events (baseline {r.baseline_mean:.2f} "
                f"± {r.baseline_std:.2f}, z {r.z:+.1f}, {r.direction}), CCI "
                f"{'-' if r.cci != r.cci else f'{r.cci:+.2f}'}"
            )
            for e in an.events_by_id(st, r.top_event_ids).itertuples():
                click.echo(
                    f"    {str(e.date)[:10]} {e.source_code} {e.event} {e.target_code} [{e.id} in {e.doc_id}] "
                    f'"{e.text}"'
                )


@analyse_group.command("actors")
@click.option("--n", type=click.IntRange(1, 10_000), default=20, show_default=True)
@click.option("--role", type=click.Choice(["any", "source", "target"]), default="any", show_default=True)
@_common
@click.option("--name", "q", help="Only actors whose code or name contains this (e.g. 'china').")
def actors_cmd(n, role, q, db, since, until, include_flagged, include_historical, include_future, fmt):
    """Top actors by number of events."""

    with _open_ro(db) as st:
        _emit(
            _run(
                lambda: an.top_actors(
                    st,
                    since=since,
                    until=until,
                    n=n,
                    role=role,
                    q=q,
                    include_flagged=include_flagged,
                    include_historical=include_historical,
                    include_future=include_future,
                )
            ),
            fmt,
        )


@analyse_group.command("dyads")
@click.option("--n", type=click.IntRange(1, 10_000), default=20, show_default=True)
@click.option("--directed", is_flag=True)
@click.option("--actor", help="Only pairs involving this actor.")
@_common
def dyads_cmd(n, directed, actor, db, since, until, include_flagged, include_historical, include_future, fmt):
    """Top dyads (actor pairs) by number of events."""

    with _open_ro(db) as st:
        _emit(
            _run(
                lambda: an.top_dyads(
                    st,
                    since=since,
                    until=until,
                    n=n,
                    directed=directed,
                    actor=actor,
                    include_flagged=include_flagged,
                    include_historical=include_historical,
                    include_future=include_future,
                )
            ),
            fmt,
        )


@analyse_group.command("network")
@click.option("--min-events", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--max-edges", type=click.IntRange(1, 5000), default=200, show_default=True)
@click.option("--actor", help="Only edges involving this actor.")
@_common
def network_cmd(
    min_events, max_edges, actor, db, since, until, include_flagged, include_historical, include_future, fmt
):
    """The actor network of a period: edges weighted by events, signed by cooperation/conflict."""

    with _open_ro(db) as st:
        net = _run(
            lambda: an.network(
                st,
                since=since,
                until=until,
                min_events=min_events,
                max_edges=max_edges,
                actor=actor,
                include_flagged=include_flagged,
                include_historical=include_historical,
                include_future=include_future,
            )
        )
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "nodes": json.loads(net.nodes.to_json(orient="records")),
                    "edges": json.loads(net.edges.to_json(orient="records")),
                }
            )
        )
    elif fmt == "csv":
        _emit(net.edges, "csv")
    else:
        click.echo("Edges (sign +1 mostly cooperation, -1 mostly conflict):")
        _emit(net.edges, "table")
        click.echo("\nNodes:")
        _emit(net.nodes, "table")


# --------------------------------------------------------------------------- serve


@click.command("serve")
@click.option("--db", default=DEFAULT_DB, show_default=True, help="DuckDB file to serve (opened read-only).")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind. Only 127.0.0.1 unless you mean to expose the data.",
)
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option(
    "--snapshot",
    is_flag=True,
    help="Refresh the served copy only every --refresh seconds (default: whenever the database "
    "file changed, at most every few seconds). Either way the live file is never held open, "
    "so a coding run can always start.",
)
@click.option(
    "--refresh",
    type=click.IntRange(1, 86_400),
    default=30,
    show_default=True,
    help="Seconds between snapshot refreshes with --snapshot.",
)
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    help="Another name clients use to reach the server (repeatable); requests naming any other "
    "Host are refused (DNS rebinding). --host and, on loopback, localhost are always allowed.",
)
@click.option(
    "--max-work",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    help="Requests working on the database at once; more wait their turn (connections are not limited).",
)
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    help="Allow browser calls from this origin (repeatable). CORS is closed by default.",
)
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    default="info",
    show_default=True,
)
def serve_cmd(db, host, port, snapshot, refresh, allowed_hosts, max_work, cors_origins, log_level):
    """Serve the REST API (OpenAPI at /docs) and the dashboard (at /) for DB."""

    try:
        app = create_app(
            db,
            snapshot=snapshot,
            refresh=refresh,
            cors_origins=list(cors_origins),
            host=host,
            allowed_hosts=list(allowed_hosts),
            max_work=max_work,
        )
    except DetenteError as e:
        raise FatalError(str(e)) from None
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(
            f"warning: binding {host}: the API and dashboard are reachable from other machines", err=True
        )
    click.echo(
        f"Dashboard: http://{'[' + host + ']' if ':' in host else host}:{port}/   "
        f"API docs: /docs   (Ctrl+C to stop)",
        err=True,
    )
    if host in ("0.0.0.0", "::") and not allowed_hosts:
        click.echo(
            "note: only requests naming localhost/127.0.0.1 are answered; add --allowed-host NAME for "
            "the names other machines use",
            err=True,
        )
    # No connection limit: an idle keep-alive socket must not turn work away. Work is limited in the
    # app (--max-work); the backlog holds connections the event loop has not accepted yet.
    uvicorn.run(app, host=host, port=port, log_level=log_level, timeout_keep_alive=5, backlog=2048)


# --------------------------------------------------------------------------- report


@click.command("report")
@click.option("--dyad", required=True, help="Two actor codes A,B, e.g. USA,CHN.")
@click.option("--since", help="From date (YYYY-MM-DD).")
@click.option("--until", help="To date (YYYY-MM-DD).")
@click.option(
    "--period",
    "freq",
    type=click.Choice(["day", "week", "month"]),
    default=None,
    help="Series resolution (default: from the span: day up to 2 months, week up to 2 years).",
)
@click.option("--db", default=DEFAULT_DB, show_default=True)
@click.option("--out", default="report.html", show_default=True, type=click.Path(dir_okay=False))
@click.option(
    "--top",
    type=click.IntRange(1, 500),
    default=25,
    show_default=True,
    help="How many top events (with evidence) to list.",
)
@click.option("--all", "include_flagged", is_flag=True, help="Include negated and hypothetical events.")
@click.option("--include-historical", is_flag=True, help="Include historical (background) events.")
@click.option("--include-future", is_flag=True, help="Include future (planned) events.")
def report_cmd(dyad, since, until, freq, db, out, top, include_flagged, include_historical, include_future):
    """A self-contained HTML report on a dyad (charts and top events with evidence), opens offline."""

    a, b = _split_dyad(dyad)
    with _open_ro(db) as st:
        try:
            info = write_report(
                st,
                a,
                b,
                out,
                since=since,
                until=until,
                freq=freq,
                top=top,
                include_flagged=include_flagged,
                include_historical=include_historical,
                include_future=include_future,
            )
        except DetenteError as e:
            raise FatalError(str(e)) from None
        except OSError as e:
            raise FatalError(f"{out}: cannot write: {e.strerror or e}") from None
    click.echo(
        f"wrote {out}: {info['events']} events, {info['periods']} {info['freq']}s, {info['spikes']} spikes",
        err=True,
    )
