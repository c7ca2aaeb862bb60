"""What goes into the inbox and what comes out of it: plain frozen values, no database inside."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from csp_jira_sync.config.events import CustomerRequest, EscalationEvent

InboxKind = Literal["escalation", "request"]
InboxSource = Literal["noc", "alertmanager", "pagerduty", "requests", "import"]
InboxState = Literal["pending", "done", "dead"]


@dataclass(frozen=True)
class InboxItem:
    """One validated event to store. `payload` is the model's `model_dump(mode="json")`."""

    kind: InboxKind
    source: InboxSource
    event_id: str
    subject: str
    customer: str
    occurred_at: datetime
    payload: dict[str, Any]

    def __post_init__(self) -> None:
        if self.kind not in get_args(InboxKind):
            raise ValueError(f"unknown inbox kind {self.kind!r}")
        if self.source not in get_args(InboxSource):
            raise ValueError(f"unknown inbox source {self.source!r}")
        if self.occurred_at.tzinfo is None or self.occurred_at.utcoffset() is None:
            raise ValueError("occurred_at must be time-zone aware")

    @classmethod
    def of_escalation(cls, event: EscalationEvent) -> InboxItem:
        return cls(
            kind="escalation",
            source=event.source,
            event_id=event.event_id,
            subject=event.escalation_id,
            customer=event.customer,
            occurred_at=event.occurred_at,
            payload=event.model_dump(mode="json"),
        )

    @classmethod
    def of_request(
        cls, request: CustomerRequest, *, source: Literal["requests", "import"] = "requests"
    ) -> InboxItem:
        # A request is one event: its id is both the delivery id and the subject.
        return cls(
            kind="request",
            source=source,
            event_id=request.id,
            subject=request.id,
            customer=request.customer,
            occurred_at=request.received_at,
            payload=request.model_dump(mode="json"),
        )


@dataclass(frozen=True)
class Accepted:
    """The outcome of storing one item. A duplicate names the row stored the first time."""

    event_id: str
    inbox_id: int
    duplicate: bool


@dataclass(frozen=True)
class InboxRow:
    """One inbox row, every column. Datetimes are aware UTC; `payload` is the decoded JSON."""

    id: int
    kind: InboxKind
    source: InboxSource
    event_id: str
    subject: str
    customer: str
    occurred_at: datetime
    payload: dict[str, Any]
    received_at: datetime
    state: InboxState
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    claimed_until: datetime | None
    done_at: datetime | None


@dataclass(frozen=True)
class Held:
    """Pending events that wait behind a dead-lettered earlier event of their subject."""

    events: int
    # dead letter id -> how many pending events of its subject come after it (only those > 0)
    by_dead_letter: dict[int, int]

    @property
    def dead_letters(self) -> int:
        """How many dead letters hold back at least one event."""
        return len(self.by_dead_letter)
