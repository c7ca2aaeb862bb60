"""Who may deliver, on every webhook route: a delivery without valid credentials is a 401 and
stores nothing; a replayed delivery stores nothing new; both secrets work while they rotate.

Replays: Standard Webhooks senders retry with the same `webhook-id` (and PagerDuty and
Alertmanager resend the same event), so the receiver must not refuse a repeated delivery, or
a retry after a lost 202 would be lost. Within the five-minute window a replay is therefore
answered 202 `duplicate` and stores nothing: events are keyed by the id in the body, which the
signature covers. After the window the timestamp check refuses it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from csp_jira_sync.store import Store
from tests.receiver.server import (
    PREVIOUS_SECRET,
    WEBHOOK_SECRET,
    RunningReceiver,
    Switchboard,
    plugged_receiver,
    receiver_settings,
    standard_webhook_headers,
)
from tests.security.conftest import inbox_rows
from tests.security.senders import ALERTMANAGER, ROUTES, SIGNED_ROUTES, Route

STRANGER = "whsec_c3RyYW5nZXItc2VjcmV0LW5vdC1jb25maWd1cmVk"


def _refused(receiver: RunningReceiver, route: Route, headers: dict[str, str]) -> None:
    response = receiver.post(route.path, route.valid("x"), headers)
    assert response.status_code == 401, response.text
    assert response.json()["error"]
    assert inbox_rows(receiver.store) == 0


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_a_delivery_without_credentials_is_401_and_stores_nothing(
    receiver: RunningReceiver, route: Route
) -> None:
    _refused(receiver, route, {"content-type": "application/json"})


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_credentials_of_another_body_are_401_and_store_nothing(
    receiver: RunningReceiver, route: Route
) -> None:
    headers = route.sign(route.valid("other"))
    if route is ALERTMANAGER:  # a bearer token is not tied to the body: a wrong one instead
        headers["authorization"] = "Bearer not-the-token"
    _refused(receiver, route, headers)


@pytest.mark.parametrize("route", SIGNED_ROUTES, ids=str)
@pytest.mark.parametrize("header", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_each_missing_standard_webhooks_header_is_401_naming_it(
    receiver: RunningReceiver, route: Route, header: str
) -> None:
    body = route.valid("x")
    headers = route.sign(body)
    del headers[header]
    response = receiver.post(route.path, body, headers)
    assert response.status_code == 401
    assert header in response.json()["error"]
    assert inbox_rows(receiver.store) == 0


@pytest.mark.parametrize("route", SIGNED_ROUTES, ids=str)
@pytest.mark.parametrize(
    "signature",
    ["v1,", "v1,AAAA", "v2,abc", "v1,%%%", "v1,a,b", "v1," + "A" * 10_000, "v1 v1 v1"],
)
def test_a_wrong_or_malformed_signature_is_401_not_a_server_error(
    receiver: RunningReceiver, route: Route, signature: str
) -> None:
    body = route.valid("x")
    headers = route.sign(body)
    headers["webhook-signature"] = signature
    _refused(receiver, route, headers)


@pytest.mark.parametrize("route", SIGNED_ROUTES, ids=str)
@pytest.mark.parametrize(
    "skew",
    [timedelta(minutes=-5, seconds=-30), timedelta(minutes=5, seconds=30), timedelta(days=-400)],
    ids=["older-than-5-minutes", "more-than-5-minutes-ahead", "a-year-old"],
)
def test_a_timestamp_outside_five_minutes_is_401_naming_the_clock(
    receiver: RunningReceiver, route: Route, skew: timedelta
) -> None:
    body = route.valid("x")
    response = receiver.post(
        route.path, body, standard_webhook_headers(body, at=datetime.now(UTC) + skew)
    )
    assert response.status_code == 401
    assert "clock" in response.json()["error"]
    assert inbox_rows(receiver.store) == 0


@pytest.mark.parametrize("route", SIGNED_ROUTES, ids=str)
@pytest.mark.parametrize("timestamp", ["", "soon", "nan", "inf", "1e400", "-1", "١٧٠٠٠٠٠٠٠٠"])
def test_a_timestamp_that_is_not_a_time_is_401(
    receiver: RunningReceiver, route: Route, timestamp: str
) -> None:
    body = route.valid("x")
    headers = route.sign(body)
    # Arabic-Indic digits, which Python's int() would read as a time, go over the wire as
    # UTF-8 bytes (header text is latin-1, so the receiver sees other characters).
    headers["webhook-timestamp"] = timestamp if timestamp.isascii() else timestamp.encode()
    _refused(receiver, route, headers)


@pytest.mark.parametrize("route", SIGNED_ROUTES, ids=str)
def test_a_timestamp_within_five_minutes_is_accepted(
    receiver: RunningReceiver, route: Route
) -> None:
    body = route.valid("x")
    for skew in (timedelta(minutes=-4), timedelta(minutes=4)):
        headers = standard_webhook_headers(body, at=datetime.now(UTC) + skew)
        assert receiver.post(route.path, body, headers).status_code == 202


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_a_replayed_delivery_is_a_202_duplicate_and_stores_no_second_event(
    receiver: RunningReceiver, route: Route
) -> None:
    body = route.valid("replayed")
    headers = route.sign(body)
    first = receiver.post(route.path, body, headers)
    replay = receiver.post(route.path, body, headers)  # byte for byte, same webhook-id
    assert first.status_code == replay.status_code == 202
    assert first.json()["duplicate"] is False
    assert replay.json()["duplicate"] is True
    assert inbox_rows(receiver.store) == 1


@pytest.mark.parametrize("route", SIGNED_ROUTES, ids=str)
def test_a_resend_under_a_new_webhook_id_is_still_the_same_event(
    receiver: RunningReceiver, route: Route
) -> None:
    body = route.valid("resent")
    assert receiver.post(route.path, body, route.sign(body)).json()["duplicate"] is False
    assert receiver.post(route.path, body, route.sign(body)).json()["duplicate"] is True
    assert inbox_rows(receiver.store) == 1


@pytest.mark.parametrize("route", SIGNED_ROUTES, ids=str)
def test_a_replay_older_than_five_minutes_is_401(receiver: RunningReceiver, route: Route) -> None:
    body = route.valid("late")
    captured = standard_webhook_headers(body, at=datetime.now(UTC) - timedelta(minutes=6))
    assert receiver.post(route.path, body, captured).status_code == 401
    assert inbox_rows(receiver.store) == 0


@pytest.mark.parametrize("route", SIGNED_ROUTES, ids=str)
def test_both_secrets_are_accepted_while_they_rotate(
    receiver: RunningReceiver, route: Route
) -> None:
    for key, secret in (("new", WEBHOOK_SECRET), ("old", PREVIOUS_SECRET)):
        body = route.valid(key)
        response = receiver.post(route.path, body, standard_webhook_headers(body, secret))
        assert response.status_code == 202, response.text
    body = route.valid("stranger")
    assert (
        receiver.post(route.path, body, standard_webhook_headers(body, STRANGER)).status_code == 401
    )
    assert inbox_rows(receiver.store) == 2


@pytest.mark.parametrize("route", SIGNED_ROUTES, ids=str)
def test_the_old_secret_is_refused_once_it_is_removed(
    switchboard: tuple[Switchboard, str], sqlite_store: Store, route: Route
) -> None:
    board, url = switchboard
    settings = receiver_settings(webhook_secret_previous=None)
    with plugged_receiver(board, url, sqlite_store, settings=settings) as receiver:
        body = route.valid("old")
        old = receiver.post(route.path, body, standard_webhook_headers(body, PREVIOUS_SECRET))
        assert old.status_code == 401
        body = route.valid("new")
        new = receiver.post(route.path, body, standard_webhook_headers(body, WEBHOOK_SECRET))
        assert new.status_code == 202
        assert inbox_rows(sqlite_store) == 1


@pytest.mark.parametrize("route", SIGNED_ROUTES, ids=str)
def test_a_delivery_signed_with_both_secrets_at_once_is_accepted(
    receiver: RunningReceiver, route: Route
) -> None:
    """Standard Webhooks senders put one signature per secret, space-separated, while they
    rotate; the receiver needs only one to match."""
    body = route.valid("both")
    headers = standard_webhook_headers(body, STRANGER)
    moment = datetime.fromtimestamp(int(headers["webhook-timestamp"]), UTC)
    ours = Webhook(WEBHOOK_SECRET).sign(headers["webhook-id"], moment, body.decode())
    headers["webhook-signature"] = f"{headers['webhook-signature']} {ours}"
    assert receiver.post(route.path, body, headers).status_code == 202
