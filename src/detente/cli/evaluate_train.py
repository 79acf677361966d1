"""`detente eval ...` and `detente train` click commands (registered in the main CLI by the lead:
`eval_group` is a click.Group named "eval", `train_command` a click.Command named "train")."""

from __future__ import annotations

import json
from pathlib import Path

import click

from detente.cli.common import FatalError
from detente.coding.coder import Coder
from detente.coding.relation.linear import RelationClassifier
from detente.errors import DetenteError
from detente.training.evaluate import eval_events, eval_ner, eval_news, eval_penta, eval_plv, is_codebook_file
from detente.training.pairs import default_news_files, train_news
from detente.training.train import default_model_dir, shared_data_dir, train_plv


def _fail(e: Exception):
    raise FatalError(str(e), label="error") from None


def _echo_json(obj):
    click.echo(json.dumps(obj, indent=1, default=str))


def _print_classes(res: dict, title: str):
    click.echo(title)
    click.echo(f"  items {res['n']}   accuracy {res['accuracy']:.4f}   macro-F1 {res['macro_f1']:.4f}")
    click.echo(f"  {'class':<11}{'P':>7}{'R':>7}{'F1':>7}{'n':>6}")
    for lab in res["labels"]:
        m = res["per_class"][lab]
        click.echo(f"  {lab:<11}{m['precision']:>7.3f}{m['recall']:>7.3f}{m['f1']:>7.3f}{m['support']:>6}")
    labs = res["labels"]
    short = [lab[:4] for lab in labs]
    click.echo("  confusion (rows gold, columns predicted):")
    click.echo("  " + " " * 11 + "".join(f"{s:>5}" for s in short))
    for g in labs:
        click.echo(f"  {g:<11}" + "".join(f"{res['confusion'][g][p]:>5}" for p in labs))


@click.group(name="eval")
def eval_group():
    """Evaluate the coder on labelled files (PLV relations, ConfliBERT NER/penta, gold events)."""


@eval_group.command("plv")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--predictions", type=click.Path(dir_okay=False), help="write uid<TAB>pred_root<TAB>confidence")
@click.option("--json", "as_json", is_flag=True, help="print metrics as JSON")
@click.option("--cv", type=int, default=None, help="K-fold cross-validation trained on FILE itself")
@click.option(
    "--fast",
    is_flag=True,
    help="the fast model alone, as `detente code` classifies by default "
    "(default here: as `detente code --accurate`, with the fine-tuned relation reader on unsure pairs; "
    "with --cv that reader is fine-tuned per fold, which needs the `train` extra, PyTorch)",
)
@click.option(
    "--model",
    "model_dir",
    type=click.Path(file_okay=False, exists=True),
    help="a model directory written by `detente train --out DIR` (default: the shipped model)",
)
def eval_plv_cmd(file, predictions, as_json, cv, fast, model_dir):
    """Classify each <s>source</s>/<t>target</t> relation (CONCEDE and RETREAT count as YIELD)."""
    try:
        model = None
        if model_dir:
            model = RelationClassifier.load(model_dir)
        res = eval_plv(
            file,
            cv=cv,
            encoder=not fast,
            model=model,
            log=(lambda m: click.echo(m, err=True)) if cv else None,
        )
    except (DetenteError, OSError) as e:
        _fail(e)
    preds = res.pop("predictions")
    if predictions:
        with open(predictions, "w", encoding="utf-8") as fh:
            fh.writelines(f"{uid}\t{lab}\t{conf:.4f}\n" for uid, lab, conf in preds)
    if as_json:
        _echo_json(res)
        return
    click.echo(
        f"PLV {res['file']}: {res['rows']} rows, {res['mode']}; "
        + (
            f"fast model + relation reader on unsure pairs ({res['encoder_share']:.0%} of pairs), "
            "as `detente code --accurate`"
            if res.get("encoder")
            else "fast model only, as `detente code` by default"
        )
    )
    if "pairs_per_second" in res:
        click.echo(
            f"  speed: {res['pairs_per_second']:.0f} pairs/s (features+classifier, after parse); "
            f"classifier alone {res['pairs_per_second_classifier_only']:.0f} pairs/s"
        )
    if "fast_model_only" in res:
        fm = res["fast_model_only"]
        click.echo(
            f"  fast model alone (same folds): accuracy {fm['accuracy']:.4f}, macro-F1 {fm['macro_f1']:.4f}"
        )
    if "reader_only" in res:
        ro = res["reader_only"]
        click.echo(
            f"  relation reader alone (same folds): accuracy {ro['accuracy']:.4f}, macro-F1 {ro['macro_f1']:.4f}"
        )
    if "accuracy" not in res:
        click.echo("  no gold labels: predictions only")
        return
    _print_classes(res, "relation classification")
    cal = res["calibration"]
    click.echo(
        f"  calibration: ECE {cal['ece']:.4f}"
        + (f" (temperature {res['temperature']})" if "temperature" in res else "")
    )
    for b in cal["bins"]:
        click.echo(
            f"    conf {b['bin']}: n={b['n']:<5} mean conf {b['confidence']:.3f}  accuracy {b['accuracy']:.3f}"
        )


