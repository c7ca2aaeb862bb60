"""Lanes: a batch of claimed events split by subject (kind + subject: one escalation, one
customer request), each subject's events run in order on one lane, different subjects side by
side on a thread pool (the Jira gateway is synchronous). Jira's pace (how many calls are really
in flight) is the pacer's to decide (`jira/pacer.py`); the lanes only make sure there is enough
work in hand for it.

Exactly-once does not rest on the lanes: one subject never runs on two lanes at once because a
batch puts all its claimed events on one lane and the next batch is claimed only once this one
has finished, and between daemons the row claims and create claims in the store decide.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

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

    def run(self, lanes: Sequence[Lane], work: Callable[[Lane], Counter[str]]) -> LanesResult:
        """Run `work` on every lane, up to `size` at once; returns when all have finished."""
        result = LanesResult()
        if self.size == 1 or len(lanes) <= 1:
            for lane in lanes:
                try:
                    result.outcomes.update(self._tracked(work, lane))
                except Exception as exc:  # the batch stops here, as one lane would
                    result.error = exc
                    break
            return result
        pool = self._executor()
        futures: list[Future[Counter[str]]] = [
            pool.submit(self._tracked, work, lane) for lane in lanes
        ]
        wait(futures)
        for future in futures:
            error = future.exception()
            if error is None:
                result.outcomes.update(future.result())
            elif result.error is None or (
                isinstance(error, StoreUnavailable)
                and not isinstance(result.error, StoreUnavailable)
            ):
                result.error = error
        return result

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

    def _tracked(self, work: Callable[[Lane], Counter[str]], lane: Lane) -> Counter[str]:
        with self._lock:
            self._busy += 1
        try:
            return work(lane)
        finally:
            with self._lock:
                self._busy -= 1
