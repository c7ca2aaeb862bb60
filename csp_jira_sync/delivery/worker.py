"""The worker: drains the durable inbox into Jira, one event at a time, in `occurred_at` order.

Transient Jira failures send the event back to the inbox with a due time (honouring Jira's
`Retry-After`), so an outage of any length loses nothing; permanent ones go to the dead-letter
list with Jira's reason, where `csp-jira-sync dead-letters --requeue` can replay them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from pydantic import ValidationError

from csp_jira_sync.delivery.once import Defer
from csp_jira_sync.errors import InputError, JiraPermanent, JiraTransient, StoreUnavailable
from csp_jira_sync.store import InboxRow, Store

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class WorkerConfig:
    lease: timedelta = timedelta(minutes=2)
    retry_first: timedelta = timedelta(seconds=2)
    retry_max: timedelta = timedelta(minutes=15)
    batch: int = 50


class Handler(Protocol):
    def __call__(self, row: InboxRow) -> str: ...


@dataclass
class BatchReport:
    outcomes: Counter[str] = field(default_factory=Counter)

    @property
    def processed(self) -> int:
        return sum(self.outcomes.values())


class Worker:
    def __init__(
        self,
        store: Store,
        handlers: dict[str, Handler],
        config: WorkerConfig,
        *,
        clock: Callable[[], datetime] = utc_now,
        on_dead_letter: Callable[[InboxRow, str], None] | None = None,
    ) -> None:
        self.store = store
        self.handlers = handlers
        self.config = config
        self.clock = clock
        self._on_dead_letter = on_dead_letter

    # -- the loop ---------------------------------------------------------------------------

    def run_once(self) -> BatchReport:
        """Claim one batch of due events and process them; returns what happened to each."""
        report = BatchReport()
        rows = self.store.claim(self.config.batch, self.clock(), self.config.lease)
        deferred_subjects: dict[tuple[str, str], datetime] = {}
        for row in rows:
            key = (row.kind, row.subject)
            # Keep each subject's events in order: once one waits, the later ones wait too.
            if key in deferred_subjects:
                self.store.defer(row.id, deferred_subjects[key], "waiting for an earlier event")
                report.outcomes["waiting"] += 1
                continue
            earlier = self._earlier_pending(row)
            if earlier is not None:
                deferred_subjects[key] = earlier
                self.store.defer(row.id, earlier, "waiting for an earlier event")
                report.outcomes["waiting"] += 1
                continue
            outcome, due = self._process(row)
            if due is not None:
                deferred_subjects[key] = due
            report.outcomes[outcome] += 1
        return report

    def drain(self, *, timeout: float = 60.0, stop: threading.Event | None = None) -> BatchReport:
        """Process until nothing is due (or `timeout` seconds pass). Deferred events whose due
        time falls inside the timeout are waited for."""
        total = BatchReport()
        deadline = self.clock() + timedelta(seconds=timeout)
        while self.clock() < deadline and not (stop and stop.is_set()):
            report = self.run_once()
            total.outcomes.update(report.outcomes)
            if report.processed == 0:
                if self.store.depth().get("pending", 0) == 0:
                    break
                # Only deferred events are left: wait for the first to fall due.
                if stop is not None:
                    stop.wait(0.2)
                else:
                    time.sleep(0.2)
        return total

    def run_forever(self, stop: threading.Event, wake: threading.Event, poll: float) -> None:
        freed = self.store.release_leases()
        if freed:
            log.warning("worker.leases_released events=%d", freed)
        while not stop.is_set():
            try:
                report = self.run_once()
            except StoreUnavailable as exc:
                log.error("worker.store_unavailable error=%s", exc)
                stop.wait(min(5.0, poll * 10))
                continue
            if report.processed == 0:
                wake.wait(poll)
                wake.clear()

    def _earlier_pending(self, row: InboxRow) -> datetime | None:
        for other in self.store.pending_for_subject(row.kind, row.subject):
            if other.id != row.id and (other.occurred_at, other.id) < (row.occurred_at, row.id):
                return other.next_attempt_at or self.clock()
        return None

    def _process(self, row: InboxRow) -> tuple[str, datetime | None]:
        handler = self.handlers.get(row.kind)
        try:
            if handler is None:
                raise InputError(f"no handler for events of kind {row.kind!r}")
            outcome = handler(row)
        except Defer as exc:
            self.store.defer(row.id, exc.until, exc.reason)
            log.info(
                "worker.deferred kind=%s subject=%s until=%s reason=%s",
                row.kind,
                row.subject,
                exc.until.isoformat(),
                exc.reason,
            )
            return "deferred", exc.until
        except JiraTransient as exc:
            due = self.clock() + self._backoff(row.attempts, exc.retry_after)
            self.store.retry_later(row.id, due, str(exc))
            log.warning(
                "worker.jira_transient kind=%s subject=%s attempt=%d error=%s",
                row.kind,
                row.subject,
                row.attempts + 1,
                exc,
            )
            return "retry", due
        except (JiraPermanent, InputError, ValidationError) as exc:
            reason = (
                str(exc)
                if not isinstance(exc, ValidationError)
                else f"invalid payload: {exc.error_count()} errors"
            )
            self.store.dead_letter(row.id, reason)
            log.error(
                "worker.dead_letter kind=%s subject=%s event=%s reason=%s",
                row.kind,
                row.subject,
                row.event_id,
                reason,
            )
            if self._on_dead_letter is not None:
                self._on_dead_letter(row, reason)
            return "dead", None
        self.store.complete(row.id)
        return outcome, None

    def _backoff(self, attempts: int, retry_after: float | None) -> timedelta:
        base: timedelta = self.config.retry_first * float(2 ** min(attempts, 16))
        wait = min(base, self.config.retry_max)
        if retry_after is not None:
            wait = max(wait, timedelta(seconds=retry_after))
        return wait
