"""Periodic jobs on one daemon at a time (issue 10): two daemons' `JobLeases` on one database
(SQLite and PostgreSQL), the clock injected: the job runs on one, is skipped on the other with a
DEBUG line, and moves over when the holder dies, within 1.5 leases."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta

import pytest

from csp_jira_sync.errors import StoreUnavailable
from csp_jira_sync.runtime.leases import JobLeases
from csp_jira_sync.runtime.scheduler import Job, JobRunner, run_all, run_periodically
from csp_jira_sync.store import Store

T0 = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)
SCHEDULER = "csp_jira_sync.runtime.scheduler"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def two_daemons(database_url: str, store: Store, clock: Clock) -> Iterator[tuple[JobLeases, ...]]:
    other = Store.open(database_url)
    a = JobLeases(store.job_locks, holder="daemon-a", lease=LEASE, clock=clock)
    b = JobLeases(other.job_locks, holder="daemon-b", lease=LEASE, clock=clock)
    yield a, b
    other.close()


class Counting:
    def __init__(self) -> None:
        self.passes = 0

    def __call__(self) -> Mapping[str, int]:
        self.passes += 1
        return {"checked": 1}


def test_a_job_held_by_another_daemon_is_skipped_with_a_debug_line_not_an_error(
    two_daemons: tuple[JobLeases, JobLeases], caplog: pytest.LogCaptureFixture
) -> None:
    a, b = two_daemons
    on_a, on_b = Counting(), Counting()
    runner_a = JobRunner(Job("triage", "Triage", "issues", on_a, every_seconds=60))
    runner_b = JobRunner(Job("triage", "Triage", "issues", on_b, every_seconds=60))
    with caplog.at_level(logging.DEBUG, logger=SCHEDULER):
        first = runner_a.run(a)
        second = runner_b.run(b)
    assert first.ok and not first.skipped
    assert second.ok and second.skipped
    assert second.held_by is not None and "daemon-a" in second.held_by
    assert (on_a.passes, on_b.passes) == (1, 0)
    skipped = [r for r in caplog.records if "scheduler.job_skipped" in r.getMessage()]
    assert [r.levelno for r in skipped] == [logging.DEBUG]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_the_job_moves_to_the_other_daemon_once_the_dead_holders_lease_runs_out(
    two_daemons: tuple[JobLeases, JobLeases], clock: Clock
) -> None:
    a, b = two_daemons
    assert a.hold("triage") is None
    clock.advance(20)
    assert a.renew() == {"triage"}  # a heartbeat at 20 s
    clock.advance(29)  # a dies right after that beat: its lease runs to 50 s
    assert b.hold("triage") is not None
    clock.advance(1)
    assert b.hold("triage") is None
    assert b.held == {"triage"}


def test_failover_happens_within_one_and_a_half_leases_of_the_holders_last_renewal(
    two_daemons: tuple[JobLeases, JobLeases], clock: Clock
) -> None:
    a, b = two_daemons
    assert a.hold("triage") is None  # a renews at T0, then dies
    asked_at = []
    while b.hold("triage") is not None:  # b asks every recheck_seconds, as the scheduler does
        asked_at.append(clock.now)
        clock.advance(b.recheck_seconds)
    assert clock.now - T0 <= LEASE * 1.5
    assert len(asked_at) == 2  # at 0 s and 15 s: refused; at 30 s it is b's


def test_a_holder_whose_lock_was_taken_over_drops_it_with_a_warning(
    two_daemons: tuple[JobLeases, JobLeases], clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    a, b = two_daemons
    a.hold("triage")
    clock.advance(31)  # a's heartbeat could not reach the store for longer than the lease
    assert b.hold("triage") is None
    with caplog.at_level(logging.WARNING):
        assert a.renew() == set()
    assert a.held == frozenset()
    assert any("scheduler.lock_lost job=triage" in r.getMessage() for r in caplog.records)
    assert a.hold("triage") is not None


def test_a_clean_stop_hands_the_jobs_over_at_once(
    two_daemons: tuple[JobLeases, JobLeases],
) -> None:
    a, b = two_daemons
    a.hold("triage")
    a.hold("allowance")
    a.release_all()
    assert b.hold("triage") is None
    assert b.hold("allowance") is None


def test_sync_takes_the_lock_for_its_pass_and_gives_it_back(
    two_daemons: tuple[JobLeases, JobLeases],
) -> None:
    a, b = two_daemons
    triage = Counting()
    [result] = run_all([Job("triage", "Triage", "issues", triage)], guard=a)
    assert result.ok and not result.skipped and triage.passes == 1
    assert a.held == frozenset()
    assert b.hold("triage") is None


def test_sync_skips_a_job_a_running_daemon_holds_and_says_which_daemon(
    two_daemons: tuple[JobLeases, JobLeases],
) -> None:
    a, b = two_daemons
    assert a.hold("triage") is None  # the daemon
    triage, queue = Counting(), Counting()
    jobs = [
        Job("queue", "Events", "events", queue, exclusive=False),
        Job("triage", "Triage", "issues", triage),
    ]
    results = run_all(jobs, guard=b)
    assert [r.skipped for r in results] == [False, True]
    assert results[1].held_by is not None and "daemon daemon-a" in results[1].held_by
    assert (queue.passes, triage.passes) == (1, 0)
    assert a.renew() == {"triage"}  # sync did not take or free the daemon's lock


class UnreachableLocks:
    def acquire(self, *_: object) -> object:
        raise StoreUnavailable("state store unavailable while taking a job lock: refused")


def test_a_store_that_does_not_answer_fails_the_pass_like_any_outage(clock: Clock) -> None:
    leases = JobLeases(UnreachableLocks(), holder="a", lease=LEASE, clock=clock)  # type: ignore[arg-type]
    triage = Counting()
    result = JobRunner(Job("triage", "Triage", "issues", triage)).run(leases)
    assert not result.ok and "taking a job lock" in (result.error or "")
    assert triage.passes == 0


def test_two_schedulers_run_a_periodic_job_on_one_daemon_only(
    two_daemons: tuple[JobLeases, JobLeases],
) -> None:
    a, b = two_daemons
    counts: Counter[str] = Counter()
    stop = threading.Event()

    def job(name: str) -> Job:
        def run() -> Mapping[str, int]:
            counts[name] += 1
            if counts["a"] + counts["b"] >= 5:
                stop.set()
            return {}

        return Job("triage", "Triage", "issues", run, every_seconds=0.01)

    threads = [
        threading.Thread(target=run_periodically, args=([job(name)], stop), kwargs={"guard": g})
        for name, g in (("a", a), ("b", b))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert stop.is_set()
    assert sorted(name for name, count in counts.items() if count) in (["a"], ["b"])


def test_a_lease_must_be_positive(store: Store, clock: Clock) -> None:
    with pytest.raises(ValueError, match="positive"):
        JobLeases(store.job_locks, holder="a", lease=timedelta(0), clock=clock)
