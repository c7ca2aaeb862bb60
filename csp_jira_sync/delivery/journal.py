"""The daemon's memory of what it did in Jira, on top of the store's tables:

- the create ledger (`jira_issues`): a row is written *before* a create is sent, so after a crash
  the daemon knows a create may have landed and looks for it by its reference label before it
  tries again (duplicates when a label search misses a fresh issue: jiralert #73);
- applied events (`applied_events`): an event's comment or transition is marked `applying`
  before the call and `applied` after, so a re-run looks for the comment's marker instead of
  posting it twice;
- escalation state (`escalations`): status, time of the newest applied event, generation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from csp_jira_sync.escalations.decide import EscalationState
from csp_jira_sync.jira.model import IssueRef
from csp_jira_sync.store.schema import applied_events, escalations, inbox, jira_issues
from csp_jira_sync.store.upsert import upsert

# The statements the worker runs for every event are built once, their values bound at
# execution: building them per call cost more CPU than running them (bench_delivery.py).
# (Bound names differ from the columns': an UPDATE reserves those for its SET clause.)
_SUBJECT = (
    jira_issues.c.subject_kind == sa.bindparam("b_kind"),
    jira_issues.c.subject_id == sa.bindparam("b_subject"),
    jira_issues.c.generation == sa.bindparam("b_generation"),
)
_LEDGER_ENTRY = sa.select(jira_issues).where(*_SUBJECT)
_CLAIM_CREATE = sa.insert(jira_issues)
_RECORD_CREATED = (
    sa.update(jira_issues)
    .where(*_SUBJECT)
    .values(
        state="created",
        issue_id=sa.bindparam("b_issue_id"),
        issue_key=sa.bindparam("b_issue_key"),
        created_at=sa.bindparam("b_created_at"),
    )
)
_APPLIED_STATE = sa.select(applied_events.c.state).where(
    applied_events.c.kind == sa.bindparam("kind"),
    applied_events.c.event_id == sa.bindparam("event_id"),
)
_ESCALATION_STATE = sa.select(escalations).where(
    escalations.c.escalation_id == sa.bindparam("escalation_id")
)


@dataclass(frozen=True)
class LedgerEntry:
    subject_kind: str
    subject_id: str
    generation: int
    ref_label: str
    state: Literal["creating", "created"]
    issue: IssueRef | None
    create_started_at: datetime | None


def ledger_entry(conn: Connection, kind: str, subject: str, generation: int) -> LedgerEntry | None:
    row = conn.execute(
        _LEDGER_ENTRY, {"b_kind": kind, "b_subject": subject, "b_generation": generation}
    ).first()
    if row is None:
        return None
    issue = IssueRef(id=row.issue_id, key=row.issue_key) if row.issue_id else None
    return LedgerEntry(
        subject_kind=row.subject_kind,
        subject_id=row.subject_id,
        generation=row.generation,
        ref_label=row.ref_label,
        state=row.state,
        issue=issue,
        create_started_at=row.create_started_at,
    )


def claim_create(
    conn: Connection,
    kind: str,
    subject: str,
    generation: int,
    ref: str,
    now: datetime,
    *,
    previous_start: datetime | None,
    first_event_id: str | None = None,
) -> bool:
    """Record that this worker is about to send the create. Compare-and-set, so that when
    several daemons share a PostgreSQL store only one of them sends it (duplicates when
    replicas race for the same alert: jiralert #119). False means another worker has it."""
    if previous_start is None:
        try:
            with conn.begin_nested():
                conn.execute(
                    _CLAIM_CREATE,
                    {
                        "subject_kind": kind,
                        "subject_id": subject,
                        "generation": generation,
                        "ref_label": ref,
                        "state": "creating",
                        "create_started_at": now,
                        "first_event_id": first_event_id,
                    },
                )
        except sa.exc.IntegrityError:
            return False
        return True
    updated = conn.execute(
        sa.update(jira_issues)
        .where(
            jira_issues.c.subject_kind == kind,
            jira_issues.c.subject_id == subject,
            jira_issues.c.generation == generation,
            jira_issues.c.state == "creating",
            jira_issues.c.create_started_at == previous_start,
        )
        .values(create_started_at=now)
    )
    return bool(updated.rowcount)


def first_event_of(conn: Connection, kind: str, subject: str, generation: int) -> str | None:
    """The event whose create raised this generation's issue (None for rows from before it was
    recorded, and for issues raised by the reconciliation in place of a deleted one)."""
    return conn.execute(
        sa.select(jira_issues.c.first_event_id).where(
            jira_issues.c.subject_kind == kind,
            jira_issues.c.subject_id == subject,
            jira_issues.c.generation == generation,
        )
    ).scalar()


def forget_create(conn: Connection, kind: str, subject: str, generation: int) -> None:
    """The create provably did not land (Jira refused it): the next attempt need not look."""
    conn.execute(
        sa.delete(jira_issues).where(
            jira_issues.c.subject_kind == kind,
            jira_issues.c.subject_id == subject,
            jira_issues.c.generation == generation,
            jira_issues.c.state == "creating",
        )
    )


def forget_deleted(conn: Connection, kind: str, subject: str, generation: int) -> None:
    """The recorded issue is gone from Jira (a person deleted it): the subject may be created
    again. Only for issues the daemon owns whole, such as reports."""
    conn.execute(
        sa.delete(jira_issues).where(
            jira_issues.c.subject_kind == kind,
            jira_issues.c.subject_id == subject,
            jira_issues.c.generation == generation,
            jira_issues.c.state == "created",
        )
    )


def record_created(
    conn: Connection, kind: str, subject: str, generation: int, issue: IssueRef, now: datetime
) -> None:
    conn.execute(
        _RECORD_CREATED,
        {
            "b_kind": kind,
            "b_subject": subject,
            "b_generation": generation,
            "b_issue_id": issue.id,
            "b_issue_key": issue.key,
            "b_created_at": now,
        },
    )


def issue_for(conn: Connection, kind: str, subject: str, generation: int) -> IssueRef | None:
    entry = ledger_entry(conn, kind, subject, generation)
    return entry.issue if entry is not None and entry.state == "created" else None


def issues_of_kind(conn: Connection, kind: str) -> list[tuple[str, int, IssueRef]]:
    rows = conn.execute(
        sa.select(jira_issues).where(
            jira_issues.c.subject_kind == kind, jira_issues.c.state == "created"
        )
    )
    return [(r.subject_id, r.generation, IssueRef(r.issue_id, r.issue_key)) for r in rows]


# -- applied events ---------------------------------------------------------------------------


def applied_state(conn: Connection, kind: str, event_id: str) -> str | None:
    value = conn.execute(_APPLIED_STATE, {"kind": kind, "event_id": event_id}).scalar()
    return None if value is None else str(value)


def mark_event(
    conn: Connection,
    kind: str,
    event_id: str,
    state: Literal["applying", "applied"],
    issue_key: str,
    marker: str,
    now: datetime,
) -> None:
    upsert(
        conn,
        applied_events,
        {"kind": kind, "event_id": event_id},
        {"state": state, "issue_key": issue_key, "marker": marker, "updated_at": now},
    )


def unmark_event(conn: Connection, kind: str, event_id: str) -> None:
    conn.execute(
        sa.delete(applied_events).where(
            applied_events.c.kind == kind,
            applied_events.c.event_id == event_id,
            applied_events.c.state == "applying",
        )
    )


# -- escalation state -------------------------------------------------------------------------


def escalation_state(conn: Connection, escalation_id: str) -> EscalationState | None:
    row = conn.execute(_ESCALATION_STATE, {"escalation_id": escalation_id}).first()
    if row is None:
        return None
    return EscalationState(
        escalation_id=row.escalation_id,
        customer=row.customer,
        generation=row.generation,
        status=row.status,
        status_occurred_at=row.status_occurred_at,
        resolved_at=row.resolved_at,
    )


def save_escalation(conn: Connection, state: EscalationState, now: datetime) -> None:
    values = {
        "customer": state.customer,
        "generation": state.generation,
        "status": state.status,
        "status_occurred_at": state.status_occurred_at,
        "resolved_at": state.resolved_at,
        "updated_at": now,
    }
    upsert(conn, escalations, {"escalation_id": state.escalation_id}, values)


# -- a generation's events, for replaying a late one (escalations/late.py) --------------------


@dataclass(frozen=True)
class MarkedEvent:
    """An event of a subject marked on one issue, with its inbox row (payload and state)."""

    event_id: str
    mark: Literal["applying", "applied"]
    inbox_id: int
    inbox_state: str
    payload: dict[str, object]


def events_marked_on(
    conn: Connection, kind: str, subject: str, issue_key: str
) -> list[MarkedEvent]:
    """The subject's events whose comment (or create) is marked on `issue_key`, by their inbox
    rows (indexed by subject). Events whose marks retention deleted are not among them."""
    rows = conn.execute(
        sa.select(
            inbox.c.event_id,
            applied_events.c.state,
            inbox.c.id,
            inbox.c.state.label("inbox_state"),
            inbox.c.payload,
        )
        .select_from(
            inbox.join(
                applied_events,
                sa.and_(
                    applied_events.c.kind == inbox.c.kind,
                    applied_events.c.event_id == inbox.c.event_id,
                ),
            )
        )
        .where(
            inbox.c.kind == kind,
            inbox.c.subject == subject,
            applied_events.c.issue_key == issue_key,
        )
        .order_by(inbox.c.occurred_at, inbox.c.id)
    )
    return [
        MarkedEvent(
            event_id=str(r.event_id),
            mark=r.state,
            inbox_id=int(r.id),
            inbox_state=str(r.inbox_state),
            payload=dict(r.payload or {}),
        )
        for r in rows
    ]


def forget_events(conn: Connection, kind: str, event_ids: Sequence[str]) -> None:
    """Delete these events' marks, applied or applying: they are to be applied again (on
    another issue), and a mark would make that a no-op."""
    if event_ids:
        conn.execute(
            sa.delete(applied_events).where(
                applied_events.c.kind == kind, applied_events.c.event_id.in_(list(event_ids))
            )
        )


def requeue_events(conn: Connection, inbox_ids: Sequence[int], now: datetime, reason: str) -> int:
    """Make these inbox rows pending again, due now, so that the worker's ordinary path applies
    them again in `occurred_at` order. Returns how many rows were requeued."""
    if not inbox_ids:
        return 0
    result = conn.execute(
        sa.update(inbox)
        .where(inbox.c.id.in_(list(inbox_ids)))
        .values(
            state="pending",
            next_attempt_at=now,
            claimed_until=None,
            done_at=None,
            last_error=reason,
        )
    )
    return int(result.rowcount)
