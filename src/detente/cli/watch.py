"""`detente watch` (follow feeds, code what is new, raise alerts) and `detente alerts` (list them)."""

from __future__ import annotations

import json
import os
import re
import sys

import click

from detente.analysis import series as an
from detente.cli.common import DEFAULT_DB, FatalError
from detente.errors import DetenteError, ExitCode, is_database_in_use
from detente.execution.local import CoderFactory
from detente.monitoring.alerts import RuleError, list_alerts, load_rules
from detente.monitoring.watch import JsonLog, Watcher, make_source
from detente.nlp.without_torch import keep_torch_out
from detente.settings import current
from detente.storage.connections import StoreError, connect
from detente.storage.query import QueryError, parse_day
from detente.web.snapshots import Database

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$", re.IGNORECASE)


def parse_duration(value: str) -> float:
    """'15m' -> 900.0; '10s', '1h', '2d', '500ms', or plain seconds."""
    m = _DURATION.match(str(value))
    if not m:
        raise click.BadParameter(f"{value!r}: expected a duration like 10s, 15m, 1h")
    n = (
        float(m.group(1))
        * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}[(m.group(2) or "").lower() or None]
    )
    if n <= 0:
        raise click.BadParameter(f"{value!r}: must be more than zero")
    return n


class Duration(click.ParamType):
    name = "duration"

    def convert(self, value, param, ctx):
        if isinstance(value, (int, float)):
            return float(value)
        try:
            return parse_duration(value)
        except click.BadParameter as e:
            self.fail(str(e.message), param, ctx)


@click.command("watch")
@click.argument("sources", nargs=-1, required=True)
@click.option(
    "--db", default=DEFAULT_DB, show_default=True, help="DuckDB file to store documents, events, alerts."
)
@click.option(
    "--every",
    type=Duration(),
    default="15m",
    show_default=True,
    help="Time between polls of each source (10s, 15m, 1h).",
)
@click.option("--rules", "rules_path", type=click.Path(dir_okay=False), help="Alert rules (YAML).")
@click.option("--webhook", help="POST each alert as JSON to this URL (retried in the background).")
@click.option("--once", is_flag=True, help="Poll every source once and exit (for cron).")
@click.option(
    "--timeout",
    type=Duration(),
    default="20s",
    show_default=True,
    help="Longest wait for a whole HTTP response.",
)
@click.option(
    "--max-bytes",
    type=click.IntRange(min=1024),
    default=10_000_000,
    show_default=True,
    help="Largest feed accepted (bytes, after decompression).",
)
@click.option(
    "--settle",
    type=Duration(),
    default="1s",
    show_default=True,
    help="Directories: read a new file once it has not changed for this long.",
)
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=64, show_default=True)
@click.option(
    "--dedup/--no-dedup",
    default=True,
    show_default=True,
    help="Fold near-duplicate copies of a story into the first one.",
)
@click.option(
    "--max-chars", type=click.IntRange(min=1), default=None, help="Longest story accepted (characters)."
)
@click.option(
    "--accurate", is_flag=True, help="Use the relation reader for unsure pairs (see `detente code`)."
)
@click.option(
    "--log",
    "log_path",
    type=click.Path(dir_okay=False),
    help="Write the JSON-lines log to FILE (appended) instead of standard error.",
)
@click.option(
    "--log-level", type=click.Choice(["debug", "info", "warning", "error"]), default="info", show_default=True
)
def watch_cmd(
    sources,
    db,
    every,
    rules_path,
    webhook,
    once,
    timeout,
    max_bytes,
    settle,
    batch_size,
    dedup,
    max_chars,
    accurate,
    log_path,
    log_level,
):
    """Follow SOURCES (RSS/Atom URLs, directories, growing .jsonl files), code new items into DB
    and raise alerts.

    Each alert is stored, printed on standard output as one line, and POSTed to --webhook. The
    log (JSON lines) goes to standard error or --log. SIGTERM/SIGINT stop cleanly after the
    batch being coded; a killed watcher resumes with nothing lost or coded twice.
    Exit status: 0; with --once, 1 if a source failed or items were skipped; 2 on usage errors.
    """

    keep_torch_out()  # this process only codes: spaCy without PyTorch (nlp/without_torch.py)
    settings = current().replace(encoder=True) if accurate else current()
    try:
        rules = load_rules(rules_path) if rules_path else []
        srcs = [make_source(s, timeout=timeout, max_bytes=max_bytes, settle=settle) for s in sources]
    except (RuleError, DetenteError) as e:
        raise FatalError(str(e)) from None
    keys = [s.key for s in srcs]
    if len(set(keys)) != len(keys):
        raise FatalError("the same source is given twice")
    log_stream = None
    if log_path:
        try:
            log_stream = open(log_path, "a", encoding="utf-8")  # noqa: SIM115 - open for the whole run, closed below
        except OSError as e:
            raise FatalError(f"{log_path}: cannot write: {e.strerror or e}") from None
    log = JsonLog(log_stream or sys.stderr, level=log_level)
    try:
        watcher = Watcher(
            db,
            srcs,
            every=every,
            rules=rules,
            webhook=webhook,
            once=once,
            batch_size=batch_size,
            dedup=dedup,
            max_chars=max_chars,
            log=log,
            coder_factory=CoderFactory.from_settings(settings),
        )
        watcher.install_signal_handlers()
        code = watcher.run()
    except DetenteError as e:
        log("error", "fatal", error=str(e))
        raise FatalError(str(e)) from None
    except KeyboardInterrupt:
        log("warning", "interrupted", note="every batch written so far is complete; run again to resume")
        sys.exit(ExitCode.INTERRUPTED)
    finally:
        if log_stream is not None:
            log_stream.close()
    sys.exit(code)


