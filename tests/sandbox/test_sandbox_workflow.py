"""The workflow: To Do -> In Progress -> Awaiting approval -> Done, and Reopen."""

from __future__ import annotations

from typing import Any

from jira_sandbox.server import RunningSandbox
from tests.sandbox.sandbox_helpers import JiraHttp


def _transition_names(http: JiraHttp, key: str) -> list[str]:
    body = http.get(f"issue/{key}/transitions").json()
    return [t["name"] for t in body["transitions"]]


def _do(http: JiraHttp, key: str, transition_id: str, **extra: Any) -> None:
    answer = http.post(
        f"issue/{key}/transitions", json={"transition": {"id": transition_id}, **extra}
    )
    assert answer.status_code == 204, answer.text


def _issue(http: JiraHttp, key: str) -> dict[str, Any]:
    fields: dict[str, Any] = http.get(f"issue/{key}").json()["fields"]
    return fields


def test_transitions_offered_depend_on_the_status(sandbox: RunningSandbox) -> None:
    http = JiraHttp(sandbox)
    key = http.create()["key"]
    assert _transition_names(http, key) == ["Start Progress", "Request Approval", "Done"]
    _do(http, key, "11")
    assert _transition_names(http, key) == ["Request Approval", "Done", "Stop Progress"]
    _do(http, key, "21")
    assert _issue(http, key)["status"]["name"] == "Awaiting approval"
    assert _transition_names(http, key) == ["Approve", "Done"]


def test_done_resolves_and_reopen_clears_the_resolution(sandbox: RunningSandbox) -> None:
    http = JiraHttp(sandbox)
    key = http.create()["key"]
    _do(http, key, "41")
    done = _issue(http, key)
    assert done["status"]["statusCategory"]["key"] == "done"
    assert done["resolution"]["name"] == "Done"
    assert done["resolutiondate"] is not None
    assert _transition_names(http, key) == ["Reopen"]
    _do(http, key, "51")
    reopened = _issue(http, key)
    assert reopened["status"]["name"] == "To Do"
    assert reopened["resolution"] is None
    assert reopened["resolutiondate"] is None


def test_a_transition_takes_a_comment_and_screen_fields_in_the_same_call(
    sandbox: RunningSandbox,
) -> None:
    http = JiraHttp(sandbox, user="csp.bob")
    key = http.create()["key"]
    _do(
        http,
        key,
        "11",
        fields={"assignee": {"accountId": sandbox.sandbox.state.users["csp.alice"].account_id}},
        update={"comment": [{"add": {"body": "Acknowledged by the NOC"}}]},
    )
    fields = _issue(http, key)
    assert fields["status"]["name"] == "In Progress"
    assert fields["assignee"]["displayName"] == "Alice Csp"
    (comment,) = fields["comment"]["comments"]
    assert comment["body"] == "Acknowledged by the NOC"
    assert comment["author"]["displayName"] == "Bob Csp"


def test_a_field_off_the_transition_screen_is_refused_and_nothing_moves(
    sandbox: RunningSandbox,
) -> None:
    http = JiraHttp(sandbox)
    key = http.create()["key"]
    answer = http.post(
        f"issue/{key}/transitions",
        json={"transition": {"id": "11"}, "fields": {"summary": "not on this screen"}},
    )
    assert answer.status_code == 400
    assert "summary" in answer.json()["errors"]
    assert _issue(http, key)["status"]["name"] == "To Do"


def test_an_issue_can_be_created_straight_into_a_transition(sandbox: RunningSandbox) -> None:
    http = JiraHttp(sandbox)
    answer = http.post(
        "issue",
        json={
            "fields": {
                "project": {"key": "CSP"},
                "issuetype": {"name": "Task"},
                "summary": "Started at once",
            },
            "transition": {"id": "11"},
        },
    )
    assert answer.status_code == 201
    assert _issue(http, answer.json()["key"])["status"]["name"] == "In Progress"


def test_jql_sees_the_new_status(sandbox: RunningSandbox) -> None:
    http = JiraHttp(sandbox)
    key = http.create(labels=["csp-flow"])["key"]
    _do(http, key, "41")
    assert http.jql("labels = csp-flow AND statusCategory = Done") == [key]
    assert http.jql("labels = csp-flow AND resolution = Unresolved") == []
