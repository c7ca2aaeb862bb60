"""Server, user and catalog reads, through the `jira` package, held to the contract."""

from __future__ import annotations

from typing import Any

import jira

from tests.contract.clients import SYNC_USER, JiraHttp
from tests.contract.issues import ISSUE_TYPES, PROJECT
from tests.support.contract import ContractRecorder, Deployment

WORKFLOW_STATUSES = {"To Do", "In Progress", "Awaiting approval", "Done"}


def test_server_info_says_cloud_in_cloud_mode(
    cloud_jira: jira.JIRA, jira_contract: ContractRecorder
) -> None:
    info = cloud_jira.server_info()
    assert info["deploymentType"] == "Cloud"
    assert ("GET", "/rest/api/2/serverInfo") in jira_contract.operations()


def test_server_info_says_data_center_in_dc_mode(
    dc_jira: jira.JIRA, jira_contract: ContractRecorder
) -> None:
    info = dc_jira.server_info()
    assert info["deploymentType"] in ("Server", "DataCenter")
    assert info["versionNumbers"][:2] == [10, 3]
    assert ("GET", "/rest/api/2/serverInfo") in jira_contract.operations()


def test_myself_is_the_authenticated_integration_user(cloud_jira: jira.JIRA) -> None:
    me = cloud_jira.myself()
    assert me["accountId"]
    assert me["displayName"] == "CSP Sync (integration)"


def test_myself_on_data_center_carries_the_user_name(dc_jira: jira.JIRA) -> None:
    assert dc_jira.myself()["name"] == SYNC_USER


def test_fields_list_system_and_custom_fields(cloud_jira: jira.JIRA) -> None:
    fields = {f["id"]: f for f in cloud_jira.fields()}
    assert {"summary", "description", "labels", "priority", "status"} <= fields.keys()
    assert fields["customfield_10100"]["custom"] is True
    assert fields["labels"]["custom"] is False


def test_project_issue_types_priorities_and_statuses_are_the_seeded_catalog(
    cloud_jira: jira.JIRA, jira_contract: ContractRecorder
) -> None:
    assert PROJECT in {p.key for p in cloud_jira.projects()}
    assert cloud_jira.project(PROJECT).key == PROJECT
    assert {t.name for t in cloud_jira.issue_types()} >= ISSUE_TYPES
    assert {"Highest", "High", "Medium", "Low", "Lowest"} <= {
        p.name for p in cloud_jira.priorities()
    }
    assert {s.name for s in cloud_jira.statuses()} >= WORKFLOW_STATUSES
    assert {
        ("GET", "/rest/api/2/project"),
        ("GET", "/rest/api/2/project/{projectIdOrKey}"),
        ("GET", "/rest/api/2/issuetype"),
        ("GET", "/rest/api/2/priority"),
        ("GET", "/rest/api/2/status"),
    } <= jira_contract.operations()


def test_user_search_finds_staff_by_query_on_cloud(cloud_jira: jira.JIRA) -> None:
    found = cloud_jira.search_users(query="alice")
    assert [u.displayName for u in found] == ["Alice Csp"]
    assert found[0].accountId


def test_user_search_finds_staff_by_username_on_data_center(dc_jira: jira.JIRA) -> None:
    found = dc_jira.search_users(user="csp.alice")
    assert [u.name for u in found] == ["csp.alice"]


def test_group_members_are_listed_paged(cloud_http: JiraHttp) -> None:
    response = cloud_http.get(
        "/rest/api/2/group/member", params={"groupname": "csp-staff", "maxResults": 2}
    )
    assert response.status_code == 200
    page = response.json()
    assert page["total"] == 3
    assert len(page["values"]) == 2
    assert page["isLast"] is False


def test_group_members_on_data_center_are_read_by_group_name(dc_http: JiraHttp) -> None:
    response = dc_http.get("/rest/api/2/group/member", params={"groupname": "noc-engineers"})
    assert response.status_code == 200
    assert sorted(u["name"] for u in response.json()["values"]) == ["noc.dave", "noc.erin"]


def test_data_center_takes_a_personal_access_token_as_bearer(
    sandbox_dc: Any, jira_contract: ContractRecorder
) -> None:
    client = jira.JIRA(
        server=sandbox_dc.base_url,
        token_auth="csp-sync-token",
        get_server_info=False,
        max_retries=0,
        options={"check_update": False},
    )
    jira_contract.attach(client, deployment=Deployment.DATA_CENTER)
    assert client.myself()["name"] == SYNC_USER
    assert ("GET", "/rest/api/2/myself") in jira_contract.operations()


def test_project_statuses_list_the_workflow_per_issue_type(
    cloud_http: JiraHttp, jira_contract: ContractRecorder
) -> None:
    answer = cloud_http.get(f"/rest/api/2/project/{PROJECT}/statuses")
    assert answer.status_code == 200
    by_type = {t["name"]: {s["name"] for s in t["statuses"]} for t in answer.json()}
    assert set(by_type) == set(ISSUE_TYPES)
    assert by_type["Incident"] == WORKFLOW_STATUSES
    assert ("GET", "/rest/api/2/project/{projectIdOrKey}/statuses") in jira_contract.operations()
