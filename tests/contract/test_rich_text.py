"""v3 takes and gives Atlassian Document Format for description and comments; v2 plain strings."""

from __future__ import annotations

from typing import Any

from tests.contract.clients import JiraHttp
from tests.contract.issues import adf, task_fields
from tests.support.contract import ContractRecorder, ContractValidator, Deployment, JiraContracts


def _create_v3(http: JiraHttp, **fields: Any) -> str:
    response = http.post("/rest/api/3/issue", json={"fields": task_fields("ADF issue", **fields)})
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


def test_v3_description_is_adf_in_and_out_and_plain_text_in_v2(
    cloud_http: JiraHttp, jira_contract: ContractRecorder
) -> None:
    key = _create_v3(cloud_http, description=adf("Disk full on db-01"))
    v3 = cloud_http.get(f"/rest/api/3/issue/{key}", params={"fields": "description"}).json()
    assert v3["fields"]["description"]["type"] == "doc"
    assert "Disk full on db-01" in str(v3["fields"]["description"])
    v2 = cloud_http.get(f"/rest/api/2/issue/{key}", params={"fields": "description"}).json()
    assert v2["fields"]["description"] == "Disk full on db-01"
    assert {
        ("POST", "/rest/api/3/issue"),
        ("GET", "/rest/api/3/issue/{issueIdOrKey}"),
        ("GET", "/rest/api/2/issue/{issueIdOrKey}"),
    } <= jira_contract.operations()


def test_v3_comments_are_adf_in_and_out(
    cloud_http: JiraHttp, jira_contract: ContractRecorder
) -> None:
    key = _create_v3(cloud_http)
    posted = cloud_http.post(f"/rest/api/3/issue/{key}/comment", json={"body": adf("Looking")})
    assert posted.status_code == 201
    assert posted.json()["body"]["type"] == "doc"
    page = cloud_http.get(f"/rest/api/3/issue/{key}/comment").json()
    assert [c["body"]["type"] for c in page["comments"]] == ["doc"]
    v2 = cloud_http.get(f"/rest/api/2/issue/{key}/comment").json()
    assert [c["body"] for c in v2["comments"]] == ["Looking"]
    assert {
        ("POST", "/rest/api/3/issue/{issueIdOrKey}/comment"),
        ("GET", "/rest/api/3/issue/{issueIdOrKey}/comment"),
    } <= jira_contract.operations()


def test_v3_worklog_comment_is_adf(cloud_http: JiraHttp) -> None:
    key = _create_v3(cloud_http)
    posted = cloud_http.post(
        f"/rest/api/3/issue/{key}/worklog",
        json={
            "timeSpentSeconds": 1800,
            "started": "2026-11-25T10:00:00.000+0000",
            "comment": adf("Rotated the logs"),
        },
    )
    assert posted.status_code == 201
    assert posted.json()["comment"]["type"] == "doc"


def test_v3_refuses_a_plain_string_description_as_jira_does(
    sandbox: Any, jira_contracts: JiraContracts
) -> None:
    # This request breaks the contract on purpose (alertmanager #4585): it is sent outside the
    # recorder and checked here, so that the request is shown to be the only thing wrong.
    http = JiraHttp(sandbox.base_url)
    response = http.post(
        "/rest/api/3/issue", json={"fields": task_fields("Plain", description="not ADF")}
    )
    assert response.status_code == 400
    assert "description" in response.json()["errors"]
    outcome = ContractValidator(jira_contracts, Deployment.CLOUD).check(response.request, response)
    assert [v.part for v in outcome.violations] == ["request"]
    assert "at $.fields.description" in outcome.violations[0].message