@eval_group.command("ner")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--mentions",
    type=click.Choice(["chunks", "actors"]),
    default="chunks",
    show_default=True,
    help="candidate spans: noun chunks + named entities, or the ActorFinder's mentions",
)
@click.option("--all-events", is_flag=True, help="score every candidate dyad, not only the main event")
@click.option("--json", "as_json", is_flag=True)
def eval_ner_cmd(file, mentions, all_events, as_json):
    """Source/target span detection on a ConfliBERT BIO file (B-S/I-S, B-T/I-T): exact span P/R/F1."""
    try:
        res = eval_ner(file, mentions=mentions, all_events=all_events)
    except (DetenteError, OSError) as e:
        _fail(e)
    if as_json:
        _echo_json(res)
        return
    click.echo(f"NER {res['file']} (candidate spans: {res['mentions']})")
    for k in ("source", "target", "overall"):
        m = res[k]
        click.echo(
            f"  {k:<8} P {m['precision']:.4f}  R {m['recall']:.4f}  F1 {m['f1']:.4f}  "
            f"(tp {m['tp']}, fp {m['fp']}, fn {m['fn']})"
        )


@eval_group.command("penta")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True)
def eval_penta_cmd(file, as_json):
    """Sentence-level penta class (0 statement .. 4 material conflict) on a ConfliBERT class file."""
    try:
        res = eval_penta(file)
    except (DetenteError, OSError) as e:
        _fail(e)
    if as_json:
        _echo_json(res)
        return
    _print_classes(res, f"penta {res['file']}")


@eval_group.command("events")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True)
@click.option(
    "--include-flagged", is_flag=True, help="also count negated/hypothetical predictions (Detente gold files)"
)
@click.option("--accurate", is_flag=True, help="code as `detente code --accurate` (relation reader on)")
@click.option(
    "--cv",
    type=int,
    default=None,
    help="codebook files: K-fold cross-validation by item (the learned event decision is "
    "trained on the other folds plus --train-extra, never on the items it scores)",
)
@click.option(
    "--train-extra",
    "extra",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="with --cv: further codebook files added to every fold's training side",
)
@click.option(
    "--train-plv",
    "plv",
    type=click.Path(dir_okay=False),
    default=None,
    help="with --cv: PLV rows (and the synthetic rows) as weighted extra positives, as "
    "`detente train` uses them",
)
def eval_events_cmd(file, as_json, include_flagged, accurate, cv, extra, plv):
    """End-to-end (source, event, target) P/R/F1 against gold JSONL.

    Two formats are read: the codebook format of news_silver (items with title/description and
    events with source/target; scored by the reference scorer's tuple rules, with dyad-only F1,
    per-type figures and why each missed tuple was missed), and Detente's own gold files (text +
    events with actor/recipient and flags)."""
    try:
        codebook = is_codebook_file(file)
        if cv and not codebook:
            raise DetenteError(
                "--cv needs a codebook-format file (items with title/description and "
                "events with source/target)"
            )
        coder = Coder(accurate=bool(accurate))
        if codebook:
            res = eval_news(
                file,
                cv=cv,
                extra=list(extra),
                coder=coder,
                plv=plv,
                log=(lambda m: click.echo(m, err=True)) if cv else None,
            )
        else:
            res = eval_events(file, coder=coder, include_flagged=include_flagged)
    except (DetenteError, OSError) as e:
        _fail(e)
    if as_json:
        _echo_json(res)
        return
    if codebook:
        _print_news(res, accurate)
        return
    m = res["micro"]
    click.echo(f"events {res['file']}: {res['documents']} documents")
    click.echo(
        f"  micro  P {m['precision']:.4f}  R {m['recall']:.4f}  F1 {m['f1']:.4f}  "
        f"(tp {m['tp']}, fp {m['fp']}, fn {m['fn']})"
    )
    for t, v in res["per_type"].items():
        click.echo(
            f"  {t:<10} P {v['precision']:.3f}  R {v['recall']:.3f}  F1 {v['f1']:.3f}  "
            f"(tp {v['tp']}, fp {v['fp']}, fn {v['fn']})"
        )
    click.echo("  flags (triples carrying the flag, gold vs predicted):")
    for f, v in res["flags"].items():
        click.echo(
            f"  {f:<12} P {v['precision']:.3f}  R {v['recall']:.3f}  F1 {v['f1']:.3f}  "
            f"(tp {v['tp']}, fp {v['fp']}, fn {v['fn']})"
        )


