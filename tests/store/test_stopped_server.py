"""Every store method says `StoreUnavailable` (never a raw driver error, which ended the worker
thread in issue 7) when PostgreSQL stops under a store whose pool holds live connections, and
every one works again once the server is back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from csp_jira_sync.errors import StoreUnavailable
from csp_jira_sync.store import InboxRow, Store
from tests.store.helpers import T0, item
from tests.support.postgres_cluster import PostgresCluster

LEASE = timedelta(minutes=2)


def _in_transaction(store: Store) -> None:
    with store.transaction("recording an escalation's state") as conn:
        conn.execute(text("SELECT 1"))


CALLS: dict[str, Callable[[Store, InboxRow], Any]] = {
    "accept": lambda s, r: s.accept([item("new")], now=T0),
    "claim": lambda s, r: s.claim(10, T0, LEASE),
    "release_claims": lambda s, r: s.release_claims([r.id], T0 + LEASE),
    "complete": lambda s, r: s.complete(r.id, now=T0),
    "retry_later": lambda s, r: s.retry_later(r.id, T0, "later"),
    "defer": lambda s, r: s.defer(r.id, T0, "waiting"),
    "dead_letter": lambda s, r: s.dead_letter(r.id, "refused"),
    "requeue_dead": lambda s, r: s.requeue_dead([r.id], now=T0),
    "drop_dead": lambda s, r: s.drop_dead([r.id], now=T0),
    "dead_letters": lambda s, r: s.dead_letters(),
    "depth": lambda s, r: s.depth(),
    "held": lambda s, r: s.held(),
    "pending_for_subject": lambda s, r: s.pending_for_subject(r.kind, r.subject),
    "earlier_unfinished": lambda s, r: s.earlier_unfinished(r),
    "get": lambda s, r: s.get(r.id),
    "get_cursor": lambda s, r: s.get_cursor("triage"),
    "set_cursor": lambda s, r: s.set_cursor("triage", "1", now=T0),
    "transaction": lambda s, r: _in_transaction(s),
    "migrate": lambda s, r: s.migrate(),
}


@pytest.mark.postgres
def test_every_store_method_is_store_unavailable_while_postgresql_is_stopped(
    stoppable_postgres: PostgresCluster,
) -> None:
    store = Store.open(stoppable_postgres.url, busy_timeout=1)
    try:
        store.migrate()
        store.accept([item("first")], now=T0)
        [row] = store.claim(1, T0, LEASE)
        for call in CALLS.values():  # fill the pool with connections the stop will kill
            call(store, row)
        stoppable_postgres.stop()
        raw: dict[str, str] = {}
        for name, call in CALLS.items():
            try:
                call(store, row)
            except StoreUnavailable:
                continue
            except Exception as exc:
                raw[name] = f"{type(exc).__module__}.{type(exc).__name__}: {exc}"
            else:
                raw[name] = "succeeded with the server stopped"
        assert raw == {}
        assert store.ping() is False
        stoppable_postgres.start()
        for call in CALLS.values():
            call(store, row)
        assert store.ping() is True
    finally:
        store.close()
