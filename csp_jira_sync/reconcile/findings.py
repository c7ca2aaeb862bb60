"""What one reconciliation step found and did: the shared vocabulary of every step.

A step looks at one kind of drift (events that never reached Jira, issues a person deleted,
duplicate issues, missing labels, months whose worklogs changed, rows past their retention) and
answers with findings. Each finding says what it is about, what was found, and what was done
about it (or, on a dry run, what would be done). `needs_person` marks what the job cannot
repair by itself; any such finding makes `reconcile` exit non-zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from csp_jira_sync.errors import JiraError

Outcome = Literal["repaired", "would-repair", "reported", "clean"]


@dataclass(frozen=True)
class Scope:
    """What a reconciliation looks at: changes since `since` (inclusive) up to `until`."""

    since: datetime
    until: datetime
    dry_run: bool


@dataclass(frozen=True)
class Finding:
    step: str  # the step's name: "redelivery", "duplicates", "labels", ...
    subject: str  # what it is about: a source reference, an issue key, a customer-month
    found: str  # what was found, in words a person reads
    outcome: Outcome
    action: str  # what was done, or would be done on a dry run; "" when nothing
    needs_person: bool = False


def clean(step: str, found: str) -> Finding:
    """The one finding of a step that found nothing to repair: what it looked at, in `found`."""
    return Finding(step, "all", found, "clean", "")


def stopped_by_jira(
    step: str,
    subject: str,
    found: str,
    error: JiraError,
    *,
    doing: str = "stopped by Jira's answer",
) -> Finding:
    """The finding for one item whose repair Jira failed or refused: the step goes on with
    the others, a person looks at this one, and the next run takes it up again (nothing
    about it was recorded as done)."""
    return Finding(
        step,
        subject,
        found,
        "reported",
        f"{doing}: {error}; the next run tries again",
        needs_person=True,
    )


class Step(Protocol):
    """One kind of drift. `run` finds it within `scope` and, unless `scope.dry_run`, repairs it."""

    @property
    def name(self) -> str: ...

    def run(self, scope: Scope) -> Sequence[Finding]: ...
