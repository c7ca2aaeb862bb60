"""A customer's figures from the stored ledger lines, for the pass and the commands."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from csp_jira_sync.allowance import report
from csp_jira_sync.allowance import repository as repo
from csp_jira_sync.allowance.figures import MonthFigures, MonthUsage, month_figures
from csp_jira_sync.allowance.months import Month
from csp_jira_sync.config.mappings import Customer, Mappings
from csp_jira_sync.errors import ConfigError
from csp_jira_sync.store import Store


def customer_months(
    conn: Connection, mappings: Mappings, customer: Customer, last: Month
) -> list[MonthFigures]:
    """The customer's figures for every month up to `last`. With carry-over or borrowing each
    month depends on the ones before it, so those start at the ledger's first month;
    otherwise only `last` is read."""
    package = mappings.package_of(customer)
    first = last
    if package.carry_over is not None or package.borrowing is not None:
        covered = repo.month_range(conn)
        if covered is not None:
            first = min(covered[0], last)
    sums = repo.usage(conn, customer.alias, first, last)
    usages = [sums.get(month, MonthUsage(month)) for month in first.until(last)]
    return month_figures(customer.alias, package, usages)


def figures_of(
    conn: Connection, mappings: Mappings, customer: Customer, month: Month
) -> MonthFigures:
    return customer_months(conn, mappings, customer, month)[-1]


def _customers(mappings: Mappings, alias: str | None) -> list[Customer]:
    if alias is None:
        return list(mappings.customers.values())
    customer = mappings.customer(alias)
    if customer is None:
        raise ConfigError(
            f"unknown customer {alias!r}; known: {', '.join(sorted(mappings.customers))}"
        )
    return [customer]


def titles_of(mappings: Mappings) -> dict[str, str]:
    return {c.slug: c.title for c in mappings.catalog.categories}


def allowance_summaries(
    store: Store,
    mappings: Mappings,
    *,
    month: Month | None,
    customer: str | None,
    now: datetime,
) -> list[dict[str, Any]]:
    """`csp-jira-sync allowance`: each customer's month (default: its current month)."""
    titles = titles_of(mappings)
    found: list[dict[str, Any]] = []
    with store.transaction("reading the allowance ledger") as conn:
        for one in _customers(mappings, customer):
            wanted = month or Month.of(now, one.zone)
            found.append(report.summary(figures_of(conn, mappings, one, wanted), titles))
    return found


def ledger_last_read(store: Store) -> datetime | None:
    """When the ledger last read Jira's worklogs; None when it never has (a Jira without the
    worklog change feed, such as jira820, or no allowance pass run yet)."""
    with store.transaction("reading when the ledger last read Jira") as conn:
        return repo.last_read(conn)


def explanation(
    store: Store, mappings: Mappings, *, customer: str, month: Month
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """`allowance explain`: the figure and every worklog behind it."""
    (one,) = _customers(mappings, customer)
    titles = titles_of(mappings)
    with store.transaction("reading the allowance ledger") as conn:
        figures = figures_of(conn, mappings, one, month)
        lines = repo.lines_of(conn, customer=one.alias, month=month)
    return report.summary(figures, titles), report.explain(lines, titles)


def finance_rows(store: Store, mappings: Mappings, *, month: Month) -> list[dict[str, Any]]:
    """`finance export`: one row per customer for the month."""
    rows: list[dict[str, Any]] = []
    with store.transaction("reading the allowance ledger") as conn:
        for one in _customers(mappings, None):
            figures = customer_months(conn, mappings, one, month)[-1]
            lines = repo.lines_of(conn, customer=one.alias, month=month)
            rows.append(report.finance_row(figures, lines))
    return rows
