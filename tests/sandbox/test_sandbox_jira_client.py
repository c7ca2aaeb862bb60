"""An ordinary `jira.JIRA` session works against the sandbox in both modes: create, label,
transition, comment, search, log and read back work; attachments, links, properties, watchers."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import jira
import pytest
import requests

from jira_sandbox.server import RunningSandbox


def _client(running: RunningSandbox, user: str = "csp-sync") -> jira.JIRA:
    return jira.JIRA(server=running.base_url, basic_auth=running.credentials(user))


def _session_round_trip(running: RunningSandbox) -> None:
    client = _client(running)
    issue = client.create_issue(
        project="CSP",
        summary="Escalation NOC-4711: packet loss in FRA1",
        issuetype={"name": "Incident"},
        labels=["csp", "csp-ref-noc-4711"],
        priority={"name": "High"},
        description="Packet loss on the edge routers",
    )
    assert issue.key == "CSP-1"
    assert issue.fields.reporter.displayName == "CSP Sync (integration)"

    issue.add_field_value("labels", "csp-customer-acme")
    issue.update(update={"labels": [{"remove": "csp"}]})
    assert sorted(client.issue(issue.key).fields.labels) == [
        "csp-customer-acme",
        "csp-ref-noc-4711",
    ]

    client.transition_issue(issue, "Start Progress", comment="Acknowledged by the NOC")
    comment = client.add_comment(issue, "Customer informed")
    assert comment.author.displayName == "CSP Sync (integration)"
    comments = client.comments(issue.key)
    assert [c.body for c in comments] == ["Acknowledged by the NOC", "Customer informed"]

    if running.mode == "cloud":
        found = client.enhanced_search_issues('labels = "csp-ref-noc-4711"')
    else:
        found = client.search_issues('labels = "csp-ref-noc-4711"')
    assert [i.key for i in found] == [issue.key]
    assert found[0].fields.status.name == "In Progress"

    started = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
    logged = client.add_worklog(issue.key, timeSpent="1h 30m", comment="Traced", started=started)
    read_back = client.worklogs(issue.key)
    assert [(w.id, w.timeSpentSeconds, w.comment) for w in read_back] == [
        (logged.id, 5400, "Traced")
    ]
    assert read_back[0].started == "2026-11-25T09:30:00.000+0000"

    client.transition_issue(issue, "Done")
    resolution = client.issue(issue.key).fields.resolution
    assert resolution is not None and resolution.name == "Done"
    client.transition_issue(issue, "Reopen")
    assert client.issue(issue.key).fields.status.name == "To Do"


def test_a_jira_session_round_trip_on_cloud(sandbox: RunningSandbox) -> None:
    _session_round_trip(sandbox)


def test_a_jira_session_round_trip_on_data_center(sandbox_dc: RunningSandbox) -> None:
    _session_round_trip(sandbox_dc)


def test_the_jira_package_refuses_offset_search_on_cloud_as_real_cloud_would(
    sandbox: RunningSandbox,
) -> None:
    with pytest.raises(jira.JIRAError) as refused:
        _client(sandbox)._get_json("search", params={"jql": "project = CSP"})
    assert refused.value.status_code == 410


@pytest.mark.parametrize("mode", ["cloud", "datacenter"])
def test_attachments_upload_and_download(
    sandbox: RunningSandbox, sandbox_dc: RunningSandbox, mode: str
) -> None:
    running = sandbox if mode == "cloud" else sandbox_dc
    client = _client(running)
    issue = client.create_issue(project="CSP", summary="With a file", issuetype={"name": "Task"})
    attachment = client.add_attachment(
        issue.key, io.BytesIO(b"traceroute output"), filename="trace.txt"
    )
    assert attachment.size == len(b"traceroute output")
    assert attachment.get() == b"traceroute output"
    (listed,) = client.issue(issue.key).fields.attachment
    assert listed.filename == "trace.txt"


def test_attachments_need_the_xsrf_header(sandbox: RunningSandbox) -> None:
    client = _client(sandbox)
    issue = client.create_issue(project="CSP", summary="No header", issuetype={"name": "Task"})
    answer = requests.post(
        f"{sandbox.base_url}/rest/api/2/issue/{issue.key}/attachments",
        files={"file": ("a.txt", b"x")},
        auth=sandbox.credentials(),
        timeout=5,
    )
    assert answer.status_code == 403
    assert answer.json()["errorMessages"] == ["XSRF check failed"]


def test_issue_links_show_on_both_issues(sandbox: RunningSandbox) -> None:
    client = _client(sandbox)
    problem = client.create_issue(
        project="CSP", summary="Root cause", issuetype={"name": "Problem"}
    )
    incident = client.create_issue(project="CSP", summary="Outage", issuetype={"name": "Incident"})
    client.create_issue_link("Relates", incident.key, problem.key)
    (on_problem,) = client.issue(problem.key).fields.issuelinks
    (on_incident,) = client.issue(incident.key).fields.issuelinks
    assert on_problem.inwardIssue.key == incident.key
    assert on_incident.outwardIssue.key == problem.key
    client.delete_issue_link(on_problem.id)
    assert client.issue(problem.key).fields.issuelinks == []


def test_issue_properties_set_at_create_and_later(sandbox: RunningSandbox) -> None:
    client = _client(sandbox)
    created = client._session.post(
        f"{sandbox.base_url}/rest/api/2/issue",
        json={
            "fields": {
                "project": {"key": "CSP"},
                "issuetype": {"name": "Incident"},
                "summary": "With properties",
            },
            "properties": [{"key": "csp.escalation", "value": {"id": "NOC-1"}}],
        },
    ).json()
    client.add_issue_property(created["key"], "csp.sync", {"version": 2})
    properties = {p.key: p.value for p in client.issue_properties(created["key"])}
    assert properties["csp.sync"].version == 2
    assert properties["csp.escalation"].id == "NOC-1"


def test_watchers_are_added_listed_and_removed(sandbox_dc: RunningSandbox) -> None:
    client = _client(sandbox_dc)
    issue = client.create_issue(project="CSP", summary="Watch me", issuetype={"name": "Task"})
    client.add_watcher(issue.key, "noc.erin")
    assert {w.name for w in client.watchers(issue.key).watchers} == {"csp-sync", "noc.erin"}
    client.remove_watcher(issue.key, "noc.erin")
    assert {w.name for w in client.watchers(issue.key).watchers} == {"csp-sync"}


def test_catalog_endpoints_serve_the_seed(sandbox: RunningSandbox) -> None:
    client = _client(sandbox)
    assert {t.name for t in client.project("CSP").issueTypes} == {
        "Task",
        "Incident",
        "Problem",
        "Service Request",
        "Report",
    }
    assert [p.name for p in client.priorities()] == ["Highest", "High", "Medium", "Low", "Lowest"]
    assert {s.name for s in client.statuses()} == {
        "To Do",
        "In Progress",
        "Awaiting approval",
        "Done",
    }
    assert [r.name for r in client.resolutions()] == ["Done"]
    assert {lt.name for lt in client.issue_link_types()} == {
        "Blocks",
        "Cloners",
        "Duplicate",
        "Relates",
    }
    fields = {f["id"]: f for f in client.fields()}
    assert fields["customfield_10100"]["custom"] is True
    assert fields["labels"]["clauseNames"] == ["labels"]
    staff = client._get_json("group/member", params={"groupname": "csp-staff"})
    assert {u["displayName"] for u in staff["values"]} == {"Alice Csp", "Bob Csp", "Chen Csp"}
    assert [u.displayName for u in client.search_users(query="erin")] == ["Erin Noc"]


def test_create_metadata_lists_issue_types_and_their_fields(sandbox_dc: RunningSandbox) -> None:
    client = _client(sandbox_dc)
    types = client.project_issue_types("CSP")
    assert [t.name for t in types] == ["Task", "Incident", "Problem", "Service Request", "Report"]
    fields = {f.fieldId: f for f in client.project_issue_fields("CSP", types[1].id)}
    assert fields["summary"].required is True
    assert fields["labels"].required is False
    assert {p.name for p in fields["priority"].allowedValues} >= {"High", "Low"}
