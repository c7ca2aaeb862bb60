"""The worker: drains the durable inbox into Jira in `occurred_at` order, on parallel lanes:
each batch is split by subject (kind + subject: one escalation, one request), and each
subject's events run in order on one lane while different subjects run side by side (see
`lanes.py`; how many calls are really in flight is the Jira pacer's to decide).

Transient Jira failures send the event back to the inbox with a due time (honouring Jira's
`Retry-After`), so an outage of any length loses nothing; permanent ones go to the dead-letter
list with Jira's reason, where `csp-jira-sync dead-letters --requeue` can replay them. The later
events of a dead-lettered event's subject are held (the store does not hand them out) until it
is requeued or dropped, so nothing is applied on state the dead event never set.

`run_forever` outlives any failure: a lost store (or an error nobody expected) is waited out
with a capped backoff, logged once when it starts and once when it ends, and the rows the
failed batch had claimed are given back as soon as the store answers again (else their lease
runs out).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Protocol

from pydantic import ValidationError

from csp_jira_sync.delivery.lanes import Lanes, Stream
from csp_jira_sync.delivery.once import Defer, Finished
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
    batch: int = 200
    # Subjects delivered in parallel (each subject's events stay in order on its lane).
    lanes: int = 1


HELD_REASON = "held: an earlier event of this subject is dead-lettered; requeue or drop it"
# How soon to look again at an event whose earlier event another daemon is applying.
OTHER_DAEMON_WAIT = timedelta(milliseconds=250)
# However long the store is away, the worker looks again at least this often.
OUTAGE_WAIT_CAP = timedelta(seconds=30)


class Handler(Protocol):
    """Carries one event into Jira and says what happened; returns `Finished` when it marked
    the row done itself (in the transaction that recorded its Jira call), else the worker
    marks it done."""

    def __call__(self, row: InboxRow) -> str | Finished: ...


class Outage:
    """One stretch of failing batches, so the log says when it starts (with the reason) and
    when it ends (with how long), not one line per attempt, and the wait between attempts
    doubles from `first` up to `cap`."""

    def __init__(
        self, first: timedelta, cap: timedelta, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.first = first
        self.cap = cap
        self._monotonic = monotonic
        self.reason: str | None = None
        self.attempts = 0
        self._started = 0.0

    @property
    def ongoing(self) -> bool:
        return self.reason is not None

    def failed(self, error: BaseException) -> timedelta:
        """Record a failed attempt; returns how long to wait before the next one."""
        self.attempts += 1
        if self.reason is None:
            self.reason = f"{type(error).__name__}: {error}"
            self._started = self._monotonic()
            if isinstance(error, StoreUnavailable):
                log.error("worker.outage_started reason=%s", error)
            else:
                log.error("worker.outage_started reason=%s", self.reason, exc_info=error)
        wait: timedelta = self.first * float(2 ** min(self.attempts - 1, 16))
        return min(wait, self.cap)

    def succeeded(self) -> None:
        if self.reason is None:
            return
        log.warning(
            "worker.outage_ended after=%.1fs attempts=%d reason=%s",
            self._monotonic() - self._started,
            self.attempts,
            self.reason,
        )
        self.reason = None
        self.attempts = 0


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
        # Rows claimed and not finished (row id -> the end of their lease), by every lane.
        self._in_hand: dict[int, datetime] = {}
        self._in_hand_lock = threading.Lock()
        self.outage = Outage(config.retry_first, min(config.retry_max, OUTAGE_WAIT_CAP))
        self._lanes = Lanes(config.lanes)
        self._stop: threading.Event | None = None
        # When `drain` must end: no batch is claimed after it.
        self._until: datetime | None = None

    @property
    def lanes_busy(self) -> int:
        return self._lanes.busy

    def close(self) -> None:
        """Stop the lanes' threads (after the batch in hand)."""
        self._lanes.close()

    # -- the loop ---------------------------------------------------------------------------

    def run_once(self) -> BatchReport:
        """Claim one batch of due events and process them on the lanes; returns what happened
        to each. On several lanes, the next batch is claimed as soon as fewer subjects than
        there are lanes have events waiting to be started, and so on until nothing more is due (or `drain`'s
        timeout is reached): the lanes never wait for the slowest event of a batch
        (bench_delivery.py: one such barrier per batch of 200 left Jira call slots empty).
        Raises `StoreUnavailable` when the store fails; the rows claimed and not finished are
        given back at the start of the next call (or when their lease ends). Once the stop
        event of `run_forever` or `drain` is set, no lane starts another event, and the rows
        not started are given back at once (the first SIGTERM lets the events in hand finish,
        nothing more)."""
        self._give_back()
        stream = Stream(self._lanes)
        stop = self._stop
        try:
            if not self._feed(stream, stop):
                return BatchReport()
            claiming = True
            until = self._until
            while stream.running:
                if claiming and (
                    (stop is not None and stop.is_set())
                    or stream.result.error is not None
                    or (until is not None and self.clock() >= until)
                ):
                    claiming = False
                if claiming and stream.subjects_waiting < self._lanes.size:
                    if not self._feed(stream, stop):
                        # Nothing more is due now: look again when a lane ends.
                        stream.wait(room_below=None)
                    continue
                stream.wait(room_below=self._lanes.size if claiming else None)
        finally:
            # Never leave a lane running behind a failure: its rows would be given back
            # while it works on them.
            while stream.running:
                stream.wait(room_below=None)
        if stream.result.error is not None:
            raise stream.result.error
        if stop is not None and stop.is_set():
            self._give_back()  # the rows no lane started
        return BatchReport(stream.result.outcomes)

    def _feed(self, stream: Stream, stop: threading.Event | None) -> bool:
        """Claim a batch and hand it to the lanes: rows of a subject already on a lane join
        its queue, the others start lanes of their own. False when nothing was due."""
        now = self.clock()
        claimed = self.store.claim(self.config.batch, now, self.config.lease)
        if not claimed:
            return False
        with self._in_hand_lock:
            # A row still queued on one of this worker's lanes outlived its lease behind a
            # busy subject and came back in this claim: the claim only renewed it.
            rows = [row for row in claimed if row.id not in self._in_hand]
            for row in claimed:
                self._in_hand[row.id] = now + self.config.lease
        starting = stream.add(rows)
        # What each new lane waits behind, read for all of them at once: a lane that finds
        # an earlier event of its subject unfinished defers its events, so a stale answer here
        # (another daemon finished that event meanwhile) costs a short wait, never the order.
        earlier = self.store.earlier_unfinished_of(starting)
        for first in starting:
            if self._lanes.size == 1 and stream.result.error is not None:
                # On one lane the batch stops at a failure (a lost store), as it always did;
                # on several, the lanes of the batch run on and no further batch is claimed.
                break
            key = (first.kind, first.subject)
            stream.start(key, partial(self._lane, earlier=earlier[key], stop=stop))
        return True

    def _lane(
        self,
        next_row: Callable[[], InboxRow | None],
        *,
        earlier: Sequence[InboxRow],
        stop: threading.Event | None,
    ) -> Counter[str]:
        """One subject's claimed events, strictly in order, on one lane, behind the `earlier`
        events of the subject still unfinished. Once one waits, the later ones wait too; once
        one is dead-lettered, the later ones are held until it is requeued or dropped."""
        outcomes: Counter[str] = Counter()
        waiting: datetime | None = None
        held = False
        if any(other.state == "dead" for other in earlier):
            held = True
        elif earlier:
            waiting = self._wait_for(earlier[0])
        while not (stop is not None and stop.is_set()):
            row = next_row()
            if row is None:
                break
            # Several daemons share the inbox: behind a slow Jira this batch may have outlived
            # its lease, and another daemon may have claimed the row since. Take a fresh lease
            # for the row before touching it, or leave it to the other daemon.
            if not self._renew(row):
                outcomes["taken_over"] += 1
                continue
            if held:
                self.store.defer(row.id, self.clock(), HELD_REASON)
                outcome = "held"
            elif waiting is not None:
                self.store.defer(row.id, waiting, "waiting for an earlier event")
                outcome = "waiting"
            else:
                outcome, due = self._process(row)
                if outcome == "dead":
                    held = True
                elif due is not None:
                    waiting = due
            outcomes[outcome] += 1
            self._done_with(row)
        return outcomes

    def drain(self, *, timeout: float = 60.0, stop: threading.Event | None = None) -> BatchReport:
        """Process until nothing is due (or `timeout` seconds pass). Deferred events whose due
        time falls inside the timeout are waited for; events held behind a dead letter are
        not (they move only once someone requeues or drops it)."""
        total = BatchReport()
        self._stop = stop
        deadline = self.clock() + timedelta(seconds=timeout)
        self._until = deadline
        try:
            while self.clock() < deadline and not (stop and stop.is_set()):
                report = self.run_once()
                total.outcomes.update(report.outcomes)
                if report.processed == 0:
                    if self.store.depth().get("pending", 0) <= self.store.held().events:
                        break
                    # Only deferred events are left: wait for the first to fall due.
                    if stop is not None:
                        stop.wait(0.2)
                    else:
                        time.sleep(0.2)
        finally:
            self._until = None
        return total

    def run_forever(self, stop: threading.Event, wake: threading.Event, poll: float) -> None:
        """Process batches until `stop` is set. No failure ends the loop: a lost store, or any
        error nobody expected, is waited out (see `Outage`)."""
        leases_released = False
        self._stop = stop
        try:
            while not stop.is_set():
                try:
                    if not leases_released:
                        freed = self.store.release_leases()
                        leases_released = True
                        if freed:
                            log.warning("worker.leases_released events=%d", freed)
                    report = self.run_once()
                except Exception as exc:
                    stop.wait(self.outage.failed(exc).total_seconds())
                    continue
                self.outage.succeeded()
                if report.processed == 0:
                    wake.wait(poll)
                    wake.clear()
        except BaseException:
            log.critical("worker.stopped_unexpectedly", exc_info=True)
            raise
        log.info("worker.stopped")

    def _process(self, row: InboxRow) -> tuple[str, datetime | None]:
        handler = self.handlers.get(row.kind)
        try:
            if handler is None:
                raise InputError(f"no handler for events of kind {row.kind!r}")
            outcome = handler(row)
        except StoreUnavailable:
            raise  # the whole batch waits for the store; see run_forever
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
        except Exception as exc:
            # A bug or a failure nobody foresaw: this event is retried with the backoff of a
            # transient failure, and the rest of the batch goes on.
            due = self.clock() + self._backoff(row.attempts, None)
            self.store.retry_later(row.id, due, f"unexpected error: {type(exc).__name__}: {exc}")
            log.exception(
                "worker.unexpected_error kind=%s subject=%s event=%s attempt=%d",
                row.kind,
                row.subject,
                row.event_id,
                row.attempts + 1,
            )
            return "error", due
        if isinstance(outcome, Finished):
            return outcome.outcome, outcome.later_wait
        self.store.complete(row.id)
        return outcome, None

    def _renew(self, row: InboxRow) -> bool:
        """Make sure the row is still this worker's, with at least half a lease ahead. While
        the lease it was claimed (or last renewed) with has that much left, no other daemon
        can have claimed the row (a claim takes only rows whose lease has ended), and asking
        the store would cost a commit per event; past that, the lease is renewed, or the row
        left to whoever has it."""
        now = self.clock()
        with self._in_hand_lock:
            until = self._in_hand[row.id]
        if until - now >= self.config.lease / 2:
            return True
        renewed = self.store.renew_claim(row.id, until, now, self.config.lease)
        if renewed is not None:
            with self._in_hand_lock:
                self._in_hand[row.id] = renewed
        return renewed is not None

    def _done_with(self, row: InboxRow) -> None:
        with self._in_hand_lock:
            self._in_hand.pop(row.id, None)

    def _give_back(self) -> None:
        """Give back the rows claimed and not finished (a failed run, a stop), under the
        lease they were claimed with or the one renewed for them, so they need not wait it
        out. Forgotten only once given back: the store may still be away."""
        with self._in_hand_lock:
            in_hand = dict(self._in_hand)
        by_lease: dict[datetime, list[int]] = {}
        for row_id, until in in_hand.items():
            by_lease.setdefault(until, []).append(row_id)
        for until, ids in by_lease.items():
            self.store.release_claims(ids, until)
            with self._in_hand_lock:
                for row_id in ids:
                    self._in_hand.pop(row_id, None)

    def _wait_for(self, earlier: InboxRow) -> datetime:
        """When to look again at an event whose subject has `earlier` still pending. An earlier
        event in another daemon's hands is due already: deferring to its due time would have
        this worker claim and defer the later one again at once, over and over, until the
        other daemon is done; a short wait instead."""
        now = self.clock()
        in_other_hands = earlier.claimed_until is not None and earlier.claimed_until > now
        if in_other_hands and earlier.next_attempt_at <= now:
            return now + OTHER_DAEMON_WAIT
        return earlier.next_attempt_at

    def _backoff(self, attempts: int, retry_after: float | None) -> timedelta:
        base: timedelta = self.config.retry_first * float(2 ** min(attempts, 16))
        wait = min(base, self.config.retry_max)
        if retry_after is not None:
            wait = max(wait, timedelta(seconds=retry_after))
        return wait
