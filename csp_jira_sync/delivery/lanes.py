"""Lanes: a batch of claimed events split by subject (kind + subject: one escalation, one
customer request), each subject's events run in order on one lane, different subjects side by
side on a thread pool (the Jira gateway is synchronous). Jira's pace (how many calls are really
in flight) is the pacer's to decide (`jira/pacer.py`); the lanes only make sure there is enough
work in hand for it.

Batches follow each other without a pause: the worker claims the next one while the lanes still
work on the last (`Stream`), and a claimed event of a subject already on a lane joins that
lane's queue. What tells the worker to claim more is how many *subjects* have events waiting,
not how many events: a free lane can only take a new subject, so one busy escalation with a
hundred queued updates is one subject's worth of work, not a full stream (counted in events,
it stopped every claim while it waited out Jira's per-issue write limit, and every other
escalation with it: bench_delivery.py's hot part).

Exactly-once does not rest on the lanes: one subject never runs on two lanes at once because
a subject gets a lane only when it has none (`Stream.add` and `Stream.next_row` decide that under
one lock), and between daemons the row claims and create claims in the store decide.
"""

from __future__ import annotations

import bisect
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from csp_jira_sync.errors import StoreUnavailable
from csp_jira_sync.store import InboxRow

Lane = Sequence[InboxRow]


def lanes_for(calls_in_flight: int) -> int:
    """How many lanes keep a pacer that lets `calls_in_flight` Jira calls run at once busy:
    half as many again. Between two calls a lane does its store work (the record of one
    event, the mark of the next); with one lane per call slot the slots stood empty meanwhile
    (bench_delivery.py on a loaded machine: 16 lanes kept 9 of 16 calls in flight and took
    50-51 s, 24 lanes 10-12 and 39-45 s). The pacer, not the lanes, still decides how many
    calls are in flight."""
    return calls_in_flight + (calls_in_flight + 1) // 2


def subject_lanes(rows: Sequence[InboxRow]) -> list[list[InboxRow]]:
    """`rows` (in `occurred_at` order) grouped by subject, each group in the order given, the
    groups in the order of their first event (the oldest subject starts first)."""
    lanes: dict[tuple[str, str], list[InboxRow]] = {}
    for row in rows:
        lanes.setdefault((row.kind, row.subject), []).append(row)
    return list(lanes.values())


@dataclass
class LanesResult:
    outcomes: Counter[str] = field(default_factory=Counter)
    # The failure that cut a lane short (a lost store, first), raised by the caller once every
    # other lane has finished.
    error: BaseException | None = None

    def add(self, outcomes: Counter[str] | None, error: BaseException | None) -> None:
        if outcomes is not None:
            self.outcomes.update(outcomes)
        if error is None:
            return
        if self.error is None or (
            isinstance(error, StoreUnavailable) and not isinstance(self.error, StoreUnavailable)
        ):
            self.error = error


Subject = tuple[str, str]  # (kind, subject)
# A lane's work: given how to take its subject's next row (None: none left, the lane ends),
# it processes them in order and says what happened to each.
LaneWork = Callable[[Callable[[], InboxRow | None]], Counter[str]]


def _order(row: InboxRow) -> tuple[datetime, int]:
    return (row.occurred_at, row.id)


class Stream:
    """The claimed rows of one `Worker.run_once` not started yet, by subject, and the lanes
    working on them. Rows may be added while lanes run (the worker claims the next batch while
    the last one is still in hand, so the lanes never stand idle between batches): a row of a
    subject that has a lane goes to the end of that lane's queue (in `occurred_at` order),
    a row of any other subject starts a new lane. A lane takes its subject's rows one at a
    time and ends when none is left; one subject never has two lanes at once, because only
    `add` starts a lane and only for a subject without one, under the same lock as `next_row`."""

    def __init__(self, lanes: Lanes) -> None:
        self._lanes = lanes
        self._changed = threading.Condition()
        self._queues: dict[Subject, list[InboxRow]] = {}
        # Subjects whose queue holds rows not started yet.
        self._waiting = 0
        self._running = 0
        self.result = LanesResult()

    @property
    def subjects_waiting(self) -> int:
        """Subjects with claimed events not started yet (each needs a lane for them)."""
        return self._waiting

    @property
    def running(self) -> int:
        return self._running

    def add(self, rows: Sequence[InboxRow]) -> list[InboxRow]:
        """Queue `rows`; returns the first row of each subject that needs a lane now, in the
        order of `rows` (the caller starts one with `start`)."""
        starting: list[InboxRow] = []
        with self._changed:
            for row in rows:
                key = (row.kind, row.subject)
                queue = self._queues.get(key)
                if queue is None:
                    self._queues[key] = [row]
                    starting.append(row)
                    self._waiting += 1
                else:
                    if not queue:
                        self._waiting += 1
                    bisect.insort(queue, row, key=_order)
        return starting

    def next_row(self, key: Subject) -> InboxRow | None:
        with self._changed:
            queue = self._queues[key]
            if not queue:
                del self._queues[key]
                return None
            row = queue.pop(0)
            if not queue:
                self._waiting -= 1
                self._changed.notify_all()
            return row

    def start(self, key: Subject, work: LaneWork) -> None:
        """Run `work` on a lane of its own for subject `key` (in the calling thread when the
        worker has one lane)."""
        with self._changed:
            self._running += 1
        if self._lanes.size == 1:
            self._run(key, work)
        else:
            self._lanes.submit(lambda: self._run(key, work))

    def wait(self, *, room_below: int | None) -> None:
        """Until no lane runs, a lane ends, or (with `room_below`) fewer subjects than that
        have events waiting to be started."""
        with self._changed:
            running = self._running
            while self._running and self._running >= running:
                if room_below is not None and self._waiting < room_below:
                    return
                self._changed.wait()

    def _run(self, key: Subject, work: LaneWork) -> None:
        outcomes: Counter[str] | None = None
        error: BaseException | None = None
        ended = False

        def take() -> InboxRow | None:
            nonlocal ended
            row = self.next_row(key)
            ended = row is None  # the subject is free: `add` may start a new lane for it
            return row

        try:
            outcomes = work(take)
        except Exception as exc:  # the lane stops here; the caller raises it in the end
            error = exc
        finally:
            with self._changed:
                # A failed or stopped lane: the rows it did not start stay claimed by the
                # worker, which gives them back.
                if not ended and self._queues.pop(key, []):
                    self._waiting -= 1
                self._running -= 1
                self.result.add(outcomes, error)
                self._changed.notify_all()


class Lanes:
    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("a worker needs at least one lane")
        self.size = size
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._busy = 0

    @property
    def busy(self) -> int:
        """Lanes working on an event right now."""
        return self._busy

    def submit(self, task: Callable[[], None]) -> None:
        self._executor().submit(self._tracked, task)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.size, thread_name_prefix="csp-lane")
            return self._pool

    def _tracked(self, task: Callable[[], None]) -> None:
        with self._lock:
            self._busy += 1
        try:
            task()
        finally:
            with self._lock:
                self._busy -= 1
