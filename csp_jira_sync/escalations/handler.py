"""The worker's handler for NOC escalation events: the shell around the pure decision in
`decide.py`, reading and recording the escalation's state in the journal and writing to Jira
exactly once through `delivery/once.py`.

An event costs one read and two commits: the create claim or comment mark before its Jira call,
and after it one commit that records the answer, the escalation's new state, the event as
applied and its inbox row as done (the `then` of `create_once` / `apply_once`)."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.engine import Connection

from csp_jira_sync.config.events import EscalationEvent
from csp_jira_sync.config.references import event_marker, ref_label
from csp_jira_sync.delivery import journal
from csp_jira_sync.delivery.context import HandlerContext
from csp_jira_sync.delivery.once import Defer, Finished, apply_once, create_once
from csp_jira_sync.escalations import decide as escalation
from csp_jira_sync.escalations.late_handler import LateEvent
from csp_jira_sync.jira.model import IssueRef
from csp_jira_sync.store import InboxRow

log = logging.getLogger(__name__)


class EscalationHandler:
    def __init__(self, ctx: HandlerContext) -> None:
        self.ctx = ctx

    def _recorded(self, current: IssueRef | None) -> IssueRef:
        """The escalation's current issue; an event that needs it waits while its create is
        not recorded yet (another lane or daemon is raising it)."""
        if current is None:
            raise Defer(
                self.ctx.clock() + timedelta(seconds=2),
                "the escalation's issue is not recorded yet",
            )
        return current

    def __call__(self, row: InboxRow) -> str | Finished:
        ctx = self.ctx
        event = EscalationEvent.model_validate(row.payload)
        customer = ctx.customer(event.customer)
        kind = escalation.KIND
        store = ctx.store
        with store.transaction("reading an escalation's state", read_only=True) as conn:
            state = journal.escalation_state(conn, event.escalation_id)
            current = (
                journal.issue_for(conn, kind, event.escalation_id, state.generation)
                if state
                else None
            )
            applied = journal.applied_state(conn, kind, event.event_id)
        if applied == "applied":
            return "duplicate"
        if state is not None and event.occurred_at < state.status_occurred_at:
            return LateEvent(ctx, row, event, customer, state, self._recorded(current), applied)()
        decision = escalation.decide(
            state,
            event,
            customer,
            ctx.mappings,
            project=ctx.project,
            previous_issue_key=current.key if current else None,
        )
        marker = event_marker(kind, event.event_id)
        action = decision.action

        def record(conn: Connection, issue: IssueRef) -> None:
            journal.save_escalation(conn, decision.state, ctx.clock())
            journal.mark_event(
                conn, kind, event.event_id, "applied", issue.key, marker, ctx.clock()
            )
            store.complete_in(conn, row.id, ctx.clock())

        follow_up: tuple[str, str | None] | None
        if isinstance(action, escalation.Create):
            follow_up = (action.then_comment, action.then_status) if action.then_comment else None
            created = create_once(
                store,
                ctx.gateway,
                kind=kind,
                subject=event.escalation_id,
                generation=action.generation,
                ref=ref_label(kind, event.escalation_id, action.generation),
                draft=action.draft,
                now=ctx.clock,
                settle=ctx.search_settle,
                then=None if follow_up else record,
                first_event_id=event.event_id,
            )
            issue = created.issue
            outcome = "created" if created.new else "recovered"
        else:
            issue = self._recorded(current)
            outcome = "updated"
            follow_up = (action.comment, action.status)
        if follow_up is not None:
            comment, status = follow_up
            result = apply_once(
                store,
                ctx.gateway,
                kind=kind,
                event_id=event.event_id,
                marker=marker,
                issue=issue,
                comment=comment,
                status=status,
                now=ctx.clock,
                then=record,
            )
            if isinstance(action, escalation.Update) and result != "applied":
                outcome = result
        log.info(
            "worker.escalation escalation=%s event=%s issue=%s outcome=%s why=%s",
            event.escalation_id,
            event.event_id,
            issue.key,
            outcome,
            decision.note,
        )
        return Finished(outcome)
