"""`report trends`: which reports one run makes, the facts read once for all of them, the
numbers and the documents. The CLI (and the scheduled job) call `trend_reports`, then
`publish_reports` unless it is a dry run.

Scopes: one customer (`--customer`), in the customer's time zone; or, without it, the
all-customer report in `CSP_REPORT_TIMEZONE` and one report per customer in its own zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from csp_jira_sync.config.mappings import Mappings
from csp_jira_sync.errors import UnknownCustomer
from csp_jira_sync.jira.port import IssueSearch
from csp_jira_sync.reports.build import ALL, report_document
from csp_jira_sync.reports.document import ReportDocument
from csp_jira_sync.reports.periods import Period, PeriodKind, last_complete, parse_period
from csp_jira_sync.reports.reading import incident_hours, read_facts
from csp_jira_sync.reports.runs import ReportContext, publish_documents
from csp_jira_sync.reports.trends import Trends, compute
from csp_jira_sync.store import Store

RECURRING_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class Scope:
    name: str  # a customer alias, or "all"
    timezone: str
    customers: tuple[str, ...]


@dataclass(frozen=True)
class TrendReport:
    trends: Trends
    document: ReportDocument


def scopes(mappings: Mappings, report_timezone: str, customer: str | None) -> list[Scope]:
    if customer is not None:
        found = mappings.customer(customer)
        if found is None:
            known = ", ".join(sorted(mappings.customers)) or "none"
            raise UnknownCustomer(
                f"unknown customer {customer!r}: give an alias from customers.yaml ({known})"
            )
        return [Scope(found.alias, found.timezone, (found.alias,))]
    everyone = tuple(sorted(mappings.customers))
    return [Scope(ALL, report_timezone, everyone)] + [
        Scope(alias, mappings.customers[alias].timezone, (alias,)) for alias in everyone
    ]


def period_for(scope: Scope, kind: PeriodKind | None, spec: str | None, now: datetime) -> Period:
    """`spec` (2026-W47, 2026-11) in the scope's zone, or the last complete `kind` by `now`."""
    if spec is not None:
        return parse_period(spec, scope.timezone, kind)
    return last_complete(kind or "week", now, scope.timezone)


def trend_reports(
    store: Store,
    gateway: IssueSearch,
    mappings: Mappings,
    *,
    report_timezone: str,
    now: datetime,
    kind: PeriodKind | None = None,
    spec: str | None = None,
    customer: str | None = None,
) -> list[TrendReport]:
    """The numbers and documents of every report of this run. Bad input (an unknown customer,
    a malformed period) raises before the store or Jira is read."""
    plan = [
        (s, period_for(s, kind, spec, now)) for s in scopes(mappings, report_timezone, customer)
    ]
    since = min(min(p.previous().start, p.end - RECURRING_WINDOW) for _, p in plan)
    until = max(p.end for _, p in plan)
    only = None if customer is None else list(plan[0][0].customers)
    facts = read_facts(store, gateway, mappings.catalog, since, until, customers=only)
    out = []
    for scope, period in plan:
        mine = [f for f in facts if f.customer in scope.customers]
        hours = incident_hours(store, scope.customers, period.start, period.end)
        trends = compute(
            scope.name, period, mine, recurring_window=RECURRING_WINDOW, csp_hours=hours
        )
        out.append(TrendReport(trends, report_document(trends, mappings)))
    return out


@dataclass(frozen=True)
class PublishedReports:
    """What `publish_reports` raised: the issue keys in the order of the documents (None where
    Jira refused a report or another daemon is still raising it), and how many Jira refused."""

    keys: list[str | None]
    refused: int


def publish_reports(
    context: ReportContext, documents: Sequence[ReportDocument]
) -> PublishedReports:
    """Raise each document in Jira (one issue per period and scope, attachments replaced,
    the customer's saved filters linked)."""
    keys: dict[str, str] = {}
    outcomes = publish_documents(context, documents, keys=keys)
    return PublishedReports(
        [keys.get(f"{d.scope}/{d.period_label}") for d in documents], outcomes["refused"]
    )
