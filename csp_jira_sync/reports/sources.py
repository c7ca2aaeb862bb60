"""What the scheduled report and Problem jobs (`reports/runs.py`) read: the documents of a due
period, from the trend computation, and the recurring problems of the last window, as the
Problem records decide on them. Built once by `runtime/bootstrap.build_app`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from csp_jira_sync.config.mappings import Mappings
from csp_jira_sync.jira.port import IssueSearch
from csp_jira_sync.reports.document import ReportDocument
from csp_jira_sync.reports.facts import EscalationFacts
from csp_jira_sync.reports.periods import PeriodKind
from csp_jira_sync.reports.problem_decide import Occurrence, RecurringGroup
from csp_jira_sync.reports.reading import read_facts
from csp_jira_sync.reports.recurrence import RecurringGroup as Recurrence
from csp_jira_sync.reports.recurrence import recurring_groups
from csp_jira_sync.reports.run import trend_reports
from csp_jira_sync.store import Store

# An escalation whose CSP category label a person removed is still an incident.
INCIDENTS = "incident-problem"


def report_documents(
    store: Store,
    gateway: IssueSearch,
    mappings: Mappings,
    *,
    report_timezone: str,
    clock: Callable[[], datetime],
) -> Callable[[str, str], Sequence[ReportDocument]]:
    """Every scope's document for one period (`week`/`month`, `2026-W47`/`2026-11`)."""

    def documents(kind: str, label: str) -> Sequence[ReportDocument]:
        period: PeriodKind = "month" if kind == "month" else "week"
        reports = trend_reports(
            store,
            gateway,
            mappings,
            report_timezone=report_timezone,
            now=clock(),
            kind=period,
            spec=label,
        )
        return [r.document for r in reports]

    return documents


def problem_groups(
    store: Store, gateway: IssueSearch, mappings: Mappings
) -> Callable[[datetime], Sequence[RecurringGroup]]:
    """The recurring problems with at least the mapped number of escalations in the mapped
    window before `now` (`mappings/problems.yaml`)."""
    rules = mappings.problems
    slugs = {c.title: c.slug for c in mappings.catalog.categories}

    def groups(now: datetime) -> Sequence[RecurringGroup]:
        start = now - rules.window
        facts = read_facts(store, gateway, mappings.catalog, start, now)
        by_id = {f.escalation_id: f for f in facts}
        found = recurring_groups(facts, start, now, minimum=rules.escalations)
        return [_for_problems(g, by_id, slugs) for g in found]

    return groups


def _for_problems(
    group: Recurrence, facts: dict[str, EscalationFacts], slugs: dict[str, str]
) -> RecurringGroup:
    return RecurringGroup(
        key=group.key,
        customer=group.customer,
        category_slug=slugs.get(group.category or "", INCIDENTS),
        title=group.title,
        occurrences=tuple(
            # An escalation raised anew after its reopen window has several issues: the
            # Problem links the newest, where its recurrence is being worked on.
            Occurrence(
                escalation_id,
                facts[escalation_id].issue_keys[-1],
                seen,
                facts[escalation_id].first.datacenter,
            )
            for escalation_id, seen in zip(group.escalation_ids, group.seen, strict=True)
        ),
    )
