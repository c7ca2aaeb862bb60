"""Cloud and Data Center answer as their real counterparts: search paths, serverInfo, auth."""

from __future__ import annotations

import jira
import requests

from jira_sandbox import errors as msg
from jira_sandbox.server import RunningSandbox
from tests.sandbox.sandbox_helpers import JiraHttp


def test_cloud_answers_the_removed_search_api_with_410_and_jiras_message(
    sandbox: RunningSandbox,
) -> None:
    for version in (2, 3):
        http = JiraHttp(sandbox, version=version)
        for answer in (
            http.get("search", params={"jql": "project = CSP"}),
            http.post("search", json={"jql": "project = CSP"}),
        ):
            assert answer.status_code == 410
            assert answer.json() == {"errorMessages": [msg.REMOVED_SEARCH_API], "errors": {}}


def test_data_center_has_no_search_jql(sandbox_dc: RunningSandbox) -> None:
    http = JiraHttp(sandbox_dc)
    assert http.get("search/jql", params={"jql": "project = CSP"}).status_code == 404
    assert http.post("search/jql", json={"jql": "project = CSP"}).status_code == 404
    assert http.post("search/approximate-count", json={"jql": "project = CSP"}).status_code == 404


def test_server_info_tells_cloud_from_data_center(
    sandbox: RunningSandbox, sandbox_dc: RunningSandbox
) -> None:
    cloud = JiraHttp(sandbox).get("serverInfo").json()
    server = JiraHttp(sandbox_dc).get("serverInfo").json()
    assert cloud["deploymentType"] == "Cloud"
    assert server["deploymentType"] == "Server"
    assert server["versionNumbers"][0] == 10
    assert cloud["baseUrl"] == sandbox.base_url


def test_cloud_users_have_account_ids_and_data_center_users_have_names(
    sandbox: RunningSandbox, sandbox_dc: RunningSandbox
) -> None:
    cloud = JiraHttp(sandbox).get("myself").json()
    server = JiraHttp(sandbox_dc).get("myself").json()
    assert cloud["accountId"].startswith("712020:") and "name" not in cloud
    assert server["name"] == "csp-sync" and "accountId" not in server


def test_cloud_search_jql_pages_with_next_page_token_and_no_total(
    sandbox: RunningSandbox,
) -> None:
    http = JiraHttp(sandbox)
    keys = [http.create(f"Issue {n}", labels=["csp-page"])["key"] for n in range(5)]
    seen: list[str] = []
    params = {"jql": "labels = csp-page ORDER BY key ASC", "maxResults": 2, "fields": "key"}
    token = None
    pages = 0
    while True:
        page = http.get("search/jql", params={**params, "nextPageToken": token})
        body = page.json()
        assert "total" not in body
        seen += [issue["key"] for issue in body["issues"]]
        pages += 1
        if body["isLast"]:
            assert "nextPageToken" not in body
            break
        token = body["nextPageToken"]
    assert seen == keys
    assert pages == 3


def test_cloud_search_jql_returns_ids_only_unless_fields_are_asked_for(
    sandbox: RunningSandbox,
) -> None:
    http = JiraHttp(sandbox)
    created = http.create(labels=["csp-ids"])
    bare = http.get("search/jql", params={"jql": "labels = csp-ids"}).json()
    assert bare["issues"] == [{"id": created["id"]}]
    full = http.post(
        "search/jql", json={"jql": "labels = csp-ids", "fields": ["summary", "labels"]}
    ).json()
    assert full["issues"][0]["fields"] == {"summary": "Disk full on db01", "labels": ["csp-ids"]}


def test_cloud_search_jql_caps_pages_with_fields_at_100_and_refuses_bad_sizes(
    sandbox: RunningSandbox,
) -> None:
    http = JiraHttp(sandbox)
    for n in range(101):
        http.create(f"Bulk {n}", labels=["csp-many"])
    with_fields = http.get(
        "search/jql", params={"jql": "labels = csp-many", "maxResults": 500, "fields": "summary"}
    ).json()
    assert len(with_fields["issues"]) == 100 and not with_fields["isLast"]
    ids_only = http.get("search/jql", params={"jql": "labels = csp-many", "maxResults": 500})
    assert len(ids_only.json()["issues"]) == 101
    refused = http.get("search/jql", params={"jql": "labels = csp-many", "maxResults": 0})
    assert refused.status_code == 400


def test_cloud_refuses_unbounded_jql(sandbox: RunningSandbox) -> None:
    answer = JiraHttp(sandbox).get("search/jql", params={"jql": "order by key desc"})
    assert answer.status_code == 400
    assert answer.json()["errorMessages"] == [msg.UNBOUNDED_JQL]


def test_jql_errors_are_400_with_jiras_messages(sandbox: RunningSandbox) -> None:
    http = JiraHttp(sandbox)
    syntax = http.get("search/jql", params={"jql": "project = "})
    assert syntax.status_code == 400
    assert syntax.json()["errorMessages"][0].startswith("Error in the JQL Query:")
    unknown = http.get("search/jql", params={"jql": "project = NOPE"})
    assert unknown.status_code == 400
    assert unknown.json()["errorMessages"] == [
        "The value 'NOPE' does not exist for the field 'project'."
    ]


