"""POST /webhooks/noc over real HTTP: signed events are stored before the 202; everything
else is refused with a 4xx that says what to fix, and nothing is stored."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from csp_jira_sync.config.events import EscalationEvent
from csp_jira_sync.errors import ConfigError
from csp_jira_sync.metrics import Metrics
from csp_jira_sync.receiver import create_receiver
from csp_jira_sync.store import Store
from tests.receiver.server import (
    RunningReceiver,
    noc_event,
    receiver_mappings,
    receiver_settings,
    running_receiver,
    standard_webhook_headers,
)

NOC = "/webhooks/noc"


def _stored(receiver: RunningReceiver) -> int:
    return sum(receiver.store.depth().values())


def test_signed_event_is_stored_as_its_validated_model_before_the_202(
    receiver: RunningReceiver,
) -> None:
    event = noc_event("evt-1001")
    response = receiver.post_noc(event)
    assert response.status_code == 202
    assert response.json() == {"accepted": True, "duplicate": False, "event_id": "evt-1001"}
    [row] = receiver.store.pending_for_subject("escalation", "NOC-24117")
    assert (row.kind, row.source, row.event_id, row.customer) == (
        "escalation",
        "noc",
        "evt-1001",
        "acme",
    )
    assert row.occurred_at == datetime(2026, 5, 20, 8, 52, tzinfo=UTC)
    assert row.payload == EscalationEvent.model_validate(event).model_dump(mode="json")
    assert receiver.metric("csp_events_accepted_total", source="noc") == 1


def test_redelivery_is_answered_202_duplicate_and_stored_once(receiver: RunningReceiver) -> None:
    first = receiver.post_noc(noc_event("evt-1001"))
    again = receiver.post_noc(noc_event("evt-1001"))
    assert first.status_code == again.status_code == 202
    assert again.json() == {"accepted": True, "duplicate": True, "event_id": "evt-1001"}
    assert _stored(receiver) == 1
    assert receiver.metric("csp_events_duplicate_total", source="noc") == 1


def test_customer_alias_is_matched_case_insensitively(receiver: RunningReceiver) -> None:
    assert receiver.post_noc(noc_event("evt-1", customer="ACME")).status_code == 202
    [row] = receiver.store.pending_for_subject("escalation", "NOC-24117")
    assert row.customer == "acme"


def test_unsigned_event_is_401_and_not_stored(receiver: RunningReceiver) -> None:
    body = json.dumps(noc_event("evt-1")).encode()
    response = receiver.post(NOC, body, {"content-type": "application/json"})
    assert response.status_code == 401
    assert "webhook-id, webhook-timestamp, webhook-signature" in response.json()["error"]
    assert _stored(receiver) == 0
    assert receiver.metric("csp_events_rejected_total", source="noc", reason="signature") == 1


def test_tampered_body_is_401_and_not_stored(receiver: RunningReceiver) -> None:
    body = json.dumps(noc_event("evt-1", severity="sev4")).encode()
    headers = standard_webhook_headers(body)
    tampered = body.replace(b'"sev4"', b'"sev1"')
    response = receiver.post(NOC, tampered, headers)
    assert response.status_code == 401
    assert "does not match the body" in response.json()["error"]
    assert _stored(receiver) == 0


def test_reformatted_json_with_the_original_signature_is_401(receiver: RunningReceiver) -> None:
    # Same document, different bytes: the signature covers the raw body, not the JSON value.
    event = noc_event("evt-1")
    headers = standard_webhook_headers(json.dumps(event).encode())
    response = receiver.post(NOC, json.dumps(event, indent=2).encode(), headers)
    assert response.status_code == 401


def test_signature_older_than_five_minutes_is_401_naming_the_clock(
    receiver: RunningReceiver,
) -> None:
    body = json.dumps(noc_event("evt-1")).encode()
    headers = standard_webhook_headers(body, at=datetime.now(UTC) - timedelta(minutes=6))
    response = receiver.post(NOC, body, headers)
    assert response.status_code == 401
    assert "clock" in response.json()["error"]
    assert _stored(receiver) == 0


def test_previous_secret_is_accepted_while_secrets_rotate(receiver: RunningReceiver) -> None:
    from tests.receiver.server import PREVIOUS_SECRET

    assert receiver.post_noc(noc_event("evt-old-key"), secret=PREVIOUS_SECRET).status_code == 202


def test_a_secret_the_receiver_does_not_know_is_401(receiver: RunningReceiver) -> None:
    stranger = "whsec_" + "c3RyYW5nZXItc2VjcmV0LW5vdC1jb25maWd1cmVk"
    assert receiver.post_noc(noc_event("evt-1"), secret=stranger).status_code == 401
    assert _stored(receiver) == 0


def test_garbage_signature_header_is_401_not_a_server_error(receiver: RunningReceiver) -> None:
    body = json.dumps(noc_event("evt-1")).encode()
    headers = standard_webhook_headers(body)
    for signature in ("v1", "v1,%%%not-base64", "nonsense"):
        headers["webhook-signature"] = signature
        assert receiver.post(NOC, body, headers).status_code == 401


def test_body_over_the_limit_is_413_before_it_is_read(receiver: RunningReceiver) -> None:
    limit = receiver.settings.max_body_bytes
    event = noc_event("evt-big", description="x" * (limit + 1))
    response = receiver.post_noc(event)
    assert response.status_code == 413
    assert str(limit) in response.json()["error"]
    assert _stored(receiver) == 0


def test_chunked_body_over_the_limit_is_413(receiver: RunningReceiver) -> None:
    limit = receiver.settings.max_body_bytes

    def chunks() -> Iterator[bytes]:
        for _ in range(limit // 4096 + 2):
            yield b" " * 4096  # no Content-Length: the limit is enforced while reading

    headers = standard_webhook_headers(b"{}")
    response = receiver.http.post(receiver.url + NOC, data=chunks(), headers=headers, timeout=10)
    assert response.status_code == 413
    assert receiver.metric("csp_events_rejected_total", source="noc", reason="too_large") == 1


def test_unknown_customer_is_422_naming_it_and_the_known_aliases(receiver: RunningReceiver) -> None:
    response = receiver.post_noc(noc_event("evt-1", customer="wayne-enterprises"))
    assert response.status_code == 422
    body = response.json()
    assert "'wayne-enterprises'" in body["error"]
    assert body["known_customers"] == ["acme", "globex", "initech", "umbrella"]
    assert _stored(receiver) == 0
    assert (
        receiver.metric("csp_events_rejected_total", source="noc", reason="unknown_customer") == 1
    )


def test_unknown_severity_is_422_naming_the_field(receiver: RunningReceiver) -> None:
    response = receiver.post_noc(noc_event("evt-1", severity="sev9"))
    assert response.status_code == 422
    assert [p["field"] for p in response.json()["problems"]] == ["severity"]
    assert "sev1" in response.json()["problems"][0]["message"]
    assert _stored(receiver) == 0


def test_schema_errors_list_every_invalid_field(receiver: RunningReceiver) -> None:
    event = noc_event("evt-1", occurred_at="2026-05-20T10:52:00", status="closed", colour="red")
    del event["title"]
    response = receiver.post_noc(event)
    assert response.status_code == 422
    fields = {p["field"] for p in response.json()["problems"]}
    assert fields == {"title", "status", "occurred_at", "colour"}
    error = response.json()["error"]
    assert all(name in error for name in fields)
    assert _stored(receiver) == 0


def test_another_senders_source_is_refused_on_the_noc_endpoint(receiver: RunningReceiver) -> None:
    response = receiver.post_noc(noc_event("evt-1", source="pagerduty"))
    assert response.status_code == 422
    assert response.json()["problems"][0]["field"] == "source"


def test_malformed_json_is_400_saying_where(receiver: RunningReceiver) -> None:
    body = b'{"event_id": "evt-1", '
    response = receiver.post(NOC, body, standard_webhook_headers(body))
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]
    assert receiver.metric("csp_events_rejected_total", source="noc", reason="malformed_json") == 1


def test_body_that_is_not_utf8_is_400(receiver: RunningReceiver) -> None:
    body = b'{"title": "\xff\xfe"}'
    response = receiver.post(NOC, body, standard_webhook_headers(b"{}"))
    assert response.status_code == 400
    assert "UTF-8" in response.json()["error"]


def test_a_json_array_is_422_not_a_crash(receiver: RunningReceiver) -> None:
    response = receiver.post_signed(NOC, [noc_event("evt-1")])
    assert response.status_code == 422
    assert response.json()["problems"] == [{"field": "(body)", "message": "expected a JSON object"}]


def test_concurrent_deliveries_are_all_stored_exactly_once(receiver: RunningReceiver) -> None:
    # 8 senders, 25 events each, every event delivered twice at the same time.
    results: list[tuple[int, bool]] = []
    lock = threading.Lock()

    def sender(n: int) -> None:
        import requests

        with requests.Session() as http:
            for i in range(25):
                event = noc_event(f"evt-{i}", escalation_id=f"NOC-{i}")
                body = json.dumps(event).encode()
                response = http.post(
                    receiver.url + NOC,
                    data=body,
                    headers=standard_webhook_headers(body),
                    timeout=10,
                )
                with lock:
                    results.append((response.status_code, response.json()["duplicate"]))

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [status for status, _ in results] == [202] * 200
    assert sum(not duplicate for _, duplicate in results) == 25
    assert receiver.store.depth()["pending"] == 25


def test_on_accepted_wakes_the_worker_for_new_events_only(sqlite_store: Store) -> None:
    wakes: list[int] = []
    with running_receiver(sqlite_store, on_accepted=lambda: wakes.append(1)) as receiver:
        receiver.post_noc(noc_event("evt-1"))
        receiver.post_noc(noc_event("evt-1"))
        receiver.post_noc(noc_event("evt-2", customer="nobody"))
    assert wakes == [1]


def test_receiver_refuses_to_start_without_a_webhook_secret(sqlite_store: Store) -> None:
    settings = receiver_settings(webhook_secret=None)
    with pytest.raises(ConfigError, match="CSP_WEBHOOK_SECRET"):
        create_receiver(settings, receiver_mappings(), sqlite_store, Metrics())


def test_secrets_never_appear_in_answers(receiver: RunningReceiver) -> None:
    from tests.receiver.server import PREVIOUS_SECRET, WEBHOOK_SECRET

    body = json.dumps(noc_event("evt-1")).encode()
    answers = [
        receiver.post(NOC, body, {"content-type": "application/json"}).text,
        receiver.post(NOC, body + b" ", standard_webhook_headers(body)).text,
        receiver.http.get(receiver.url + "/metrics").text,
        receiver.http.get(receiver.url + "/openapi.json").text,
    ]
    for secret in (WEBHOOK_SECRET, PREVIOUS_SECRET):
        assert all(secret not in answer and secret[6:] not in answer for answer in answers)
