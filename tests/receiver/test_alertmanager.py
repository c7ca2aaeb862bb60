"""POST /webhooks/alertmanager: each alert of an Alertmanager v4 delivery becomes one
escalation event; re-notifications are duplicates; a bad alert sinks the whole delivery."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from csp_jira_sync.store import Store
from tests.receiver.server import (
    RunningReceiver,
    fixture_bytes,
    receiver_settings,
    running_receiver,
)


def _payload() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(fixture_bytes("alertmanager_v4.json"))
    return document


def _body(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode()


def test_each_alert_becomes_an_escalation_event_mapped_from_labels_and_annotations(
    receiver: RunningReceiver,
) -> None:
    response = receiver.post_alertmanager(fixture_bytes("alertmanager_v4.json"))
    assert response.status_code == 202
    answer = response.json()
    assert answer["accepted"] is True and answer["duplicate"] is False
    assert [e["event_id"] for e in answer["events"]] == [
        "am-5bd1e3b3c06ce0f1-firing-20260520T085512.418000Z",
        "am-a94c7c61d0f4e2b8-resolved-20260520T085830.001000Z",
    ]
    [ceph] = receiver.store.pending_for_subject("escalation", "am-5bd1e3b3c06ce0f1")
    assert ceph.source == "alertmanager"
    event = ceph.payload
    assert {k: event[k] for k in ("customer", "severity", "status", "service", "datacenter")} == {
        "customer": "acme",
        "severity": "sev1",  # critical
        "status": "open",
        "service": "block-storage",
        "datacenter": "va1",
    }
    assert event["title"] == "Ceph pool acme-rbd-prod nearly full in VA1"
    assert event["description"].startswith("Pool acme-rbd-prod in VA1 is 91.4% full")
    assert "runbook_url: https://runbooks.noc.example/ceph/pool-near-full" in event["description"]
    assert ceph.occurred_at == datetime(2026, 5, 20, 8, 55, 12, 418000, tzinfo=UTC)  # startsAt
    [backup] = receiver.store.pending_for_subject("escalation", "am-a94c7c61d0f4e2b8")
    assert (backup.customer, backup.payload["severity"], backup.payload["status"]) == (
        "globex",
        "sev3",  # warning
        "resolved",
    )
    assert backup.occurred_at == datetime(2026, 5, 20, 8, 58, 30, 1000, tzinfo=UTC)  # endsAt
    assert receiver.metric("csp_events_accepted_total", source="alertmanager") == 2


def test_renotification_of_a_firing_alert_is_a_duplicate_even_with_a_new_ends_at(
    receiver: RunningReceiver,
) -> None:
    receiver.post_alertmanager(fixture_bytes("alertmanager_v4.json"))
    document = _payload()
    # Alertmanager moves endsAt forward on every repeat_interval notification.
    document["alerts"][0]["endsAt"] = "2026-05-20T13:10:12.418Z"
    response = receiver.post_alertmanager(_body(document))
    assert response.status_code == 202
    assert response.json()["duplicate"] is True
    assert receiver.store.depth()["pending"] == 2


def test_firing_again_after_resolution_is_a_new_event_of_the_same_escalation(
    receiver: RunningReceiver,
) -> None:
    document = _payload()
    document["alerts"] = [document["alerts"][0]]
    receiver.post_alertmanager(_body(document))
    document["alerts"][0]["startsAt"] = "2026-05-21T07:00:00Z"
    assert receiver.post_alertmanager(_body(document)).json()["duplicate"] is False
    rows = receiver.store.pending_for_subject("escalation", "am-5bd1e3b3c06ce0f1")
    assert len(rows) == 2


def test_alert_without_fingerprint_gets_a_stable_escalation_id(receiver: RunningReceiver) -> None:
    document = _payload()
    document["alerts"] = [document["alerts"][0]]
    del document["alerts"][0]["fingerprint"]
    first = receiver.post_alertmanager(_body(document)).json()
    again = receiver.post_alertmanager(_body(document)).json()
    assert again["duplicate"] is True
    assert first["event_id"] == again["event_id"]
    assert first["event_id"].startswith("am-") and "-firing-" in first["event_id"]


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_missing_or_wrong_bearer_token_is_401(receiver: RunningReceiver, token: str | None) -> None:
    response = receiver.post_alertmanager(fixture_bytes("alertmanager_v4.json"), token=token)
    assert response.status_code == 401
    assert "CSP_ALERTMANAGER_TOKEN" in response.json()["error"]
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert receiver.store.depth()["pending"] == 0


def test_unknown_severity_is_422_naming_it_and_nothing_of_the_delivery_is_stored(
    receiver: RunningReceiver,
) -> None:
    document = _payload()
    document["alerts"][1]["labels"]["severity"] = "page-everyone"
    response = receiver.post_alertmanager(_body(document))
    assert response.status_code == 422
    body = response.json()
    assert "'page-everyone'" in body["error"] and "critical" in body["error"]
    assert body["problems"][0]["field"] == "alerts[1].labels.severity"
    assert receiver.store.depth()["pending"] == 0
    assert (
        receiver.metric("csp_events_rejected_total", source="alertmanager", reason="bad_severity")
        == 1
    )


def test_every_bad_alert_is_listed(receiver: RunningReceiver) -> None:
    document = _payload()
    del document["alerts"][0]["labels"]["severity"]
    del document["alerts"][1]["labels"]["customer"]
    response = receiver.post_alertmanager(_body(document))
    assert response.status_code == 422
    fields = [p["field"] for p in response.json()["problems"]]
    assert fields == ["alerts[0].labels.severity", "alerts[1].labels.customer"]


def test_unknown_customer_label_is_422(receiver: RunningReceiver) -> None:
    document = _payload()
    document["alerts"][0]["labels"]["customer"] = "hooli"
    response = receiver.post_alertmanager(_body(document))
    assert response.status_code == 422
    assert response.json()["problems"] == [
        {"field": "alerts[0].labels.customer", "message": "unknown customer 'hooli'"}
    ]


def test_not_a_version_4_payload_is_422(receiver: RunningReceiver) -> None:
    document = _payload()
    document["version"] = "3"
    response = receiver.post_alertmanager(_body(document))
    assert response.status_code == 422
    assert response.json()["problems"][0]["field"] == "version"


def test_intake_is_404_when_no_token_is_configured(sqlite_store: Store) -> None:
    settings = receiver_settings(alertmanager_token=None)
    with running_receiver(sqlite_store, settings=settings) as receiver:
        response = receiver.post_alertmanager(fixture_bytes("alertmanager_v4.json"))
    assert response.status_code == 404
    assert "CSP_ALERTMANAGER_TOKEN" in response.json()["error"]
