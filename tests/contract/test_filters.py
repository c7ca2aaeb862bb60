"""Saved filters and their sharing, and replacing an attachment: what a report raised in Jira
needs (issue 9), on Cloud (v2 and v3) and Data Center, every exchange held to the contract."""

from __future__ import annotations

import io
from typing import Any

import jira
import pytest

from tests.contract.clients import JiraHttp
from tests.contract.issues import PROJECT, new_issue, unique_label
from tests.support.contract import ContractRecorder, Deployment


def _create(http: JiraHttp, version: int, name: str, jql: str) -> dict[str, object]:
    answer = http.post(
        f"/rest/api/{version}/filter",
        json={"name": name, "jql": jql, "description": "CSP numbers"},
    )
    assert answer.status_code == 200, answer.text
    created: dict[str, object] = answer.json()
    return created


@pytest.mark.parametrize("version", [2, 3])
def test_cloud_filter_is_created_found_by_name_updated_and_shared_with_the_project(
    cloud_http: JiraHttp, jira_contract: ContractRecorder, version: int
) -> None:
    name = f"CSP acme open escalations {unique_label()}"
    created = _create(cloud_http, version, name, f'project = {PROJECT} AND labels = "csp-acme"')
    filter_id = created["id"]
    assert created["name"] == name
    assert created["favourite"] is True

    found = cloud_http.get(
        f"/rest/api/{version}/filter/search",
        params={"filterName": f'"{name}"', "expand": "jql,sharePermissions"},
    ).json()
    assert [v["id"] for v in found["values"]] == [filter_id]
    assert found["values"][0]["jql"] == f'project = {PROJECT} AND labels = "csp-acme"'

    updated = cloud_http.put(
        f"/rest/api/{version}/filter/{filter_id}",
        json={"name": name, "jql": f'project = {PROJECT} AND labels = "csp-acme-2"'},
    )
    assert updated.status_code == 200
    assert (
        cloud_http.get(f"/rest/api/{version}/filter/{filter_id}")
        .json()["jql"]
        .endswith('"csp-acme-2"')
    )

    project_id = cloud_http.get(f"/rest/api/{version}/project/{PROJECT}").json()["id"]
    shared = cloud_http.post(
        f"/rest/api/{version}/filter/{filter_id}/permission",
        json={"type": "project", "projectId": project_id},
    )
    assert shared.status_code == 201
    assert [(p["type"], p["project"]["key"]) for p in shared.json()] == [("project", PROJECT)]
    listed = cloud_http.get(f"/rest/api/{version}/filter/{filter_id}/permission").json()
    assert [p["type"] for p in listed] == ["project"]
    favourites = cloud_http.get(f"/rest/api/{version}/filter/favourite").json()
    assert filter_id in [f["id"] for f in favourites]
    assert {
        ("POST", f"/rest/api/{version}/filter"),
        ("GET", f"/rest/api/{version}/filter/search"),
        ("PUT", f"/rest/api/{version}/filter/{{id}}"),
        ("POST", f"/rest/api/{version}/filter/{{id}}/permission"),
        ("GET", f"/rest/api/{version}/filter/{{id}}/permission"),
        ("GET", f"/rest/api/{version}/filter/favourite"),
    } <= jira_contract.operations()


def test_filter_search_matches_whole_words_unless_substring_is_asked_for(
    cloud_http: JiraHttp,
) -> None:
    marker = unique_label()
    _create(cloud_http, 2, f"{marker} open escalations", f"project = {PROJECT}")
    by_words = cloud_http.get(
        "/rest/api/2/filter/search", params={"filterName": f"{marker} escalations"}
    ).json()
    assert [v["name"] for v in by_words["values"]] == [f"{marker} open escalations"]
    assert "jql" not in by_words["values"][0]  # only when expanded
    by_substring = cloud_http.get(
        "/rest/api/2/filter/search",
        params={"filterName": "pen escal", "isSubstringMatch": "true"},
    ).json()
    assert f"{marker} open escalations" in [v["name"] for v in by_substring["values"]]


def test_a_second_filter_with_the_same_name_is_refused(cloud_http: JiraHttp) -> None:
    name = f"CSP duplicate {unique_label()}"
    _create(cloud_http, 2, name, f"project = {PROJECT}")
    again = cloud_http.post("/rest/api/2/filter", json={"name": name, "jql": "project = CSP"})
    assert again.status_code == 400
    assert "filterName" in again.json()["errors"]


