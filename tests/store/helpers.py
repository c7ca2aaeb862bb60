"""Small builders shared by the store tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from csp_jira_sync.store import InboxItem

T0 = datetime(2026, 5, 20, 9, 0, tzinfo=UTC)


def item(
    event_id: str,
    *,
    subject: str = "NOC-1001",
    minutes: float = 0,
    kind: str = "escalation",
    source: str = "noc",
    payload: dict[str, Any] | None = None,
) -> InboxItem:
    return InboxItem(
        kind=kind,  # type: ignore[arg-type]
        source=source,  # type: ignore[arg-type]
        event_id=event_id,
        subject=subject,
        customer="acme",
        occurred_at=T0 + timedelta(minutes=minutes),
        payload=payload if payload is not None else {"event_id": event_id, "n": minutes},
    )
