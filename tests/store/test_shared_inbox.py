"""Several daemons on one PostgreSQL share the inbox (issue 10): two `Store` instances stand for
two daemons. A claim skips rows another daemon is claiming, a killed daemon's rows go to the
others once their lease runs out (and not before), and a daemon whose batch outlived its lease
does not work on a row another daemon has taken since."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from csp_jira_sync.delivery.worker import OTHER_DAEMON_WAIT, Worker, WorkerConfig
from csp_jira_sync.store import InboxRow, Store
from csp_jira_sync.store.schema import inbox
from tests.store.helpers import T0, item

LEASE = timedelta(minutes=2)
pytestmark = pytest.mark.postgres


@pytest.fixture
def daemon_a(postgres_database_url: str) -> Iterator[Store]:
    opened = Store.open(postgres_database_url)
    opened.migrate()
    yield opened
    opened.close()


@pytest.fixture
def daemon_b(postgres_database_url: str, daemon_a: Store) -> Iterator[Store]:
    # A claim that waited for daemon_a's row locks would fail after 5 s instead of hanging.
    url = make_url(postgres_database_url)
    options = url.query.get("options", "")
    url = url.update_query_dict({"options": f"{options} -clock_timeout=5000".strip()})
    opened = Store.open(url.render_as_string(hide_password=False))
    yield opened
    opened.close()


def test_a_claim_skips_the_rows_another_daemon_is_claiming_instead_of_waiting(
    daemon_a: Store, daemon_b: Store
) -> None:
    daemon_a.accept([item(f"e{n}", subject=f"NOC-{n}", minutes=n) for n in range(6)], now=T0)
    with daemon_a.engine.begin() as connection:
        # daemon_a is in the middle of its claim: the three oldest rows are locked.
        locked = list(
            connection.execute(
                select(inbox.c.id).order_by(inbox.c.id).limit(3).with_for_update()
            ).scalars()
        )
        claimed = daemon_b.claim(10, T0, LEASE)
    assert [row.event_id for row in claimed] == ["e3", "e4", "e5"]
    assert not {row.id for row in claimed} & set(locked)


def test_a_killed_daemons_rows_go_to_another_daemon_once_their_lease_runs_out(
    daemon_a: Store, daemon_b: Store
) -> None:
    daemon_a.accept([item(f"e{n}", subject=f"NOC-{n}", minutes=n) for n in range(4)], now=T0)
    taken = daemon_a.claim(10, T0, LEASE)  # then daemon_a is killed
    assert len(taken) == 4
    assert daemon_b.claim(10, T0 + LEASE - timedelta(seconds=1), LEASE) == []
    again = daemon_b.claim(10, T0 + LEASE, LEASE)
    assert [row.event_id for row in again] == ["e0", "e1", "e2", "e3"]


def test_a_daemon_starting_does_not_free_the_leases_of_a_daemon_still_running(
    daemon_a: Store, daemon_b: Store
) -> None:
    daemon_a.accept([item("e1")], now=T0)
    [row] = daemon_a.claim(10, T0, LEASE)
    assert daemon_b.release_leases() == 0  # what `serve` does at start
    assert daemon_b.claim(10, T0 + timedelta(seconds=1), LEASE) == []
    stored = daemon_b.get(row.id)
    assert stored is not None and stored.claimed_until == T0 + LEASE


def test_a_row_taken_over_after_the_lease_ran_out_cannot_be_renewed_by_its_first_claimer(
    daemon_a: Store, daemon_b: Store
) -> None:
    daemon_a.accept([item("e1")], now=T0)
    [row] = daemon_a.claim(10, T0, LEASE)
    later = T0 + LEASE + timedelta(seconds=1)
    [again] = daemon_b.claim(10, later, LEASE)
    assert again.id == row.id
    assert daemon_a.renew_claim(row.id, T0 + LEASE, later, LEASE) is None
    assert daemon_b.renew_claim(row.id, later + LEASE, later, LEASE) == later + LEASE


class Recorder:
    def __init__(self, name: str, log: list[tuple[str, str]]) -> None:
        self.name = name
        self.log = log

    def __call__(self, row: InboxRow) -> str:
        self.log.append((self.name, row.event_id))
        return "applied"


def test_a_batch_that_outlived_its_lease_leaves_the_rows_another_daemon_took_alone(
    daemon_a: Store, daemon_b: Store
) -> None:
    daemon_a.accept([item(f"e{n}", subject=f"NOC-{n}", minutes=n) for n in range(3)], now=T0)
    handled: list[tuple[str, str]] = []
    now = [T0]
    config = WorkerConfig(lease=LEASE, batch=10)

    def slow_jira(row: InboxRow) -> str:
        # Jira takes 90 s per call: the batch outlives its 2-minute lease while on e1.
        handled.append(("a", row.event_id))
        now[0] += timedelta(seconds=90)
        if row.event_id == "e1":
            # 150 s in: e1 is under its renewed lease, e2's first lease has run out.
            report = Worker(
                daemon_b, {"escalation": Recorder("b", handled)}, config, clock=lambda: now[0]
            ).run_once()
            assert report.outcomes == Counter(applied=1)
        return "applied"

    report = Worker(daemon_a, {"escalation": slow_jira}, config, clock=lambda: now[0]).run_once()
    assert report.outcomes == Counter(applied=2, taken_over=1)
    assert handled == [("a", "e0"), ("a", "e1"), ("b", "e2")]
    assert daemon_a.depth()["done"] == 3


def test_the_lock_timeout_guard_really_applies(daemon_b: Store) -> None:
    # The guard in `daemon_b` is what turns a blocking claim into a failure: make sure it is set.
    with daemon_b.engine.connect() as connection:
        assert connection.execute(text("SHOW lock_timeout")).scalar() == "5s"


def test_an_event_whose_earlier_event_another_daemon_applies_waits_a_moment_not_at_once(
    daemon_a: Store, daemon_b: Store
) -> None:
    daemon_a.accept([item("open"), item("ack", minutes=5)], now=T0)
    [opened] = daemon_a.claim(1, T0, LEASE)  # daemon_a is applying the open
    handled: list[tuple[str, str]] = []
    worker_b = Worker(
        daemon_b, {"escalation": Recorder("b", handled)}, WorkerConfig(), clock=lambda: T0
    )
    assert worker_b.run_once().outcomes == Counter(waiting=1)
    [_, ack] = daemon_b.pending_for_subject("escalation", "NOC-1001")
    assert ack.next_attempt_at == T0 + OTHER_DAEMON_WAIT
    assert worker_b.run_once().outcomes == Counter()  # not claimed again before then
    assert handled == [] and opened.event_id == "open"
