"""`detente code`: read inputs, code them (local pool or Dask) into the store, optionally write --out;
`detente load-parquet`: load the Parquet output of a Dask run into the store."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import click
import duckdb
import pandas as pd
from tqdm import tqdm

from detente.cli.common import DEFAULT_DB, CtrlC, FatalError
from detente.errors import DetenteError, ExitCode, run_exit_code
from detente.execution.dask_engine import load_parquet, run_dask
from detente.execution.local import CoderFactory, CodingRun, RunStats
from detente.io.export import check_output_path, write_records
from detente.io.readers import display_name, read_inputs
from detente.model import Document
from detente.nlp.without_torch import keep_torch_out
from detente.settings import current
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
    keep_torch_out()  # this process only codes: spaCy without PyTorch (nlp/without_torch.py)
    settings = current().replace(encoder=True) if accurate else current()
    # handed to every worker process (pool initialiser, Dask task): the relation reader on or off
    coder_factory = CoderFactory.from_settings(settings)
    fmt = _checked_output(out, fmt)
    if engine == "dask":
        seen_ids: list[str] = []
        stats = _code_on_dask(
            inputs,
            db,
            parquet_dir,
            scheduler,
            workers,
            limit,
            quiet,
            batch_size,
            coder_factory,
            on_document=(lambda d: seen_ids.append(d.id)) if out else None,
        )
        if out:
            store = _open_store(db)
            _write_out(store, seen_ids, fmt, out, db, RunConsole(quiet, DEFAULT_ERRORS_SHOWN), stats)
            store.close()
        sys.exit(run_exit_code(stats.errors))

    store = _open_store(db)
    console = RunConsole(quiet, DEFAULT_ERRORS_SHOWN if errors_shown is None else errors_shown)
    seen_ids: list[str] = []
    run = CodingRun(
        store,
        workers=workers,
        batch_size=batch_size,
        limit=limit,
        dedup=NearDuplicateIndex.from_store(store) if dedup else None,
        on_error=console.on_error,
        on_progress=console.on_progress,
        on_events=(lambda d, evs: seen_ids.append(d.id)) if out else None,
        coder_factory=coder_factory,
    )
    items = read_inputs(inputs, max_chars=max_chars, follow_symlinks=follow_symlinks)
    if out:
        # Documents skipped as already stored still belong in --out: remember every id read.
        items = _remember_ids(items, seen_ids)
    stats = _run_to_end(run, items, store, console, settings.debug)
    if out:
        _write_out(store, seen_ids, fmt, out, db, console, stats)
    store.close()
    console.summary(stats, db)
    sys.exit(run_exit_code(stats.errors))


def _checked_output(out: str | None, fmt: str | None) -> str | None:
    """The format of --out (from its extension unless given); refuses an unusable --out before
    anything is coded: a typo in --out must not cost a whole run."""
    if not out:
        return fmt
    if fmt is None:
        fmt = {".csv": "csv", ".parquet": "parquet"}.get(Path(out).suffix.lower(), "jsonl")
    try:
        check_output_path(out)
    except DetenteError as e:
        raise FatalError(str(e)) from None
    return fmt


def _code_on_dask(
    inputs, db, parquet_dir, scheduler, workers, limit, quiet, batch_size, coder_factory, on_document=None
) -> RunStats:
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
            coder_factory=coder_factory,
            on_document=on_document,
        )
    except DetenteError as e:
        raise FatalError(str(e)) from None
    if not quiet:
        click.echo(stats.summary(), err=True)
    return stats


def _open_store(db: str) -> EventStore:
    try:
        return EventStore(db)
    except DetenteError as e:
        raise FatalError(str(e)) from None


class RunConsole:
    """What a local run shows on standard error: the progress bar (on a terminal, unless
    --quiet), the capped `error:` lines and the closing summary."""

    def __init__(self, quiet: bool, errors_shown: int):
        self.quiet = quiet
        self.errors = ErrorReport(errors_shown)
        self.bar = None
        if not quiet and sys.stderr.isatty():
            self.bar = tqdm(unit="doc", dynamic_ncols=True, file=sys.stderr, desc="coding")

    def on_progress(self, stats: RunStats, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)
            self.bar.set_postfix(events=stats.events, errors=stats.errors, refresh=False)

    def on_error(self, err) -> None:
        msg = self.errors.line(err)
        if msg is None or self.quiet:
            return
        if self.bar is not None:
            self.bar.write(msg, file=sys.stderr)
        else:
            click.echo(msg, err=True)

    def close_bar(self) -> None:
        if self.bar is not None:
            self.bar.close()

    def counts(self, stats: RunStats) -> None:
        if not self.quiet:
            click.echo(self.errors.summary(stats), err=True, nl=False)
            click.echo(stats.summary(), err=True)

    def summary(self, stats: RunStats, db: str) -> None:
        self.counts(stats)
        if not self.quiet:
            click.echo(f"database: {db}", err=True)


def _run_to_end(run: CodingRun, items, store: EventStore, console: RunConsole, debug: bool) -> RunStats:
    """The run's statistics; Ctrl-C exits 130, a DetenteError or a bug exits 2 (1 means "items
    skipped"), each after closing the store: every batch written before is complete."""
    ctrl_c = CtrlC()
    try:
        try:
            with ctrl_c:
                return run.run(items)
        except Exception as e:
            # Ctrl-C during any DuckDB query of the run, whichever exception DuckDB chose to
            # report it with: still the user's interrupt
            if ctrl_c.seen or isinstance(e, duckdb.InterruptException):
                raise KeyboardInterrupt from e
            raise
    except KeyboardInterrupt:
        console.close_bar()
        store.close()
        click.echo(
            "interrupted: every batch written so far is complete; rerun the same command to resume.", err=True
        )
        sys.exit(ExitCode.INTERRUPTED)
    except DetenteError as e:
        store.close()
        raise FatalError(str(e)) from None
    except Exception as e:  # a bug, not bad input: say so
        store.close()
        if debug:
            raise
        raise FatalError(
            f"internal error: {type(e).__name__}: {e} (set DETENTE_DEBUG=1 for a traceback; "
            f"every batch written before it is complete, rerun to resume)"
        ) from None
    finally:
        console.close_bar()


def _write_out(store: EventStore, seen_ids: list[str], fmt: str, out: str, db: str, console, stats) -> None:
    """Write the events of the documents read to --out; on a write error exit 2 saying where
    the events are."""
    wanted = list(dict.fromkeys(seen_ids))
    try:
        n = write_records(_records_for_docs(store, wanted), fmt, out)
    except OSError as e:
        store.close()
        console.counts(stats)
        raise FatalError(
            f"{out}: cannot write: {e.strerror or e}; nothing was written there. The events "
            f"are stored in {db}: `detente export` writes them once the cause is fixed"
        ) from None
    if not console.quiet:
        click.echo(f"wrote {n:,} events to {out}", err=True)


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
            (
                f"... {self.count - self.shown:,} more errors not shown (first {self.shown:,} shown; "
                f"--errors-shown N to see more). Errors by reason:"
            )
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
        raise FatalError(str(e))
    click.echo(stats.summary(), err=True)
