"""The realism knobs: rate limit, index lag, faults and latency, set at start or at run time."""

from __future__ import annotations

import re

import pytest
import requests

from jira_sandbox.pytest_plugin import SandboxFactory
from jira_sandbox.server import RunningSandbox
from tests.sandbox.sandbox_helpers import JiraHttp


def test_rate_limit_answers_429_with_jira_clouds_headers(sandbox_factory: SandboxFactory) -> None:
    running = sandbox_factory(rate_limit_per_s=0.5, rate_limit_burst=2)
    http = JiraHttp(running)
    answers = [http.get("myself") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[0].headers["X-RateLimit-Limit"] == "2"
    limited = answers[2]
    assert int(limited.headers["Retry-After"]) >= 1
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\dZ", limited.headers["X-RateLimit-Reset"])
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert limited.headers["X-RateLimit-NearLimit"] == "true"
    assert limited.headers["RateLimit-Reason"] == "jira-burst-based"
    assert limited.json() == {
        "errorMessages": ["The request has been rate-limited. Please try again later."],
        "errors": {},
    }
    assert running.admin.stats()["injected"] == {"rateLimited": 1}


def test_the_per_issue_write_limit_holds_back_writes_to_that_issue_only(
    sandbox: RunningSandbox,
) -> None:
    http = JiraHttp(sandbox)
    hot, other = http.create(), http.create()
    sandbox.admin.set_knobs(issueWriteLimits=[{"writes": 2, "windowMs": 60_000}])
    comment = {"body": "still down"}
    by_key = http.post(f"issue/{hot['key']}/comment", json=comment)
    by_id = http.post(f"issue/{hot['id']}/comment", json=comment)
    refused = http.post(f"issue/{hot['key']}/comment", json=comment)
    assert [by_key.status_code, by_id.status_code, refused.status_code] == [201, 201, 429]
    assert refused.headers["RateLimit-Reason"] == "jira-per-issue-on-write"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json()["errorMessages"] == [
        "The request has been rate-limited. Please try again later."
    ]
    assert http.post(f"issue/{other['key']}/comment", json=comment).status_code == 201
    assert http.get(f"issue/{hot['key']}").status_code == 200  # reads are not writes
    assert len(http.get(f"issue/{hot['key']}/comment").json()["comments"]) == 2
    assert sandbox.admin.stats()["injected"] == {"issueWriteLimited": 1}
    assert sandbox.admin.knobs()["issueWriteLimits"] == [{"writes": 2, "windowMs": 60_000}]


def test_index_lag_hides_a_new_issue_from_jql_but_not_from_reconcile_issues(
    sandbox: RunningSandbox,
) -> None:
    sandbox.admin.set_knobs(indexLagMs=60_000)
    http = JiraHttp(sandbox)
    created = http.create(labels=["csp-ref-lag"])
    assert http.jql("labels = csp-ref-lag") == []
    reconciled = http.get(
        "search/jql",
        params={"jql": "labels = csp-ref-lag", "fields": "key", "reconcileIssues": created["id"]},
    )
    assert [i["key"] for i in reconciled.json()["issues"]] == [created["key"]]
    # The issue itself is readable at once; only search lags.
    assert http.get(f"issue/{created['key']}").status_code == 200
    sandbox.admin.advance_clock(60_000)
    assert http.jql("labels = csp-ref-lag") == [created["key"]]


def test_index_lag_shows_an_edited_issue_with_its_old_labels_until_it_catches_up(
    sandbox: RunningSandbox,
) -> None:
    http = JiraHttp(sandbox)
    created = http.create(labels=["csp-old"])
    sandbox.admin.set_knobs(indexLagMs=5_000)
    edit = {"update": {"labels": [{"add": "csp-new"}, {"remove": "csp-old"}]}}
    assert http.put(f"issue/{created['key']}", json=edit).status_code == 204
    assert http.jql("labels = csp-old") == [created["key"]]
    assert http.jql("labels = csp-new") == []
    sandbox.admin.advance_clock(5_000)
    assert http.jql("labels = csp-old") == []
    assert http.jql("labels = csp-new") == [created["key"]]


def test_switching_the_lag_off_makes_pending_writes_searchable(sandbox: RunningSandbox) -> None:
    sandbox.admin.set_knobs(indexLagMs=60_000)
    http = JiraHttp(sandbox)
    created = http.create(labels=["csp-pending"])
    sandbox.admin.set_knobs(indexLagMs=0)
    assert http.jql("labels = csp-pending") == [created["key"]]


@pytest.mark.parametrize("status", [500, 502, 503])
def test_fault_rate_answers_server_errors_in_jiras_shape(
    sandbox: RunningSandbox, status: int
) -> None:
    sandbox.admin.set_knobs(faultRate=1.0, faultKinds=[str(status)])
    answer = JiraHttp(sandbox).get("myself")
    assert answer.status_code == status
    assert answer.json()["errorMessages"]
    assert sandbox.admin.stats()["byRouteStatus"]["GET /rest/api/2/myself"] == {str(status): 1}


def test_dropped_connections_reach_the_client_as_connection_errors(
    sandbox: RunningSandbox,
) -> None:
    sandbox.admin.set_knobs(faultRate=1.0, faultKinds=["drop"])
    with pytest.raises(requests.ConnectionError):
        JiraHttp(sandbox).get("myself")
    assert sandbox.admin.stats()["byStatus"] == {"drop": 1}


def test_read_timeouts_stall_until_the_client_gives_up(sandbox: RunningSandbox) -> None:
    sandbox.admin.set_knobs(faultRate=1.0, faultKinds=["timeout"], faultStallMs=2_000)
    http = JiraHttp(sandbox)
    with pytest.raises(requests.ReadTimeout):
        http.session.get(http.url("myself"), timeout=0.2)


def test_a_fault_after_a_write_loses_the_answer_but_not_the_write(
    sandbox: RunningSandbox,
) -> None:
    sandbox.admin.set_knobs(faultRate=1.0, faultKinds=["502"], faultAfterWrite=1.0)
    http = JiraHttp(sandbox)
    body = {
        "fields": {
            "project": {"key": "CSP"},
            "issuetype": {"name": "Task"},
            "summary": "Landed despite the 502",
        }
    }
    assert http.post("issue", json=body).status_code == 502
    sandbox.admin.set_knobs(faultRate=0.0)
    assert [i["summary"] for i in sandbox.admin.issues()] == ["Landed despite the 502"]
    assert sandbox.admin.stats()["injected"] == {"502-after-write": 1}


def test_faults_before_a_write_leave_nothing_written(sandbox: RunningSandbox) -> None:
    sandbox.admin.set_knobs(faultRate=1.0, faultKinds=["503"], faultAfterWrite=0.0)
    answer = JiraHttp(sandbox).post("issue", json={"fields": {"summary": "never"}})
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "1"
    assert sandbox.admin.issues() == []


def test_added_latency_delays_every_answer(sandbox_factory: SandboxFactory) -> None:
    running = sandbox_factory(latency_ms=1_500)
    http = JiraHttp(running)
    with pytest.raises(requests.ReadTimeout):
        http.session.get(http.url("myself"), timeout=0.3)


def test_the_admin_api_is_exempt_from_the_knobs(sandbox: RunningSandbox) -> None:
    sandbox.admin.set_knobs(faultRate=1.0, faultKinds=["500"], rateLimitPerSecond=0.01)
    assert sandbox.admin.stats()["total"] == 0
    assert sandbox.admin.knobs()["faultRate"] == 1.0


def test_a_bad_knob_value_is_refused_with_the_reason(sandbox: RunningSandbox) -> None:
    answer = requests.put(f"{sandbox.base_url}/_sandbox/knobs", json={"faultRate": 3}, timeout=5)
    assert answer.status_code == 400
    assert "faultRate must be between 0.0 and 1.0" in answer.json()["errorMessages"][0]
    assert sandbox.admin.knobs()["faultRate"] == 0.0


def test_an_injected_429_answers_like_jira_clouds_burst_limit(sandbox: RunningSandbox) -> None:
    sandbox.admin.set_knobs(faultRate=1.0, faultKinds=["429"])
    answer = JiraHttp(sandbox).get("myself")
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "1"
    assert answer.headers["RateLimit-Reason"] == "jira-burst-based"
    assert answer.headers["X-RateLimit-Remaining"] == "0"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\dZ", answer.headers["X-RateLimit-Reset"])
    assert answer.json()["errorMessages"]
    assert sandbox.admin.stats()["injected"] == {"429": 1}


def test_an_injected_429_never_strikes_after_the_write(sandbox: RunningSandbox) -> None:
    sandbox.admin.set_knobs(faultRate=1.0, faultKinds=["429"], faultAfterWrite=1.0)
    body = {"fields": {"project": {"key": "CSP"}, "issuetype": {"name": "Task"}, "summary": "no"}}
    assert JiraHttp(sandbox).post("issue", json=body).status_code == 429
    assert sandbox.admin.issues() == []


def test_a_fault_kind_named_twice_is_drawn_twice_as_often(sandbox: RunningSandbox) -> None:
    sandbox.admin.set_knobs(faultRate=1.0, faultKinds=["500", "500", "502"], faultSeed=4)
    http = JiraHttp(sandbox)
    statuses = [http.get("myself").status_code for _ in range(300)]
    # Binomial(300, 2/3): 200 expected, 150..250 is more than 8 standard deviations wide.
    assert 150 <= statuses.count(500) <= 250, statuses.count(500)
    assert statuses.count(500) + statuses.count(502) == 300


def test_without_fault_kinds_the_faults_are_server_side_only(sandbox: RunningSandbox) -> None:
    assert "429" not in sandbox.admin.knobs()["faultKinds"]
