"""The worker's shell around `late.py`: an escalation event older than the newest one applied is
replayed with its generation's applied events in the NOC's order, and the outcome carried out.

A generation boundary (`Split`) is repaired in steps that are each safe to repeat after a
SIGKILL at any instruction, because until the last commit nothing the replay reads has changed,
so a re-run of the late event reaches the same outcome:

1. delete the daemon's comments of the events that belong after the boundary from the current
   issue (found by their markers; one already gone is not an error);
2. the late event's comment and the move to the replayed status, in one call (`apply_once`:
   marked before, found by its marker after a crash);
3. one commit: the late event applied (its row done), the state as of the boundary, the moved
   events' marks deleted and their inbox rows pending again, due now. The worker's ordinary
   path then applies them in `occurred_at` order: the boundary `open` raises the next
   generation through `create_once`, the others comment on it.

When the late event itself belongs after the boundary, step 2 is left out and its row is
requeued with the others in step 3.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from pydantic import ValidationError
from sqlalchemy.engine import Connection

from csp_jira_sync.config.events import EscalationEvent
from csp_jira_sync.config.mappings import Customer
from csp_jira_sync.config.references import event_marker
from csp_jira_sync.delivery import journal
from csp_jira_sync.delivery.context import HandlerContext
from csp_jira_sync.delivery.once import Finished, Then, apply_once
from csp_jira_sync.escalations import late
from csp_jira_sync.escalations.decide import KIND, EscalationState, comment_for
from csp_jira_sync.jira.model import IssueRef
from csp_jira_sync.store import InboxRow

log = logging.getLogger(__name__)


@dataclass
class LateEvent:
    ctx: HandlerContext
    row: InboxRow
    event: EscalationEvent
    customer: Customer
    state: EscalationState
    issue: IssueRef
    # The late event's mark: "applying" when an earlier attempt got as far as its Jira call.
    mark: str | None
    # The inbox rows of the events marked on the issue, by event id (read with them).
    _rows: dict[str, int] = field(default_factory=dict)

    def __call__(self) -> Finished:
        outcome, in_doubt = self._replayed()
        event = self.event
        if isinstance(outcome, late.NotReplayed):
            log.warning(
                "worker.late_not_replayed escalation=%s event=%s issue=%s reason=%s",
                event.escalation_id,
                event.event_id,
                self.issue.key,
                outcome.reason,
            )
            return self._comment(comment_for(event, late.LATE_NOTE), None, self.state, outcome)
        if isinstance(outcome, late.CommentOnly):
            return self._comment(comment_for(event, late.LATE_NOTE), None, outcome.state, outcome)
        if isinstance(outcome, late.Transition):
            if outcome.via is not None and self.mark is None:
                # Before the mark: an attempt that has marked the late event has done this.
                self.ctx.gateway.transition_to(self.issue, outcome.via)
            comment = comment_for(event, late.REPLAYED_NOTE)
            return self._comment(comment, outcome.status, outcome.state, outcome)
        return self._split(outcome, in_doubt)

    def _replayed(self) -> tuple[late.LateOutcome, list[journal.MarkedEvent]]:
        """The outcome of the replay, and the events marked `applying` on the issue (a crashed
        attempt: their comment may be there) other than the late one."""
        ctx, event = self.ctx, self.event
        with ctx.store.transaction("reading a generation's events", read_only=True) as conn:
            marked = journal.events_marked_on(conn, KIND, event.escalation_id, self.issue.key)
            first = journal.first_event_of(conn, KIND, event.escalation_id, self.state.generation)
        self._rows = {m.event_id: m.inbox_id for m in marked}
        others = [m for m in marked if m.event_id != event.event_id]
        try:
            applied = [
                EscalationEvent.model_validate(m.payload) for m in others if m.mark == "applied"
            ]
            in_doubt = [m for m in others if m.mark == "applying"]
            doubtful = [EscalationEvent.model_validate(m.payload) for m in in_doubt]
        except ValidationError:
            return late.NotReplayed("an applied event's payload is purged or unreadable"), []
        outcome = late.late_outcome(self.state, applied, first, event, self.customer, ctx.mappings)
        if isinstance(outcome, late.Split):
            # A crashed attempt of a later event may have left its comment on this issue; it
            # will be applied after the boundary, so its comment goes with the moved ones.
            after = outcome.state.status_occurred_at
            in_doubt = [m for m, e in zip(in_doubt, doubtful, strict=True) if e.occurred_at > after]
        return outcome, in_doubt

    def _record(self, state: EscalationState) -> Then:
        ctx, event = self.ctx, self.event

        def record(conn: Connection, issue: IssueRef) -> None:
            journal.save_escalation(conn, state, ctx.clock())
            marker = event_marker(KIND, event.event_id)
            journal.mark_event(
                conn, KIND, event.event_id, "applied", issue.key, marker, ctx.clock()
            )
            ctx.store.complete_in(conn, self.row.id, ctx.clock())

        return record

    def _comment(
        self, comment: str, status: str | None, state: EscalationState, outcome: late.LateOutcome
    ) -> Finished:
        result = self._apply(comment, status, self._record(state))
        self._log(outcome, result)
        return Finished("updated" if result == "applied" else result)

    def _apply(self, comment: str, status: str | None, then: Then) -> str:
        """The late event's comment and status on the current issue, once (`apply_once`)."""
        ctx, event = self.ctx, self.event
        return apply_once(
            ctx.store,
            ctx.gateway,
            kind=KIND,
            event_id=event.event_id,
            marker=event_marker(KIND, event.event_id),
            issue=self.issue,
            comment=comment,
            status=status,
            now=ctx.clock,
            then=then,
        )

    def _split(self, outcome: late.Split, in_doubt: list[journal.MarkedEvent]) -> Finished:
        ctx, event = self.ctx, self.event
        moved = list(outcome.moved)
        forget = moved + [m.event_id for m in in_doubt]
        ctx.gateway.delete_comments_containing(
            self.issue, [event_marker(KIND, event_id) for event_id in forget]
        )
        requeue = [self._rows[event_id] for event_id in moved]
        reason = f"requeued: after the generation boundary set by the late event {event.event_id}"
        record = self._record(outcome.state)

        def repair(conn: Connection, issue: IssueRef) -> None:
            journal.forget_events(conn, KIND, forget)
            journal.requeue_events(conn, requeue, ctx.clock(), reason)
            if outcome.late_moves:
                journal.forget_events(conn, KIND, [event.event_id])
                journal.requeue_events(conn, [self.row.id], ctx.clock(), reason)
                journal.save_escalation(conn, outcome.state, ctx.clock())
            else:
                record(conn, issue)

        if outcome.late_moves:
            with ctx.store.transaction("requeueing events after a generation boundary") as conn:
                repair(conn, self.issue)
            result = "requeued"
        else:
            result = self._apply(comment_for(event, late.REPLAYED_NOTE), outcome.status, repair)
        self._log(outcome, result)
        return Finished("split" if result != "comment-only" else result, later_wait=ctx.clock())

    def _log(self, outcome: late.LateOutcome, result: str) -> None:
        log.info(
            "worker.escalation_late escalation=%s event=%s issue=%s outcome=%s result=%s",
            self.event.escalation_id,
            self.event.event_id,
            self.issue.key,
            type(outcome).__name__,
            result,
        )
