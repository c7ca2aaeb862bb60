"""When recurring incidents become a Problem record, and what that Problem says: pure decisions
over frozen values (no Jira, no store); `problems.py` carries them out.

The input is one recurring group per problem (the same `fingerprint`, or the same customer,
service and normalised title), with its escalations and their Jira issues. A group reaches the
threshold when `escalations` of its escalations fall within `window` of each other (a sliding
window, so three in any thirty days count, not only the last thirty). A Problem that exists is
linked to every escalation of its group, however many recur later.

A Problem is raised once, from the escalations the periodic pass has seen by then, and which
those are depends on timing: lanes and daemons apply events out of the NOC's order, and a
restart runs the pass at once. So its summary names the recurring problem, never one incident:
the title with the escalations' data centres taken out (the NOC writes "Disk usage above 90%
(VA1)" for each data center it recurs in). Where it recurs is in the description, one line per
escalation in the NOC's own time order, and on the linked issues.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from csp_jira_sync.config.references import ref_label, slug_label
from csp_jira_sync.reports.filter_specs import CSP_LABEL, PROBLEM_RECORD_LABEL

KIND = "problem"
SUMMARY_LIMIT = 255


@dataclass(frozen=True)
class Occurrence:
    escalation_id: str
    issue_key: str  # the escalation's Jira issue
    at: datetime  # its first event
    datacenter: str = ""  # as its first event names it; "" when the NOC named none


@dataclass(frozen=True)
class RecurringGroup:
    """Stand-in for `reports/recurrence.py`'s groups until that lands (adapted at the merge)."""

    key: str  # the fingerprint, or customer + service + normalised title
    customer: str  # alias
    category_slug: str
    title: str
    occurrences: tuple[Occurrence, ...]

    @property
    def issue_keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(o.issue_key for o in self.in_noc_order))

    @property
    def in_noc_order(self) -> tuple[Occurrence, ...]:
        return tuple(sorted(self.occurrences, key=lambda o: (o.at, o.escalation_id)))

    @property
    def datacenters(self) -> tuple[str, ...]:
        return tuple(sorted({o.datacenter for o in self.occurrences if o.datacenter}))

    @property
    def first_seen(self) -> datetime:
        return min(o.at for o in self.occurrences)

    @property
    def last_seen(self) -> datetime:
        return max(o.at for o in self.occurrences)


@dataclass(frozen=True)
class ProblemDraft:
    subject: str  # the create ledger's subject: customer and group key
    ref: str  # the reference label the Problem is found again by
    summary: str
    description: str
    labels: tuple[str, ...]


def subject_of(group: RecurringGroup) -> str:
    return f"{group.customer}/{group.key}"


def reaches_threshold(
    occurrences: Sequence[Occurrence], *, escalations: int, window: timedelta
) -> bool:
    """Whether `escalations` distinct escalations fall within `window` of each other."""
    firsts: dict[str, datetime] = {}
    for o in occurrences:
        firsts[o.escalation_id] = min(o.at, firsts.get(o.escalation_id, o.at))
    times = sorted(firsts.values())
    return any(
        times[i + escalations - 1] - times[i] <= window for i in range(len(times) - escalations + 1)
    )


_EMPTY_BRACKETS = re.compile(r"\(\s*\)|\[\s*\]")
_DANGLING = re.compile(r"^[\s,;:/-]+|(?:\s+(?:in|at|on|from)\b|[\s,;:/-])+$", re.IGNORECASE)


def problem_title(title: str, datacenters: Iterable[str]) -> str:
    """`title` without the names of `datacenters` (whole words, any case), and without the
    brackets, separators or the "in" they leave dangling: "Disk usage above 90% (VA1)" -> "Disk usage above
    90%". The title unchanged when it names none of them, or is nothing but one."""
    text = title
    for name in sorted({d for d in datacenters if d}, key=len, reverse=True):
        text = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", " ", text, flags=re.IGNORECASE)
    if text == title:
        return title
    text = " ".join(_EMPTY_BRACKETS.sub(" ", text).split())
    text = _DANGLING.sub("", text)
    return text or title


def problem_draft(
    group: RecurringGroup,
    *,
    customer_name: str,
    customer_label: str,
    category_label: str,
    window: timedelta,
) -> ProblemDraft:
    subject = subject_of(group)
    ref = ref_label(KIND, subject, 0)
    labels = [CSP_LABEL, PROBLEM_RECORD_LABEL, customer_label, category_label, ref]
    recurring = slug_label("csp-problem", group.key)
    if recurring:
        labels.append(recurring)
    count = len({o.escalation_id for o in group.occurrences})
    title = problem_title(group.title, group.datacenters)
    summary = f"Problem: {title} ({customer_name}, recurring)"
    if len(summary) > SUMMARY_LIMIT:
        summary = summary[: SUMMARY_LIMIT - 1] + "…"
    lines = [
        f"{count} escalations of the same problem for {customer_name} within "
        f"{window.days} days, first {group.first_seen.astimezone(UTC):%Y-%m-%d %H:%M} UTC, "
        f"last {group.last_seen.astimezone(UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        f"Recurring problem: {group.key}",
        f"Data centers: {', '.join(group.datacenters) or 'not named by the NOC'}",
        "Escalations (each linked to this Problem; later recurrences are linked as they come):",
        *(
            f"* {o.issue_key} (NOC {o.escalation_id}{', ' + o.datacenter if o.datacenter else ''})"
            for o in group.in_noc_order
        ),
        "",
        "Raised by csp-jira-sync (problem management). Find the root cause and record it here.",
    ]
    return ProblemDraft(subject, ref, summary, "\n".join(lines), tuple(dict.fromkeys(labels)))


def links_to_add(group: RecurringGroup, linked: frozenset[str]) -> tuple[str, ...]:
    """The group's escalation issues not yet linked to its Problem, oldest first."""
    return tuple(key for key in group.issue_keys if key not in linked)
