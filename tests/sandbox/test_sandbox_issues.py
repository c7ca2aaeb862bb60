"""Issues over REST: get with fields/expand, edit, delete, paged comments, ADF in v3."""

from __future__ import annotations

from typing import Any

from jira_sandbox.server import RunningSandbox
from tests.sandbox.sandbox_helpers import JiraHttp

ADF = {
    "type": "doc",
    "version": 1,
    "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": "Edge router FRA1 drops"}]},
        {"type": "paragraph", "content": [{"type": "text", "text": "Customer: acme"}]},
    ],
}


def test_get_returns_only_the_asked_fields_and_expands_names_and_rendered_fields(
    sandbox: RunningSandbox,
) -> None:
    http = JiraHttp(sandbox)
    key = http.create(labels=["csp"], description="Root cause <unknown>")["key"]
    body = http.get(
        f"issue/{key}",
        params={"fields": "summary,labels,description", "expand": "names,renderedFields"},
    ).json()
    assert set(body["fields"]) == {"summary", "labels", "description"}
    assert body["names"] == {"summary": "Summary", "description": "Description", "labels": "Labels"}
    assert body["renderedFields"]["description"] == "<p>Root cause &lt;unknown&gt;</p>"
    assert body["self"] == f"{sandbox.base_url}/rest/api/2/issue/{body['id']}"


def test_all_fields_include_system_and_custom_fields(sandbox: RunningSandbox) -> None:
    http = JiraHttp(sandbox)
    key = http.create(customfield_10100="ACME-REF-7", customfield_10101=1.5)["key"]
    fields = http.get(f"issue/{key}").json()["fields"]
    assert fields["customfield_10100"] == "ACME-REF-7"
    assert fields["customfield_10101"] == 1.5
    assert fields["project"]["key"] == "CSP"
    assert fields["issuetype"]["name"] == "Incident"
    assert fields["creator"]["displayName"] == "CSP Sync (integration)"
    assert fields["worklog"] == {"startAt": 0, "maxResults": 20, "total": 0, "worklogs": []}


def test_v3_takes_and_returns_adf_while_v2_shows_the_same_text(sandbox: RunningSandbox) -> None:
    v3 = JiraHttp(sandbox, version=3)
    key = v3.create(description=ADF)["key"]
    assert v3.get(f"issue/{key}").json()["fields"]["description"] == ADF
    v2_text = JiraHttp(sandbox).get(f"issue/{key}").json()["fields"]["description"]
    assert v2_text == "Edge router FRA1 drops\n\nCustomer: acme"
    comment = v3.post(f"issue/{key}/comment", json={"body": ADF})
    assert comment.status_code == 201 and comment.json()["body"] == ADF
    plain = v3.post(f"issue/{key}/comment", json={"body": "plain"})
    assert plain.status_code == 400


def test_a_v2_description_reads_as_adf_in_v3(sandbox: RunningSandbox) -> None:
    key = JiraHttp(sandbox).create(description="one\ntwo")["key"]
    described = JiraHttp(sandbox, version=3).get(f"issue/{key}").json()["fields"]["description"]
    assert described == {
        "type": "doc",
        "version": 1,
        "content": [
            {
                "type": "paragraph",
                "content": [
                    {"type": "text", "text": "one"},
                    {"type": "hardBreak"},
                    {"type": "text", "text": "two"},
                ],
            }
        ],
    }


def test_edit_sets_fields_and_updates_labels_and_bumps_updated(sandbox: RunningSandbox) -> None:
    sandbox.admin.freeze_clock(1_795_600_800_000)
    http = JiraHttp(sandbox)
    key = http.create(labels=["csp", "csp-new"])["key"]
    sandbox.admin.advance_clock(1000)
    answer = http.put(
        f"issue/{key}",
        json={
            "fields": {"summary": "Renamed", "priority": {"name": "Highest"}},
            "update": {"labels": [{"add": "csp-triaged"}, {"remove": "csp-new"}]},
        },
    )
    assert answer.status_code == 204
    fields = http.get(f"issue/{key}").json()["fields"]
    assert fields["summary"] == "Renamed"
    assert fields["priority"]["name"] == "Highest"
    assert fields["labels"] == ["csp", "csp-triaged"]
    assert fields["updated"] == "2026-11-25T10:00:01.000+0000"


def test_comments_are_paged_and_can_be_read_newest_first(sandbox: RunningSandbox) -> None:
    http = JiraHttp(sandbox)
    key = http.create()["key"]
    for n in range(5):
        http.post(f"issue/{key}/comment", json={"body": f"update {n}"})
    page = http.get(f"issue/{key}/comment", params={"startAt": 2, "maxResults": 2}).json()
    assert (page["startAt"], page["maxResults"], page["total"]) == (2, 2, 5)
    assert [c["body"] for c in page["comments"]] == ["update 2", "update 3"]
    newest: dict[str, Any] = http.get(
        f"issue/{key}/comment", params={"orderBy": "-created", "maxResults": 1}
    ).json()
    assert [c["body"] for c in newest["comments"]] == ["update 4"]


def test_comments_can_be_edited_and_deleted(sandbox: RunningSandbox) -> None:
    http = JiraHttp(sandbox)
    key = http.create()["key"]
    comment = http.post(f"issue/{key}/comment", json={"body": "draft"}).json()
    edited = JiraHttp(sandbox, user="csp.alice").put(
        f"issue/{key}/comment/{comment['id']}", json={"body": "final"}
    )
    assert edited.json()["body"] == "final"
    assert edited.json()["updateAuthor"]["displayName"] == "Alice Csp"
    assert http.delete(f"issue/{key}/comment/{comment['id']}").status_code == 204
    assert http.get(f"issue/{key}/comment/{comment['id']}").status_code == 404


def test_a_deleted_issue_is_gone_from_get_and_search(sandbox: RunningSandbox) -> None:
    http = JiraHttp(sandbox)
    key = http.create(labels=["csp-gone"])["key"]
    assert http.delete(f"issue/{key}").status_code == 204
    assert http.get(f"issue/{key}").status_code == 404
    assert http.jql("labels = csp-gone") == []


def test_setting_a_property_does_not_change_updated(sandbox: RunningSandbox) -> None:
    sandbox.admin.freeze_clock(1_795_600_800_000)
    http = JiraHttp(sandbox)
    key = http.create()["key"]
    sandbox.admin.advance_clock(5000)
    assert http.put(f"issue/{key}/properties/csp.sync", json={"v": 1}).status_code == 201
    assert http.put(f"issue/{key}/properties/csp.sync", json={"v": 2}).status_code == 200
    assert http.get(f"issue/{key}/properties/csp.sync").json() == {
        "key": "csp.sync",
        "value": {"v": 2},
    }
    assert http.get(f"issue/{key}").json()["fields"]["updated"].startswith("2026-11-25T10:00:00")
