"""The gateway's report, filter and link calls (issue 9), recorded against the contract on
Cloud v2, Cloud v3 and Data Center."""

from __future__ import annotations

from typing import Any

from csp_jira_sync.jira.model import IssueDraft, IssueLink
from csp_jira_sync.jira.reports_port import FilterShare
from tests.contract.issues import unique_label
from tests.support.jira_target import EVERY_JIRA, JiraTarget


def _adf(text: str) -> dict[str, Any]:
    return {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}],
    }


@EVERY_JIRA
def test_report_issue_calls_keep_the_contract(jira_target: JiraTarget) -> None:
    gateway = jira_target.gateway
    label = unique_label("report")

    assert "Report" in gateway.project_issue_types("CSP")
    issue = gateway.create_issue(IssueDraft("CSP", "Report", "Trends", "first", (label,)))
    gateway.set_summary_and_description(
        issue, summary="Trends 2026-W47", wiki="h2. Escalations", adf=_adf("Escalations")
    )
    found = gateway.get_issue(issue, fields=("summary", "description"))
    assert found.summary == "Trends 2026-W47"
    assert "Escalations" in found.description

    first = gateway.add_attachment(
        issue, filename="trend.csv", content=b"severity,count\nP1,2\n", media_type="text/csv"
    )
    second = gateway.add_attachment(
        issue, filename="trend.png", content=b"\x89PNG\r\n\x1a\n", media_type="image/png"
    )
    assert [(a.filename, a.size) for a in gateway.attachments(issue)] == [
        ("trend.csv", 20),
        ("trend.png", 8),
    ]
    gateway.delete_attachment(first.id)
    assert [a.id for a in gateway.attachments(issue)] == [second.id]

    other = gateway.create_issue(IssueDraft("CSP", "Task", "Escalation", "x", (label,)))
    gateway.link(issue, IssueLink("Relates", other.key))
    assert gateway.linked_issue_keys(issue) == {other.key}
    assert gateway.linked_issue_keys(other) == {issue.key}


@EVERY_JIRA
def test_filter_calls_keep_the_contract(jira_target: JiraTarget) -> None:
    gateway = jira_target.gateway
    name = f"CSP acme open escalations {unique_label()}"

    assert gateway.find_filter(name) is None
    created = gateway.create_filter(name=name, jql="project = CSP", description="open")
    assert gateway.find_filter(name.upper()) == created
    updated = gateway.update_filter(
        created.id, name=name, jql='project = CSP AND labels = "csp-acme"', description="open"
    )
    assert updated.jql == 'project = CSP AND labels = "csp-acme"'
    project = FilterShare("project", gateway.project_id("CSP"))
    gateway.share_filter(created.id, project)
    again = gateway.get_filter(created.id)
    assert again is not None
    assert again.shares == (project,)
    assert gateway.get_filter("99999999") is None
