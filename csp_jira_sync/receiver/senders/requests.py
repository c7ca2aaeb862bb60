"""Customer requests from the portal or mail gateway, signed per Standard Webhooks
(`POST /webhooks/requests`)."""

from __future__ import annotations

from collections.abc import Mapping

from csp_jira_sync.config.events import CustomerRequest
from csp_jira_sync.receiver.customers import KnownCustomers
from csp_jira_sync.receiver.parsing import decode_utf8, validate_json
from csp_jira_sync.receiver.sender import STANDARD_WEBHOOK_HEADERS, Intake, Sender
from csp_jira_sync.receiver.signatures import StandardWebhooksVerifier
from csp_jira_sync.store import InboxItem


def sender(signed: StandardWebhooksVerifier, customers: KnownCustomers) -> Sender:
    def verify(body: bytes, headers: Mapping[str, str]) -> str:
        text = decode_utf8(body)
        signed.verify(text, headers)
        return text

    def parse(_: bytes, text: str) -> Intake:
        request = validate_json(CustomerRequest, text, "customer request")
        customers.require(request.customer, "customer")
        return Intake(items=[InboxItem.of_request(request, source="requests")])

    return Sender(
        source="requests",
        path="/webhooks/requests",
        name="requests_webhook",
        summary="A customer request (Standard Webhooks signed)",
        body=CustomerRequest,
        codes=(400, 401, 413, 415, 422, 503),
        headers=STANDARD_WEBHOOK_HEADERS,
        verify=verify,
        parse=parse,
    )
