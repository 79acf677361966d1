"""`detente code`: read inputs, code them (local pool or Dask) into the store, optionally write --out;
`detente load-parquet`: load the Parquet output of a Dask run into the store."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import click
import duckdb
import pandas as pd
from tqdm import tqdm

from detente.cli.common import DEFAULT_DB, _die
from detente.errors import DetenteError
from detente.execution.dask_engine import load_parquet, run_dask
from detente.execution.local import CodingRun
from detente.io.export import check_output_path, write_records
from detente.io.readers import display_name, read_inputs
from detente.model import Document
from detente.storage.near_duplicates import NearDuplicateIndex
from detente.storage.store import EventStore

# `error:` lines printed by `detente code` before the rest are only counted (--errors-shown)
DEFAULT_ERRORS_SHOWN = 100


@click.command("code")
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "--db", default=DEFAULT_DB, show_default=True, help="DuckDB file to store documents and events."
)
@click.option("--out", type=click.Path(dir_okay=False), help="Also write the events of these inputs to FILE.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv", "parquet"]),
    default=None,
    help="Format of --out (default: from its extension, else jsonl).",
)
@click.option("--limit", type=click.IntRange(min=0), help="Code at most N documents.")
@click.option(
    "--workers",
    type=click.IntRange(min=1, max=64),
    default=1,
    show_default=True,
    help="Worker processes (each loads the model once).",
)
@click.option("--batch-size", type=click.IntRange(min=1, max=10_000), default=64, show_default=True)
@click.option(
    "--engine",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="local: processes on this machine; dask: a Dask cluster (see README).",
)
@click.option("--scheduler", help="Dask scheduler address (tcp://HOST:PORT); default a LocalCluster.")
@click.option(
    "--parquet-dir",
    type=click.Path(file_okay=False),
    help="With --engine dask: where to write date-partitioned Parquet (default: events_parquet/).",
)
@click.option(
    "--dedup/--no-dedup",
    default=True,
    show_default=True,
    help="Fold near-duplicate copies of a story into the first one.",
)
@click.option(
    "--max-chars",
    type=click.IntRange(min=1),
    default=None,
    help="Longest story accepted, in characters; longer ones are reported and skipped "
    "[default: 500000, or $DETENTE_MAX_STORY_CHARS].",
)
@click.option(
    "--accurate",
    is_flag=True,
    help="Let the fine-tuned relation reader (MiniLM-based, CPU) give a second opinion on event "
    "types the fast classifier is unsure of: PLV macro-F1 0.80 -> 0.86 (5-fold CV); "
    "slower (see README, Accuracy).",
)
@click.option(
    "--follow-symlinks",
    is_flag=True,
    help="Follow symlinks in input directories that point outside them (default: such "
    "links are reported and skipped, so a link to /etc/shadow is never read).",
)
@click.option(
    "--errors-shown",
    type=click.IntRange(min=0),
    default=DEFAULT_ERRORS_SHOWN,
    show_default=True,
    help="Print at most N `error:` lines; every error is still counted, and the summary "
    "gives the most common reasons.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary.")
def code_cmd(
    inputs,
    db,
    out,
    fmt,
    limit,
    workers,
    batch_size,
    engine,
    scheduler,
    parquet_dir,
    dedup,
    quiet,
    max_chars=None,
    accurate=False,
    follow_symlinks=False,
    errors_shown=None,
):
    """Code news INPUTS (files, directories, feeds, JSONL/CSV corpora, or - for stdin) into DB."""
    if errors_shown is None:
        errors_shown = DEFAULT_ERRORS_SHOWN
    if accurate:
        # an environment variable, so that worker processes (local pool, Dask workers) see it too
        os.environ["DETENTE_ENCODER"] = "1"

    if out and fmt is None:
        fmt = {".csv": "csv", ".parquet": "parquet"}.get(Path(out).suffix.lower(), "jsonl")
    if out:
        try:  # before anything is coded: a typo in --out must not cost a whole run
            check_output_path(out)
        except DetenteError as e:
            _die(str(e))
    if engine == "dask":
        try:
            stats = run_dask(
                list(inputs),
                db=db,
                parquet_dir=parquet_dir or "events_parquet",
                scheduler=scheduler,
                workers=workers,
                limit=limit,
                quiet=quiet,
                batch_size=batch_size,
            )
        except DetenteError as e:
            _die(str(e))
        if not quiet:
            click.echo(stats.summary(), err=True)
        sys.exit(1 if stats.errors else 0)

    try:
        store = EventStore(db)
    except DetenteError as e:
        _die(str(e))

    show_progress = not quiet and sys.stderr.isatty()
    bar = None
    if show_progress:
        bar = tqdm(unit="doc", dynamic_ncols=True, file=sys.stderr, desc="coding")

    def on_progress(stats, n):
        if bar is not None:
            bar.update(n)
            bar.set_postfix(events=stats.events, errors=stats.errors, refresh=False)

    errors = ErrorReport(errors_shown)

    def on_error(err):
        msg = errors.line(err)
        if msg is None or quiet:
            return
        if bar is not None:
            bar.write(msg, file=sys.stderr)
        else:
            click.echo(msg, err=True)

    dedup_index = None
    if dedup:
        dedup_index = NearDuplicateIndex.from_store(store)

    seen_ids: list[str] = []
    run = CodingRun(
        store,
        workers=workers,
        batch_size=batch_size,
        limit=limit,
        dedup=dedup_index,
        on_error=on_error,
        on_progress=on_progress,
        on_events=(lambda d, evs: seen_ids.append(d.id)) if out else None,
    )
    items = read_inputs(inputs, max_chars=max_chars, follow_symlinks=follow_symlinks)
    if out:
        # Documents skipped as already stored still belong in --out: remember every id read.
        items = _remember_ids(items, seen_ids)
    try:
        try:
            stats = run.run(items)
        except Exception as e:
            if isinstance(e, duckdb.InterruptException):
                # Ctrl-C during any DuckDB query of the run (a read before a batch, not only the
                # batch write that store.add_batch maps): still the user's interrupt
                raise KeyboardInterrupt from e
            raise
    except KeyboardInterrupt:
        if bar is not None:
            bar.close()
        store.close()
        click.echo(
            "interrupted: every batch written so far is complete; rerun the same command to resume.", err=True
        )
        sys.exit(130)
    except DetenteError as e:
        store.close()
        _die(str(e))
    except Exception as e:  # a bug, not bad input: say so, exit 2 (1 means "items skipped")
        store.close()
        if os.environ.get("DETENTE_DEBUG"):
            raise
        _die(
            f"internal error: {type(e).__name__}: {e} (set DETENTE_DEBUG=1 for a traceback; "
            f"every batch written before it is complete, rerun to resume)"
        )
    finally:
        if bar is not None:
            bar.close()
    if out:
        wanted = list(dict.fromkeys(seen_ids))
        try:
            n = write_records(_records_for_docs(store, wanted), fmt, out)
        except OSError as e:
            store.close()
            if not quiet:
                click.echo(errors.summary(stats), err=True, nl=False)
                click.echo(stats.summary(), err=True)
            _die(
                f"{out}: cannot write: {e.strerror or e}; nothing was written there. The events "
                f"are stored in {db}: `detente export` writes them once the cause is fixed"
            )
        if not quiet:
            click.echo(f"wrote {n:,} events to {out}", err=True)
    store.close()
    if not quiet:
        click.echo(errors.summary(stats), err=True, nl=False)
        click.echo(stats.summary(), err=True)
        click.echo(f"database: {db}", err=True)
    sys.exit(1 if stats.errors else 0)


class ErrorReport:
    """The `error:` lines of a run: each on one line (file names may hold line breaks), at most
    `shown` of them printed (a 10 KB gzip of `{}` lines holds millions of bad records), and a
    summary of the rest by reason."""

    MAX_REASONS = 200

    def __init__(self, shown: int):
        self.shown = shown
        self.count = 0
        self.reasons: dict[str, int] = {}

    def line(self, err) -> str | None:
        """The line to print for this error, or None once the cap is reached."""

        self.count += 1
        reason = _reason_key(getattr(err, "reason", None) or str(err))
        if reason in self.reasons or len(self.reasons) < self.MAX_REASONS:
            self.reasons[reason] = self.reasons.get(reason, 0) + 1
        else:
            self.reasons["(other reasons)"] = self.reasons.get("(other reasons)", 0) + 1
        if self.count > self.shown:
            return None
        return "error: " + display_name(str(err))

    def summary(self, stats) -> str:
        if self.count <= self.shown:
            return ""
        top = sorted(self.reasons.items(), key=lambda kv: -kv[1])[:10]
        lines = [
            f"... {self.count - self.shown:,} more errors not shown (first {self.shown:,} shown; "
            f"--errors-shown N to see more). Errors by reason:"
        ]
        lines += [f"  {n:>12,}  {r}" for r, n in top]
        return "\n".join(lines) + "\n"


def _reason_key(reason: str) -> str:
    """Reasons with their numbers blanked, so 'column 5' and 'column 7' count together."""

    r = re.sub(r"\d[\d,.]*", "N", display_name(reason))
    return r if len(r) <= 160 else r[:157] + "..."


def _remember_ids(items, sink):
    for it in items:
        if isinstance(it, Document):
            sink.append(it.id)
        yield it


def _records_for_docs(store, doc_ids):
    for i in range(0, len(doc_ids), 5000):
        chunk = pd.DataFrame(
            {"doc_id": doc_ids[i : i + 5000], "ord": range(i, i + len(doc_ids[i : i + 5000]))}
        )
        store.con.register("_want_docs", chunk)
        try:
            rows = store.con.execute(
                "SELECT e.record FROM events e JOIN mentions m ON m.event_id = e.id "
                "JOIN _want_docs w ON w.doc_id = m.doc_id ORDER BY w.ord, e.span_start"
            ).fetchall()
        finally:
            store.con.unregister("_want_docs")
        seen = set()
        for (rec,) in rows:
            r = json.loads(rec)
            if r["id"] not in seen:
                seen.add(r["id"])
                yield r


@click.command("load-parquet")
@click.argument("parquet_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--db", default=DEFAULT_DB, show_default=True)
@click.option("--dedup/--no-dedup", default=True, show_default=True)
def load_parquet_cmd(parquet_dir, db, dedup):
    """Load the Parquet output of `detente code --engine dask` into a DuckDB database."""

    try:
        stats = load_parquet(parquet_dir, db, dedup=dedup)
    except DetenteError as e:
        _die(str(e))
    click.echo(stats.summary(), err=True)
