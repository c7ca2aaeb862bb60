"""The trend numbers of one report: a pure function over the escalations' facts.

Counting rule (issue 9), stated in every report (`COUNTING_RULE`): an escalation (one NOC
escalation id) counts once, in the period of its first event in the report's time zone, under
that first event's severity, service and data center, however many events it had; reopens are
reported as reopens, not as new escalations. Whether and when it was resolved, and its
category, are read from Jira, where people edit and resolve issues by hand.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from csp_jira_sync.reports.facts import EscalationFacts
from csp_jira_sync.reports.periods import Period
from csp_jira_sync.reports.recurrence import RecurringGroup, recurring_groups

SEVERITIES = ("sev1", "sev2", "sev3", "sev4")
NONE = "(none)"
TOP_RECURRING = 5

COUNTING_RULE = (
    "An escalation (one NOC escalation id) counts once, in the period of its first event in "
    "the report's time zone, under that first event's severity, however many events it had. "
    "Reopens are reported as reopens, not as new escalations. Resolution and category are as "
    "Jira shows them now. p90 is the nearest-rank 90th percentile."
)


@dataclass(frozen=True)
class Count:
    """One number against the previous period, with the issues behind each side."""

    name: str
    current: int
    previous: int
    current_keys: tuple[str, ...]
    previous_keys: tuple[str, ...]

    @property
    def delta(self) -> int:
        return self.current - self.previous


@dataclass(frozen=True)
class Durations:
    measured: int  # escalations with the time known
    mean: timedelta | None
    p90: timedelta | None
    keys: tuple[str, ...]


@dataclass(frozen=True)
class Reopen:
    escalation_id: str
    customer: str
    reopened_at: tuple[datetime, ...]  # the reopens inside the period
    issue_keys: tuple[str, ...]


@dataclass(frozen=True)
class Trends:
    scope: str  # customer alias or "all"
    period: Period
    previous: Period
    total: Count
    by_severity: tuple[Count, ...]
    by_service: tuple[Count, ...]
    by_datacenter: tuple[Count, ...]
    by_category: tuple[Count, ...]
    acknowledge: Durations
    resolve: Durations
    reopened: tuple[Reopen, ...]
    recurring: tuple[RecurringGroup, ...]
    csp_hours: float | None
    series: tuple[tuple[int, ...], ...]  # per bucket of `period`: counts per SEVERITIES
    previous_series: tuple[int, ...]  # per bucket of `previous`: totals


def acknowledged_at(facts: EscalationFacts) -> datetime | None:
    """The NOC's first acknowledgement (a resolve without one is not an acknowledgement)."""
    return next((e.occurred_at for e in facts.ordered if e.status == "acknowledged"), None)


def resolved_at(facts: EscalationFacts) -> datetime | None:
    """As Jira says when it has the issue: resolved only while it is in a done status (a person
    may have reopened it by hand). When the NOC's last word was `resolved`, at the NOC's time
    (Jira's resolution date is when the daemon applied it, later after an outage); resolved by
    hand in Jira alone, at Jira's resolution date. Without the issue, as the NOC says."""
    last = facts.ordered[-1]
    noc = last.occurred_at if last.status == "resolved" else None
    if facts.jira is None:
        return noc
    if not facts.jira.done:
        return None
    return noc or facts.jira.resolved_at


def reopens(facts: EscalationFacts) -> tuple[datetime, ...]:
    """Every `open` after a `resolved`, in order of occurrence (inside the reopen window it
    reopened the issue, after it a new linked issue: both are reopens of one escalation)."""
    out: list[datetime] = []
    was_resolved = False
    for event in facts.ordered:
        if event.status == "open" and was_resolved:
            out.append(event.occurred_at)
        was_resolved = event.status == "resolved" or (was_resolved and event.status != "open")
    return tuple(out)


