"""The worker's handler for customer requests: classify, plan the Service Request (pure, in
`plan.py`), raise it exactly once through `delivery/once.py`, comment once when the requester
is not an authorized contact, and remember the triage decision as the daemon's."""

from __future__ import annotations

import logging

from csp_jira_sync.classify import classify
from csp_jira_sync.config.events import CustomerRequest
from csp_jira_sync.config.references import event_marker, ref_label
from csp_jira_sync.customer_requests import plan as request_plan
from csp_jira_sync.delivery.context import HandlerContext
from csp_jira_sync.delivery.once import apply_once, create_once
from csp_jira_sync.store import InboxRow
from csp_jira_sync.triage.memory import remember_decision

log = logging.getLogger(__name__)


class RequestHandler:
    def __init__(self, ctx: HandlerContext) -> None:
        self.ctx = ctx

    def __call__(self, row: InboxRow) -> str:
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
