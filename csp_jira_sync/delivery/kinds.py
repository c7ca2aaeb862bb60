"""The one registry of inbox kinds: each kind's name (the constant its pure decision module
defines, which also goes into reference labels and comment markers) beside the handler that
carries it into Jira. Adding a kind is one entry here (and the store's check constraint, which
a test holds equal to this registry)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from csp_jira_sync.customer_requests import plan as request_plan
from csp_jira_sync.customer_requests.handler import RequestHandler
from csp_jira_sync.delivery.context import HandlerContext
from csp_jira_sync.delivery.worker import Handler
from csp_jira_sync.escalations import decide as escalation
from csp_jira_sync.escalations.handler import EscalationHandler


@dataclass(frozen=True)
class InboxKind:
    name: str
    title: str  # for people: "NOC escalation"
    handler: Callable[[HandlerContext], Handler]


ESCALATION = InboxKind(escalation.KIND, "NOC escalation", EscalationHandler)
REQUEST = InboxKind(request_plan.KIND, "customer request", RequestHandler)

INBOX_KINDS: tuple[InboxKind, ...] = (ESCALATION, REQUEST)


def kind_names() -> tuple[str, ...]:
    return tuple(kind.name for kind in INBOX_KINDS)


def handlers_for(ctx: HandlerContext) -> dict[str, Handler]:
    """The worker's handler for every registered kind."""
    return {kind.name: kind.handler(ctx) for kind in INBOX_KINDS}
