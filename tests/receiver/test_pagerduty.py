"""POST /webhooks/pagerduty: PagerDuty v3 incident lifecycle events become escalation events;
other event types are acknowledged and ignored; the v1 HMAC signature is checked."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from csp_jira_sync.store import Store
from tests.receiver.server import (
    PAGERDUTY_SECRET,
    RunningReceiver,
    fixture_bytes,
    pagerduty_signature,
    receiver_settings,
    running_receiver,
)

TRIGGERED = "pagerduty_incident_triggered.json"


def _event(
    event_type: str = "incident.triggered", event_id: str | None = None, **data: Any
) -> bytes:
    document: dict[str, Any] = json.loads(fixture_bytes(TRIGGERED))
    document["event"]["event_type"] = event_type
    if event_id is not None:
        document["event"]["id"] = event_id
    document["event"]["data"].update(data)
    return json.dumps(document).encode()


def test_triggered_incident_is_stored_as_an_open_escalation_of_the_mapped_customer(
    receiver: RunningReceiver,
) -> None:
    response = receiver.post_pagerduty(fixture_bytes(TRIGGERED))
    assert response.status_code == 202
    assert response.json() == {
        "accepted": True,
        "duplicate": False,
        "event_id": "01DVN4F0JSM1KQ8F8T8S1TQ9SE",
    }
    [row] = receiver.store.pending_for_subject("escalation", "Q2W8ZK4JD1ME7A")
    assert (row.source, row.customer) == ("pagerduty", "initech")
    event = row.payload
    assert (event["status"], event["severity"], event["service"]) == (
        "open",
        "sev1",  # priority P1
        "Initech - Managed Kubernetes",
    )
    assert event["title"] == "kube-apiserver error rate above 5% on initech-prod (FRA1)"
    assert "https://csp-noc.pagerduty.com/incidents/Q2W8ZK4JD1ME7A" in event["description"]
    assert event["fingerprint"] == "kube-apiserver-5xx/initech-prod-fra1"
    assert row.occurred_at == datetime(2026, 5, 20, 9, 2, 41, 117000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("event_type", "status"),
    [
        ("incident.acknowledged", "acknowledged"),
        ("incident.resolved", "resolved"),
        ("incident.reopened", "open"),
    ],
)
def test_lifecycle_events_map_to_escalation_statuses(
    receiver: RunningReceiver, event_type: str, status: str
) -> None:
    assert receiver.post_pagerduty(_event(event_type, event_id="01EV-" + status)).status_code == 202
    [row] = receiver.store.pending_for_subject("escalation", "Q2W8ZK4JD1ME7A")
    assert row.payload["status"] == status


@pytest.mark.parametrize(
    ("priority", "urgency", "severity"),
    [(None, "high", "sev2"), (None, "low", "sev4"), ("P3", "high", "sev3"), ("P5", "high", "sev4")],
)
def test_severity_comes_from_priority_else_urgency(
    receiver: RunningReceiver, priority: str | None, urgency: str, severity: str
) -> None:
    body = _event(
        priority=None if priority is None else {"id": "PX", "summary": priority}, urgency=urgency
    )
    assert receiver.post_pagerduty(body).status_code == 202
    [row] = receiver.store.pending_for_subject("escalation", "Q2W8ZK4JD1ME7A")
    assert row.payload["severity"] == severity


def test_redelivered_event_is_a_duplicate(receiver: RunningReceiver) -> None:
    receiver.post_pagerduty(fixture_bytes(TRIGGERED))
    again = receiver.post_pagerduty(fixture_bytes(TRIGGERED))
    assert again.status_code == 202 and again.json()["duplicate"] is True
    assert receiver.store.depth()["pending"] == 1


def test_other_event_types_are_acknowledged_counted_and_not_stored(
    receiver: RunningReceiver,
) -> None:
    response = receiver.post_pagerduty(fixture_bytes("pagerduty_incident_annotated.json"))
    assert response.status_code == 202
    assert response.json()["ignored"] == "incident.annotated"
    assert receiver.store.depth()["pending"] == 0
    assert (
        receiver.metric(
            "csp_events_ignored_total", source="pagerduty", event_type="incident.annotated"
        )
        == 1
    )


def test_one_matching_signature_among_several_is_enough(receiver: RunningReceiver) -> None:
    body = fixture_bytes(TRIGGERED)
    signature = pagerduty_signature(body, "an-older-secret", PAGERDUTY_SECRET)
    assert receiver.post_pagerduty(body, signature=signature.replace(",", ", ")).status_code == 202


@pytest.mark.parametrize(
    "signature",
    ["v1=" + "0" * 64, "v0=abc", "sha256=deadbeef", "garbage,,,", "v1=\u00e9"],
)
def test_wrong_signatures_are_401(receiver: RunningReceiver, signature: str) -> None:
    body = fixture_bytes(TRIGGERED)
    headers = {"content-type": "application/json", "x-pagerduty-signature": signature}
    response = receiver.http.post(
        receiver.url + "/webhooks/pagerduty",
        data=body,
        headers={k: v.encode() for k, v in headers.items()},
    )
    assert response.status_code == 401
    assert receiver.store.depth()["pending"] == 0


def test_signature_of_another_body_is_401(receiver: RunningReceiver) -> None:
    signature = pagerduty_signature(fixture_bytes(TRIGGERED), PAGERDUTY_SECRET)
    response = receiver.post_pagerduty(_event(title="changed"), signature=signature)
    assert response.status_code == 401


def test_service_not_mapped_to_a_customer_is_422_saying_where_to_map_it(
    receiver: RunningReceiver,
) -> None:
    body = _event(service={"id": "PNEW001", "summary": "Hooli - Object Storage"})
    response = receiver.post_pagerduty(body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert "PNEW001" in error and "pagerduty_services" in error and "escalation.yaml" in error
    assert receiver.store.depth()["pending"] == 0


def test_incident_event_without_required_fields_is_422(receiver: RunningReceiver) -> None:
    document = json.loads(fixture_bytes(TRIGGERED))
    del document["event"]["data"]["service"]
    response = receiver.post_pagerduty(json.dumps(document).encode())
    assert response.status_code == 422
    assert response.json()["problems"][0]["field"] == "event.data.service"


def test_intake_is_404_when_no_secret_is_configured(sqlite_store: Store) -> None:
    settings = receiver_settings(pagerduty_secret=None)
    with running_receiver(sqlite_store, settings=settings) as receiver:
        response = receiver.post_pagerduty(fixture_bytes(TRIGGERED))
    assert response.status_code == 404
