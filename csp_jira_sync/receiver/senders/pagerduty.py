"""PagerDuty v3 webhooks signed with X-PagerDuty-Signature (`POST /webhooks/pagerduty`);
incident lifecycle events become escalation events, the rest are answered and ignored (see
`receiver/pagerduty.py`)."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import SecretStr

from csp_jira_sync.receiver import pagerduty
from csp_jira_sync.receiver.customers import KnownCustomers
from csp_jira_sync.receiver.sender import Intake, Sender, not_enabled
from csp_jira_sync.receiver.signatures import verify_pagerduty
from csp_jira_sync.store import InboxItem


def sender(secret: SecretStr | None, customers: KnownCustomers) -> Sender:
    def verify(body: bytes, headers: Mapping[str, str]) -> str:
        if secret is None:
            raise not_enabled("PagerDuty", "CSP_PAGERDUTY_SECRET")
        verify_pagerduty(body, headers.get("x-pagerduty-signature"), secret)
        return ""

    def parse(body: bytes, _: str) -> Intake:
        webhook = pagerduty.parse(body)
        if webhook.event.event_type not in pagerduty.STATUSES:
            return Intake(ignored=webhook.event.event_type, event_id=webhook.event.id)
        event = pagerduty.escalation_from_pagerduty(webhook, customers.mappings)
        customers.check([event], lambda _: "event.data.service.id")
        return Intake(items=[InboxItem.of_escalation(event)])

    return Sender(
        source="pagerduty",
        path="/webhooks/pagerduty",
        name="pagerduty_webhook",
        summary="A PagerDuty v3 webhook (X-PagerDuty-Signature); incident lifecycle events only",
        body=pagerduty.PagerDutyWebhook,
        codes=(400, 401, 404, 413, 415, 422, 503),
        headers=("X-PagerDuty-Signature",),
        verify=verify,
        parse=parse,
    )
