"""Reading the store from the command line: `detente events`, `export`, `summary`."""

from __future__ import annotations

import sys

import click

from detente.cli.common import DEFAULT_DB, FatalError
from detente.errors import DetenteError
from detente.io.export import export_store, write_csv, write_jsonl
from detente.storage.store import EventStore

# --------------------------------------------------------------------------- query options


def query_options(f):
    opts = [
        click.option("--actor", help="Source actor code, e.g. USA or USA:MIL."),
        click.option("--target", help="Target (recipient) actor code."),
        click.option("--dyad", help="Two actor codes A,B: events between them (either direction)."),
        click.option("--directed", is_flag=True, help="With --dyad: only A -> B."),
        click.option("--type", "type_", help="PLOVER event type(s), comma-separated."),
        click.option("--quad", help="Quad class(es) 1-4, comma-separated."),
        click.option("--since", help="From date (YYYY-MM-DD)."),
        click.option("--until", help="To date (YYYY-MM-DD)."),
        click.option("--search", "text", help="Text the evidence sentence contains."),
        click.option(
            "--all",
            "include_flagged",
            is_flag=True,
            help="Include negated and hypothetical events (excluded by default).",
        ),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def _filters(**kw):
    kw["type"] = kw.pop("type_", None)
    return {k: v for k, v in kw.items() if v not in (None, False, "")}


def _open_ro(db):
    try:
        return EventStore(db, read_only=True)
    except DetenteError as e:
        raise FatalError(str(e))


@click.command("events")
@click.option("--db", default=DEFAULT_DB, show_default=True)
@query_options
@click.option(
    "--include-historical",
    is_flag=True,
    help="Include historical (background) events, e.g. 'since Russia invaded last year'.",
)
@click.option("--include-future", is_flag=True, help="Include future (planned, announced) events.")
@click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "jsonl", "csv"]), default="table", show_default=True
)
def events_cmd(db, limit, fmt, include_historical, include_future, **kw):
    """Query stored events (news events only: negated, hypothetical, historical and future events
    are left out unless asked)."""

    store = _open_ro(db)
    try:
        filters = _filters(**kw)
        filters.update(include_historical=include_historical, include_future=include_future)
        if fmt == "table":
            df = store.events(limit=limit, **filters)
            if df.empty:
                click.echo("no events match")
                return
            cols = [
                "date",
                "source_code",
                "source_sector",
                "event",
                "target_code",
                "target_sector",
                "cameo_code",
                "quad_code",
                "confidence",
                "event_text",
                "doc_id",
            ]
            view = df[cols].copy()
            view["confidence"] = view["confidence"].round(2)
            click.echo(view.to_string(index=False, na_rep="-"))
        else:
            writer = write_jsonl if fmt == "jsonl" else write_csv
            writer(store.records(limit=limit, **filters), sys.stdout)
    except DetenteError as e:
        raise FatalError(str(e))
    finally:
        store.close()


@click.command("export")
@click.option("--db", default=DEFAULT_DB, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "parquet", "gdelt"]), required=True)
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Output file.")
@query_options
def export_cmd(db, fmt, out, **kw):
    """Export stored events as PLOVER JSONL, CSV, Parquet or GDELT 2.0 event columns (TSV)."""

    store = _open_ro(db)
    try:
        n = export_store(store, fmt, out, **_filters(**kw))
    except DetenteError as e:
        raise FatalError(str(e))
    except OSError as e:
        raise FatalError(f"{out}: cannot write: {e.strerror or e}; nothing was written there")
    finally:
        store.close()
    click.echo(f"wrote {n:,} events to {out}", err=True)


@click.command("summary")
@click.option("--db", default=DEFAULT_DB, show_default=True)
@click.option("--examples", type=click.IntRange(min=0), default=5, show_default=True)
def summary_cmd(db, examples):
    """A readable overview of a database: counts, top dyads and types, example evidence."""
    store = _open_ro(db)
    try:
        c = store.counts()
        click.echo(
            f"{c['documents']:,} documents, {c['events']:,} events "
            f"({c['duplicates']:,} near-duplicate documents folded)"
        )
        df = store.query(
            "SELECT source_code || ' -> ' || coalesce(target_code, '-') AS dyad, event, count(*) AS n "
            "FROM events WHERE NOT negated AND NOT hypothetical GROUP BY ALL ORDER BY n DESC, dyad LIMIT 25"
        )
        if not df.empty:
            click.echo("\nEvents per dyad and type (negated/hypothetical excluded):")
            click.echo(df.to_string(index=False))
        fl = store.query(
            "SELECT sum(negated::INT) neg, sum(hypothetical::INT) hyp, sum(future::INT) fut, "
            "sum(historical::INT) hist FROM events"
        ).iloc[0]
        click.echo(
            f"\nFlagged: {int(fl['neg'] or 0)} negated, {int(fl['hyp'] or 0)} hypothetical, "
            f"{int(fl['fut'] or 0)} future, {int(fl['hist'] or 0)} historical"
        )
        if examples:
            ex = store.query(
                "SELECT date, source_code, source_sector, event, target_code, target_sector, event_text, "
                "text, confidence, doc_id FROM events WHERE NOT negated AND NOT hypothetical "
                "ORDER BY confidence DESC, date LIMIT ?",
                [examples],
            )
            click.echo("\nExamples with evidence:")
            for r in ex.astype(object).where(ex.notna(), None).itertuples():
                day = str(r.date)[:10] if r.date is not None else "undated"
                click.echo(
                    f"- {day} {r.source_code or '-'}/{r.source_sector or '-'} {r.event} "
                    f"{r.target_code or '-'}/{r.target_sector or '-'} [{r.event_text}] "
                    f"conf {r.confidence:.2f} ({r.doc_id})"
                )
                click.echo(f'    "{r.text}"')
    finally:
        store.close()
