"""What the worker does with each kind of inbox row: the shell around the pure decisions in
`escalation.py` and `request_plan.py`, writing to Jira through `once.py`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from csp_jira_sync.classify import CompiledRules, classify
from csp_jira_sync.config.events import CustomerRequest, EscalationEvent
from csp_jira_sync.config.mappings import Customer, Mappings
from csp_jira_sync.config.references import event_marker, ref_label
from csp_jira_sync.customer_requests import plan as request_plan
from csp_jira_sync.delivery import journal
from csp_jira_sync.delivery.once import Defer, apply_once, create_once
from csp_jira_sync.errors import InputError
from csp_jira_sync.escalations import decide as escalation
from csp_jira_sync.jira.gateway import JiraGateway
from csp_jira_sync.store import InboxRow, Store
from csp_jira_sync.triage.memory import remember_decision

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HandlerContext:
    store: Store
    gateway: JiraGateway
    mappings: Mappings
    project: str
    # How long Jira's search index may take to show a fresh issue before a miss is trusted.
    search_settle: timedelta
    clock: Callable[[], datetime]

    def customer(self, alias: str) -> Customer:
        found = self.mappings.customer(alias)
        if found is None:
            raise InputError(f"customer {alias!r} is no longer in mappings/customers.yaml")
        return found


class EscalationHandler:
    def __init__(self, ctx: HandlerContext) -> None:
        self.ctx = ctx

    def __call__(self, row: InboxRow) -> str:
        ctx = self.ctx
        event = EscalationEvent.model_validate(row.payload)
        customer = ctx.customer(event.customer)
        kind = escalation.KIND
        store = ctx.store
        with store.transaction("reading an escalation's state") as conn:
            state = journal.escalation_state(conn, event.escalation_id)
            current = (
                journal.issue_for(conn, kind, event.escalation_id, state.generation)
                if state
                else None
            )
            applied = journal.applied_state(conn, kind, event.event_id)
        if applied == "applied":
            return "duplicate"
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
        follow_up: tuple[str, str | None] | None
        if isinstance(action, escalation.Create):
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
            )
            issue = created.issue
            outcome = "created" if created.new else "recovered"
            follow_up = (action.then_comment, action.then_status) if action.then_comment else None
        else:
            if current is None:
                raise Defer(
                    ctx.clock() + timedelta(seconds=2), "the escalation's issue is not recorded yet"
                )
            issue = current
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
            )
            if isinstance(action, escalation.Update) and result != "applied":
                outcome = result
        with store.transaction("recording an escalation's state") as conn:
            journal.save_escalation(conn, decision.state, ctx.clock())
            journal.mark_event(
                conn, kind, event.event_id, "applied", issue.key, marker, ctx.clock()
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


class RequestHandler:
    def __init__(self, ctx: HandlerContext, rules: CompiledRules) -> None:
        self.ctx = ctx
        self.rules = rules

    def __call__(self, row: InboxRow) -> str:
        ctx = self.ctx
        request = CustomerRequest.model_validate(row.payload)
        customer = ctx.customer(request.customer)
        kind = request_plan.KIND
        classification = classify(request.subject, request.body, self.rules, ctx.mappings.catalog)
        plan = request_plan.plan_request(
            request,
            customer,
            classification,
            project=ctx.project,
            issue_type=ctx.mappings.issue_types.request,
        )
        store = ctx.store
        created = create_once(
            store,
            ctx.gateway,
            kind=kind,
            subject=request.id,
            generation=1,
            ref=ref_label(kind, request.id),
            draft=plan.draft,
            now=ctx.clock,
            settle=ctx.search_settle,
        )
        if plan.unverified_comment is not None:
            apply_once(
                store,
                ctx.gateway,
                kind=kind,
                event_id=f"{request.id}:unverified",
                marker=event_marker(kind, f"{request.id}:unverified"),
                issue=created.issue,
                comment=plan.unverified_comment,
                status=None,
                now=ctx.clock,
            )
        with store.transaction("recording a triage decision") as conn:
            remember_decision(
                conn,
                created.issue.key,
                classification.decision,
                "daemon",
                ctx.clock(),
            )
        log.info(
            "worker.request request=%s issue=%s decision=%s verified=%s",
            request.id,
            created.issue.key,
            classification.decision,
            plan.unverified_comment is None,
        )
        return "created" if created.new else "recovered"
