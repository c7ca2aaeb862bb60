"""The worker's lanes (issue 10): different subjects side by side, each subject's events in
order on one lane, dead letters still hold their subject, the first stop lets the events in
hand finish and gives the rest back, and a lost store still stops the batch."""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import pytest

from csp_jira_sync.delivery.lanes import lanes_for, subject_lanes
from csp_jira_sync.delivery.worker import Worker, WorkerConfig
from csp_jira_sync.errors import JiraPermanent, StoreUnavailable
from csp_jira_sync.store import InboxRow, Store
from tests.store.helpers import T0, item


def store_with(tmp_path: Path, *items: object) -> Store:
    store = Store.open(f"sqlite:///{tmp_path / 'state.sqlite'}")
    store.migrate()
    store.accept(list(items), now=T0)  # type: ignore[arg-type]
    return store


def worker(store: Store, handler: object, lanes: int, batch: int = WorkerConfig.batch) -> Worker:
    return Worker(
        store,
        {"escalation": handler},  # type: ignore[dict-item]
        WorkerConfig(lanes=lanes, batch=batch),
        clock=lambda: T0 + timedelta(hours=1),
    )


def test_rows_are_grouped_by_subject_in_order_oldest_subject_first(tmp_path: Path) -> None:
    store = store_with(
        tmp_path,
        item("a1", subject="A", minutes=0),
        item("b1", subject="B", minutes=1),
        item("a2", subject="A", minutes=2),
        item("r1", subject="A", kind="request", minutes=3),
    )
    rows = store.claim(10, T0.replace(year=2030), timedelta(minutes=1))
    lanes = subject_lanes(rows)
    assert [[row.event_id for row in lane] for lane in lanes] == [["a1", "a2"], ["b1"], ["r1"]]


@pytest.mark.parametrize(
    ("lanes", "wait", "outcomes"),
    [(2, 10.0, {"applied": 2}), (1, 0.2, {"error": 2})],
    ids=["two-lanes-at-the-same-time", "one-lane-one-after-the-other"],
)
def test_different_subjects_are_delivered_side_by_side_only_on_more_than_one_lane(
    tmp_path: Path, lanes: int, wait: float, outcomes: dict[str, int]
) -> None:
    store = store_with(tmp_path, item("a", subject="A"), item("b", subject="B", minutes=1))
    # Each handler waits until the other subject's handler has started: possible only when
    # the two run side by side (one lane breaks the barrier after its timeout, and both fail).
    both = threading.Barrier(2, timeout=wait)

    def handler(row: InboxRow) -> str:
        both.wait()
        return "applied"

    report = worker(store, handler, lanes=lanes).run_once()
    assert report.outcomes == outcomes


def test_each_subjects_events_reach_the_handler_in_order_on_many_lanes(tmp_path: Path) -> None:
    events = [
        item(f"s{s}-e{e}", subject=f"NOC-{s}", minutes=e * 10 + s * 0.01)
        for s in range(12)
        for e in range(5)
    ]
    random.Random(7).shuffle(events)
    store = store_with(tmp_path, *events)
    seen: dict[str, list[int]] = defaultdict(list)
    jitter = random.Random(3)
    lock = threading.Lock()

    def handler(row: InboxRow) -> str:
        time.sleep(jitter.random() / 200)  # lanes finish in a different order each time
        with lock:
            seen[row.subject].append(int(row.event_id.split("-e")[1]))
        return "applied"

    report = worker(store, handler, lanes=6).drain(timeout=30)
    assert report.outcomes == {"applied": 60}
    assert all(order == [0, 1, 2, 3, 4] for order in seen.values()) and len(seen) == 12


def test_a_dead_letter_holds_its_subject_while_other_lanes_go_on(tmp_path: Path) -> None:
    store = store_with(
        tmp_path,
        item("a1", subject="A", minutes=0),
        item("a2", subject="A", minutes=1),
        item("b1", subject="B", minutes=2),
        item("b2", subject="B", minutes=3),
    )
    applied: list[str] = []

    def handler(row: InboxRow) -> str:
        if row.event_id == "a1":
            raise JiraPermanent("The priority selected is invalid.", status=400)
        applied.append(row.event_id)
        return "applied"

    report = worker(store, handler, lanes=4).run_once()
    assert report.outcomes == {"dead": 1, "held": 1, "applied": 2}
    assert sorted(applied) == ["b1", "b2"]


def test_the_first_stop_finishes_events_in_hand_and_gives_the_rest_back(tmp_path: Path) -> None:
    store = store_with(tmp_path, *(item(f"a{n}", subject="A", minutes=n) for n in range(4)))
    stop = threading.Event()
    applied: list[str] = []

    def handler(row: InboxRow) -> str:
        applied.append(row.event_id)
        stop.set()  # a SIGTERM while the first event is in hand
        return "applied"

    w = worker(store, handler, lanes=2)
    report = w.drain(timeout=10, stop=stop)
    assert applied == ["a0"] and report.outcomes == {"applied": 1}
    # The three not started are free for the next daemon at once, not after their lease.
    later = store.claim(10, T0 + timedelta(hours=1, seconds=1), w.config.lease)
    assert [row.event_id for row in later] == ["a1", "a2", "a3"]


