"""Alertmanager's webhook (version 4) with a bearer token (`POST /webhooks/alertmanager`);
each alert of a group is one escalation event (see `receiver/alertmanager.py`)."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import SecretStr

from csp_jira_sync.receiver.alertmanager import AlertmanagerWebhook, escalations_from_alertmanager
from csp_jira_sync.receiver.customers import KnownCustomers
from csp_jira_sync.receiver.sender import Intake, Sender, not_enabled
from csp_jira_sync.receiver.signatures import verify_bearer
from csp_jira_sync.store import InboxItem


def sender(token: SecretStr | None, customers: KnownCustomers) -> Sender:
    def verify(_: bytes, headers: Mapping[str, str]) -> str:
        if token is None:
            raise not_enabled("Alertmanager", "CSP_ALERTMANAGER_TOKEN")
        verify_bearer(headers.get("authorization"), token)
        return ""

    def parse(body: bytes, _: str) -> Intake:
        events = escalations_from_alertmanager(body)
        customers.check(events, lambda index: f"alerts[{index}].labels.customer")
        return Intake(items=[InboxItem.of_escalation(event) for event in events])

    return Sender(
        source="alertmanager",
        path="/webhooks/alertmanager",
        name="alertmanager",
        summary="An Alertmanager webhook (version 4, bearer token); each alert is one event",
        body=AlertmanagerWebhook,
        codes=(400, 401, 404, 413, 415, 422, 503),
        headers=("Authorization",),
        verify=verify,
        parse=parse,
        many=True,
    )
