"""POST /webhooks/requests: signed customer requests into the same durable inbox."""

from __future__ import annotations

from datetime import UTC, datetime

from csp_jira_sync.config.events import CustomerRequest
from tests.receiver.server import RunningReceiver, customer_request


def test_signed_request_is_stored_as_a_request_from_the_requests_channel(
    receiver: RunningReceiver,
) -> None:
    request = customer_request("REQ-20260520-0042")
    response = receiver.post_request(request)
    assert response.status_code == 202
    assert response.json() == {
        "accepted": True,
        "duplicate": False,
        "event_id": "REQ-20260520-0042",
    }
    [row] = receiver.store.pending_for_subject("request", "REQ-20260520-0042")
    assert (row.kind, row.source, row.customer) == ("request", "requests", "globex")
    assert row.occurred_at == datetime(2026, 5, 20, 12, 15, tzinfo=UTC)
    assert row.payload == CustomerRequest.model_validate(request).model_dump(mode="json")


def test_resent_request_is_a_duplicate(receiver: RunningReceiver) -> None:
    receiver.post_request(customer_request("REQ-1"))
    assert receiver.post_request(customer_request("REQ-1")).json()["duplicate"] is True
    assert receiver.store.depth()["pending"] == 1


def test_unknown_customer_is_422_naming_it_and_listing_the_known_aliases(
    receiver: RunningReceiver,
) -> None:
    response = receiver.post_request(customer_request("REQ-1", customer="Soylent"))
    assert response.status_code == 422
    error = response.json()["error"]
    assert "'soylent'" in error
    assert "acme, globex, initech, umbrella" in error
    assert receiver.store.depth()["pending"] == 0


def test_invalid_fields_are_each_named(receiver: RunningReceiver) -> None:
    response = receiver.post_request(
        customer_request("REQ-1", requester="not-an-email", channel="fax", received_at="yesterday")
    )
    assert response.status_code == 422
    assert {p["field"] for p in response.json()["problems"]} == {
        "requester",
        "channel",
        "received_at",
    }


def test_unsigned_request_is_401(receiver: RunningReceiver) -> None:
    import json

    body = json.dumps(customer_request("REQ-1")).encode()
    response = receiver.post("/webhooks/requests", body, {"content-type": "application/json"})
    assert response.status_code == 401
