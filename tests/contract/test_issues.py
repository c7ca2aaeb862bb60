"""Issue create, bulk create, read, edit, properties, watchers, links, attachments, delete."""

from __future__ import annotations

import io
from typing import Any

import jira
import pytest

from tests.contract.clients import JiraHttp
from tests.contract.issues import PROJECT, new_issue, task_fields, unique_label
from tests.support.contract import ContractRecorder


def test_create_with_labels_priority_and_properties_reads_back(
    cloud_http: JiraHttp, cloud_jira: jira.JIRA, jira_contract: ContractRecorder
) -> None:
    label = unique_label()
    body = {
        "fields": task_fields(
            "Disk full on db-01", labels=[label, "csp-noc"], priority={"name": "High"}
        ),
        "properties": [{"key": "csp.escalation", "value": {"source": "noc", "ref": "INC-42"}}],
    }
    created = cloud_http.post("/rest/api/2/issue", json=body)
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith(f"{PROJECT}-")

    issue = cloud_jira.issue(key)
    assert sorted(issue.fields.labels) == sorted([label, "csp-noc"])
    assert issue.fields.priority.name == "High"
    assert issue.fields.status.name == "To Do"
    prop = cloud_jira.issue_property(key, "csp.escalation")
    assert prop.value.ref == "INC-42"
    assert {
        ("POST", "/rest/api/2/issue"),
        ("GET", "/rest/api/2/issue/{issueIdOrKey}"),
        ("GET", "/rest/api/2/issue/{issueIdOrKey}/properties/{propertyKey}"),
    } <= jira_contract.operations()


def test_create_through_the_jira_package_returns_the_issue(cloud_jira: jira.JIRA) -> None:
    issue = new_issue(cloud_jira, "Created by the jira package", labels=["csp-noc"])
    assert issue.key.startswith(f"{PROJECT}-")
    assert issue.fields.summary == "Created by the jira package"
    assert issue.fields.reporter.displayName == "CSP Sync (integration)"


def test_bulk_create_reports_each_failed_item_and_creates_the_rest(
    cloud_jira: jira.JIRA, jira_contract: ContractRecorder
) -> None:
    results = cloud_jira.create_issues(
        [
            task_fields("First of a bulk"),
            task_fields("Second, with a bad label", labels=["has space"]),
            task_fields("Third of a bulk"),
        ]
    )
    assert [r["status"] for r in results] == ["Success", "Error", "Success"]
    assert "labels" in results[1]["error"]
    assert results[0]["issue"].fields.summary == "First of a bulk"
    assert ("POST", "/rest/api/2/issue/bulk") in jira_contract.operations()


def test_bulk_create_rejects_more_than_fifty_issues(cloud_http: JiraHttp, sandbox: Any) -> None:
    # The contract gives this 400 the bulk answer's shape (CreatedIssues), checked at teardown.
    label = unique_label("bulk")
    updates = [{"fields": task_fields(f"Bulk {n}", labels=[label])} for n in range(51)]
    response = cloud_http.post("/rest/api/2/issue/bulk", json={"issueUpdates": updates})
    assert response.status_code == 400
    assert "50" in response.text
    assert sandbox.admin.issues(labels=[label]) == []


def test_get_with_fields_returns_only_those_fields_and_expand_adds_names(
    cloud_jira: jira.JIRA,
) -> None:
    key = new_issue(cloud_jira, "Only some fields", labels=["csp-noc"]).key
    issue = cloud_jira.issue(key, fields="summary,labels", expand="names,renderedFields")
    assert set(issue.raw["fields"]) == {"summary", "labels"}
    assert issue.raw["names"]["summary"] == "Summary"
    assert "renderedFields" in issue.raw


def test_edit_adds_and_removes_labels(
    cloud_jira: jira.JIRA, jira_contract: ContractRecorder
) -> None:
    issue = new_issue(cloud_jira, "Label me", labels=["csp-noc", "csp-new"])
    issue.update(update={"labels": [{"add": "csp-triaged"}, {"remove": "csp-new"}]})
    assert sorted(cloud_jira.issue(issue.key).fields.labels) == ["csp-noc", "csp-triaged"]
    assert ("PUT", "/rest/api/2/issue/{issueIdOrKey}") in jira_contract.operations()


def test_edit_sets_fields(cloud_jira: jira.JIRA) -> None:
    issue = new_issue(cloud_jira, "Before")
    issue.update(fields={"summary": "After", "description": "Now with a description"})
    again = cloud_jira.issue(issue.key)
    assert again.fields.summary == "After"
    assert again.fields.description == "Now with a description"