def p90(values: Sequence[timedelta]) -> timedelta | None:
    """Nearest rank: the smallest value with at least 90% of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def _durations(pairs: Iterable[tuple[EscalationFacts, datetime | None]]) -> Durations:
    measured = [(f, end - f.first.occurred_at) for f, end in pairs if end is not None]
    values = [max(d, timedelta(0)) for _, d in measured]
    mean = sum(values, timedelta(0)) / len(values) if values else None
    keys = tuple(k for f, _ in measured for k in f.issue_keys)
    return Durations(len(values), mean, p90(values), keys)


def _category(facts: EscalationFacts) -> str:
    return (facts.jira.category if facts.jira else None) or NONE


def _breakdown(
    name_of: dict[str, str],
    current: Sequence[EscalationFacts],
    previous: Sequence[EscalationFacts],
    order: Sequence[str] = (),
) -> tuple[Count, ...]:
    names = list(order) + sorted(
        {name_of[f.escalation_id] for f in (*current, *previous)} - set(order)
    )

    def named(name: str) -> Callable[[EscalationFacts], bool]:
        return lambda facts: name_of[facts.escalation_id] == name

    return tuple(_count(n, current, previous, named(n)) for n in names)


def _count(
    name: str,
    current: Sequence[EscalationFacts],
    previous: Sequence[EscalationFacts],
    keep: Callable[[EscalationFacts], bool],
) -> Count:
    now = [f for f in current if keep(f)]
    before = [f for f in previous if keep(f)]
    return Count(
        name,
        len(now),
        len(before),
        tuple(k for f in now for k in f.issue_keys),
        tuple(k for f in before for k in f.issue_keys),
    )


def compute(
    scope: str,
    period: Period,
    escalations: Iterable[EscalationFacts],
    *,
    recurring_window: timedelta = timedelta(days=30),
    top: int = TOP_RECURRING,
    csp_hours: float | None = None,
) -> Trends:
    """The numbers of `period` for `escalations` (already narrowed to the scope's customers).

    Recurring problems are looked for over the `recurring_window` that ends with the period (a
    week alone rarely shows a pattern), and reported when an escalation of them falls in the
    period; the top `top` by number of escalations. `csp_hours` are the CSP hours logged on
    incidents in the period (from the allowance ledger), None when unknown."""
    every = list(escalations)
    previous = period.previous()
    current = [f for f in every if period.contains(f.first.occurred_at)]
    before = [f for f in every if previous.contains(f.first.occurred_at)]

    def field(get: Callable[[EscalationFacts], str | None]) -> dict[str, str]:
        return {f.escalation_id: (get(f) or NONE) for f in (*current, *before)}

    severity = field(lambda f: f.first.severity)
    service = field(lambda f: f.first.service)
    datacenter = field(lambda f: f.first.datacenter)
    category = field(_category)

    reopened = []
    for facts in every:
        inside = tuple(t for t in reopens(facts) if period.contains(t))
        if inside:
            reopened.append(Reopen(facts.escalation_id, facts.customer, inside, facts.issue_keys))
    reopened.sort(key=lambda r: (r.reopened_at[0], r.escalation_id))

    window_start = min(period.start, period.end - recurring_window)
    groups = [
        g
        for g in recurring_groups(every, window_start, period.end)
        if any(period.contains(t) for t in g.seen)
    ]
    groups.sort(key=lambda g: (-len(g.escalation_ids), g.first_seen, g.key))

    buckets = period.buckets()
    series = [[0] * len(SEVERITIES) for _ in buckets]
    for facts in current:
        index = period.bucket_index(facts.first.occurred_at, buckets)
        level = severity[facts.escalation_id]
        if index is not None and level in SEVERITIES:
            series[index][SEVERITIES.index(level)] += 1
    previous_buckets = previous.buckets()
    previous_series = [0] * len(previous_buckets)
    for facts in before:
        index = previous.bucket_index(facts.first.occurred_at, previous_buckets)
        if index is not None:
            previous_series[index] += 1

    return Trends(
        scope=scope,
        period=period,
        previous=previous,
        total=_count("escalations", current, before, lambda f: True),
        by_severity=_breakdown(severity, current, before, SEVERITIES),
        by_service=_breakdown(service, current, before),
        by_datacenter=_breakdown(datacenter, current, before),
        by_category=_breakdown(category, current, before),
        acknowledge=_durations((f, acknowledged_at(f)) for f in current),
        resolve=_durations((f, resolved_at(f)) for f in current),
        reopened=tuple(reopened),
        recurring=tuple(groups[:top]),
        csp_hours=csp_hours,
        series=tuple(tuple(row) for row in series),
        previous_series=tuple(previous_series),
    )
