"""Bad input gets Jira's answer, in Jira's words, and leaves nothing half-written."""

from __future__ import annotations

from typing import Any

import pytest

from jira_sandbox import errors as msg
from jira_sandbox.server import RunningSandbox
from tests.sandbox.sandbox_helpers import JiraHttp


def _fields(**extra: Any) -> dict[str, Any]:
    return {
        "project": {"key": "CSP"},
        "issuetype": {"name": "Incident"},
        "summary": "Valid summary",
        **extra,
    }


def _refused(http: JiraHttp, body: dict[str, Any]) -> dict[str, Any]:
    answer = http.post("issue", json=body)
    assert answer.status_code == 400, answer.text
    found: dict[str, Any] = answer.json()
    return found


def test_a_label_with_a_space_is_refused_with_jiras_message(sandbox: RunningSandbox) -> None:
    http = JiraHttp(sandbox)
    body = _refused(http, {"fields": _fields(labels=["csp", "a b"])})
    assert body == {
        "errorMessages": [],
        "errors": {"labels": "The label 'a b' contains spaces which is invalid."},
    }
    assert sandbox.admin.issues() == []


def test_a_label_over_255_characters_is_refused(sandbox: RunningSandbox) -> None:
    label = "x" * 256
    body = _refused(JiraHttp(sandbox), {"fields": _fields(labels=[label])})
    assert body["errors"]["labels"] == msg.label_too_long(label)


def test_a_summary_over_255_characters_is_refused(sandbox: RunningSandbox) -> None:
    body = _refused(JiraHttp(sandbox), {"fields": _fields(summary="s" * 256)})
    assert body["errors"] == {"summary": "Summary must be less than 255 characters."}


def test_a_summary_of_exactly_255_characters_is_accepted(sandbox: RunningSandbox) -> None:
    JiraHttp(sandbox).create("s" * 255)


def test_an_unknown_field_cannot_be_set(sandbox: RunningSandbox) -> None:
    body = _refused(JiraHttp(sandbox), {"fields": _fields(customfield_99999="x")})
    assert body["errors"] == {
        "customfield_99999": (
            "Field 'customfield_99999' cannot be set. It is not on the appropriate screen, "
            "or unknown."
        )
    }


def test_missing_required_fields_are_all_reported(sandbox: RunningSandbox) -> None:
    body = _refused(JiraHttp(sandbox), {"fields": {"labels": ["csp"]}})
    assert body["errors"] == {
        "project": "Specify a valid project ID or key",
        "issuetype": "Specify an issue type",
        "summary": "You must specify a summary of the issue.",
    }


def test_an_issue_type_outside_the_project_is_invalid(sandbox: RunningSandbox) -> None:
    body = _refused(JiraHttp(sandbox), {"fields": _fields(issuetype={"name": "Bug"})})
    assert body["errors"] == {"issuetype": "The issue type selected is invalid."}


def test_a_description_over_32767_characters_is_refused(sandbox: RunningSandbox) -> None:
    body = _refused(JiraHttp(sandbox), {"fields": _fields(description="d" * 32768)})
    assert body["errors"] == {
        "description": (
            "The entered text is too long. It exceeds the allowed limit of 32,767 characters."
        )
    }


def test_v3_wants_adf_for_the_description_and_v2_wants_a_string(sandbox: RunningSandbox) -> None:
    v3 = _refused(JiraHttp(sandbox, version=3), {"fields": _fields(description="plain")})
    assert v3["errors"] == {
        "description": (
            "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
        )
    }
    adf = {"type": "doc", "version": 1, "content": []}
    v2 = _refused(JiraHttp(sandbox, version=2), {"fields": _fields(description=adf)})
    assert v2["errors"] == {"description": "Operation value must be a string"}


def test_status_cannot_be_set_by_editing(sandbox: RunningSandbox) -> None:
    http = JiraHttp(sandbox)
    key = http.create()["key"]
    answer = http.put(f"issue/{key}", json={"fields": {"status": {"name": "Done"}}})
    assert answer.status_code == 400
    assert answer.json()["errors"] == {"status": msg.field_not_settable("status")}


def test_a_refused_edit_changes_nothing(sandbox: RunningSandbox) -> None:
    http = JiraHttp(sandbox)
    key = http.create(labels=["csp-keep"])["key"]
    answer = http.put(
        f"issue/{key}",
        json={
            "fields": {"summary": "Changed"},
            "update": {"labels": [{"add": "bad label"}, {"remove": "csp-keep"}]},
        },
    )
    assert answer.status_code == 400
    (issue,) = sandbox.admin.issues()
    assert issue["summary"] == "Disk full on db01"
    assert issue["labels"] == ["csp-keep"]


def test_an_invalid_transition_is_refused_with_jiras_message(sandbox: RunningSandbox) -> None:
    http = JiraHttp(sandbox)
    key = http.create()["key"]
    answer = http.post(f"issue/{key}/transitions", json={"transition": {"id": "51"}})
    assert answer.status_code == 400
    assert answer.json() == {
        "errorMessages": ["Transition id '51' is not valid for this issue."],
        "errors": {},
    }


def test_an_unknown_issue_is_404(sandbox: RunningSandbox) -> None:
    answer = JiraHttp(sandbox).get("issue/CSP-999")
    assert answer.status_code == 404
    assert answer.json()["errorMessages"] == [msg.ISSUE_NOT_FOUND]


def test_malformed_json_is_400(sandbox: RunningSandbox) -> None:
    answer = JiraHttp(sandbox).post(
        "issue", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400
    assert answer.json()["errorMessages"] == [msg.INVALID_PAYLOAD]


def test_bulk_create_reports_failures_per_element(sandbox: RunningSandbox) -> None:
    http = JiraHttp(sandbox)
    answer = http.post(
        "issue/bulk",
        json={
            "issueUpdates": [
                {"fields": _fields(summary="first")},
                {"fields": _fields(labels=["a b"])},
                {"fields": _fields(summary="third")},
            ]
        },
    )
    assert answer.status_code == 201
    body = answer.json()
    assert [issue["key"] for issue in body["issues"]] == ["CSP-1", "CSP-2"]
    assert body["errors"] == [
        {
            "status": 400,
            "elementErrors": {
                "errorMessages": [],
                "errors": {"labels": "The label 'a b' contains spaces which is invalid."},
            },
            "failedElementNumber": 1,
        }
    ]


def test_bulk_create_with_every_element_failing_is_400(sandbox: RunningSandbox) -> None:
    answer = JiraHttp(sandbox).post(
        "issue/bulk", json={"issueUpdates": [{"fields": {"summary": "no project"}}]}
    )
    assert answer.status_code == 400
    assert answer.json()["issues"] == []


@pytest.mark.parametrize("count", [50, 51])
def test_bulk_create_takes_at_most_50_issues(sandbox: RunningSandbox, count: int) -> None:
    updates = [{"fields": _fields(summary=f"n{n}")} for n in range(count)]
    answer = JiraHttp(sandbox).post("issue/bulk", json={"issueUpdates": updates})
    if count == 50:
        assert answer.status_code == 201 and len(answer.json()["issues"]) == 50
    else:
        # The contract's shape for this 400: CreatedIssues, the refusal as an element error.
        assert answer.status_code == 400
        body = answer.json()
        assert body["issues"] == []
        [error] = body["errors"]
        assert error["failedElementNumber"] == 50
        assert "50" in error["elementErrors"]["errorMessages"][0]
        assert sandbox.admin.issues() == []
