"""What the allowance commands show: a customer-month's figures, the worklogs behind them,
and Finance's export, as plain rows (the CLI renders them as a table, JSON or CSV)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from csp_jira_sync.allowance.counting import EXCLUSION_WORDING, LedgerLine
from csp_jira_sync.allowance.figures import MonthFigures, past_the_allowance

FINANCE_COLUMNS = (
    "customer",
    "package",
    "allowance_hours",
    "used_hours",
    "carried_over_hours",
    "borrowed_hours",
    "overage_hours",
    "overage_issues",
)


def hours(seconds: int) -> float:
    """Hours to four decimals (0.36 s): the ledger itself is kept in whole seconds."""
    return round(seconds / 3600, 4)


def summary(figures: MonthFigures, titles: Mapping[str, str]) -> dict[str, Any]:
    """One customer-month for `allowance --format json` (and the table and CSV)."""
    return {
        "customer": figures.customer,
        "month": str(figures.month),
        "package": figures.package,
        "allowance_hours": hours(figures.available_seconds),
        "used_hours": hours(figures.used_seconds),
        "used_seconds": figures.used_seconds,
        "remaining_hours": hours(figures.remaining_seconds),
        "used_by_category": {
            title: hours(figures.used_by_category.get(slug, 0)) for slug, title in titles.items()
        },
        "percent": round(figures.percent, 1),
        "state": figures.state,
        "excluded_hours": hours(figures.excluded_seconds),
        "excluded_by_reason": {
            reason: hours(seconds) for reason, seconds in sorted(figures.excluded_by_reason.items())
        },
        "carried_over_hours": hours(figures.carried_in_seconds),
        "borrowed_hours": hours(figures.borrowed_seconds),
        "repaid_hours": hours(figures.repaid_seconds),
        "overage_hours": hours(figures.overage_seconds),
    }


def csv_row(item: Mapping[str, Any]) -> dict[str, Any]:
    """A summary flattened for CSV: one column per category, reasons as `reason=hours`."""
    flat = {k: v for k, v in item.items() if not isinstance(v, dict)}
    for title, value in item["used_by_category"].items():
        flat[f"used_hours {title}"] = value
    flat["excluded_by_reason"] = " ".join(f"{r}={h}" for r, h in item["excluded_by_reason"].items())
    return flat


def explain(lines: Sequence[LedgerLine], titles: Mapping[str, str]) -> list[dict[str, Any]]:
    """Every worklog behind a customer-month, counted or not, and why."""
    return [
        {
            "worklog": line.worklog_id,
            "issue": line.issue_key,
            "author": line.author,
            "started": line.started.isoformat(),
            "seconds": line.seconds,
            "hours": hours(line.seconds),
            "counts": line.counts,
            "category": titles.get(line.category, line.category) if line.category else None,
            "reason": EXCLUSION_WORDING[line.excluded] if line.excluded else None,
            "may_borrow": line.may_borrow,
        }
        for line in lines
    ]


def finance_row(figures: MonthFigures, lines: Sequence[LedgerLine]) -> dict[str, Any]:
    """Finance's line for bill production and service credits: the work past the allowance
    (after what borrowing covered) and the issues it was logged on."""
    issues: list[str] = []
    for line, _ in past_the_allowance(figures, lines):
        if line.issue_key not in issues:
            issues.append(line.issue_key)
    return {
        "customer": figures.customer,
        "package": figures.package,
        "allowance_hours": hours(figures.available_seconds),
        "used_hours": hours(figures.used_seconds),
        "carried_over_hours": hours(figures.carried_in_seconds),
        "borrowed_hours": hours(figures.borrowed_seconds),
        "overage_hours": hours(figures.overage_seconds),
        "overage_issues": " ".join(issues),
    }
