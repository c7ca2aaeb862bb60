"""PagerDuty v3 webhook events as NOC escalation events.

Each delivery carries one `event`. Incident lifecycle events become `EscalationEvent`s:

    incident.triggered    -> open           incident.resolved -> resolved
    incident.acknowledged -> acknowledged   incident.reopened -> open

Every other type (notes, priority changes, responders, service events, the subscription's
ping) changes nothing in the escalation's Jira issue: it is answered 202, counted and not
stored, so that PagerDuty does not retry it or disable the subscription.

- escalation_id: the incident id (`event.data.id`, e.g. PGR0VU2); event_id: `event.id`.
- customer: PagerDuty names the service, not the customer, so `event.data.service.id` is
  looked up in `pagerduty_services` in mappings/escalation.yaml.
- severity: the incident priority P1..P4 (P5 counts as sev4) when the account uses
  priorities, else the urgency: high -> sev2, low -> sev4.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

from csp_jira_sync.config.events import EscalationEvent, EscalationStatus
from csp_jira_sync.config.mappings import Mappings, Severity
from csp_jira_sync.receiver.problems import (
    Problem,
    field_problems,
    malformed_json,
    schema_problem,
)

STATUSES: dict[str, EscalationStatus] = {
    "incident.triggered": "open",
    "incident.acknowledged": "acknowledged",
    "incident.resolved": "resolved",
    "incident.reopened": "open",
}
URGENCY: dict[str, Severity] = {"high": "sev2", "low": "sev4"}
PRIORITY: dict[str, Severity] = {"1": "sev1", "2": "sev2", "3": "sev3", "4": "sev4", "5": "sev4"}
_PRIORITY = re.compile(r"^\s*P([1-5])\b", re.IGNORECASE)


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Reference(_Wire):
    id: str
    summary: str = ""


class Incident(_Wire):
    id: str
    number: int | None = None
    title: str
    html_url: str = ""
    incident_key: str | None = None
    service: Reference
    urgency: Literal["high", "low"] | None = None
    priority: Reference | None = None


class Event(_Wire):
    id: str
    event_type: str
    resource_type: str = ""
    occurred_at: AwareDatetime
    data: dict[str, object]


class PagerDutyWebhook(_Wire):
    event: Event


def parse(body: bytes) -> PagerDutyWebhook:
    try:
        return PagerDutyWebhook.model_validate_json(body)
    except ValidationError as exc:
        errors = exc.errors()
        if any(error["type"] == "json_invalid" for error in errors):
            raise malformed_json(errors[0]["msg"]) from None
        raise schema_problem("PagerDuty v3 webhook", field_problems(exc)) from None


def _severity(incident: Incident) -> Severity:
    if incident.priority is not None:
        match = _PRIORITY.match(incident.priority.summary)
        if match:
            return PRIORITY[match.group(1)]
    if incident.urgency is not None:
        return URGENCY[incident.urgency]
    raise Problem(
        422,
        "bad_severity",
        f"incident {incident.id} has neither a P1..P5 priority nor an urgency; "
        "no NOC severity can be derived.",
        problems=[{"field": "event.data.urgency", "message": "missing"}],
    )


def _description(incident: Incident, event: Event) -> str:
    number = f" #{incident.number}" if incident.number is not None else ""
    lines = [f"PagerDuty incident{number} ({event.event_type}): {incident.html_url}".rstrip(": ")]
    lines.append(f"Service: {incident.service.summary or incident.service.id}")
    if incident.priority is not None and incident.priority.summary:
        lines.append(f"Priority: {incident.priority.summary}")
    if incident.urgency:
        lines.append(f"Urgency: {incident.urgency}")
    if incident.incident_key:
        lines.append(f"Incident key: {incident.incident_key}")
    return "\n".join(lines)


def escalation_from_pagerduty(webhook: PagerDutyWebhook, mappings: Mappings) -> EscalationEvent:
    """The event of an incident lifecycle delivery (see `STATUSES`); a `Problem` otherwise."""
    event = webhook.event
    status = STATUSES[event.event_type]
    try:
        incident = Incident.model_validate(event.data)
    except ValidationError as exc:
        raise schema_problem(
            f"PagerDuty {event.event_type} event", field_problems(exc, prefix="event.data")
        ) from None
    customer = mappings.escalation.pagerduty_services.get(incident.service.id)
    if customer is None:
        known = ", ".join(sorted(mappings.escalation.pagerduty_services)) or "none yet"
        raise Problem(
            422,
            "unknown_customer",
            f"PagerDuty service {incident.service.id} ({incident.service.summary!r}) is not "
            "mapped to a customer: add it under pagerduty_services in "
            f"mappings/escalation.yaml (mapped services: {known}).",
            problems=[{"field": "event.data.service.id", "message": "not in pagerduty_services"}],
        )
    try:
        return EscalationEvent(
            event_id=event.id,
            escalation_id=incident.id,
            customer=customer,
            title=incident.title[:2000],
            description=_description(incident, event),
            severity=_severity(incident),
            status=status,
            service=incident.service.summary[:200],
            occurred_at=event.occurred_at,
            fingerprint=incident.incident_key[:200] if incident.incident_key else None,
            source="pagerduty",
        )
    except ValidationError as exc:
        raise schema_problem(
            f"PagerDuty {event.event_type} event", field_problems(exc, prefix="event")
        ) from None
