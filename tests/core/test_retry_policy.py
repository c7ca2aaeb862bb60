"""The one place deciding which Jira failures are retried, and how long to wait."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import jira
import pytest
import requests
import responses

from csp_jira_sync.errors import JiraPermanent, JiraTransient
from csp_jira_sync.jira.retry import RetryPolicy, classify_response

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
URL = "https://jira.example/rest/api/2/issue"


def answer(
    status: int, headers: dict[str, str] | None = None, body: object = None
) -> requests.Response:
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, URL, status=status, headers=headers or {}, json=body)
        return requests.post(URL, timeout=1)


def call_like_jira(method: str) -> Callable[[], object]:
    """One call to `URL` that raises `JIRAError` for a failed answer, as the `jira` package
    does, and returns the JSON of a good one."""

    def call() -> object:
        response = requests.request(method, URL, timeout=1)
        if not response.ok:
            raise jira.JIRAError(status_code=response.status_code, response=response)
        return response.json()

    return call


def test_429_is_transient_did_not_land_and_honours_retry_after() -> None:
    failure = classify_response(
        429,
        answer(429, {"Retry-After": "7", "RateLimit-Reason": "jira-burst-based"}),
        "create",
        NOW,
    )
    assert isinstance(failure.error, JiraTransient)
    assert failure.error.retry_after == 7
    assert not failure.may_have_landed
    assert "jira-burst-based" in str(failure.error)


def test_429_without_retry_after_uses_x_ratelimit_reset() -> None:
    failure = classify_response(
        429, answer(429, {"X-RateLimit-Reset": "2026-11-26T12:00:30Z"}), "create", NOW
    )
    assert isinstance(failure.error, JiraTransient)
    assert failure.error.retry_after == 30


def test_5xx_is_transient_and_may_have_landed() -> None:
    failure = classify_response(503, answer(503), "create", NOW)
    assert isinstance(failure.error, JiraTransient)
    assert failure.may_have_landed


def test_400_is_permanent_and_carries_jiras_own_reason() -> None:
    body = {
        "errorMessages": [],
        "errors": {"labels": "The label 'a b' contains spaces which is invalid."},
    }
    failure = classify_response(400, answer(400, body=body), "create", NOW)
    assert isinstance(failure.error, JiraPermanent)
    assert "contains spaces" in str(failure.error)


def test_401_is_transient_so_a_bad_token_dead_letters_nothing() -> None:
    failure = classify_response(401, answer(401), "create", NOW)
    assert isinstance(failure.error, JiraTransient)
    assert "CSP_JIRA_TOKEN" in str(failure.error)


@responses.activate
def test_a_create_is_not_retried_after_a_503_that_may_have_landed() -> None:
    responses.add(responses.POST, URL, status=503)
    waits: list[float] = []
    policy = RetryPolicy(max_attempts=5, sleep=waits.append)

    with pytest.raises(JiraTransient) as caught:
        policy.run("create", call_like_jira("POST"), idempotent=False)
    assert caught.value.may_have_landed
    assert len(responses.calls) == 1
    assert waits == []


@responses.activate
def test_an_idempotent_call_is_retried_after_429_waiting_at_least_retry_after() -> None:
    responses.add(responses.GET, URL, status=429, headers={"Retry-After": "3"})
    responses.add(responses.GET, URL, status=200, json={"ok": True})
    waits: list[float] = []
    policy = RetryPolicy(max_attempts=5, sleep=waits.append)

    assert policy.run("get", call_like_jira("GET"), idempotent=True) == {"ok": True}
    assert len(waits) == 1 and waits[0] >= 3


def test_the_error_text_never_contains_the_authorization_header() -> None:
    response = answer(500)
    response.request.headers["Authorization"] = "Basic c2VjcmV0LXRva2Vu"
    policy = RetryPolicy(max_attempts=1, sleep=lambda _: None)

    def boom() -> None:
        raise jira.JIRAError(status_code=500, response=response, request=response.request)

    with pytest.raises(JiraTransient) as caught:
        policy.run("create", boom, idempotent=False)
    assert "c2VjcmV0" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
