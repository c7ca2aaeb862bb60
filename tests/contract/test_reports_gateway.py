"""The gateway's report, filter and link calls (issue 9), recorded against the contract on
Cloud v2, Cloud v3 and Data Center."""

from __future__ import annotations

from typing import Any

import pytest

from csp_jira_sync.jira.model import IssueDraft, IssueLink
from csp_jira_sync.jira.reports_port import FilterShare
from tests.contract.issues import unique_label
from tests.contract.test_gateway_traffic import _recorded_gateway
from tests.support.contract import ContractRecorder, Deployment

TARGETS = pytest.mark.parametrize(
    ("deployment", "api_version"),
    [(Deployment.CLOUD, "2"), (Deployment.CLOUD, "3"), (Deployment.DATA_CENTER, "2")],
    ids=["cloud-v2", "cloud-v3", "datacenter-v2"],
)


def _adf(text: str) -> dict[str, Any]:
    return {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}],
    }


@TARGETS
def test_report_issue_calls_keep_the_contract(
    deployment: Deployment,
    api_version: str,
    sandbox: Any,
    sandbox_dc: Any,
    jira_contract: ContractRecorder,
) -> None:
    running = sandbox if deployment is Deployment.CLOUD else sandbox_dc
    gateway = _recorded_gateway(running.base_url, deployment, api_version, jira_contract)
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


@TARGETS
def test_filter_calls_keep_the_contract(
    deployment: Deployment,
    api_version: str,
    sandbox: Any,
    sandbox_dc: Any,
    jira_contract: ContractRecorder,
) -> None:
    running = sandbox if deployment is Deployment.CLOUD else sandbox_dc
    gateway = _recorded_gateway(running.base_url, deployment, api_version, jira_contract)
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
