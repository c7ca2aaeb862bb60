"""The one pacer every Jira call of a daemon goes through (the worker's lanes, triage, the
allowance and report jobs alike): it holds the current `Pace` (see `jira/pace.py` for the
arithmetic) behind a lock and makes callers wait for a free slot, the end of a shared pause or
a token."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from csp_jira_sync.jira import pace
from csp_jira_sync.jira.pace import Answer, PaceConfig
from csp_jira_sync.jira.retry import retry_after

# A waiting caller looks again at least this often, whatever it waits for.
_LOOK_AGAIN_SECONDS = 0.5


@dataclass(frozen=True)
class PaceSnapshot:
    limit: float
    in_flight: int
    pauses: int
    paused_seconds: float
    issue_waits: int


ISSUE_WRITE_LIMIT = "jira-per-issue-on-write"


def answer_of(status: int, headers: Mapping[str, str] | None) -> Answer:
    """Read one HTTP answer of Jira into what it says about the pace."""
    reason = headers.get("RateLimit-Reason", "") if headers is not None else ""
    if status == 429 and reason.strip().lower() == ISSUE_WRITE_LIMIT:
        # Its X-RateLimit-* headers count that issue's writes, not the site's budget.
        return Answer(issue_limited=True)
    near = headers is not None and headers.get("X-RateLimit-NearLimit", "").lower() == "true"
    left = headers.get("X-RateLimit-Remaining", "") if headers is not None else ""
    remaining = int(left) if left.isdigit() else None
    if status in (429, 503):
        wait = retry_after(headers, datetime.now(UTC)) if headers is not None else None
        return Answer(throttled=True, retry_after=wait, near_limit=near, remaining=remaining)
    return Answer(near_limit=near, remaining=remaining)


class Call:
    """One admitted call; tell it what Jira answered. A call that got no HTTP answer (a
    timeout, a dropped connection) is neither good news nor a 429: it only frees its slot."""

    def __init__(self) -> None:
        self.answer: Answer | None = None

    def answered(self, status: int, headers: Mapping[str, str] | None) -> None:
        self.answer = answer_of(status, headers)


class Pacer:
    def __init__(
        self, config: PaceConfig, *, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.config = config
        self._monotonic = monotonic
        self._pace = pace.start(config, monotonic())
        self._changed = threading.Condition()

    def snapshot(self) -> PaceSnapshot:
        with self._changed:
            current = self._pace
        return PaceSnapshot(
            current.limit,
            current.in_flight,
            current.pauses,
            current.paused_seconds,
            current.issue_waits,
        )

    def acquire(self) -> None:
        with self._changed:
            while True:
                updated, wait = pace.admit(self._pace, self.config, self._monotonic())
                self._pace = updated
                if wait == 0.0:
                    return
                self._changed.wait(
                    _LOOK_AGAIN_SECONDS if wait is None else min(wait, _LOOK_AGAIN_SECONDS)
                )

    def release(self, call: Call) -> None:
        with self._changed:
            if call.answer is None:
                self._pace = pace.abandon(self._pace)
            else:
                self._pace = pace.finish(self._pace, self.config, self._monotonic(), call.answer)
            self._changed.notify_all()

    @contextmanager
    def call(self) -> Iterator[Call]:
        """Wait for a slot, run the body (one HTTP request), account for its answer."""
        self.acquire()
        current = Call()
        try:
            yield current
        finally:
            self.release(current)
