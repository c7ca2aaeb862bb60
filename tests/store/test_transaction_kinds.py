"""What `Store.transaction`'s kinds promise: a recoverable commit does not wait for the disk and
leaves the next commit waiting for it again; a read-only one does not queue for SQLite's write
lock. (Why a recoverable commit is safe for the records it is used for: store/engine.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from csp_jira_sync.errors import StoreUnavailable
from csp_jira_sync.store import Store

# PRAGMA synchronous answers with the level's number.
FULL, NORMAL = 2, 1


def _sqlite(tmp_path: Path, **options: object) -> Store:
    store = Store.open(f"sqlite:///{tmp_path / 'state.sqlite'}", **options)  # type: ignore[arg-type]
    store.migrate()
    return store


def _level(store: Store, **kind: bool) -> object:
    with store.transaction("test: reading the level", **kind) as conn:
        if store.dialect == "sqlite":
            return conn.execute(text("PRAGMA synchronous")).scalar()
        return conn.execute(text("SHOW synchronous_commit")).scalar()


def test_a_recoverable_sqlite_commit_does_not_wait_for_the_disk_and_the_next_one_does(
    tmp_path: Path,
) -> None:
    store = _sqlite(tmp_path)
    assert _level(store) == FULL
    assert _level(store, recoverable=True) == NORMAL
    assert _level(store) == FULL  # the pooled connection is set back for the next commit


def test_a_store_configured_normal_stays_normal(tmp_path: Path) -> None:
    store = _sqlite(tmp_path, sqlite_synchronous="NORMAL")
    assert _level(store) == NORMAL
    assert _level(store, recoverable=True) == NORMAL


def test_a_recoverable_postgresql_commit_is_asynchronous_for_that_transaction_only(
    postgres_database_url: str,
) -> None:
    # The test server may run with synchronous_commit=off for speed: these connections say on.
    url = make_url(postgres_database_url)
    options = f"{url.query.get('options', '')} -csynchronous_commit=on".strip()
    store = Store.open(url.update_query_dict({"options": options}).render_as_string(False))
    store.migrate()
    assert _level(store) == "on"
    assert _level(store, recoverable=True) == "off"
    assert _level(store) == "on"
    store.close()


def test_a_read_only_transaction_reads_while_another_holds_the_write_lock(
    tmp_path: Path,
) -> None:
    store = _sqlite(tmp_path, busy_timeout=0.2)
    with store.transaction("test: a writer holding the lock") as writer:
        writer.execute(text("UPDATE cursors SET value = value"))
        with store.transaction("test: a reader", read_only=True) as reader:
            assert reader.execute(text("SELECT count(*) FROM inbox")).scalar() == 0
        with (
            pytest.raises(StoreUnavailable, match="database is locked"),
            store.transaction("test: a second writer"),
        ):
            pass
