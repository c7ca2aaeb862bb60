"""The NOC's own escalation events, signed per Standard Webhooks (`POST /webhooks/noc`)."""

from __future__ import annotations

from collections.abc import Mapping

from csp_jira_sync.config.events import EscalationEvent
from csp_jira_sync.receiver.customers import KnownCustomers
from csp_jira_sync.receiver.parsing import decode_utf8, validate_json
from csp_jira_sync.receiver.problems import schema_problem
from csp_jira_sync.receiver.sender import STANDARD_WEBHOOK_HEADERS, Intake, Sender
from csp_jira_sync.receiver.signatures import StandardWebhooksVerifier
from csp_jira_sync.store import InboxItem

WHAT = "NOC escalation event"


def sender(signed: StandardWebhooksVerifier, customers: KnownCustomers) -> Sender:
    def verify(body: bytes, headers: Mapping[str, str]) -> str:
        text = decode_utf8(body)
        signed.verify(text, headers)
        return text

    def parse(_: bytes, text: str) -> Intake:
        event = validate_json(EscalationEvent, text, WHAT)
        if event.source != "noc":
            raise schema_problem(
                WHAT,
                [{"field": "source", "message": "must be 'noc' (or left out) on /webhooks/noc"}],
            )
        customers.require(event.customer, "customer")
        return Intake(items=[InboxItem.of_escalation(event)])

    return Sender(
        source="noc",
        path="/webhooks/noc",
        name="noc",
        summary="A NOC escalation event (Standard Webhooks signed)",
        body=EscalationEvent,
        codes=(400, 401, 413, 415, 422, 503),
        headers=STANDARD_WEBHOOK_HEADERS,
        verify=verify,
        parse=parse,
    )
