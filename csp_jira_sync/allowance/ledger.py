"""A customer's figures from the stored ledger lines (shared by the pass and the commands)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy.engine import Connection

from csp_jira_sync.allowance import repository as repo
from csp_jira_sync.allowance.counting import LedgerLine
from csp_jira_sync.allowance.figures import MonthFigures, month_figures, usage_of
from csp_jira_sync.allowance.months import Month
from csp_jira_sync.config.mappings import Customer, Mappings


def customer_months(
    conn: Connection, mappings: Mappings, customer: Customer, last: Month
) -> tuple[list[MonthFigures], dict[Month, list[LedgerLine]]]:
    """The customer's figures for every month up to `last`, and the lines behind them. With
    carry-over or borrowing each month depends on the ones before it, so those start at the
    ledger's first month; otherwise only `last` is read."""
    package = mappings.package_of(customer)
    first = last
    if package.carry_over is not None or package.borrowing is not None:
        covered = repo.month_range(conn)
        if covered is not None:
            first = min(covered[0], last)
    by_month: dict[Month, list[LedgerLine]] = defaultdict(list)
    for line in repo.lines_of(conn, customer=customer.alias, month=None if first < last else last):
        if first <= line.month <= last:
            by_month[line.month].append(line)
    usages = [usage_of(month, by_month.get(month, [])) for month in first.until(last)]
    return month_figures(customer.alias, package, usages), dict(by_month)


def figures_of(
    conn: Connection, mappings: Mappings, customer: Customer, month: Month
) -> MonthFigures:
    return customer_months(conn, mappings, customer, month)[0][-1]
