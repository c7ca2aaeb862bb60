"""What the daemon remembers about activity labels on issues: who decided (the daemon or a
person) and what. A person's decision is never overwritten (issue 4)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from csp_jira_sync.store.schema import triage_labels
from csp_jira_sync.store.upsert import upsert
from csp_jira_sync.triage.decide import DecidedBy, Memory


def recall(conn: Connection, issue_key: str) -> Memory | None:
    row = conn.execute(
        sa.select(triage_labels).where(triage_labels.c.issue_key == issue_key)
    ).first()
    return None if row is None else Memory(row.activity_slug, row.decided_by)


def remember_decision(
    conn: Connection, issue_key: str, activity_slug: str, decided_by: DecidedBy, now: datetime
) -> None:
    values = {"activity_slug": activity_slug, "decided_by": decided_by, "updated_at": now}
    upsert(conn, triage_labels, {"issue_key": issue_key}, values)
