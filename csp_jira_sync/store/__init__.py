"""The state store: a durable inbox of accepted events plus the worker's bookkeeping tables.

    store = Store.open(settings.database_url)
    store.migrate()
    store.accept([InboxItem.of_escalation(event)])

SQLAlchemy Core on SQLite (WAL) or PostgreSQL (psycopg 3); the tables are in `schema`.
"""

from csp_jira_sync.store.engine import READ_ONLY, SqliteSynchronous, safe_url
from csp_jira_sync.store.locks import JobLock, JobLocks
from csp_jira_sync.store.records import (
    Accepted,
    Held,
    InboxItem,
    InboxKind,
    InboxRow,
    InboxSource,
    InboxState,
)
from csp_jira_sync.store.store import Store

__all__ = [
    "READ_ONLY",
    "Accepted",
    "Held",
    "InboxItem",
    "InboxKind",
    "InboxRow",
    "InboxSource",
    "InboxState",
    "JobLock",
    "JobLocks",
    "SqliteSynchronous",
    "Store",
    "safe_url",
]
