"""Jira writes that happen exactly once, whatever crashes or goes unanswered in between.

`create_once`: the ledger row is written before the create is sent. If the outcome is unknown
(a crash, a timeout, a 5xx), the next attempt searches for the reference label before creating
again, but only once the search index has had `settle` to catch up: Jira's search is
eventually consistent, so a miss right after a create proves nothing (jiralert #73).

`apply_once`: a comment (and the transition it rides on) is marked `applying` before it is sent;
if the outcome is unknown, the next attempt reads the issue's comments, which are not eventually
consistent, for the event's marker instead of posting again.

Each makes two commits around its Jira call: the ledger read and the claim (or mark) before it,
which must be on disk before the call is sent; and the record of the answer after it, which
need not wait for the disk (a power cut that loses it leaves the claim or mark, which the next
attempt recovers from exactly as from a crash right after the call). A caller passes `then` to
record its own outcome of the event (and mark its inbox row done) in that same last commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Connection

from csp_jira_sync.delivery import journal
from csp_jira_sync.errors import JiraPermanent, JiraTransient
from csp_jira_sync.jira.model import IssueDraft, IssueRef
from csp_jira_sync.jira.port import Gateway, IssueCreator
from csp_jira_sync.store import Store


class Defer(Exception):
    """Not now: try this event again at `until` (the reason is logged and kept on the row)."""

    def __init__(self, until: datetime, reason: str) -> None:
        super().__init__(reason)
        self.until = until
        self.reason = reason


@dataclass(frozen=True)
class Finished:
    """A handler's outcome when it has marked its inbox row done itself, in the transaction
    that recorded its Jira call (`Store.complete_in`): one commit where there were two.
    `later_wait`: the later events of the subject on this lane wait until then (they are
    claimed again, in order, behind events the handler has requeued)."""

    outcome: str
    later_wait: datetime | None = None


# Runs inside the transaction that records what the Jira call did, with the issue concerned.
Then = Callable[[Connection, IssueRef], None]


@dataclass(frozen=True)
class Created:
    issue: IssueRef
    new: bool  # False when an earlier attempt had already created it


def create_once(
    store: Store,
    gateway: IssueCreator,
    *,
    kind: str,
    subject: str,
    generation: int,
    ref: str,
    draft: IssueDraft,
    now: Callable[[], datetime],
    settle: timedelta,
    then: Then | None = None,
    first_event_id: str | None = None,
) -> Created:
    with store.transaction("claiming a create") as conn:
        entry = journal.ledger_entry(conn, kind, subject, generation)
        # The common case, no earlier attempt: read and claim in one commit.
        claimed = entry is None and journal.claim_create(
            conn,
            kind,
            subject,
            generation,
            ref,
            now(),
            previous_start=None,
            first_event_id=first_event_id,
        )
    if entry is not None and entry.state == "created" and entry.issue is not None:
        _then(store, then, entry.issue)
        return Created(entry.issue, new=False)
    if entry is not None:
        # An earlier attempt may have landed. Look, but trust a miss only after the settle time.
        found = gateway.find_by_label(ref)
        if found:
            with store.transaction("recording a found issue", recoverable=True) as conn:
                journal.record_created(conn, kind, subject, generation, found[0], now())
                if then is not None:
                    then(conn, found[0])
            return Created(found[0], new=False)
        previous_start = entry.create_started_at or now()
        if now() < previous_start + settle:
            raise Defer(
                previous_start + settle,
                "an earlier create may still be indexing; looking again later",
            )
        with store.transaction("claiming a create") as conn:
            claimed = journal.claim_create(
                conn, kind, subject, generation, ref, now(), previous_start=previous_start
            )
    if not claimed:
        raise Defer(now() + settle, "another worker is creating this issue")
    try:
        issue = gateway.create_issue(draft)
    except JiraTransient as exc:
        if not exc.may_have_landed:
            with store.transaction("releasing a create claim") as conn:
                journal.forget_create(conn, kind, subject, generation)
        raise
    except JiraPermanent:
        with store.transaction("releasing a create claim") as conn:
            journal.forget_create(conn, kind, subject, generation)
        raise
    with store.transaction("recording a created issue", recoverable=True) as conn:
        journal.record_created(conn, kind, subject, generation, issue, now())
        if then is not None:
            then(conn, issue)
    return Created(issue, new=True)


def _then(store: Store, then: Then | None, issue: IssueRef) -> None:
    """`then` on its own, where there was nothing of the Jira call's to record."""
    if then is not None:
        with store.transaction("recording an event's outcome", recoverable=True) as conn:
            then(conn, issue)


def apply_once(
    store: Store,
    gateway: Gateway,
    *,
    kind: str,
    event_id: str,
    marker: str,
    issue: IssueRef,
    comment: str,
    status: str | None,
    now: Callable[[], datetime],
    then: Then | None = None,
) -> str:
    """Post `comment` on `issue` (moving it to `status` in the same call where one is set).
    Returns what happened: 'applied', 'already-applied', 'comment-only' (no transition led to
    `status` from where the issue is, e.g. a person closed it already)."""
    with store.transaction("marking an event applying") as conn:
        state = journal.applied_state(conn, kind, event_id)
        if state is None:
            # The common case, never tried: read and mark in one commit.
            journal.mark_event(conn, kind, event_id, "applying", issue.key, marker, now())
    if state == "applied":
        _then(store, then, issue)
        return "already-applied"
    if state == "applying":
        if gateway.comments_containing(issue, marker):
            with store.transaction("recording an applied event", recoverable=True) as conn:
                journal.mark_event(conn, kind, event_id, "applied", issue.key, marker, now())
                if then is not None:
                    then(conn, issue)
            return "already-applied"
        with store.transaction("marking an event applying") as conn:
            journal.mark_event(conn, kind, event_id, "applying", issue.key, marker, now())
    outcome = "applied"
    try:
        moved = status is not None and gateway.transition_to(issue, status, comment=comment)
        if not moved:
            gateway.add_comment(issue, comment)
            if status is not None:
                outcome = "comment-only"
    except JiraTransient as exc:
        if not exc.may_have_landed:
            with store.transaction("releasing an event mark") as conn:
                journal.unmark_event(conn, kind, event_id)
        raise
    except JiraPermanent:
        with store.transaction("releasing an event mark") as conn:
            journal.unmark_event(conn, kind, event_id)
        raise
    with store.transaction("recording an applied event", recoverable=True) as conn:
        journal.mark_event(conn, kind, event_id, "applied", issue.key, marker, now())
        if then is not None:
            then(conn, issue)
    return outcome
