"""The worker: drains the durable inbox into Jira, one event at a time, in `occurred_at` order.

Transient Jira failures send the event back to the inbox with a due time (honouring Jira's
`Retry-After`), so an outage of any length loses nothing; permanent ones go to the dead-letter
list with Jira's reason, where `csp-jira-sync dead-letters --requeue` can replay them.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

import sqlalchemy as sa
from pydantic import ValidationError

from csp_jira_sync import escalation, ledger
from csp_jira_sync.errors import InputError, JiraPermanent, JiraTransient, StoreUnavailable
from csp_jira_sync.events import EscalationEvent
from csp_jira_sync.jira.gateway import JiraGateway
from csp_jira_sync.mappings import Mappings
from csp_jira_sync.once import Defer, apply_once, create_once
from csp_jira_sync.references import event_marker, ref_label
from csp_jira_sync.store import InboxRow, Store
from csp_jira_sync.store.schema import inbox

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class WorkerConfig:
    project: str
    # How long Jira's search index may take to show a fresh issue before a miss is trusted.
    search_settle: timedelta = timedelta(seconds=60)
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
        gateway: JiraGateway,
        mappings: Mappings,
        config: WorkerConfig,
        *,
        clock: Callable[[], datetime] = utc_now,
        handlers: dict[str, Handler] | None = None,
        on_dead_letter: Callable[[InboxRow, str], None] | None = None,
    ) -> None:
        self.store = store
        self.gateway = gateway
        self.mappings = mappings
        self.config = config
        self.clock = clock
        self.handlers: dict[str, Handler] = {"escalation": self.handle_escalation}
        self.handlers.update(handlers or {})
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
                self.store.retry_later(
                    row.id, deferred_subjects[key], "waiting for an earlier event"
                )
                report.outcomes["waiting"] += 1
                continue
            earlier = self._earlier_pending(row)
            if earlier is not None:
                deferred_subjects[key] = earlier
                self.store.retry_later(row.id, earlier, "waiting for an earlier event")
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
                (stop or threading.Event()).wait(0.2)
        return total

    def release_leases_after_restart(self) -> int:
        """Free the leases a killed predecessor held, so its claimed events are not stuck until
        the lease runs out. Only on SQLite, where one daemon owns the file; on PostgreSQL other
        daemons may hold live leases, and those expire on their own."""
        if self.store.engine.dialect.name != "sqlite":
            return 0
        with self.store.engine.begin() as conn:
            freed = conn.execute(
                sa.update(inbox)
                .where(inbox.c.state == "pending", inbox.c.claimed_until.is_not(None))
                .values(claimed_until=None)
            ).rowcount
        if freed:
            log.warning("worker.leases_released events=%d", freed)
        return int(freed)

    def run_forever(self, stop: threading.Event, wake: threading.Event, poll: float) -> None:
        self.release_leases_after_restart()
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
            self.store.retry_later(row.id, exc.until, exc.reason)
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

    # -- escalations ------------------------------------------------------------------------

    def handle_escalation(self, row: InboxRow) -> str:
        event = EscalationEvent.model_validate(row.payload)
        customer = self.mappings.customer(event.customer)
        if customer is None:
            raise InputError(f"customer {event.customer!r} is no longer in mappings/customers.yaml")
        kind = escalation.KIND
        engine = self.store.engine
        with engine.begin() as conn:
            state = ledger.escalation_state(conn, event.escalation_id)
            current = (
                ledger.issue_for(conn, kind, event.escalation_id, state.generation)
                if state
                else None
            )
            applied = ledger.applied_state(conn, kind, event.event_id)
        if applied == "applied":
            return "duplicate"
        decision = escalation.decide(
            state,
            event,
            customer,
            self.mappings,
            project=self.config.project,
            previous_issue_key=current.key if current else None,
        )
        marker = event_marker(kind, event.event_id)
        action = decision.action
        if isinstance(action, escalation.Create):
            created = create_once(
                engine,
                self.gateway,
                kind=kind,
                subject=event.escalation_id,
                generation=action.generation,
                ref=ref_label(kind, event.escalation_id, action.generation),
                draft=action.draft,
                now=self.clock,
                settle=self.config.search_settle,
            )
            issue = created.issue
            if action.then_status and action.then_comment:
                apply_once(
                    engine,
                    self.gateway,
                    kind=kind,
                    event_id=event.event_id,
                    marker=marker,
                    issue=issue,
                    comment=action.then_comment,
                    status=action.then_status,
                    now=self.clock,
                )
            outcome = "created" if created.new else "recovered"
        else:
            if current is None:
                raise Defer(
                    self.clock() + self.config.retry_first,
                    "the escalation's issue is not recorded yet",
                )
            issue = current
            result = apply_once(
                engine,
                self.gateway,
                kind=kind,
                event_id=event.event_id,
                marker=marker,
                issue=issue,
                comment=action.comment,
                status=action.status,
                now=self.clock,
            )
            outcome = "updated" if result == "applied" else result
        with engine.begin() as conn:
            ledger.save_escalation(conn, decision.state, self.clock())
            ledger.mark_event(
                conn, kind, event.event_id, "applied", issue.key, marker, self.clock()
            )
        log.info(
            "worker.escalation escalation=%s event=%s issue=%s outcome=%s why=%s",
            event.escalation_id,
            event.event_id,
            issue.key,
            outcome,
            decision.note,
        )
        return outcome