def test_issue_properties_are_set_listed_and_read(
    cloud_jira: jira.JIRA, jira_contract: ContractRecorder
) -> None:
    key = new_issue(cloud_jira).key
    cloud_jira.add_issue_property(key, "csp.allowance", {"month": "2026-11", "hours": 4})
    props = cloud_jira.issue_properties(key)
    assert [(p.key, p.value.hours) for p in props] == [("csp.allowance", 4)]
    assert {
        ("PUT", "/rest/api/2/issue/{issueIdOrKey}/properties/{propertyKey}"),
        ("GET", "/rest/api/2/issue/{issueIdOrKey}/properties"),
    } <= jira_contract.operations()


def test_watchers_are_added_listed_and_removed(
    cloud_jira: jira.JIRA, jira_contract: ContractRecorder
) -> None:
    key = new_issue(cloud_jira).key
    alice = cloud_jira.search_users(query="alice")[0]
    # The jira package looks the watcher up by a search term and sends the accountId it finds.
    cloud_jira.add_watcher(key, "alice@sandbox.example")
    watching = {w.accountId for w in cloud_jira.watchers(key).watchers}
    assert alice.accountId in watching
    cloud_jira.remove_watcher(key, "alice@sandbox.example")
    assert alice.accountId not in {w.accountId for w in cloud_jira.watchers(key).watchers}
    assert {
        ("POST", "/rest/api/2/issue/{issueIdOrKey}/watchers"),
        ("GET", "/rest/api/2/issue/{issueIdOrKey}/watchers"),
        ("DELETE", "/rest/api/2/issue/{issueIdOrKey}/watchers"),
    } <= jira_contract.operations()


def test_issue_links_join_two_issues_both_ways(
    cloud_jira: jira.JIRA, jira_contract: ContractRecorder
) -> None:
    problem = new_issue(cloud_jira, "Root cause")
    incident = new_issue(cloud_jira, "Outage")
    assert "Relates" in {t.name for t in cloud_jira.issue_link_types()}
    cloud_jira.create_issue_link("Relates", incident.key, problem.key)
    links = cloud_jira.issue(problem.key, fields="issuelinks").fields.issuelinks
    assert [(link.type.name, link.inwardIssue.key) for link in links] == [("Relates", incident.key)]
    assert ("POST", "/rest/api/2/issueLink") in jira_contract.operations()


def test_attachments_upload_as_multipart_and_download_the_same_bytes(
    cloud_jira: jira.JIRA, jira_contract: ContractRecorder
) -> None:
    key = new_issue(cloud_jira).key
    content = b"df -h\n/dev/sda1  100%\n"
    attachment = cloud_jira.add_attachment(key, io.BytesIO(content), filename="df.txt")
    assert attachment.filename == "df.txt"
    assert attachment.size == len(content)
    downloaded = cloud_jira.attachment(attachment.id).get()  # type: ignore[no-untyped-call]
    assert downloaded == content
    assert [a.filename for a in cloud_jira.issue(key).fields.attachment] == ["df.txt"]
    assert {
        ("POST", "/rest/api/2/issue/{issueIdOrKey}/attachments"),
        ("GET", "/rest/api/2/attachment/{id}"),
    } <= jira_contract.operations()


def test_deleted_issue_is_gone(cloud_jira: jira.JIRA) -> None:
    issue = new_issue(cloud_jira)
    issue.delete()  # type: ignore[no-untyped-call]
    with pytest.raises(jira.JIRAError) as raised:
        cloud_jira.issue(issue.key)
    assert raised.value.status_code == 404


def test_data_center_create_and_read_back(dc_jira: jira.JIRA) -> None:
    issue = new_issue(dc_jira, "Created on Data Center", labels=["csp-noc"])
    again = dc_jira.issue(issue.key, fields="summary,labels,status")
    assert again.fields.summary == "Created on Data Center"
    assert again.fields.status.name == "To Do"


def test_bulk_create_where_every_item_fails_is_a_400_listing_each(
    cloud_jira: jira.JIRA, jira_contract: ContractRecorder
) -> None:
    results = cloud_jira.create_issues(
        [task_fields("Bad one", labels=["a b"]), task_fields("x" * 256)]
    )
    assert [r["status"] for r in results] == ["Error", "Error"]
    assert "labels" in results[0]["error"]
    assert "summary" in results[1]["error"]
    assert any(
        e.status == 400 and e.operation == "/rest/api/2/issue/bulk" for e in jira_contract.exchanges
    )
