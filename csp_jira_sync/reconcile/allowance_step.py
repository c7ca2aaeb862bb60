"""The allowance ledger, recomputed for every month touched since the last run.

Worklogs are backdated, edited and deleted in Jira after the fact; the allowance pass follows
Jira's change feeds, but a missed feed entry or a relabelled issue in an older month would stay
wrong. This step re-reads in full (the allowance package's own month re-read, which replaces
every stored worklog started in the month) each month that the run's window touches and each
month holding a worklog the ledger saw change since the window began, then re-applies
enforcement through the same pass. Each customer-month whose figures changed is a finding.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import UTC

import sqlalchemy as sa

from csp_jira_sync.allowance.figures import MonthFigures
from csp_jira_sync.allowance.ledger import customer_months
from csp_jira_sync.allowance.months import Month
from csp_jira_sync.config.mappings import Mappings
from csp_jira_sync.reconcile.findings import Finding, Scope
from csp_jira_sync.store import Store
from csp_jira_sync.store.schema import allowance_worklogs

NAME = "allowance"

# One allowance pass that re-reads `months` in full and enforces what changed.
AllowancePass = Callable[[Collection[Month]], object]


def months_touched(store: Store, scope: Scope) -> list[Month]:
    """The months of the window (UTC), and the months of worklogs read as changed since."""
    months = set(Month.of(scope.since, UTC).until(Month.of(scope.until, UTC)))
    query = (
        sa.select(allowance_worklogs.c.started)
        .where(allowance_worklogs.c.updated >= scope.since)
        .distinct()
    )
    with store.transaction("finding months with changed worklogs") as conn:
        for (started,) in conn.execute(query):
            months.add(Month.of(started, UTC))
    return sorted(months)


def _figures(
    store: Store, mappings: Mappings, months: list[Month]
) -> dict[tuple[str, Month], MonthFigures]:
    found: dict[tuple[str, Month], MonthFigures] = {}
    wanted = set(months)
    with store.transaction("reading allowance figures") as conn:
        for alias, customer in sorted(mappings.customers.items()):
            for figure in customer_months(conn, mappings, customer, max(months)):
                if figure.month in wanted:
                    found[(alias, figure.month)] = figure
    return found


def _hours(seconds: int) -> str:
    return f"{seconds / 3600:.2f} h"


class AllowanceStep:
    def __init__(self, store: Store, mappings: Mappings, run_pass: AllowancePass | None) -> None:
        self.store = store
        self.mappings = mappings
        self.run_pass = run_pass

    @property
    def name(self) -> str:
        return NAME

    def run(self, scope: Scope) -> list[Finding]:
        months = months_touched(self.store, scope)
        names = ", ".join(str(month) for month in months)
        if self.run_pass is None:
            return [
                Finding(
                    NAME,
                    "allowance ledger",
                    "no worklog reader is configured, so the ledger cannot be re-read",
                    "reported",
                    "",
                    needs_person=True,
                )
            ]
        if scope.dry_run:
            return [
                Finding(
                    NAME,
                    names,
                    f"{len(months)} month(s) touched since {scope.since.isoformat()}",
                    "would-repair",
                    "would re-read their worklogs from Jira, recompute the ledger and re-apply "
                    "enforcement",
                )
            ]
        before = _figures(self.store, self.mappings, months)
        self.run_pass(months)
        after = _figures(self.store, self.mappings, months)
        findings = []
        for key in sorted(set(before) | set(after), key=lambda k: (k[0], k[1])):
            old, new = before.get(key), after.get(key)
            if (
                old is not None
                and new is not None
                and (old.used_seconds, old.state)
                == (
                    new.used_seconds,
                    new.state,
                )
            ):
                continue
            alias, month = key
            was = f"{_hours(old.used_seconds)} ({old.state})" if old else "nothing"
            now = f"{_hours(new.used_seconds)} ({new.state})" if new else "nothing"
            findings.append(
                Finding(
                    NAME,
                    f"{alias} {month}",
                    f"the ledger said {was}; Jira's worklogs say {now}",
                    "repaired",
                    "ledger recomputed and enforcement re-applied",
                )
            )
        return findings


__all__ = ["AllowanceStep", "months_touched"]
