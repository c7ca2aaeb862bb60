"""`csp-jira-sync classify`: classify one request or a file of them, or evaluate a labelled set."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from rich.text import Text

from csp_jira_sync.classify import (
    Classification,
    Evaluation,
    classify,
    compile_rules,
    evaluate,
    load_classification_rules,
    read_labelled,
    read_requests,
)
from csp_jira_sync.classify.classifier import Classifier
from csp_jira_sync.classify.dataset import LabelledRequest
from csp_jira_sync.classify.learned import LearnedClassifier
from csp_jira_sync.classify.model_files import ModelInfo, current_version, load, read_info
from csp_jira_sync.classify.training import (
    HELDOUT_DIR,
    current_classifier,
    read_heldout_files,
    retrain,
)
from csp_jira_sync.cli.app import app
from csp_jira_sync.config.catalog import Catalog
from csp_jira_sync.config.mappings import load_mappings
from csp_jira_sync.errors import ConfigError, InputError
from csp_jira_sync.settings import Settings, load_settings

BAD_INPUT = 2


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


classify_app = typer.Typer(
    invoke_without_command=True,
    no_args_is_help=False,
    help="Classify customer requests into CSP activities and show the evidence for each "
    "decision; `classify train` retrains the model.",
)
app.add_typer(classify_app, name="classify")


@classify_app.callback()
def classify_command(
    ctx: typer.Context,
    subject: str | None = typer.Option(None, "--subject", help="Subject of one request."),
    body: str | None = typer.Option(None, "--body", help="Body of one request."),
    file: Path | None = typer.Option(
        None, "--file", help="JSON Lines file of requests (subject, body; other fields ignored)."
    ),
    evaluate_files: list[Path] | None = typer.Option(
        None,
        "--evaluate",
        help="JSON Lines file of labelled requests (subject, body, expected_activity): "
        "print accuracy by activity and category, a confusion table and the misses. Give it "
        "more than once to see several sets side by side and together.",
    ),
    heldout: bool = typer.Option(
        False,
        "--heldout",
        help="Evaluate every held-out set of the mappings (heldout/*.jsonl), side by side and "
        "together, as the gate measures a new model.",
    ),
    mappings: Path | None = typer.Option(
        None, "--mappings", help="Mappings directory [default: the settings' mappings_dir]."
    ),
    output: OutputFormat = typer.Option(OutputFormat.table, "--format", help="table or json."),
    rules_only: bool = typer.Option(
        False, "--rules", help="Classify with the hand-written rules alone (the old classifier)."
    ),
) -> None:
    """Classify customer requests into CSP activities and show the evidence for each decision."""
    if ctx.invoked_subcommand is not None:
        return
    err = Console(stderr=True)
    evaluating = bool(evaluate_files) or heldout
    modes = [subject is not None or body is not None, file is not None, evaluating]
    if sum(modes) != 1:
        _fail(
            err,
            "give either --subject/--body, or --file FILE.jsonl, or --evaluate FILE.jsonl "
            "(once or more) and/or --heldout",
        )
    try:
        settings = _settings()
        mappings = mappings or settings.mappings_dir
        catalog, compiled = _load_rules(mappings)
        if not rules_only:
            compiled, _ = current_classifier(
                settings.model_directory, mappings, catalog, now=lambda: datetime.now(UTC)
            )
        if evaluating:
            sets = {path.stem: read_labelled(path, catalog) for path in evaluate_files or ()}
            if heldout:
                found = read_heldout_files(mappings, catalog)
                if not found:
                    raise ConfigError(f"{mappings / HELDOUT_DIR}: no held-out sets (*.jsonl)")
                sets.update({f"heldout/{n}": records for n, records in found.items()})
            if len(sets) == 1:
                [records] = sets.values()
                result = evaluate(records, compiled, catalog)
                others = _compared(settings, mappings, catalog, compiled, records)
                _emit_evaluation(result, output, _name(compiled), others)
            else:
                _emit_sets(_evaluate_sets(settings, mappings, catalog, compiled, sets), output)
        elif file is not None:
            requests = read_requests(file)
            rows = [
                (r.id, r.subject, classify(r.subject, r.body, compiled, catalog)) for r in requests
            ]
            _emit_many(rows, output)
        else:
            _emit_one(classify(subject or "", body or "", compiled, catalog), output)
    except (ConfigError, InputError) as exc:
        _fail(err, str(exc))


@classify_app.command("train")
def train_command(
    mappings: Path | None = typer.Option(
        None, "--mappings", help="Mappings directory [default: the settings' mappings_dir]."
    ),
    force: bool = typer.Option(
        False, "--force", help="Train even when the training data has not changed."
    ),
    output: OutputFormat = typer.Option(OutputFormat.table, "--format", help="table or json."),
) -> None:
    """Train a model from every labelled source (mappings/examples and the CSPs' corrections in
    the store); it becomes current only if it scores at least as well on mappings/heldout."""
    from csp_jira_sync.store import Store
    from csp_jira_sync.triage.corrections import corrections_for_training

    err = Console(stderr=True)
    try:
        settings = _settings()
        mappings = mappings or settings.mappings_dir
        catalog = load_mappings(mappings).catalog
        store = Store.open(settings.database_url)
        try:
            store.migrate()
            corrections = corrections_for_training(store, catalog)
        finally:
            store.close()
        result = retrain(
            settings.model_directory,
            mappings,
            catalog,
            now=datetime.now(UTC),
            corrections=corrections,
            force=force,
        )
    except (ConfigError, InputError) as exc:
        _fail(err, str(exc))
        return
    if output is OutputFormat.json:
        _print_json(
            {
                "promoted": result.promoted,
                "reason": result.reason,
                "old": result.old.as_json() if result.old else None,
                "new": result.new.as_json() if result.new else None,
            }
        )
        return
    console = Console()
    if result.new is None:
        console.print(
            f"Nothing trained: {result.reason} (current model {result.old and result.old.version})."
        )
        return
    verdict = "now current" if result.promoted else "saved but NOT current"
    console.print(
        f"Trained model {result.new.version} on {result.new.examples} examples "
        f"({result.new.corrections} corrections): {verdict} ({result.reason})."
    )
    table = Table(title="Held-out sets: current model against the new one", title_justify="left")
    for column in ("Set", "Figure", "Current", "New"):
        table.add_column(column)
    for name, figures in result.new.evaluation.items():
        before = result.old.evaluation.get(name, {}) if result.old else {}
        for key in ("activities", "categories", "out_of_scope_forced", "triage"):
            if key in figures:
                table.add_row(name, key, _figure(before.get(key)), _figure(figures[key]))
    console.print(table)


def _figure(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.1%}"
    return "-" if value is None else str(value)


def _settings() -> Settings:
    try:
        return load_settings()
    except ValidationError as exc:
        raise ConfigError(f"settings are invalid: {exc}") from None


def _load_rules(mappings: Path) -> tuple[Catalog, Classifier]:
    loaded = load_mappings(mappings)
    rules = load_classification_rules(mappings, loaded.catalog)
    return loaded.catalog, compile_rules(rules, loaded.catalog)


def _name(classifier: Classifier) -> str:
    if isinstance(classifier, LearnedClassifier):
        return f"model {classifier.version}"
    return "rules"


def _compared(
    settings: Settings,
    mappings: Path,
    catalog: Catalog,
    shown: Classifier,
    records: tuple[LabelledRequest, ...],
) -> dict[str, Evaluation]:
    """Who else to show side by side: the rules, and the newest saved model when it is not the
    current one (it failed the gate, or is yet to be promoted)."""
    others: dict[str, Evaluation] = {}
    if isinstance(shown, LearnedClassifier):
        _, rules = _load_rules(mappings)
        others["rules"] = evaluate(records, rules, catalog)
        newest = _newest_saved(settings.model_directory)
        if newest is not None and newest.version != shown.version:
            saved = load(settings.model_directory, newest.version)
            model = LearnedClassifier(saved.model, saved.thresholds, newest.version)
            others[f"newest {newest.version}"] = evaluate(records, model, catalog)
    return others


def _newest_saved(directory: Path) -> ModelInfo | None:
    if not directory.is_dir() or current_version(directory) is None:
        return None
    versions = sorted(p.name for p in directory.iterdir() if (p / "model.json").exists())
    return read_info(directory, versions[-1]) if versions else None


def _fail(err: Console, message: str) -> None:
    err.print(Text(f"error: {message}", style="bold red"), soft_wrap=True)
    raise typer.Exit(BAD_INPUT)


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _as_json(result: Classification) -> dict[str, Any]:
    return {
        "outcome": result.outcome,
        "activity": result.activity.slug if result.activity else None,
        "category": result.category.slug if result.category else None,
        "labels": list(result.labels),
        "confidence": result.confidence,
        "out_of_scope_kind": result.out_of_scope_kind,
        "reason": result.reason,
        "candidates": [c.model_dump() for c in result.candidates],
        "evidence": [e.model_dump() for e in result.evidence],
        "explanation": result.explain(),
    }


def _answer(result: Classification) -> str:
    if result.activity is not None:
        return result.activity.slug
    if result.outcome == "out-of-scope" and result.out_of_scope_kind:
        return f"out-of-scope ({result.out_of_scope_kind})"
    return result.outcome


def _emit_one(result: Classification, output: OutputFormat) -> None:
    if output is OutputFormat.json:
        _print_json(_as_json(result))
        return
    console = Console()
    summary = Table.grid(padding=(0, 2))
    summary.add_row("Outcome", Text(_answer(result), style="bold"))
    summary.add_row("Activity", result.activity.title if result.activity else "-")
    summary.add_row("Category", result.category.title if result.category else "-")
    summary.add_row("Labels", ", ".join(result.labels))
    summary.add_row("Confidence", f"{result.confidence:.2f}")
    if result.reason:
        summary.add_row("Why triage", result.reason)
    if result.candidates:
        summary.add_row("Scores", ", ".join(f"{c.target} {c.score:.1f}" for c in result.candidates))
    console.print(summary)
    evidence = Table(title="Evidence", title_justify="left")
    for column in ("Target", "Rule", "Field", "Words", "Weight"):
        evidence.add_column(column, justify="right" if column == "Weight" else "left")
    for item in result.evidence:
        evidence.add_row(item.target, item.rule, item.field, item.words, f"{item.weight:+.2f}")
    console.print(evidence)


def _emit_many(rows: list[tuple[str | None, str, Classification]], output: OutputFormat) -> None:
    if output is OutputFormat.json:
        _print_json([{"id": i, "subject": s, **_as_json(r)} for i, s, r in rows])
        return
    table = Table(title=f"{len(rows)} requests classified", title_justify="left")
    for column in ("#", "Id", "Subject", "Answer", "Category", "Confidence", "Strongest evidence"):
        table.add_column(column)
    for number, (identifier, subject, result) in enumerate(rows, start=1):
        strongest = result.evidence[0] if result.evidence else None
        table.add_row(
            str(number),
            identifier or "",
            subject,
            _answer(result),
            result.category.slug if result.category else "",
            f"{result.confidence:.2f}",
            f"{strongest.rule}: {strongest.words}" if strongest else "",
        )
    Console().print(table)


def _emit_evaluation(
    result: Evaluation, output: OutputFormat, name: str, others: dict[str, Evaluation]
) -> None:
    if output is OutputFormat.json:
        _print_json(
            {
                **result.model_dump(mode="json"),
                "classifier": name,
                "compared": {n: e.model_dump(mode="json") for n, e in others.items()},
            }
        )
        return
    console = Console()
    console.print(f"Classifier: [bold]{name}[/bold]")
    console.print(
        f"[bold]{result.total} requests[/bold]: overall {result.accuracy:.1%}, "
        f"activities {result.activities.accuracy:.1%} ({result.activities.correct}/{result.activities.total}), "
        f"categories {result.categories.accuracy:.1%} ({result.categories.correct}/{result.categories.total}), "
        f"out-of-scope {result.out_of_scope.correct}/{result.out_of_scope.total} "
        f"(forced into an activity: {result.out_of_scope_forced}), triage {result.triage}"
    )
    for title, tallies in (
        ("By category", result.by_category),
        ("By activity", result.by_activity),
    ):
        table = Table(title=title, title_justify="left")
        table.add_column("Name")
        table.add_column("Right", justify="right")
        table.add_column("Total", justify="right")
        table.add_column("Accuracy", justify="right")
        for tally in tallies:
            style = "" if tally.correct == tally.total else "yellow"
            table.add_row(
                tally.name,
                str(tally.correct),
                str(tally.total),
                f"{tally.accuracy:.0%}",
                style=style,
            )
        console.print(table)
    confusion = Table(title="Confusion (expected -> answered, mistakes only)", title_justify="left")
    for column in ("Expected", "Answered", "Count"):
        confusion.add_column(column, justify="right" if column == "Count" else "left")
    for expected, answers in result.confusion.items():
        for answered, count in answers.items():
            if answered != expected:
                confusion.add_row(expected, answered, str(count))
    console.print(confusion if confusion.row_count else "No confusions.")
    _emit_precision_recall(console, result)
    _emit_reliability(console, result)
    if others:
        _emit_side_by_side(console, {name: result, **others})
    if result.misses:
        misses = Table(title="Misses", title_justify="left")
        for column in ("Id", "Subject", "Expected", "Answered", "Why"):
            misses.add_column(column)
        for miss in result.misses:
            misses.add_row(miss.id or "", miss.subject, miss.expected, miss.got, miss.explanation)
        console.print(misses)


def _emit_precision_recall(console: Console, result: Evaluation) -> None:
    table = Table(title="Precision and recall by activity", title_justify="left")
    for column in ("Name", "Expected", "Answered", "Right", "Precision", "Recall"):
        table.add_column(column, justify="left" if column == "Name" else "right")
    for row in result.precision_recall:
        table.add_row(
            row.name,
            str(row.expected),
            str(row.answered),
            str(row.right),
            f"{row.precision:.0%}" if row.answered else "-",
            f"{row.recall:.0%}" if row.expected else "-",
        )
    console.print(table)


def _emit_reliability(console: Console, result: Evaluation) -> None:
    table = Table(
        title="Reliability: confidence against accuracy (answers, triage excluded)",
        title_justify="left",
    )
    for column in ("Confidence", "Answers", "Mean confidence", "Accuracy"):
        table.add_column(column, justify="right")
    for band in result.reliability:
        table.add_row(
            f"{band.low:.2f}-{band.high:.2f}",
            str(band.answers),
            f"{band.mean_confidence:.2f}",
            f"{band.accuracy:.0%}",
        )
    console.print(table)


def _emit_side_by_side(console: Console, results: dict[str, Evaluation]) -> None:
    table = Table(title="Side by side", title_justify="left")
    table.add_column("Figure")
    for name in results:
        table.add_column(name, justify="right")
    rows: dict[str, Callable[[Evaluation], str]] = {
        "activities": lambda e: f"{e.activities.accuracy:.1%}",
        "categories": lambda e: f"{e.categories.accuracy:.1%}",
        "out-of-scope answered": lambda e: f"{e.out_of_scope.correct}/{e.out_of_scope.total}",
        "out-of-scope forced": lambda e: str(e.out_of_scope_forced),
        "triage": lambda e: f"{e.triage} ({e.triage / e.total:.1%})" if e.total else "0",
    }
    for label, render in rows.items():
        table.add_row(label, *(render(e) for e in results.values()))
    console.print(table)


TOGETHER = "together"


def _evaluate_sets(
    settings: Settings,
    mappings: Path,
    catalog: Catalog,
    shown: Classifier,
    sets: dict[str, tuple[LabelledRequest, ...]],
) -> dict[str, dict[str, Evaluation]]:
    """Each set (and all of them together) by the classifier shown and those compared with it:
    set -> classifier -> evaluation. "Together" pools the requests, as the gate does."""
    everything = tuple(r for records in sets.values() for r in records)
    results: dict[str, dict[str, Evaluation]] = {}
    for name, records in {**sets, TOGETHER: everything}.items():
        results[name] = {
            _name(shown): evaluate(records, shown, catalog),
            **_compared(settings, mappings, catalog, shown, records),
        }
    return results


_SET_FIGURES: dict[str, Callable[[Evaluation], str]] = {
    "Requests": lambda e: str(e.total),
    "Activities": lambda e: (
        f"{e.activities.accuracy:.1%} ({e.activities.correct}/{e.activities.total})"
    ),
    "Categories": lambda e: f"{e.categories.accuracy:.1%}",
    "Out-of-scope answered": lambda e: f"{e.out_of_scope.correct}/{e.out_of_scope.total}",
    "Forced": lambda e: str(e.out_of_scope_forced),
    "Triage": lambda e: f"{e.triage} ({e.triage / e.total:.1%})" if e.total else "0",
}


def _emit_sets(results: dict[str, dict[str, Evaluation]], output: OutputFormat) -> None:
    shown = next(iter(results[TOGETHER]))
    if output is OutputFormat.json:
        _print_json(
            {
                "classifier": shown,
                "sets": {
                    name: {
                        **by[shown].model_dump(mode="json"),
                        "compared": {
                            n: e.model_dump(mode="json") for n, e in by.items() if n != shown
                        },
                    }
                    for name, by in results.items()
                    if name != TOGETHER
                },
                TOGETHER: {n: e.model_dump(mode="json") for n, e in results[TOGETHER].items()},
            }
        )
        return
    console = Console()
    console.print(f"Classifier: [bold]{shown}[/bold]")
    table = Table(
        title="Labelled sets side by side (together: every request of every set, counted once)",
        title_justify="left",
    )
    table.add_column("Set")
    table.add_column("Classifier")
    for column in _SET_FIGURES:
        table.add_column(column, justify="right")
    for name, by in results.items():
        for number, (classifier, result) in enumerate(by.items()):
            table.add_row(
                name if number == 0 else "",
                classifier,
                *(render(result) for render in _SET_FIGURES.values()),
                style="bold" if name == TOGETHER and classifier == shown else "",
                end_section=number == len(by) - 1,
            )
    console.print(table)
    together = results[TOGETHER][shown]
    _emit_precision_recall(console, together)
    _emit_reliability(console, together)
    misses = Table(title=f"Misses of {shown}", title_justify="left")
    for column in ("Set", "Id", "Subject", "Expected", "Answered", "Why"):
        misses.add_column(column)
    for name, by in results.items():
        if name != TOGETHER:
            for miss in by[shown].misses:
                misses.add_row(
                    name, miss.id or "", miss.subject, miss.expected, miss.got, miss.explanation
                )
    console.print(misses if misses.row_count else "No misses.")
