"""Group commit: requests that arrive while a commit is in progress share the next one, and
one delivery the database refuses does not take the others of its batch down with it."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError

from csp_jira_sync.receiver.intake import IntakeWriter
from csp_jira_sync.store import Accepted, Store
from tests.receiver.server import noc_event, running_receiver
from tests.store.helpers import item


async def _until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.005)


def _store(tmp_path: Path) -> Store:
    store = Store.open(f"sqlite:///{tmp_path / 'state.sqlite'}", busy_timeout=10)
    store.migrate()
    return store


def _transactions_begun(store: Store) -> threading.Semaphore:
    """Released each time a write transaction is about to begin: by then the writer has
    taken its whole batch off the queue."""
    begun = threading.Semaphore(0)

    def before_execute(*args: Any) -> None:
        if args[2] == "BEGIN IMMEDIATE":
            begun.release()

    event.listen(store.engine, "before_cursor_execute", before_execute)
    return begun


def test_requests_arriving_during_a_commit_share_the_next_transaction(tmp_path: Path) -> None:
    store = _store(tmp_path)
    writer = IntakeWriter(store)
    begun = _transactions_begun(store)
    blocker = sqlite3.connect(tmp_path / "state.sqlite", isolation_level=None)

    async def scenario() -> list[list[Accepted]]:
        blocker.execute("BEGIN IMMEDIATE")  # the first commit waits for this lock
        first = asyncio.create_task(writer.submit([item("first")], timeout=30))
        await _until(lambda: begun.acquire(blocking=False))  # the writer waits for the lock
        rest = [asyncio.create_task(writer.submit([item(f"e{n}")], timeout=30)) for n in range(9)]
        await _until(lambda: writer.waiting == 9)
        blocker.execute("ROLLBACK")
        return await asyncio.gather(first, *rest)

    try:
        writer.start()
        results = asyncio.run(scenario())
    finally:
        writer.stop()
        blocker.close()
        store.close()
    assert [r[0].duplicate for r in results] == [False] * 10
    assert (writer.batches, writer.items) == (2, 10)


def _poison(store: Store) -> None:
    with store.engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TRIGGER poison BEFORE INSERT ON inbox WHEN NEW.event_id = 'poison' "
            "BEGIN SELECT RAISE(ABORT, 'poisoned row'); END"
        )


def test_a_delivery_the_database_refuses_fails_alone(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _poison(store)
    writer = IntakeWriter(store)
    begun = _transactions_begun(store)
    blocker = sqlite3.connect(tmp_path / "state.sqlite", isolation_level=None)

    async def scenario() -> list[list[Accepted] | BaseException]:
        blocker.execute("BEGIN IMMEDIATE")
        first = asyncio.create_task(writer.submit([item("first")], timeout=30))
        await _until(lambda: begun.acquire(blocking=False))
        # These three queue up behind the blocked commit and go into one batch together.
        batch = [
            asyncio.create_task(writer.submit([item(event_id)], timeout=30))
            for event_id in ("good-1", "poison", "good-2")
        ]
        await _until(lambda: writer.waiting == 3)
        blocker.execute("ROLLBACK")
        return await asyncio.gather(first, *batch, return_exceptions=True)

    try:
        writer.start()
        first, good_1, poisoned, good_2 = asyncio.run(scenario())
    finally:
        writer.stop()
        blocker.close()
    assert isinstance(poisoned, DBAPIError)
    for result in (first, good_1, good_2):
        assert isinstance(result, list) and result[0].duplicate is False
    assert store.depth()["pending"] == 3
    store.close()


def test_a_store_failure_that_is_not_bad_input_is_a_500_and_nothing_is_stored(
    tmp_path: Path,
) -> None:
    store = _store(tmp_path)
    _poison(store)
    try:
        with running_receiver(store) as receiver:
            response = receiver.post_noc(noc_event("poison"))
            after = receiver.post_noc(noc_event("fine"))
    finally:
        store.close()
    assert response.status_code == 500
    assert "send it again later" in response.json()["error"]
    assert after.status_code == 202


def test_a_commit_that_takes_too_long_is_store_unavailable(tmp_path: Path) -> None:
    from csp_jira_sync.errors import StoreUnavailable

    store = _store(tmp_path)
    writer = IntakeWriter(store)
    blocker = sqlite3.connect(tmp_path / "state.sqlite", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreUnavailable, match="did not commit in time"):
            asyncio.run(writer.submit([item("slow")], timeout=0.2))
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        writer.stop()
    # The late commit still lands: a resend will be answered as a duplicate.
    assert store.accept([item("slow")])[0].duplicate is True
    store.close()
