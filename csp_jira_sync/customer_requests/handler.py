"""The worker's handler for customer requests: classify, plan the Service Request (pure, in
`plan.py`), raise it exactly once through `delivery/once.py`, comment once when the requester
is not an authorized contact, and remember the triage decision as the daemon's: in the commit
that records the Jira call, with the inbox row marked done (see `delivery/once.py`)."""

from __future__ import annotations

import logging

from sqlalchemy.engine import Connection

from csp_jira_sync.classify import classify
from csp_jira_sync.config.events import CustomerRequest
from csp_jira_sync.config.references import event_marker, ref_label
from csp_jira_sync.customer_requests import plan as request_plan
from csp_jira_sync.delivery.context import HandlerContext
from csp_jira_sync.delivery.once import Finished, apply_once, create_once
from csp_jira_sync.jira.model import IssueRef
from csp_jira_sync.store import InboxRow
from csp_jira_sync.triage.memory import remember_decision

log = logging.getLogger(__name__)


class RequestHandler:
    def __init__(self, ctx: HandlerContext) -> None:
        self.ctx = ctx

    def __call__(self, row: InboxRow) -> Finished:
        ctx = self.ctx
        request = CustomerRequest.model_validate(row.payload)
        customer = ctx.customer(request.customer)
        kind = request_plan.KIND
        classification = classify(request.subject, request.body, ctx.rules, ctx.mappings.catalog)
        plan = request_plan.plan_request(
            request,
            customer,
            classification,
            project=ctx.project,
            issue_type=ctx.mappings.issue_types.request,
        )
        store = ctx.store

        def record(conn: Connection, issue: IssueRef) -> None:
            remember_decision(conn, issue.key, classification.decision, "daemon", ctx.clock())
            store.complete_in(conn, row.id, ctx.clock())

        unverified = plan.unverified_comment
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
            then=record if unverified is None else None,
        )
        if unverified is not None:
            apply_once(
                store,
                ctx.gateway,
                kind=kind,
                event_id=f"{request.id}:unverified",
                marker=event_marker(kind, f"{request.id}:unverified"),
                issue=created.issue,
                comment=unverified,
                status=None,
                now=ctx.clock,
                then=record,
            )
        log.info(
            "worker.request request=%s issue=%s decision=%s verified=%s",
            request.id,
            created.issue.key,
            classification.decision,
            unverified is None,
        )
        return Finished("created" if created.new else "recovered")
