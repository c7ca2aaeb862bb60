"""Job locks on both backends: one holder per job, renewal, failover once the lease runs out,
release, and what `check` and /metrics read. Two `Store` instances stand for two daemons."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from csp_jira_sync.store import Store

T0 = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


@pytest.fixture
def other(database_url: str, store: Store) -> Iterator[Store]:
    """A second daemon's store on the same database (`store` migrated it)."""
    opened = Store.open(database_url)
    yield opened
    opened.close()


def test_the_first_daemon_gets_the_job_and_the_second_is_told_who_has_it(
    store: Store, other: Store
) -> None:
    first = store.job_locks.acquire("triage", "daemon-a", T0, LEASE)
    second = other.job_locks.acquire("triage", "daemon-b", T0 + timedelta(seconds=5), LEASE)
    assert first.holder == "daemon-a"
    assert second.holder == "daemon-a"
    assert second.expires_at == T0 + LEASE
    assert second.acquired_at == T0


def test_each_job_has_its_own_lock(store: Store, other: Store) -> None:
    store.job_locks.acquire("triage", "daemon-a", T0, LEASE)
    assert other.job_locks.acquire("allowance", "daemon-b", T0, LEASE).holder == "daemon-b"


def test_the_holder_acquiring_again_renews_and_keeps_its_start_time(store: Store) -> None:
    store.job_locks.acquire("triage", "daemon-a", T0, LEASE)
    again = store.job_locks.acquire("triage", "daemon-a", T0 + timedelta(seconds=20), LEASE)
    assert again.holder == "daemon-a"
    assert again.acquired_at == T0
    assert again.expires_at == T0 + timedelta(seconds=20) + LEASE


def test_a_dead_holders_lease_passes_to_another_daemon_only_once_it_runs_out(
    store: Store, other: Store
) -> None:
    store.job_locks.acquire("triage", "daemon-a", T0, LEASE)
    just_before = T0 + LEASE - timedelta(milliseconds=1)
    assert other.job_locks.acquire("triage", "daemon-b", just_before, LEASE).holder == "daemon-a"
    taken = other.job_locks.acquire("triage", "daemon-b", T0 + LEASE, LEASE)
    assert taken.holder == "daemon-b"
    assert taken.acquired_at == T0 + LEASE


def test_renewal_keeps_the_job_past_its_first_lease(store: Store, other: Store) -> None:
    store.job_locks.acquire("triage", "daemon-a", T0, LEASE)
    kept = store.job_locks.renew({"triage"}, "daemon-a", T0 + timedelta(seconds=25), LEASE)
    assert kept == {"triage"}
    later = T0 + timedelta(seconds=40)
    assert other.job_locks.acquire("triage", "daemon-b", later, LEASE).holder == "daemon-a"


def test_renewal_reports_a_lock_another_daemon_took_over(store: Store, other: Store) -> None:
    store.job_locks.acquire("triage", "daemon-a", T0, LEASE)
    other.job_locks.acquire("triage", "daemon-b", T0 + LEASE, LEASE)
    kept = store.job_locks.renew({"triage"}, "daemon-a", T0 + LEASE, LEASE)
    assert kept == set()
    [lock] = other.job_locks.all()
    assert lock.holder == "daemon-b"


def test_release_hands_the_job_over_at_once_and_only_by_its_holder(
    store: Store, other: Store
) -> None:
    store.job_locks.acquire("triage", "daemon-a", T0, LEASE)
    assert other.job_locks.release("triage", "daemon-b") is False
    assert store.job_locks.release("triage", "daemon-a") is True
    moment = T0 + timedelta(seconds=1)
    assert other.job_locks.acquire("triage", "daemon-b", moment, LEASE).holder == "daemon-b"


def test_all_lists_every_lock_with_its_holder_and_whether_it_is_live(store: Store) -> None:
    store.job_locks.acquire("triage", "daemon-a", T0, LEASE)
    store.job_locks.acquire("allowance", "daemon-b", T0 - timedelta(minutes=5), LEASE)
    locks = {lock.job: lock for lock in store.job_locks.all()}
    assert {job: lock.holder for job, lock in locks.items()} == {
        "allowance": "daemon-b",
        "triage": "daemon-a",
    }
    now = T0 + timedelta(seconds=10)
    assert locks["triage"].live(now)
    assert locks["triage"].held_for(now) == timedelta(seconds=10)
    assert not locks["allowance"].live(now)


def test_many_daemons_racing_for_a_free_job_leave_exactly_one_holder(
    database_url: str, store: Store
) -> None:
    stores = [Store.open(database_url) for _ in range(6)]
    try:
        with ThreadPoolExecutor(len(stores)) as pool:
            answers = list(
                pool.map(
                    lambda pair: pair[1].job_locks.acquire("triage", f"d{pair[0]}", T0, LEASE),
                    enumerate(stores),
                )
            )
    finally:
        for opened in stores:
            opened.close()
    holders = {answer.holder for answer in answers}
    assert len(holders) == 1
    [lock] = store.job_locks.all()
    assert lock.holder in holders


def test_a_lease_must_be_positive(store: Store) -> None:
    with pytest.raises(ValueError, match="positive"):
        store.job_locks.acquire("triage", "daemon-a", T0, timedelta(0))