def test_a_filter_with_bad_jql_is_refused_as_a_search_would_be(cloud_http: JiraHttp) -> None:
    answer = cloud_http.post(
        "/rest/api/2/filter",
        json={"name": f"bad {unique_label()}", "jql": 'status = "No such status"'},
    )
    assert answer.status_code == 400
    assert (
        cloud_http.post(
            "/rest/api/2/filter", json={"name": f"bad {unique_label()}", "jql": "project = = x"}
        ).status_code
        == 400
    )


def test_sharing_with_an_unknown_group_is_refused(cloud_http: JiraHttp) -> None:
    created = _create(cloud_http, 2, f"CSP group {unique_label()}", f"project = {PROJECT}")
    answer = cloud_http.post(
        f"/rest/api/2/filter/{created['id']}/permission",
        json={"type": "group", "groupname": "no-such-group"},
    )
    assert answer.status_code == 400
    ok = cloud_http.post(
        f"/rest/api/2/filter/{created['id']}/permission",
        json={"type": "group", "groupname": "jira-software-users"},
    )
    assert ok.status_code == 201
    assert ok.json()[0]["group"]["name"] == "jira-software-users"


def test_data_center_filter_is_created_read_updated_and_shared(
    dc_http: JiraHttp, jira_contract: ContractRecorder
) -> None:
    name = f"CSP DC filter {unique_label()}"
    created = _create(dc_http, 2, name, f"project = {PROJECT}")
    filter_id = created["id"]
    assert dc_http.get(f"/rest/api/2/filter/{filter_id}").json()["name"] == name
    assert (
        dc_http.put(
            f"/rest/api/2/filter/{filter_id}",
            json={"name": name, "jql": f"project = {PROJECT} AND labels = x"},
        ).status_code
        == 200
    )
    project_id = dc_http.get(f"/rest/api/2/project/{PROJECT}").json()["id"]
    shared = dc_http.post(
        f"/rest/api/2/filter/{filter_id}/permission",
        json={"type": "project", "projectId": project_id},
    )
    assert shared.status_code == 201
    assert [p["project"]["key"] for p in shared.json()] == [PROJECT]
    favourites = dc_http.get("/rest/api/2/filter/favourite").json()
    assert filter_id in [f["id"] for f in favourites]
    assert dc_http.get("/rest/api/2/filter/search").status_code == 400  # DC has no search
    assert {
        ("POST", "/rest/api/2/filter/{id}/permission"),
        ("GET", "/rest/api/2/filter/favourite"),
    } <= jira_contract.operations()


@pytest.mark.parametrize("client", ["cloud_jira", "dc_jira"])
def test_an_attachment_is_replaced_by_adding_the_new_and_deleting_the_old(
    request: pytest.FixtureRequest, jira_contract: ContractRecorder, client: str
) -> None:
    jira_client: jira.JIRA = request.getfixturevalue(client)
    key = new_issue(jira_client).key
    old = jira_client.add_attachment(key, io.BytesIO(b"a,b\n1,2\n"), filename="trend.csv")
    new = jira_client.add_attachment(key, io.BytesIO(b"a,b\n3,4\n"), filename="trend.csv")
    jira_client.delete_attachment(old.id)
    attachments = jira_client.issue(key, fields="attachment").fields.attachment
    assert [(a.id, a.filename, a.size) for a in attachments] == [(new.id, "trend.csv", 8)]
    assert ("DELETE", "/rest/api/2/attachment/{id}") in jira_contract.operations()


def test_a_filter_is_visible_to_others_only_once_shared_and_only_its_owner_changes_it(
    sandbox: Any, cloud_http: JiraHttp, jira_contract: ContractRecorder
) -> None:
    alice = JiraHttp(sandbox.base_url, auth=("csp.alice", "csp.alice-token"))
    jira_contract.attach(alice.session, deployment=Deployment.CLOUD)
    created = _create(cloud_http, 2, f"CSP visibility {unique_label()}", f"project = {PROJECT}")
    path = f"/rest/api/2/filter/{created['id']}"
    assert alice.get(path).status_code == 400  # not shared with her yet
    cloud_http.post(f"{path}/permission", json={"type": "group", "groupname": "csp-staff"})
    assert alice.get(path).json()["name"] == created["name"]
    refused = alice.put(path, json={"name": "taken over", "jql": "project = CSP"})
    assert refused.status_code == 400
    assert cloud_http.get(path).json()["name"] == created["name"]