@click.command("alerts")
@click.option("--db", default=DEFAULT_DB, show_default=True)
@click.option("--rule", help="Only alerts of this rule.")
@click.option("--since", help="Raised on or after this day (YYYY-MM-DD).")
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
@click.option("--events", "show_events", is_flag=True, help="Also print the evidence of each alert's events.")
@click.option("--format", "fmt", type=click.Choice(["table", "jsonl"]), default="table", show_default=True)
def alerts_cmd(db, rule, since, limit, show_events, fmt):
    """List the alerts raised by `detente watch` (newest first), with the events behind each.

    Works while a watcher runs (through a snapshot copy if it holds the database)."""

    def read(con):
        rows = list_alerts(con, limit=limit, rule=rule, since=day)
        found = {}
        if show_events or fmt == "jsonl":
            df = an.events_by_id(con, [i for r in rows for i in r["event_ids"]])
            for rec in df.to_dict("records"):
                found[rec["id"]] = rec
        return rows, found

    try:
        day = parse_day(since, "since")
    except QueryError as e:
        raise FatalError(str(e)) from None
    if not os.path.exists(db):
        raise FatalError(f"{db}: no such database (run `detente watch` first)")
    try:
        # The watcher closes the database between polls: open it directly; while it is coding a
        # batch (the file is locked), read a snapshot copy as the server does.
        try:
            con = connect(db, read_only=True)
        except StoreError as e:
            if not is_database_in_use(e):
                raise
            database = Database(db)
            try:
                with database.connect() as (snap, _source):
                    rows, evidence = read(snap)
            finally:
                database.close()
        else:
            try:
                rows, evidence = read(con)
            finally:
                con.close()
    except DetenteError as e:
        raise FatalError(str(e)) from None
    if fmt == "jsonl":
        for r in rows:
            r["events"] = [
                {
                    k: evidence[i].get(k)
                    for k in (
                        "id",
                        "date",
                        "doc_id",
                        "source_code",
                        "event",
                        "target_code",
                        "confidence",
                        "text",
                    )
                }
                for i in r["event_ids"]
                if i in evidence
            ]
            click.echo(json.dumps(r, default=str, ensure_ascii=False))
        return
    if not rows:
        click.echo("no alerts")
        return
    for r in rows:
        hook = f" webhook={r['webhook_status']}" if r["webhook_status"] else ""
        click.echo(f"#{r['seq']} {r['created_at']} {r['message']}{hook}")
        if show_events:
            for i in r["event_ids"]:
                e = evidence.get(i)
                if e:
                    click.echo(
                        f"    {str(e['date'])[:10]} {e['source_code']} {e['event']} {e['target_code']} "
                        f'[{i} in {e["doc_id"]}] "{e["text"]}"'
                    )


commands = [watch_cmd, alerts_cmd]
