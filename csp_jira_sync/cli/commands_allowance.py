"""`allowance`, `allowance explain` and `finance export`: the allowance ledger for CSP leads
and Finance. Read from the store only: `serve` and `sync` keep the ledger current."""

from __future__ import annotations

import csv
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from csp_jira_sync.allowance.ledger import (
    allowance_summaries,
    explanation,
    finance_rows,
    ledger_last_read,
)
from csp_jira_sync.allowance.months import Month
from csp_jira_sync.allowance.report import FINANCE_COLUMNS, csv_row
from csp_jira_sync.cli.app import app
from csp_jira_sync.cli.commands_daemon import ENV_FILE, cli_settings
from csp_jira_sync.cli.output import console, emit_json, errors, fail, table
from csp_jira_sync.config.mappings import load_mappings
from csp_jira_sync.errors import CspSyncError
from csp_jira_sync.store import Store


class LedgerFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


FORMAT = typer.Option(LedgerFormat.table, "--format", help="table for people; json or csv")
allowance_app = typer.Typer(
    help="Each customer's CSP hours this month: used, remaining, by category, excluded.",
    invoke_without_command=True,
    no_args_is_help=False,
)
finance_app = typer.Typer(help="Exports for Finance.", no_args_is_help=True)
app.add_typer(allowance_app, name="allowance")
app.add_typer(finance_app, name="finance")


def _month(text: str | None) -> Month | None:
    if text is None:
        return None
    try:
        return Month.parse(text)
    except ValueError as exc:
        raise fail(str(exc)) from None


def _open(env_file: Path | None) -> tuple[Store, Any]:
    settings = cli_settings(env_file)
    try:
        mappings = load_mappings(settings.mappings_dir)
        store = Store.open(settings.database_url)
        store.migrate()
    except CspSyncError as exc:
        raise fail(str(exc)) from None
    return store, mappings


def _write_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> None:
    fields = list(columns or dict.fromkeys(k for row in rows for k in row))
    writer = csv.DictWriter(sys.stdout, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


def _by_category(item: dict[str, Any]) -> str:
    return "; ".join(f"{t}: {h:g} h" for t, h in item["used_by_category"].items() if h)


@allowance_app.callback()
def allowance(
    ctx: typer.Context,
    env_file: Path | None = ENV_FILE,
    month: str | None = typer.Option(None, "--month", help="YYYY-MM (default: this month)"),
    customer: str | None = typer.Option(None, "--customer", help="one customer's alias"),
    fmt: LedgerFormat = FORMAT,
) -> None:
    """Each customer's allowance for a month."""
    if ctx.invoked_subcommand is not None:
        return
    wanted = _month(month)
    store, mappings = _open(env_file)
    try:
        items = allowance_summaries(
            store, mappings, month=wanted, customer=customer, now=datetime.now(UTC)
        )
        read = ledger_last_read(store)
    except CspSyncError as exc:
        raise fail(str(exc)) from None
    finally:
        store.close()
    if read is None:
        # Zero hours from a ledger that never read Jira look like zero hours worked (found
        # against jira820, which has no worklog change feed): say so, beside any format.
        errors.print(
            "warning: the allowance ledger has never read Jira's worklogs, so these figures "
            "count none; `csp-jira-sync sync` reads them and names what failed"
        )
    if fmt is LedgerFormat.json:
        emit_json(items)
        return
    if fmt is LedgerFormat.csv:
        _write_csv([csv_row(item) for item in items])
        return
    rows = [
        (
            i["customer"],
            i["month"],
            i["package"],
            f"{i['allowance_hours']:g} h",
            f"{i['used_hours']:g} h",
            f"{i['remaining_hours']:g} h",
            f"{i['percent']:.1f}%",
            i["state"],
            _by_category(i),
            ", ".join(f"{r} {h:g} h" for r, h in i["excluded_by_reason"].items()),
        )
        for i in items
    ]
    columns = ["customer", "month", "package", "allowance", "used", "remaining", "percent"]
    columns += ["state", "by category", "excluded"]
    console.print(table("CSP allowance", columns, rows, one_line=True))


@allowance_app.command("explain")
def explain(
    customer: str = typer.Option(..., "--customer", help="the customer's alias"),
    month: str = typer.Option(..., "--month", help="YYYY-MM"),
    env_file: Path | None = ENV_FILE,
    fmt: LedgerFormat = FORMAT,
) -> None:
    """The worklogs behind a customer's figure for a month, counted or not, and why."""
    wanted = _month(month)
    assert wanted is not None
    store, mappings = _open(env_file)
    try:
        figure, worklogs = explanation(store, mappings, customer=customer, month=wanted)
    except CspSyncError as exc:
        raise fail(str(exc)) from None
    finally:
        store.close()
    if fmt is LedgerFormat.json:
        emit_json({"figure": figure, "worklogs": worklogs})
        return
    if fmt is LedgerFormat.csv:
        _write_csv(worklogs, list(worklogs[0]) if worklogs else ["worklog"])
        return
    console.print(
        f"{figure['customer']} {figure['month']}: {figure['used_hours']:g} h of "
        f"{figure['allowance_hours']:g} h used ({figure['percent']:.1f}%, {figure['state']}); "
        f"{figure['excluded_hours']:g} h not counted.",
        highlight=False,
    )
    rows = [
        (
            w["issue"],
            w["worklog"],
            w["started"],
            w["author"],
            f"{w['hours']:g} h",
            w["category"] if w["counts"] else "not counted",
            w["reason"] or "",
        )
        for w in worklogs
    ]
    columns = ["issue", "worklog", "started (UTC)", "author", "time", "category", "why not"]
    console.print(table("Worklogs behind the figure", columns, rows, one_line=True))


@finance_app.command("export")
def finance_export(
    month: str = typer.Option(..., "--month", help="YYYY-MM"),
    env_file: Path | None = ENV_FILE,
) -> None:
    """CSV for bill production and service credits: every customer's month, with the hours
    and issues past the allowance."""
    wanted = _month(month)
    assert wanted is not None
    store, mappings = _open(env_file)
    try:
        rows = finance_rows(store, mappings, month=wanted)
    finally:
        store.close()
    _write_csv(rows, FINANCE_COLUMNS)
