"""When recurring incidents become a Problem record, and what that Problem says: pure decisions
over frozen values (no Jira, no store); `problems.py` carries them out.

The input is one recurring group per problem (the same `fingerprint`, or the same customer,
service and normalised title), with its escalations and their Jira issues. A group reaches the
threshold when `escalations` of its escalations fall within `window` of each other (a sliding
window, so three in any thirty days count, not only the last thirty). A Problem that exists is
linked to every escalation of its group, however many recur later.
"""

from __future__ import annotations

from collections.abc import Sequence
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
        ordered = sorted(self.occurrences, key=lambda o: (o.at, o.escalation_id))
        return tuple(dict.fromkeys(o.issue_key for o in ordered))

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
    summary = f"Problem: {group.title} ({customer_name}, recurring)"
    if len(summary) > SUMMARY_LIMIT:
        summary = summary[: SUMMARY_LIMIT - 1] + "…"
    lines = [
        f"{count} escalations of the same problem for {customer_name} within "
        f"{window.days} days, first {group.first_seen.astimezone(UTC):%Y-%m-%d %H:%M} UTC, "
        f"last {group.last_seen.astimezone(UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        f"Recurring problem: {group.key}",
        "Escalations (each linked to this Problem; later recurrences are linked as they come):",
        *(f"* {o.issue_key} (NOC {o.escalation_id})" for o in group.occurrences),
        "",
        "Raised by csp-jira-sync (problem management). Find the root cause and record it here.",
    ]
    return ProblemDraft(subject, ref, summary, "\n".join(lines), tuple(dict.fromkeys(labels)))


def links_to_add(group: RecurringGroup, linked: frozenset[str]) -> tuple[str, ...]:
    """The group's escalation issues not yet linked to its Problem, oldest first."""
    return tuple(key for key in group.issue_keys if key not in linked)
