"""The pacer every gateway call goes through (issue 10): one shared pause for every caller
after a 429 (but none for the per-issue write limit's), no more calls in flight than the
limit, and Jira's headers read into the pace."""

from __future__ import annotations

import threading
import time

import pytest
import requests
import responses

from csp_jira_sync.errors import JiraTransient
from csp_jira_sync.jira.model import IssueRef
from csp_jira_sync.jira.pace import PaceConfig
from csp_jira_sync.jira.pacer import Pacer, answer_of
from tests.support.stubbed_jira import API
from tests.support.stubbed_jira import stubbed_gateway as gateway


@pytest.mark.parametrize(
    ("status", "headers", "throttled", "retry_after", "near_limit"),
    [
        (200, {}, False, None, False),
        (200, {"X-RateLimit-NearLimit": "true"}, False, None, True),
        (429, {"Retry-After": "3"}, True, 3.0, False),
        (503, {"Retry-After": "1"}, True, 1.0, False),  # Jira shedding load
        (429, {}, True, None, False),  # the pace's default pause applies
        (400, {"Retry-After": "3"}, False, None, False),  # a refusal is not about the pace
    ],
)
def test_jira_answers_read_into_the_pace(
    status: int,
    headers: dict[str, str],
    throttled: bool,
    retry_after: float | None,
    near_limit: bool,
) -> None:
    answer = answer_of(status, headers)
    assert (answer.throttled, answer.retry_after, answer.near_limit) == (
        throttled,
        retry_after,
        near_limit,
    )


def test_the_per_issue_write_limit_is_read_as_news_about_one_issue_not_the_budget() -> None:
    headers = {
        "Retry-After": "2",
        "RateLimit-Reason": "jira-per-issue-on-write",
        "X-RateLimit-Remaining": "0",  # that issue's writes, not the site's calls
    }
    answer = answer_of(429, headers)
    assert answer.issue_limited
    assert (answer.throttled, answer.remaining, answer.near_limit) == (False, None, False)
    burst = answer_of(429, {**headers, "RateLimit-Reason": "jira-burst-based"})
    assert burst.throttled and not burst.issue_limited


@responses.activate
def test_a_per_issue_write_limit_429_pauses_no_other_call() -> None:
    responses.post(
        f"{API}/issue/10001/comment",
        status=429,
        headers={"Retry-After": "30", "RateLimit-Reason": "jira-per-issue-on-write"},
        json={"errorMessages": ["The request has been rate-limited."], "errors": {}},
    )
    pacer = Pacer(PaceConfig(max_concurrency=8))
    with pytest.raises(JiraTransient) as raised:
        gateway(pacer).add_comment(IssueRef("10001", "CSP-1"), "still down")
    assert raised.value.retry_after == 30.0  # the write to CSP-1 waits, in its own lane
    assert "jira-per-issue-on-write" in str(raised.value)
    seen = pacer.snapshot()
    assert (seen.limit, seen.in_flight, seen.pauses, seen.issue_waits) == (8.0, 0, 0, 1)
    started = time.monotonic()
    with pacer.call() as call:  # any other call starts at once
        call.answered(200, {})
    assert time.monotonic() - started < 1.0


@responses.activate
def test_a_429_on_one_gateway_call_pauses_the_pace_once_and_halves_the_limit() -> None:
    responses.get(f"{API}/serverInfo", status=429, headers={"Retry-After": "30"}, json={})
    pacer = Pacer(PaceConfig(max_concurrency=8))
    with pytest.raises(JiraTransient):
        gateway(pacer).server_info()
    seen = pacer.snapshot()
    assert (seen.limit, seen.in_flight, seen.pauses, seen.paused_seconds) == (4.0, 0, 1, 30.0)


@responses.activate
def test_a_call_that_never_got_an_answer_frees_its_slot_without_moving_the_limit() -> None:
    responses.get(f"{API}/serverInfo", body=requests.ConnectionError("refused"))
    pacer = Pacer(PaceConfig(max_concurrency=8))
    with pytest.raises(JiraTransient):
        gateway(pacer).server_info()
    seen = pacer.snapshot()
    assert (seen.limit, seen.in_flight, seen.pauses) == (8.0, 0, 0)


def test_after_a_429_no_caller_starts_before_the_shared_pause_ends() -> None:
    pacer = Pacer(PaceConfig(max_concurrency=8))
    with pacer.call() as call:
        call.answered(429, {"Retry-After": "0.3"})
    pause_ends = time.monotonic() + 0.25  # a little before Jira's 0.3 s, to allow for rounding
    started: list[float] = []
    lock = threading.Lock()

    def caller() -> None:
        with pacer.call() as call:
            with lock:
                started.append(time.monotonic())
            call.answered(200, {})

    threads = [threading.Thread(target=caller) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(started) == 6 and min(started) >= pause_ends
    assert pacer.snapshot().pauses == 1


def test_no_more_calls_run_at_once_than_the_limit() -> None:
    pacer = Pacer(PaceConfig(max_concurrency=3))
    running = 0
    most = 0
    lock = threading.Lock()
    release = threading.Event()

    def caller() -> None:
        nonlocal running, most
        with pacer.call() as call:
            with lock:
                running += 1
                most = max(most, running)
            release.wait(5)
            with lock:
                running -= 1
            call.answered(200, {})

    threads = [threading.Thread(target=caller) for _ in range(7)]
    for thread in threads:
        thread.start()
    while pacer.snapshot().in_flight < 3:
        time.sleep(0.01)
    release.set()
    for thread in threads:
        thread.join()
    assert most == 3
