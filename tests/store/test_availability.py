"""The store says `StoreUnavailable` (the receiver's 503) instead of hanging or claiming
success when the database cannot be written, and recovers when it can again."""

from __future__ import annotations

import socket
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from csp_jira_sync.errors import StoreUnavailable
from csp_jira_sync.store import Store
from tests.store.helpers import T0, item


def test_sqlite_write_lock_held_elsewhere_is_store_unavailable_until_released(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.sqlite"
    store = Store.open(f"sqlite:///{path}", busy_timeout=0.2)
    store.migrate()
    blocker = sqlite3.connect(path, isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match="database is locked"):
            store.accept([item("e1")], now=T0)
        assert time.monotonic() - started < 5  # bounded by busy_timeout, not forever
        assert store.ping()  # reads still work under WAL
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert store.depth()["pending"] == 0
    assert not store.accept([item("e1")], now=T0)[0].duplicate
    store.close()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_unreachable_postgresql_server_is_store_unavailable_without_the_password() -> None:
    store = Store.open(
        f"postgresql+psycopg://csp:hunter2@127.0.0.1:{_closed_port()}/csp", busy_timeout=1
    )
    try:
        assert store.ping() is False
        with pytest.raises(StoreUnavailable) as caught:
            store.accept([item("e1")], now=T0)
        assert "hunter2" not in str(caught.value)
        with pytest.raises(StoreUnavailable):
            store.depth()
        with pytest.raises(StoreUnavailable):
            store.migrate()
    finally:
        store.close()


@pytest.mark.postgres
def test_postgresql_store_reconnects_after_the_server_drops_its_connections(
    postgres_admin: Engine, postgres_database_url: str
) -> None:
    store = Store.open(postgres_database_url)
    try:
        store.migrate()
        store.accept([item("before")], now=T0)
        with store.engine.connect() as connection:
            pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with postgres_admin.connect() as admin:
            assert admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
        # The pooled connection is dead now; the next call must notice and reconnect.
        assert not store.accept([item("after")], now=T0)[0].duplicate
        assert store.depth()["pending"] == 2
    finally:
        store.close()
