"""What the trend computation is computed from: every escalation the daemon created, with the
NOC's events (from the store's inbox) and what Jira says of its issues now (people edit and
resolve them by hand; Jira wins). Plain frozen values; `reading.py` builds them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property


@dataclass(frozen=True)
class EventFact:
    """One NOC event of an escalation, as the inbox stored it."""

    event_id: str
    occurred_at: datetime
    status: str  # open | acknowledged | resolved
    severity: str
    service: str
    datacenter: str
    title: str
    fingerprint: str | None


@dataclass(frozen=True)
class JiraFacts:
    """The escalation's current issue as Jira shows it now."""

    key: str
    status: str
    done: bool  # the status is in Jira's "done" category
    resolved_at: datetime | None  # Jira's resolution date
    category: str | None  # from the issue's CSP category label, None when a person removed it


@dataclass(frozen=True)
class EscalationFacts:
    escalation_id: str
    customer: str
    events: tuple[EventFact, ...]  # at least one; any order
    issue_keys: tuple[str, ...]  # every generation's issue, oldest first
    jira: JiraFacts | None  # the newest issue; None when Jira did not return it

    @cached_property
    def ordered(self) -> tuple[EventFact, ...]:
        return tuple(sorted(self.events, key=lambda e: (e.occurred_at, e.event_id)))

    @property
    def first(self) -> EventFact:
        return self.ordered[0]
