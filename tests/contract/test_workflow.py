"""Transitions over the sandbox workflow, and comments, held to the contract."""

from __future__ import annotations

import jira

from tests.contract.clients import JiraHttp
from tests.contract.issues import new_issue
from tests.support.contract import ContractRecorder


def test_transitions_list_what_the_current_status_allows(
    cloud_jira: jira.JIRA, jira_contract: ContractRecorder
) -> None:
    key = new_issue(cloud_jira).key
    names = {t["name"] for t in cloud_jira.transitions(key)}
    assert {"Start Progress", "Request Approval", "Done"} <= names
    assert "Reopen" not in names
    assert ("GET", "/rest/api/2/issue/{issueIdOrKey}/transitions") in jira_contract.operations()


def test_transition_with_a_comment_moves_the_issue_and_adds_the_comment(
    cloud_jira: jira.JIRA, jira_contract: ContractRecorder
) -> None:
    key = new_issue(cloud_jira).key
    cloud_jira.transition_issue(key, "Start Progress", comment="Taking this one")
    issue = cloud_jira.issue(key)
    assert issue.fields.status.name == "In Progress"
    assert [c.body for c in cloud_jira.comments(key)] == ["Taking this one"]
    assert ("POST", "/rest/api/2/issue/{issueIdOrKey}/transitions") in jira_contract.operations()


def test_done_sets_a_resolution_and_reopen_clears_it(cloud_jira: jira.JIRA) -> None:
    key = new_issue(cloud_jira).key
    cloud_jira.transition_issue(key, "Done")
    done = cloud_jira.issue(key)
    assert done.fields.status.name == "Done"
    assert done.fields.resolution is not None
    assert done.fields.resolution.name == "Done"
    cloud_jira.transition_issue(key, "Reopen")
    reopened = cloud_jira.issue(key)
    assert reopened.fields.status.name == "To Do"
    assert reopened.fields.resolution is None


def test_comments_are_added_and_listed_in_pages(
    cloud_jira: jira.JIRA, cloud_http: JiraHttp, jira_contract: ContractRecorder
) -> None:
    key = new_issue(cloud_jira).key
    for text in ("first", "second", "third"):
        cloud_jira.add_comment(key, text)
    assert [c.body for c in cloud_jira.comments(key)] == ["first", "second", "third"]
    assert cloud_jira.comments(key)[0].author.displayName == "CSP Sync (integration)"

    page = cloud_http.get(
        f"/rest/api/2/issue/{key}/comment", params={"startAt": 1, "maxResults": 1}
    ).json()
    assert (page["startAt"], page["maxResults"], page["total"]) == (1, 1, 3)
    assert [c["body"] for c in page["comments"]] == ["second"]
    assert {
        ("POST", "/rest/api/2/issue/{issueIdOrKey}/comment"),
        ("GET", "/rest/api/2/issue/{issueIdOrKey}/comment"),
    } <= jira_contract.operations()


def test_data_center_transition_and_comment(dc_jira: jira.JIRA) -> None:
    key = new_issue(dc_jira).key
    dc_jira.transition_issue(key, "Request Approval", comment="Needs the customer's go-ahead")
    assert dc_jira.issue(key).fields.status.name == "Awaiting approval"
    assert [c.body for c in dc_jira.comments(key)] == ["Needs the customer's go-ahead"]
