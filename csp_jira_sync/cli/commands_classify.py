"""`csp-jira-sync classify`: classify one request or a file of them, or evaluate a labelled set."""

from __future__ import annotations

import json
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
    CompiledRules,
    Evaluation,
    classify,
    compile_rules,
    evaluate,
    load_classification_rules,
    read_labelled,
    read_requests,
)
from csp_jira_sync.cli.app import app
from csp_jira_sync.config.catalog import Catalog
from csp_jira_sync.config.mappings import load_mappings
from csp_jira_sync.errors import ConfigError, InputError
from csp_jira_sync.settings import load_settings

BAD_INPUT = 2


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


@app.command("classify")
def classify_command(
    subject: str | None = typer.Option(None, "--subject", help="Subject of one request."),
    body: str | None = typer.Option(None, "--body", help="Body of one request."),
    file: Path | None = typer.Option(
        None, "--file", help="JSON Lines file of requests (subject, body; other fields ignored)."
    ),
    evaluate_file: Path | None = typer.Option(
        None,
        "--evaluate",
        help="JSON Lines file of labelled requests (subject, body, expected_activity): "
        "print accuracy by activity and category, a confusion table and the misses.",
    ),
    mappings: Path | None = typer.Option(
        None, "--mappings", help="Mappings directory [default: the settings' mappings_dir]."
    ),
    output: OutputFormat = typer.Option(OutputFormat.table, "--format", help="table or json."),
) -> None:
    """Classify customer requests into CSP activities and show the evidence for each decision."""
    err = Console(stderr=True)
    modes = [subject is not None or body is not None, file is not None, evaluate_file is not None]
    if sum(modes) != 1:
        _fail(err, "give either --subject/--body, or --file FILE.jsonl, or --evaluate FILE.jsonl")
    try:
        catalog, compiled = _load_rules(mappings)
        if evaluate_file is not None:
            records = read_labelled(evaluate_file, {a.slug for a in catalog.activities()})
            result = evaluate(records, compiled, catalog)
            _emit_evaluation(result, output)
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


def _load_rules(mappings: Path | None) -> tuple[Catalog, CompiledRules]:
    if mappings is None:
        try:
            mappings = load_settings().mappings_dir
        except ValidationError as exc:
            raise ConfigError(f"settings are invalid: {exc}") from None
    loaded = load_mappings(mappings)
    rules = load_classification_rules(mappings, loaded.catalog)
    return loaded.catalog, compile_rules(rules, loaded.catalog)


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


def _emit_evaluation(result: Evaluation, output: OutputFormat) -> None:
    if output is OutputFormat.json:
        _print_json(result.model_dump(mode="json"))
        return
    console = Console()
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
    if result.misses:
        misses = Table(title="Misses", title_justify="left")
        for column in ("Id", "Subject", "Expected", "Answered", "Why"):
            misses.add_column(column)
        for miss in result.misses:
            misses.add_row(miss.id or "", miss.subject, miss.expected, miss.got, miss.explanation)
        console.print(misses)