def _print_news(res: dict, accurate: bool) -> None:
    e, d = res["event"], res["dyad"]
    click.echo(
        f"events {res['file']}: {res['items']} items, {res['mode']}"
        f"{' (+ ' + ', '.join(res['extra_training']) + ' in training)' if res.get('extra_training') else ''}; "
        f"{'--accurate' if accurate else 'default (fast) mode'}"
    )
    click.echo(
        f"event P={e['precision']} R={e['recall']} F1={e['f1']} (gold {e['gold']}, pred {e['pred']}); "
        f"dyad-only F1={d['f1']}"
    )
    click.echo(f"  {'type':<10}{'gold':>6}{'pred':>6}{'P':>7}{'R':>7}{'F1':>7}")
    for t, v in e["per_type"].items():
        click.echo(
            f"  {t:<10}{v['gold']:>6}{v['pred']:>6}{v['precision']:>7.3f}{v['recall']:>7.3f}{v['f1']:>7.3f}"
        )
    missed = sum(e["missed"].values())
    click.echo(f"  missed gold tuples ({missed} of {e['gold']}):")
    for why, n in e["missed"].items():
        click.echo(f"    {n:>5}  {n / e['gold']:.0%}  {why}")


@click.command("train")
@click.option(
    "--plv",
    type=click.Path(dir_okay=False),
    default=None,
    help="PLV training TSV [default: $DETENTE_SHARED_DATA/plover/PLV_train.tsv]",
)
@click.option(
    "--conflibert",
    type=click.Path(),
    default=None,
    help="ConfliBERT data directory (accepted; not used by the shipped relation model)",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="output directory [default: the package's data/models]",
)
@click.option("--cv", type=int, default=5, show_default=True, help="folds for the calibration run")
@click.option(
    "--no-encoder",
    is_flag=True,
    help="train the fast models only (no relation reader, no pair reader; no PyTorch needed)",
)
@click.option(
    "--news",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="annotated news in the codebook format for the learned event decision "
    "[default: $DETENTE_SHARED_DATA/news_silver/news_silver_2023.jsonl and _more.jsonl, and our own "
    "annotations/*.jsonl, whose texts are read from the RSS corpus by id]",
)
@click.option(
    "--pairs-only",
    is_flag=True,
    help="train only the learned event decision (pairs.*, and pair_reader.npz unless --no-encoder), "
    "using the relation classifier already in --out (or the shipped one)",
)
def train_command(plv, conflibert, out_dir, cv, no_encoder, news, pairs_only):
    """Train the relation classifier and the learned event decision; write relation.npz/.json,
    relation_reader.npz, pairs.npz/.json and pair_reader.npz (reproduces the shipped weights)."""
    plv = plv or str(shared_data_dir() / "plover" / "PLV_train.tsv")
    out_dir = out_dir or str(default_model_dir())
    try:
        if not pairs_only:
            train_plv(plv, out_dir, k=cv, log=click.echo, encoder=not no_encoder)
        rel_dir = out_dir if (Path(out_dir) / "relation.json").exists() else None
        train_news(
            list(news) or [str(p) for p in default_news_files()],
            out_dir,
            model_dir=rel_dir,
            log=click.echo,
            plv=plv,
            reader=not no_encoder,
        )
    except (DetenteError, OSError) as e:
        _fail(e)
