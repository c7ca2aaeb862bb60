"""Alertmanager webhook (version 4) payloads as NOC escalation events.

One delivery carries a group of alerts; each alert becomes one `EscalationEvent`:

- escalation_id `am-<fingerprint>`: Alertmanager's fingerprint identifies the alert's label
  set, so the same problem firing again later is the same escalation (reopened or, after the
  reopen window, raised anew and linked). Without a fingerprint (Alertmanager before 0.19),
  a hash of the group key and the labels stands in.
- event_id `am-<fingerprint>-<status>-<time>`: a firing alert is identified by its startsAt,
  a resolved one by its endsAt. Alertmanager re-sends firing alerts every repeat_interval with
  the same startsAt (and a new, moving endsAt), so re-notifications are duplicates.
- customer, severity, service, datacenter from the labels of those names; title from the
  `summary` annotation (else the alertname); description from `description` and the other
  annotations; occurred_at is startsAt (firing) or endsAt (resolved).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

from csp_jira_sync.config.events import EscalationEvent
from csp_jira_sync.config.mappings import Severity
from csp_jira_sync.receiver.problems import (
    Problem,
    field_problems,
    malformed_json,
    schema_problem,
)

SEVERITIES: dict[str, Severity] = {
    "critical": "sev1",
    "major": "sev2",
    "error": "sev2",
    "warning": "sev3",
    "info": "sev4",
    # Rules written for this daemon may use the NOC's own scale.
    "sev1": "sev1",
    "sev2": "sev2",
    "sev3": "sev3",
    "sev4": "sev4",
}

_TITLE_LIMIT = 2000
_DESCRIPTION_LIMIT = 200_000


class _Wire(BaseModel):
    # Alertmanager adds fields over time; only the ones used here are checked.
    model_config = ConfigDict(extra="ignore", frozen=True)


class Alert(_Wire):
    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str] = {}
    startsAt: AwareDatetime
    endsAt: AwareDatetime | None = None
    generatorURL: str = ""
    fingerprint: str = ""


class AlertmanagerWebhook(_Wire):
    """The body Alertmanager POSTs to a webhook receiver (format version 4)."""

    version: Literal["4"]
    groupKey: str
    truncatedAlerts: int = 0
    status: Literal["firing", "resolved"]
    receiver: str = ""
    groupLabels: dict[str, str] = {}
    commonLabels: dict[str, str] = {}
    commonAnnotations: dict[str, str] = {}
    externalURL: str = ""
    alerts: list[Alert]


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")


def _fingerprint(alert: Alert, group_key: str) -> str:
    if alert.fingerprint:
        return alert.fingerprint
    identity = json.dumps([group_key, sorted(alert.labels.items())], separators=(",", ":"))
    return hashlib.sha256(identity.encode()).hexdigest()[:16]


def _description(alert: Alert, external_url: str) -> str:
    lines = [alert.annotations.get("description", "").strip()]
    others = {
        k: v for k, v in sorted(alert.annotations.items()) if k not in ("summary", "description")
    }
    if others:
        lines += ["", *(f"{key}: {value}" for key, value in others.items())]
    labels = ", ".join(f"{key}={value}" for key, value in sorted(alert.labels.items()))
    lines += ["", f"Alertmanager labels: {labels}"]
    if alert.generatorURL:
        lines.append(f"Source: {alert.generatorURL}")
    if external_url:
        lines.append(f"Alertmanager: {external_url}")
    return "\n".join(lines).strip()[:_DESCRIPTION_LIMIT]


def _event(alert: Alert, webhook: AlertmanagerWebhook, index: int) -> EscalationEvent:
    where = f"alerts[{index}]"
    severity_label = alert.labels.get("severity")
    if severity_label is None:
        raise Problem(
            422,
            "bad_severity",
            f"{where} has no `severity` label; add one of {', '.join(SEVERITIES)} to the "
            "alerting rule.",
            problems=[{"field": f"{where}.labels.severity", "message": "missing"}],
        )
    severity = SEVERITIES.get(severity_label.strip().lower())
    if severity is None:
        raise Problem(
            422,
            "bad_severity",
            f"{where} has severity {severity_label!r}, which has no NOC severity; use one of "
            f"{', '.join(SEVERITIES)}.",
            problems=[
                {"field": f"{where}.labels.severity", "message": f"unknown: {severity_label!r}"}
            ],
        )
    fingerprint = _fingerprint(alert, webhook.groupKey)
    if alert.status == "resolved":
        if alert.endsAt is None or alert.endsAt.year < 1970:
            raise schema_problem(
                "Alertmanager alert",
                [{"field": f"{where}.endsAt", "message": "a resolved alert needs its end time"}],
            )
        occurred_at = alert.endsAt
    else:
        occurred_at = alert.startsAt
    title = (alert.annotations.get("summary") or alert.labels.get("alertname") or "").strip()
    try:
        return EscalationEvent(
            event_id=f"am-{fingerprint}-{alert.status}-{_stamp(occurred_at)}",
            escalation_id=f"am-{fingerprint}",
            customer=alert.labels.get("customer", ""),
            title=title[:_TITLE_LIMIT] or "Alertmanager alert",
            description=_description(alert, webhook.externalURL),
            severity=severity,
            status="open" if alert.status == "firing" else "resolved",
            service=alert.labels.get("service", ""),
            datacenter=alert.labels.get("datacenter", ""),
            occurred_at=occurred_at,
            fingerprint=fingerprint,
            source="alertmanager",
        )
    except ValidationError as exc:
        problems = field_problems(exc, prefix=where)
        for problem in problems:
            # Name the label the sender controls, not our model's field.
            problem["field"] = problem["field"].replace(
                f"{where}.customer", f"{where}.labels.customer"
            )
            if problem["field"] == f"{where}.labels.customer":
                problem["message"] = (
                    "missing or empty `customer` label; add it to the alerting rule"
                )
        raise schema_problem("Alertmanager alert", problems) from None


def escalations_from_alertmanager(body: bytes) -> list[EscalationEvent]:
    """All alerts of one delivery as events, or one `Problem` naming every invalid field of
    every alert (nothing of a delivery is stored unless all of it is valid)."""
    try:
        webhook = AlertmanagerWebhook.model_validate_json(body)
    except ValidationError as exc:
        errors = exc.errors()
        if any(error["type"] == "json_invalid" for error in errors):
            raise malformed_json(errors[0]["msg"]) from None
        raise schema_problem("Alertmanager webhook (version 4)", field_problems(exc)) from None
    if not webhook.alerts:
        raise schema_problem("Alertmanager webhook", [{"field": "alerts", "message": "no alerts"}])
    events: list[EscalationEvent] = []
    refusals: list[Problem] = []
    for index, alert in enumerate(webhook.alerts):
        try:
            events.append(_event(alert, webhook, index))
        except Problem as problem:
            refusals.append(problem)
    if len(refusals) == 1:
        raise refusals[0]
    if refusals:
        raise Problem(
            422,
            refusals[0].reason,
            f"{len(refusals)} of {len(webhook.alerts)} alerts are invalid: "
            + " ".join(r.message for r in refusals),
            problems=[p for r in refusals for p in r.problems],
        )
    return events
