"""Bad input gets Jira's answer: its status and its `{"errorMessages", "errors"}` body."""

from __future__ import annotations

from typing import Any

import jira
import pytest

from tests.contract.clients import JiraHttp
from tests.contract.issues import new_issue, task_fields


def _create(http: JiraHttp, **fields: object) -> tuple[int, Any]:
    response = http.post("/rest/api/2/issue", json={"fields": task_fields("Bad input", **fields)})
    return response.status_code, response.json()


def test_a_label_with_a_space_is_refused_with_jiras_message(cloud_http: JiraHttp) -> None:
    status, body = _create(cloud_http, labels=["csp noc"])
    assert status == 400
    assert body["errors"] == {"labels": "The label 'csp noc' contains spaces which is invalid."}


def test_the_jira_package_raises_on_the_refused_label(cloud_jira: jira.JIRA) -> None:
    with pytest.raises(jira.JIRAError) as raised:
        new_issue(cloud_jira, labels=["csp noc"])
    assert raised.value.status_code == 400
    assert "contains spaces" in (raised.value.text or "")


def test_a_summary_over_255_characters_is_refused(cloud_http: JiraHttp) -> None:
    response = cloud_http.post("/rest/api/2/issue", json={"fields": task_fields("x" * 256)})
    assert response.status_code == 400
    assert response.json()["errors"] == {"summary": "Summary must be less than 255 characters."}


def test_an_unknown_field_is_refused(cloud_http: JiraHttp) -> None:
    status, body = _create(cloud_http, customfield_99999="x")
    assert status == 400
    assert body["errors"] == {
        "customfield_99999": (
            "Field 'customfield_99999' cannot be set. It is not on the appropriate screen, "
            "or unknown."
        )
    }


def test_a_missing_summary_is_refused(cloud_http: JiraHttp) -> None:
    fields = task_fields("ignored")
    del fields["summary"]
    response = cloud_http.post("/rest/api/2/issue", json={"fields": fields})
    assert response.status_code == 400
    assert response.json()["errors"] == {"summary": "You must specify a summary of the issue."}


def test_every_problem_is_reported_and_nothing_is_created(cloud_http: JiraHttp) -> None:
    label = "has space"
    status, body = _create(cloud_http, labels=[label], customfield_99999="x")
    assert status == 400
    assert set(body["errors"]) == {"labels", "customfield_99999"}
    found = cloud_http.get(
        "/rest/api/2/search/jql", params={"jql": 'summary ~ "Bad input"', "fields": "labels"}
    ).json()
    assert all(label not in i["fields"]["labels"] for i in found["issues"])


def test_a_transition_not_available_from_the_status_is_refused(
    cloud_jira: jira.JIRA, cloud_http: JiraHttp
) -> None:
    key = new_issue(cloud_jira).key  # To Do: Reopen (51) only leaves Done
    response = cloud_http.post(
        f"/rest/api/2/issue/{key}/transitions", json={"transition": {"id": "51"}}
    )
    assert response.status_code == 400
    assert response.json()["errorMessages"] == ["Transition id '51' is not valid for this issue."]
    assert cloud_jira.issue(key).fields.status.name == "To Do"


def test_no_credentials_is_a_401(anonymous_http: JiraHttp) -> None:
    response = anonymous_http.get("/rest/api/2/myself")
    assert response.status_code == 401
    assert response.json()["errorMessages"]


def test_a_wrong_token_is_a_401(sandbox: object, anonymous_http: JiraHttp) -> None:
    anonymous_http.session.auth = ("csp-sync", "not-the-token")
    response = anonymous_http.get("/rest/api/2/myself")
    assert response.status_code == 401


def test_an_unknown_issue_is_a_404_with_jiras_message(cloud_http: JiraHttp) -> None:
    response = cloud_http.get("/rest/api/2/issue/CSP-999999")
    assert response.status_code == 404
    assert response.json()["errorMessages"] == [
        "Issue does not exist or you do not have permission to see it."
    ]