def test_a_lost_store_in_one_lane_stops_the_batch_once_the_others_finish(tmp_path: Path) -> None:
    store = store_with(tmp_path, item("a", subject="A"), item("b", subject="B", minutes=1))
    finished: list[str] = []

    def handler(row: InboxRow) -> str:
        if row.subject == "A":
            raise StoreUnavailable("state store unavailable while recording: gone")
        time.sleep(0.05)
        finished.append(row.event_id)
        return "applied"

    with pytest.raises(StoreUnavailable):
        worker(store, handler, lanes=2).run_once()
    assert finished == ["b"]


def test_the_lanes_outnumber_the_call_slots_by_half_so_none_stands_empty() -> None:
    assert [lanes_for(slots) for slots in (1, 2, 6, 16)] == [2, 3, 9, 24]


def test_the_next_batch_is_claimed_while_the_last_is_still_in_hand(tmp_path: Path) -> None:
    store = store_with(tmp_path, *(item(s, subject=s, minutes=n) for n, s in enumerate("ABCD")))
    c_done = threading.Event()

    def handler(row: InboxRow) -> str:
        if row.subject == "A":
            # The first batch is A and B: C (of the second batch) must be delivered while A
            # is still in Jira; a worker that waited for the whole first batch would not.
            assert c_done.wait(10), "C waited for the slowest event of the batch before it"
        if row.subject == "C":
            c_done.set()
        return "applied"

    report = worker(store, handler, lanes=2, batch=2).run_once()
    assert report.outcomes == {"applied": 4}


def test_a_claimed_event_of_a_subject_on_a_lane_joins_that_lanes_queue_in_order(
    tmp_path: Path,
) -> None:
    store = store_with(
        tmp_path,
        item("a1", subject="A", minutes=0),
        item("b1", subject="B", minutes=1),
        item("a2", subject="A", minutes=2),
        item("a3", subject="A", minutes=3),
    )
    seen: list[str] = []

    def handler(row: InboxRow) -> str:
        if row.event_id == "a1":
            # Hold a1 until the next batch (a2, a3) is claimed by this worker.
            deadline = time.monotonic() + 10
            while not all(
                r.claimed_until is not None for r in store.pending_for_subject("escalation", "A")
            ):
                assert time.monotonic() < deadline, "the second batch was never claimed"
                time.sleep(0.01)
        seen.append(row.event_id)
        return "applied"

    report = worker(store, handler, lanes=2, batch=2).run_once()
    # Not "waiting": a2 and a3 went after a1 on A's lane, not to a lane of their own that
    # would have found a1 unfinished.
    assert report.outcomes == {"applied": 4}
    assert [e for e in seen if e.startswith("a")] == ["a1", "a2", "a3"]


def test_a_subject_with_many_queued_events_does_not_stop_the_claims_for_others(
    tmp_path: Path,
) -> None:
    store = store_with(
        tmp_path,
        *(item(f"h{n}", subject="H", minutes=n) for n in range(4)),
        item("a", subject="A", minutes=10),
    )
    a_done = threading.Event()

    def handler(row: InboxRow) -> str:
        if row.event_id == "h0":
            # H's first event is held (as Jira's per-issue write limit holds a busy issue)
            # with three more queued behind it: A, of the next batch, must still be claimed
            # and delivered. Counting H's queued events as work in hand stopped every claim.
            assert a_done.wait(10), "A waited behind the events queued on H's lane"
        if row.subject == "A":
            a_done.set()
        return "applied"

    report = worker(store, handler, lanes=2, batch=4).run_once()
    assert report.outcomes == {"applied": 5}


def test_an_event_reclaimed_by_its_own_worker_after_its_lease_ran_out_runs_once(
    tmp_path: Path,
) -> None:
    store = store_with(
        tmp_path,
        item("h1", subject="H", minutes=0),
        item("h2", subject="H", minutes=1),
        item("b1", subject="B", minutes=2),
    )
    now = [T0 + timedelta(hours=1)]
    lease = WorkerConfig.lease
    seen: list[str] = []

    def h2_lease() -> object:
        [h2] = [r for r in store.pending_for_subject("escalation", "H") if r.event_id == "h2"]
        return h2.claimed_until

    moved = threading.Event()

    def handler(row: InboxRow) -> str:
        if row.event_id == "b1":
            now[0] += lease + timedelta(minutes=1)  # h2, queued behind h1, outlives its lease
            moved.set()
        if row.event_id == "h1":
            # Hold h1 until the worker's next claim has taken h2 again.
            assert moved.wait(10), "B was never delivered while h1 was in hand"
            deadline = time.monotonic() + 10
            while h2_lease() != now[0] + lease:
                assert time.monotonic() < deadline, "h2 was never claimed again"
                time.sleep(0.01)
        seen.append(row.event_id)
        return "applied"

    runner = Worker(
        store,
        {"escalation": handler},  # type: ignore[dict-item]
        WorkerConfig(lanes=2, batch=2),
        clock=lambda: now[0],
    )
    report = runner.run_once()
    assert report.outcomes == {"applied": 3}
    assert sorted(seen) == ["b1", "h1", "h2"]
