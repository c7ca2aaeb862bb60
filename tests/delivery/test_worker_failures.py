"""The worker outlives every failure (issue 7): a store lost in the middle of a batch, an error
nobody expected in one event or outside any; it logs one line when an outage starts and one
when it ends, and the rows it had claimed come back as soon as the store answers again."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from csp_jira_sync.delivery.worker import Outage, Worker, WorkerConfig
from csp_jira_sync.errors import StoreUnavailable
from csp_jira_sync.store import InboxRow, Store
from tests.store.helpers import T0, item

FAST = WorkerConfig(
    lease=timedelta(hours=1),  # longer than any test: rows must come back without it
    retry_first=timedelta(milliseconds=20),
    retry_max=timedelta(milliseconds=200),
)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "state.sqlite"


@pytest.fixture
def store(store_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{store_path}", busy_timeout=0.1)
    opened.migrate()
    yield opened
    opened.close()


class Recorder:
    """A handler that records the events it is given; `on` runs a hook for one event."""

    def __init__(self) -> None:
        self.handled: list[str] = []
        self.on: dict[str, Callable[[], None]] = {}

    def __call__(self, row: InboxRow) -> str:
        self.handled.append(row.event_id)
        hook = self.on.pop(row.event_id, None)
        if hook is not None:
            hook()
        return "applied"


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.01)


def messages(caplog: pytest.LogCaptureFixture, prefix: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage().startswith(prefix)]


def run_in_thread(worker: Worker) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(
        target=worker.run_forever, args=(stop, threading.Event(), 0.01), daemon=True
    )
    thread.start()
    return thread, stop


def test_a_store_lost_mid_batch_is_waited_out_and_the_batch_comes_back_before_its_lease(
    store: Store, store_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="csp_jira_sync.delivery.worker")
    store.accept([item(f"e{n}", subject=f"NOC-{n}", minutes=n) for n in (1, 2, 3)], now=T0)
    blocker = sqlite3.connect(store_path, isolation_level=None, check_same_thread=False)
    handler = Recorder()
    # Another process takes the database while e1 is in Jira: completing e1 fails, the rest
    # of the batch stays claimed.
    handler.on["e1"] = lambda: blocker.execute("BEGIN IMMEDIATE")
    worker = Worker(store, {"escalation": handler}, FAST)
    thread, stop = run_in_thread(worker)
    try:
        wait_for(lambda: worker.outage.ongoing, "the outage is noticed")
        wait_for(lambda: worker.outage.attempts >= 3, "the worker keeps trying")
        blocker.execute("ROLLBACK")
        wait_for(lambda: store.depth()["done"] == 3, "every event is done")
        assert thread.is_alive()
    finally:
        stop.set()
        thread.join(timeout=10)
        blocker.close()
    # e1 went to the handler again (the real handlers find it in the journal: exactly once).
    assert sorted(handler.handled) == ["e1", "e1", "e2", "e3"]
    [started] = messages(caplog, "worker.outage_started")
    assert "database is locked" in started.getMessage()
    [ended] = messages(caplog, "worker.outage_ended")
    assert "attempts=" in ended.getMessage() and "after=" in ended.getMessage()


def test_an_unexpected_error_in_one_event_retries_it_later_and_the_batch_goes_on(
    store: Store,
) -> None:
    store.accept([item(f"e{n}", subject=f"NOC-{n}", minutes=n) for n in (1, 2, 3)], now=T0)
    handler = Recorder()

    def bug() -> None:
        raise KeyError("severity")

    handler.on["e2"] = bug
    worker = Worker(store, {"escalation": handler}, FAST, clock=lambda: T0)
    report = worker.run_once()
    assert dict(report.outcomes) == {"applied": 2, "error": 1}
    [row] = store.pending_for_subject("escalation", "NOC-2")
    assert row.attempts == 1 and row.claimed_until is None
    assert row.last_error == "unexpected error: KeyError: 'severity'"
    assert row.next_attempt_at == T0 + FAST.retry_first


def test_an_unexpected_error_outside_any_event_does_not_end_the_worker_thread(
    store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="csp_jira_sync.delivery.worker")
    store.accept([item("e1")], now=T0)
    claim = store.claim
    failures = iter([RuntimeError("claim blew up"), RuntimeError("and again")])

    def flaky_claim(limit: int, now: object, lease: timedelta) -> list[InboxRow]:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return claim(limit, now, lease)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "claim", flaky_claim)
    worker = Worker(store, {"escalation": Recorder()}, FAST)
    thread, stop = run_in_thread(worker)
    try:
        wait_for(lambda: store.depth()["done"] == 1, "the event is done")
        assert thread.is_alive()
    finally:
        stop.set()
        thread.join(timeout=10)
    [started] = messages(caplog, "worker.outage_started")
    assert "RuntimeError: claim blew up" in started.getMessage()
    assert started.exc_info is not None  # an unexpected error is logged with its traceback
    assert len(messages(caplog, "worker.outage_ended")) == 1


def test_a_store_down_at_start_is_waited_out_before_leases_are_released(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.accept([item("e1")], now=T0)
    release = store.release_leases
    down = iter([StoreUnavailable("state store unavailable while releasing leases: refused")])

    def flaky_release() -> int:
        failure = next(down, None)
        if failure is not None:
            raise failure
        return release()

    monkeypatch.setattr(store, "release_leases", flaky_release)
    worker = Worker(store, {"escalation": Recorder()}, FAST)
    thread, stop = run_in_thread(worker)
    try:
        wait_for(lambda: store.depth()["done"] == 1, "the event is done")
    finally:
        stop.set()
        thread.join(timeout=10)


def test_an_outage_is_logged_once_when_it_starts_and_once_when_it_ends_with_capped_backoff(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="csp_jira_sync.delivery.worker")
    seconds = iter([100.0, 112.5, 200.0])
    outage = Outage(timedelta(seconds=1), timedelta(seconds=5), monotonic=lambda: next(seconds))
    lost = StoreUnavailable("state store unavailable while claiming events: connection refused")
    waits = [outage.failed(lost).total_seconds() for _ in range(6)]
    outage.succeeded()
    assert waits == [1, 2, 4, 5, 5, 5]
    [started] = messages(caplog, "worker.outage_started")
    assert started.getMessage().endswith("connection refused")
    [ended] = messages(caplog, "worker.outage_ended")
    assert ended.getMessage().startswith("worker.outage_ended after=12.5s attempts=6")
    # The next outage starts from the first wait again.
    assert outage.failed(lost) == timedelta(seconds=1)
