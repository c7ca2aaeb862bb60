"""Events accepted but never delivered, and events Jira refused for good.

Stuck: a pending event accepted more than `stuck_after` ago that is not held behind a dead
letter and not in a live claim: its claim ran out without being given back (a killed daemon on
PostgreSQL), or it keeps waiting on a retry. It is made due now, its run-out claim cleared, and
handed to the worker's normal path (`deliver`): the same claim, the same create ledger and
applied-event marks, so a redelivery can never be a second, duplicating path. A row in a live
claim is another worker's and is left alone. What is still not delivered afterwards needs a
person (the finding carries its last error).

Dead letters: reported grouped by reason, with how many events each reason holds back; they
need a person (`dead-letters --requeue --reason TEXT` once the cause is fixed, or `--drop`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa

from csp_jira_sync.reconcile.findings import Finding, Scope
from csp_jira_sync.store import InboxRow, Store
from csp_jira_sync.store.schema import inbox

NAME = "redelivery"
_REASON_WIDTH = 160


def stuck_events(store: Store, now: datetime, stuck_after: timedelta) -> list[InboxRow]:
    """Pending rows accepted before `now - stuck_after`, neither held nor in a live claim."""
    held = store.held()
    query = (
        sa.select(inbox)
        .where(
            inbox.c.state == "pending",
            inbox.c.received_at <= now - stuck_after,
            sa.or_(inbox.c.claimed_until.is_(None), inbox.c.claimed_until <= now),
        )
        .order_by(inbox.c.occurred_at, inbox.c.id)
    )
    with store.transaction("finding stuck events") as conn:
        rows = [InboxRow(**row._asdict()) for row in conn.execute(query)]
    if not held.events:
        return rows
    held_ids = set(_held_ids(store))
    return [row for row in rows if row.id not in held_ids]


def _held_ids(store: Store) -> list[int]:
    dead = inbox.alias("dead")
    query = sa.select(inbox.c.id).where(
        inbox.c.state == "pending",
        sa.exists().where(
            dead.c.kind == inbox.c.kind,
            dead.c.subject == inbox.c.subject,
            dead.c.state == "dead",
            sa.or_(
                dead.c.occurred_at < inbox.c.occurred_at,
                sa.and_(dead.c.occurred_at == inbox.c.occurred_at, dead.c.id < inbox.c.id),
            ),
        ),
    )
    with store.transaction("finding held events") as conn:
        return list(conn.execute(query).scalars())


def make_due(store: Store, ids: Sequence[int], now: datetime) -> int:
    """Make stuck rows due now, clearing run-out claims; a row claimed since (a live claim) or
    finished since is left alone."""
    if not ids:
        return 0
    statement = (
        sa.update(inbox)
        .where(
            inbox.c.id.in_(list(ids)),
            inbox.c.state == "pending",
            sa.or_(inbox.c.claimed_until.is_(None), inbox.c.claimed_until <= now),
        )
        .values(next_attempt_at=now, claimed_until=None)
    )
    with store.transaction("putting stuck events back") as conn:
        return int(conn.execute(statement).rowcount)


def _why_stuck(row: InboxRow, now: datetime) -> str:
    age = now - row.received_at
    hours = age.total_seconds() / 3600
    if row.claimed_until is not None:
        why = f"its claim ran out at {row.claimed_until.isoformat()} and was never given back"
    elif row.attempts:
        why = f"{row.attempts} attempt(s) failed, last: {(row.last_error or '')[:_REASON_WIDTH]}"
    else:
        why = "never attempted"
    return f"accepted {hours:.1f} h ago and not in Jira: {why}"


def short_reason(reason: str | None) -> str:
    text = " ".join((reason or "no reason recorded").split())
    return text if len(text) <= _REASON_WIDTH else text[: _REASON_WIDTH - 1] + "…"


class RedeliveryStep:
    """`deliver(ids)` runs the worker's normal path over the queue until those rows are done or
    it gives up (the CLI drains a worker; `serve` wakes its own worker thread and waits)."""

    def __init__(
        self,
        store: Store,
        deliver: Callable[[Sequence[int]], None],
        *,
        stuck_after: timedelta,
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.deliver = deliver
        self.stuck_after = stuck_after
        self.clock = clock

    @property
    def name(self) -> str:
        return NAME

    def run(self, scope: Scope) -> list[Finding]:
        findings = self._redeliver(scope)
        findings += self._dead_letters()
        return findings

    def _redeliver(self, scope: Scope) -> list[Finding]:
        now = self.clock()
        stuck = stuck_events(self.store, now, self.stuck_after)
        if not stuck:
            return []
        if scope.dry_run:
            return [
                Finding(
                    NAME,
                    f"{row.kind} {row.subject} event {row.event_id}",
                    _why_stuck(row, now),
                    "would-repair",
                    "would put it back in the queue and deliver it now",
                )
                for row in stuck
            ]
        make_due(self.store, [row.id for row in stuck], now)
        self.deliver([row.id for row in stuck])
        findings = []
        for row in stuck:
            after = self.store.get(row.id)
            subject = f"{row.kind} {row.subject} event {row.event_id}"
            if after is not None and after.state == "done":
                findings.append(
                    Finding(
                        NAME, subject, _why_stuck(row, now), "repaired", "redelivered: now in Jira"
                    )
                )
            else:
                state = "dead-lettered" if after and after.state == "dead" else "still pending"
                last = short_reason(after.last_error if after else None)
                findings.append(
                    Finding(
                        NAME,
                        subject,
                        _why_stuck(row, now),
                        "reported",
                        f"put back in the queue, but {state} after redelivery: {last}",
                        needs_person=True,
                    )
                )
        return findings

    def _dead_letters(self) -> list[Finding]:
        rows = self.store.dead_letters(limit=100_000)
        if not rows:
            return []
        holds = self.store.held().by_dead_letter
        by_reason: dict[str, list[InboxRow]] = defaultdict(list)
        for row in rows:
            by_reason[short_reason(row.last_error)].append(row)
        findings = []
        for reason, group in sorted(by_reason.items(), key=lambda item: (-len(item[1]), item[0])):
            held = sum(holds.get(row.id, 0) for row in group)
            subjects = sorted({f"{row.kind} {row.subject}" for row in group})
            shown = ", ".join(subjects[:5]) + (
                f" and {len(subjects) - 5} more" if len(subjects) > 5 else ""
            )
            findings.append(
                Finding(
                    NAME,
                    f"dead letters: {reason}",
                    f"{len(group)} event(s) refused for good ({shown}), holding back {held} "
                    "later event(s)",
                    "reported",
                    "fix the cause, then `csp-jira-sync dead-letters --requeue --reason TEXT` "
                    "(or --drop ID to give one up)",
                    needs_person=True,
                )
            )
        return findings


__all__ = ["RedeliveryStep", "make_due", "short_reason", "stuck_events"]