def test_approximate_count_counts_matches(sandbox: RunningSandbox) -> None:
    http = JiraHttp(sandbox)
    for _ in range(3):
        http.create(labels=["csp-count"])
    answer = http.post("search/approximate-count", json={"jql": "labels = csp-count"})
    assert answer.json() == {"count": 3}


def test_data_center_search_pages_with_start_at_and_total(sandbox_dc: RunningSandbox) -> None:
    http = JiraHttp(sandbox_dc)
    keys = [http.create(f"DC {n}", labels=["csp-dc"])["key"] for n in range(3)]
    page = http.get(
        "search", params={"jql": "labels = csp-dc ORDER BY key", "startAt": 1, "maxResults": 1}
    ).json()
    assert (page["startAt"], page["maxResults"], page["total"]) == (1, 1, 3)
    assert [issue["key"] for issue in page["issues"]] == keys[1:2]
    assert "summary" in page["issues"][0]["fields"]  # navigable fields by default


def test_missing_or_wrong_credentials_get_401(sandbox: RunningSandbox) -> None:
    anonymous = requests.get(f"{sandbox.base_url}/rest/api/2/myself", timeout=5)
    assert anonymous.status_code == 401
    assert anonymous.json()["errorMessages"] == [msg.NOT_AUTHENTICATED]
    wrong = requests.get(
        f"{sandbox.base_url}/rest/api/2/myself", auth=("csp-sync", "not-the-token"), timeout=5
    )
    assert wrong.status_code == 401
    assert wrong.headers["X-Seraph-LoginReason"] == "AUTHENTICATED_FAILED"
    # serverInfo answers anonymously, as Jira's does.
    assert requests.get(f"{sandbox.base_url}/rest/api/2/serverInfo", timeout=5).ok


def test_basic_auth_takes_the_email_as_well_as_the_user_name(sandbox: RunningSandbox) -> None:
    answer = requests.get(
        f"{sandbox.base_url}/rest/api/3/myself",
        auth=("alice@sandbox.example", "csp.alice-token"),
        timeout=5,
    )
    assert answer.json()["displayName"] == "Alice Csp"


def test_bearer_tokens_work_on_data_center_and_get_403_on_cloud(
    sandbox: RunningSandbox, sandbox_dc: RunningSandbox
) -> None:
    headers = {"Authorization": "Bearer noc.dave-token"}
    server = requests.get(f"{sandbox_dc.base_url}/rest/api/2/myself", headers=headers, timeout=5)
    assert server.json()["name"] == "noc.dave"
    cloud = requests.get(f"{sandbox.base_url}/rest/api/2/myself", headers=headers, timeout=5)
    assert cloud.status_code == 403
    assert cloud.json() == {"error": "Failed to parse Connect Session Auth Token"}


def test_cloud_create_metadata_pages_issue_types_and_fields(sandbox: RunningSandbox) -> None:
    http = JiraHttp(sandbox)
    types = http.get("issue/createmeta/CSP/issuetypes").json()
    assert [t["name"] for t in types["issueTypes"]][:2] == ["Task", "Incident"]
    fields = http.get(f"issue/createmeta/CSP/issuetypes/{types['issueTypes'][0]['id']}").json()
    required = {f["fieldId"] for f in fields["fields"] if f["required"]}
    assert required == {"project", "issuetype", "summary", "reporter"}


def test_the_jira_package_can_validate_its_login(sandbox: RunningSandbox) -> None:
    client = jira.JIRA(server=sandbox.base_url, basic_auth=sandbox.credentials(), validate=True)
    assert client.current_user() in ("csp-sync", sandbox.sandbox.state.users["csp-sync"].account_id)


def test_cloud_names_users_by_account_id_only(
    sandbox: RunningSandbox, sandbox_dc: RunningSandbox
) -> None:
    by_name = {"assignee": {"name": "csp.alice"}}
    cloud = JiraHttp(sandbox).post(
        "issue",
        json={
            "fields": {
                "project": {"key": "CSP"},
                "issuetype": {"name": "Task"},
                "summary": "x",
                **by_name,
            }
        },
    )
    assert cloud.status_code == 400 and "accountId" in cloud.json()["errors"]["assignee"]
    assert JiraHttp(sandbox_dc).create("By name", **by_name)["key"] == "CSP-1"
    search = JiraHttp(sandbox).get("user/search", params={"username": "csp.alice"})
    assert search.status_code == 400
    assert search.json()["errorMessages"] == [msg.GDPR_QUERY]
    jql = JiraHttp(sandbox).get("search/jql", params={"jql": "assignee = csp.alice"})
    assert jql.status_code == 400
    alice = sandbox.sandbox.state.users["csp.alice"]
    assert JiraHttp(sandbox).jql(f'assignee = "{alice.account_id}"') == []
    assert JiraHttp(sandbox_dc).jql("assignee = csp.alice") == ["CSP-1"]
