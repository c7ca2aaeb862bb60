"""The saved-filter table (`saved_filters`): which Jira filter holds each customer's numbers.
Functions over a connection, called inside `Store.transaction(...)`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from csp_jira_sync.store.schema import saved_filters
from csp_jira_sync.store.upsert import upsert


@dataclass(frozen=True)
class KnownFilter:
    scope: str
    purpose: str
    filter_id: str
    name: str
    jql: str


def known_filter(conn: Connection, scope: str, purpose: str) -> KnownFilter | None:
    row = conn.execute(
        sa.select(saved_filters).where(
            saved_filters.c.scope == scope, saved_filters.c.purpose == purpose
        )
    ).first()
    if row is None:
        return None
    return KnownFilter(row.scope, row.purpose, row.filter_id, row.name, row.jql)


def remember_filter(conn: Connection, known: KnownFilter, now: datetime) -> None:
    upsert(
        conn,
        saved_filters,
        {"scope": known.scope, "purpose": known.purpose},
        {"filter_id": known.filter_id, "name": known.name, "jql": known.jql, "updated_at": now},
    )


def forget_filter(conn: Connection, scope: str, purpose: str) -> None:
    conn.execute(
        sa.delete(saved_filters).where(
            saved_filters.c.scope == scope, saved_filters.c.purpose == purpose
        )
    )
