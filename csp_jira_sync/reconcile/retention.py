"""Keeping the store small without weakening exactly-once.

What makes a re-delivered webhook harmless is the inbox's UNIQUE (kind, event_id): a second
delivery of an event is recognised as a duplicate at intake and never reaches the worker. The
applied-event marks only matter while an event can still be worked on. So retention keeps the
inbox row of every event (its dedup key) and purges what is big and no longer needed:

- a subject (one escalation, one request) is purged once *every* one of its events is done and
  was received, and finished, more than `CSP_RETENTION_DAYS` ago: its events' payloads and
  error texts are emptied and their applied-event marks deleted. A subject with anything
  pending or dead-lettered, or any recent event, is left whole (a reopen still reads its state;
  a requeue still has its payload). The escalation's state and the create ledger are kept: a
  new event for the escalation after the purge is applied as it would have been.
- a late duplicate of a purged event is still a duplicate at intake: no second issue, no
  second comment.
- trend reports read the events of escalations active in the periods they cover (at most a
  month, its previous month and 30 days of recurrences: about 92 days), so a retention under
  `MIN_RETENTION_DAYS` is refused by the settings.

Subjects are purged `batch` per transaction, so a first purge of a large store never holds a
long write lock; the rows done are counted in `purged_subjects`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa

from csp_jira_sync.reconcile.findings import Finding, Scope
from csp_jira_sync.store import Store
from csp_jira_sync.store.schema import applied_events, inbox, purged_subjects
from csp_jira_sync.store.upsert import upsert

NAME = "retention"
MIN_RETENTION_DAYS = 100
PURGED: dict[str, object] = {}


def purgeable_subjects(store: Store, cutoff: datetime, limit: int) -> list[tuple[str, str, int]]:
    """Up to `limit` (kind, subject, events) whose events are all done before `cutoff` and not
    purged since their last event was done."""
    last = sa.func.max(sa.func.coalesce(inbox.c.done_at, inbox.c.received_at))
    unfinished = sa.func.sum(sa.case((inbox.c.state != "done", 1), else_=0))
    query = (
        sa.select(inbox.c.kind, inbox.c.subject, sa.func.count())
        .select_from(
            inbox.outerjoin(
                purged_subjects,
                sa.and_(
                    purged_subjects.c.kind == inbox.c.kind,
                    purged_subjects.c.subject == inbox.c.subject,
                ),
            )
        )
        .group_by(inbox.c.kind, inbox.c.subject)
        .having(
            unfinished == 0,
            last < cutoff,
            sa.func.max(inbox.c.received_at) < cutoff,
            sa.or_(
                sa.func.max(purged_subjects.c.purged_at).is_(None),
                sa.func.max(purged_subjects.c.purged_at) < last,
            ),
        )
        .order_by(inbox.c.kind, inbox.c.subject)
        .limit(limit)
    )
    with store.transaction("finding subjects past retention") as conn:
        return [(str(k), str(s), int(n)) for k, s, n in conn.execute(query)]


def purge_subjects(
    store: Store, subjects: list[tuple[str, str, int]], cutoff: datetime, now: datetime
) -> int:
    """Empty the payloads of these subjects' events and delete their applied-event marks, in
    one transaction; re-checks in it that every event is still done and old (a new event may
    have arrived since the look). Returns the events purged."""
    purged = 0
    with store.transaction("purging events past retention") as conn:
        for kind, subject, _ in subjects:
            rows = conn.execute(
                sa.select(inbox.c.event_id, inbox.c.state, inbox.c.received_at)
                .where(inbox.c.kind == kind, inbox.c.subject == subject)
                .with_for_update()
            ).all()
            if any(state != "done" or received >= cutoff for _, state, received in rows):
                continue
            event_ids = [str(event_id) for event_id, _, _ in rows]
            conn.execute(
                sa.update(inbox)
                .where(inbox.c.kind == kind, inbox.c.subject == subject)
                .values(payload=PURGED, last_error=None)
            )
            marks = [*event_ids, f"{subject}:unverified"] if kind == "request" else event_ids
            for start in range(0, len(marks), 500):
                conn.execute(
                    sa.delete(applied_events).where(
                        applied_events.c.kind == kind,
                        applied_events.c.event_id.in_(marks[start : start + 500]),
                    )
                )
            upsert(
                conn,
                purged_subjects,
                {"kind": kind, "subject": subject},
                {"events": len(rows), "purged_at": now},
            )
            purged += len(rows)
    return purged


class RetentionStep:
    def __init__(
        self,
        store: Store,
        *,
        days: int,
        clock: Callable[[], datetime],
        batch: int = 200,
    ) -> None:
        if days < MIN_RETENTION_DAYS:
            raise ValueError(f"retention must be at least {MIN_RETENTION_DAYS} days, not {days}")
        self.store = store
        self.days = days
        self.clock = clock
        self.batch = batch

    @property
    def name(self) -> str:
        return NAME

    def run(self, scope: Scope) -> list[Finding]:
        now = self.clock()
        cutoff = now - timedelta(days=self.days)
        subjects_done = 0
        events = 0
        if scope.dry_run:
            found = purgeable_subjects(self.store, cutoff, 1_000_000)
            subjects_done = len(found)
            events = sum(n for _, _, n in found)
        else:
            while True:
                found = purgeable_subjects(self.store, cutoff, self.batch)
                if not found:
                    break
                purged = purge_subjects(self.store, found, cutoff, now)
                subjects_done += len(found)
                events += purged
                if purged == 0:
                    break  # every one found had changed since: the next run looks again
        if not subjects_done:
            return []
        verb = "would purge" if scope.dry_run else "purged"
        return [
            Finding(
                NAME,
                f"events done before {cutoff.date().isoformat()}",
                f"{events} event(s) of {subjects_done} finished escalation(s) or request(s) "
                f"older than {self.days} days",
                "would-repair" if scope.dry_run else "repaired",
                f"{verb} their payloads and applied-event marks; their event ids stay, so a "
                "late re-delivery is still recognised as a duplicate",
            )
        ]


__all__ = ["MIN_RETENTION_DAYS", "RetentionStep", "purge_subjects", "purgeable_subjects"]
