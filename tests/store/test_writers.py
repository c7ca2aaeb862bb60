"""The writer queue in front of a SQLite file (store/writers.py): writers take turns first come
first served, a writer that waits too long gets `StoreUnavailable` as from SQLite's busy
timeout, every engine of one file shares one queue, and PostgreSQL has none."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from csp_jira_sync.errors import StoreUnavailable
from csp_jira_sync.store import Store
from csp_jira_sync.store.engine import make_engine
from csp_jira_sync.store.writers import WriterQueue, writers_of
from tests.store.helpers import T0, item


def _wait_until(condition: object, what: str) -> None:
    deadline = time.monotonic() + 10
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.001)


def test_writers_get_their_turn_in_the_order_they_came() -> None:
    queue = WriterQueue()
    order: list[int] = []
    queue.acquire("test: the first writer", timeout=10)
    threads = []
    for n in range(5):

        def write(n: int = n) -> None:
            with queue.turn(f"test: writer {n}", timeout=10):
                order.append(n)

        thread = threading.Thread(target=write)
        thread.start()
        threads.append(thread)
        _wait_until(lambda n=n: queue.waiting == n + 1, f"writer {n} to queue")
    queue.release()
    for thread in threads:
        thread.join(timeout=10)
    assert order == [0, 1, 2, 3, 4]
    assert queue.waiting == 0


def test_a_writer_that_waits_past_its_timeout_is_told_the_store_is_unavailable() -> None:
    queue = WriterQueue()
    queue.acquire("test: a stuck writer", timeout=10)
    failed: list[BaseException] = []

    def write() -> None:
        try:
            queue.acquire("storing events", timeout=0.05)
        except StoreUnavailable as exc:
            failed.append(exc)

    thread = threading.Thread(target=write)
    thread.start()
    thread.join(timeout=10)
    [error] = failed
    assert "while storing events: database is locked" in str(error)
    assert queue.waiting == 0  # the writer that gave up left the queue
    queue.release()
    queue.acquire("test: the next writer", timeout=0.05)  # the queue is free again
    queue.release()


def test_every_engine_of_one_file_shares_one_queue_with_its_own_timeout(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.sqlite'}"
    first = make_engine(url, busy_timeout=5, sqlite_synchronous="FULL")
    second = make_engine(url, busy_timeout=0.2, sqlite_synchronous="FULL")
    other = make_engine(
        f"sqlite:///{tmp_path / 'other.sqlite'}", busy_timeout=5, sqlite_synchronous="FULL"
    )
    a, b, c = writers_of(first), writers_of(second), writers_of(other)
    assert a is not None and b is not None and c is not None
    assert a.queue is b.queue and a.queue is not c.queue
    assert (a.timeout, b.timeout) == (5, 0.2)


def test_postgresql_has_no_writer_queue() -> None:
    engine = make_engine(
        "postgresql+psycopg://csp@127.0.0.1:1/csp", busy_timeout=1, sqlite_synchronous="FULL"
    )
    assert writers_of(engine) is None


def test_a_transaction_in_this_process_waits_for_the_writer_before_it_not_for_a_busy_timeout(
    tmp_path: Path,
) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'state.sqlite'}", busy_timeout=5)
    store.migrate()
    entered = threading.Event()
    release = threading.Event()

    def long_writer() -> None:
        with store.transaction("test: a long writer"):
            entered.set()
            release.wait(10)

    thread = threading.Thread(target=long_writer)
    thread.start()
    assert entered.wait(10)
    accepted: list[bool] = []
    intake = threading.Thread(
        target=lambda: accepted.append(bool(store.accept([item("e1")], now=T0)))
    )
    intake.start()
    writers = writers_of(store.engine)
    assert writers is not None
    _wait_until(lambda: writers.queue.waiting == 1, "the intake to queue behind the writer")
    release.set()
    thread.join(timeout=10)
    intake.join(timeout=10)
    assert accepted == [True] and store.depth()["pending"] == 1
    store.close()
