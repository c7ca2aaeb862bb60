"""Search: Cloud `/search/jql` with page tokens, approximate count, DC `/search` with startAt.

And each mode's answer on the other mode's path: Cloud removed `/search` (410), Data Center never
had `/search/jql` (404).
"""

from __future__ import annotations

import jira

from tests.contract.clients import JiraHttp
from tests.contract.issues import new_issue, unique_label
from tests.support.contract import ContractRecorder


def _three_labelled(client: jira.JIRA) -> str:
    label = unique_label("search")
    for n in range(3):
        new_issue(client, f"Searchable {n}", labels=[label])
    return label


def test_cloud_search_jql_pages_with_next_page_token(
    cloud_jira: jira.JIRA, cloud_http: JiraHttp, jira_contract: ContractRecorder
) -> None:
    label = _three_labelled(cloud_jira)
    jql = f"labels = {label} ORDER BY key ASC"
    first = cloud_http.get(
        "/rest/api/2/search/jql", params={"jql": jql, "maxResults": 2, "fields": "summary"}
    ).json()
    assert [i["fields"]["summary"] for i in first["issues"]] == ["Searchable 0", "Searchable 1"]
    assert first["isLast"] is False
    assert "total" not in first
    second = cloud_http.get(
        "/rest/api/2/search/jql",
        params={
            "jql": jql,
            "maxResults": 2,
            "fields": "summary",
            "nextPageToken": first["nextPageToken"],
        },
    ).json()
    assert [i["fields"]["summary"] for i in second["issues"]] == ["Searchable 2"]
    assert second["isLast"] is True
    assert "nextPageToken" not in second
    assert ("GET", "/rest/api/2/search/jql") in jira_contract.operations()


def test_cloud_search_jql_by_post_returns_the_same_issues(
    cloud_jira: jira.JIRA, cloud_http: JiraHttp, jira_contract: ContractRecorder
) -> None:
    label = _three_labelled(cloud_jira)
    body = {
        "jql": f"labels = {label} ORDER BY key ASC",
        "maxResults": 50,
        "fields": ["summary", "labels"],
    }
    page = cloud_http.post("/rest/api/2/search/jql", json=body).json()
    assert [i["fields"]["summary"] for i in page["issues"]] == [
        "Searchable 0",
        "Searchable 1",
        "Searchable 2",
    ]
    assert page["isLast"] is True
    assert ("POST", "/rest/api/2/search/jql") in jira_contract.operations()


def test_the_jira_package_searches_cloud_through_search_jql(
    cloud_jira: jira.JIRA, jira_contract: ContractRecorder
) -> None:
    label = _three_labelled(cloud_jira)
    found = cloud_jira.search_issues(f"labels = {label}", maxResults=0)
    assert len(found) == 3
    assert ("GET", "/rest/api/2/search/jql") in jira_contract.operations()
    assert ("GET", "/rest/api/2/search") not in jira_contract.operations()


def test_approximate_count_counts_the_matches(
    cloud_jira: jira.JIRA, jira_contract: ContractRecorder
) -> None:
    label = _three_labelled(cloud_jira)
    assert cloud_jira.approximate_issue_count(f"labels = {label}") == 3
    assert ("POST", "/rest/api/2/search/approximate-count") in jira_contract.operations()


def test_data_center_search_pages_with_start_at_and_total(
    dc_jira: jira.JIRA, dc_http: JiraHttp, jira_contract: ContractRecorder
) -> None:
    label = _three_labelled(dc_jira)
    jql = f"labels = {label} ORDER BY key ASC"
    page = dc_jira.search_issues(jql, startAt=1, maxResults=1)
    assert page.total == 3
    assert [i.fields.summary for i in page] == ["Searchable 1"]
    raw = dc_http.post(
        "/rest/api/2/search",
        json={"jql": jql, "startAt": 2, "maxResults": 5, "fields": ["summary"]},
    ).json()
    assert (raw["startAt"], raw["maxResults"], raw["total"]) == (2, 5, 3)
    assert [i["fields"]["summary"] for i in raw["issues"]] == ["Searchable 2"]
    assert {
        ("GET", "/rest/api/2/search"),
        ("POST", "/rest/api/2/search"),
    } <= jira_contract.operations()


def test_cloud_answers_the_removed_search_with_410(cloud_http: JiraHttp) -> None:
    response = cloud_http.get("/rest/api/2/search", params={"jql": "project = CSP"})
    assert response.status_code == 410
    assert "/search/jql" in response.json()["errorMessages"][0]
    assert cloud_http.post("/rest/api/3/search", json={"jql": "project = CSP"}).status_code == 410


def test_data_center_answers_search_jql_with_404(dc_http: JiraHttp) -> None:
    assert dc_http.get("/rest/api/2/search/jql", params={"jql": "project = CSP"}).status_code == 404


def test_bad_jql_is_a_400_not_a_match_all(cloud_http: JiraHttp) -> None:
    response = cloud_http.get("/rest/api/2/search/jql", params={"jql": "labels = = x"})
    assert response.status_code == 400
    assert response.json()["errorMessages"]
    response = cloud_http.get("/rest/api/2/search/jql", params={"jql": "nosuchfield = x"})
    assert response.status_code == 400
