"""Report runs and the Problem pass as the daemon and the CLI run them.

`publish_documents` raises computed report documents in Jira, each customer's report linking
that customer's saved filters (kept current on the way): the function `serve`'s report job and
the `report trends` command both call. `scheduled_reports` is the job: on each pass it works out
which week and month have ended (`due_periods`) and raises their reports unless every scope has
one already, so a pass an hour costs a few store reads and nothing in Jira between periods.

Where the documents and the recurring groups come from (the trend computation and
`recurrence.py`) is passed in, as `DocumentSource` and `GroupSource`.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from csp_jira_sync.config.mappings import Mappings
from csp_jira_sync.delivery import journal
from csp_jira_sync.delivery.once import Defer
from csp_jira_sync.errors import JiraPermanent
from csp_jira_sync.jira.reports_port import FilterShare, ReportsGateway, SavedFilter
from csp_jira_sync.reports.document import ReportDocument
from csp_jira_sync.reports.filters import ensure_customer_filters, share_target, specs_for
from csp_jira_sync.reports.problem_decide import RecurringGroup
from csp_jira_sync.reports.problems import ProblemPass
from csp_jira_sync.reports.publish import KIND, ReportPublisher
from csp_jira_sync.store import Store

log = logging.getLogger(__name__)

# (period kind "week" or "month", period label "2026-W47" or "2026-11") -> one document per
# scope (each customer, and "all").
DocumentSource = Callable[[str, str], Sequence[ReportDocument]]
# now -> the recurring groups of the recent past.
GroupSource = Callable[[datetime], Sequence[RecurringGroup]]

ALL_SCOPE = "all"
# A period's report waits a day after the period ends (in UTC): every customer's time zone has
# left it by then, and escalations resolved by hand at its end are in Jira.
GRACE = timedelta(days=1)


@dataclass(frozen=True)
class ReportContext:
    store: Store
    gateway: ReportsGateway
    mappings: Mappings
    project: str
    report_issue_type: str
    filter_group: str | None
    now: Callable[[], datetime]
    settle: timedelta


def due_periods(now: datetime, *, grace: timedelta = GRACE) -> dict[str, str]:
    """The last ISO week and calendar month that ended at least `grace` before `now`."""
    day = (now - grace).date()
    this_monday = day - timedelta(days=day.isoweekday() - 1)
    year, week, _ = (this_monday - timedelta(days=7)).isocalendar()
    last_month = date(day.year, day.month, 1) - timedelta(days=1)
    return {"week": f"{year}-W{week:02d}", "month": f"{last_month:%Y-%m}"}


def _published(store: Store, subject: str) -> bool:
    with store.transaction("reading the report ledger") as conn:
        entry = journal.ledger_entry(conn, KIND, subject, 0)
    return entry is not None and entry.state == "created"


def publish_documents(
    ctx: ReportContext,
    documents: Iterable[ReportDocument],
    *,
    keys: dict[str, str] | None = None,
) -> Counter[str]:
    """Raise each document in Jira (created or updated, never a second report); a customer's
    report links its saved filters. Counts `created`, `updated`, `deferred` (another daemon
    holds the create, or it may still be indexing: the next pass finishes it), `refused` (Jira
    refused that report; the others go on) and `filters refused`. `keys`, when given, receives
    each raised report's issue key by its subject (`scope/period`)."""
    publisher = ReportPublisher(
        ctx.store,
        ctx.gateway,
        project=ctx.project,
        issue_type=ctx.report_issue_type,
        now=ctx.now,
        settle=ctx.settle,
    )
    share: FilterShare | None = None
    outcomes: Counter[str] = Counter()
    for document in documents:
        customer = ctx.mappings.customer(document.scope)
        filters: Sequence[SavedFilter] = ()
        if customer is not None:
            if share is None:
                share = share_target(ctx.gateway, project=ctx.project, group=ctx.filter_group)
            specs = specs_for(customer, ctx.mappings, project=ctx.project)
            try:
                filters = ensure_customer_filters(
                    ctx.store, ctx.gateway, specs, share=share, now=ctx.now
                )
            except JiraPermanent as exc:
                # The report still carries its numbers; the filter links return once Jira
                # takes the filters (e.g. CSP_REPORT_FILTER_GROUP names a group that exists).
                log.warning("report.filters_refused scope=%s reason=%s", document.scope, exc)
                outcomes["filters refused"] += 1
        try:
            published = publisher.publish(document, filters=filters)
        except Defer:
            outcomes["deferred"] += 1
            continue
        except JiraPermanent as exc:
            subject = f"{document.scope}/{document.period_label}"
            log.warning("report.refused subject=%s reason=%s", subject, exc)
            outcomes["refused"] += 1
            continue
        outcomes["created" if published.new else "updated"] += 1
        if keys is not None:
            keys[f"{document.scope}/{document.period_label}"] = published.issue.key
    return outcomes


def scheduled_reports(ctx: ReportContext, source: DocumentSource) -> Counter[str]:
    """The report job: raise the reports of the week and the month that are due, once."""
    outcomes: Counter[str] = Counter()
    scopes = [*sorted(ctx.mappings.customers), ALL_SCOPE]
    for kind, label in due_periods(ctx.now()).items():
        if all(_published(ctx.store, f"{scope}/{label}") for scope in scopes):
            outcomes["already raised"] += len(scopes)
            continue
        outcomes.update(publish_documents(ctx, source(kind, label)))
    return outcomes


def problem_pass(ctx: ReportContext, source: GroupSource) -> Counter[str]:
    """The Problem job: a Problem for each recurring problem over the threshold, and links."""
    problems = ProblemPass(
        ctx.store, ctx.gateway, ctx.mappings, project=ctx.project, now=ctx.now, settle=ctx.settle
    )
    outcomes = problems.run(source(ctx.now()))
    return Counter(o.note.split(":")[0] for o in outcomes)
