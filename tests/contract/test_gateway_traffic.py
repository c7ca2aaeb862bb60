"""The product's own Jira gateway, recorded: what csp-jira-sync sends keeps the contract too.

The gateway is built as `connect()` builds it (serverInfo not read on construction, so the
deployment is given to the recorder: `tests.support.jira_target`), and driven through the calls
the daemon makes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from csp_jira_sync.checks import run_live_checks
from csp_jira_sync.config.mappings import load_mappings
from csp_jira_sync.jira.model import IssueDraft, IssueLink
from tests.contract.issues import unique_label
from tests.support.contract import ContractRecorder
from tests.support.jira_target import EVERY_JIRA, JiraTarget


@EVERY_JIRA
def test_the_gateways_calls_keep_the_contract(
    jira_target: JiraTarget, jira_contract: ContractRecorder
) -> None:
    gateway, api_version = jira_target.gateway, jira_target.api_version
    label = unique_label("gateway")

    assert gateway.server_info()["deploymentType"]
    problem = gateway.create_issue(
        IssueDraft("CSP", "Problem", "Root cause of disk alerts", "Investigate", (label,))
    )
    incident = gateway.create_issue(
        IssueDraft(
            project="CSP",
            issue_type="Incident",
            summary="Disk full on db-01",
            description="Raised by NOC\n\nhost: db-01",
            labels=(label, "csp-noc"),
            priority="High",
            components=("Storage",),
            properties={"csp.escalation": {"source": "noc", "ref": "INC-42"}},
            links=(IssueLink("Relates", problem.key),),
        )
    )
    jira_target.running.admin.flush_index()
    assert set(gateway.find_by_label(label)) == {problem, incident}
    gateway.edit_labels(incident, add=("csp-triaged",), remove=("csp-noc",))
    gateway.add_comment(incident, "Customer informed\n\n[csp-event escalation:abc123]")
    assert gateway.comments_containing(incident, "[csp-event escalation:abc123]")
    assert gateway.transition_to(incident, "In Progress", comment="On it")
    found = gateway.get_issue(incident)
    assert found.status == "In Progress"
    assert set(found.labels) == {label, "csp-triaged"}
    assert "High" in {p["name"] for p in gateway.read("priority")}
    assert gateway.read("project/CSP")["key"] == "CSP"
    assert {
        ("POST", f"/rest/api/{api_version}/issue"),
        ("PUT", f"/rest/api/{api_version}/issue/{{issueIdOrKey}}"),
    } <= jira_contract.operations()


@EVERY_JIRA
def test_check_live_keeps_the_contract(
    jira_target: JiraTarget, jira_contract: ContractRecorder
) -> None:
    gateway, api_version = jira_target.gateway, jira_target.api_version
    gateway.create_issue(IssueDraft("CSP", "Task", "Something to find", "d", ("csp",)))
    jira_target.running.admin.flush_index()
    mappings = load_mappings(Path(__file__).resolve().parents[2] / "mappings")
    rows = run_live_checks(
        gateway,
        project="CSP",
        auth="basic",
        mappings=mappings,
        now=datetime.now(UTC),
        deployment=jira_target.deployment.value,
    )
    assert [r.check for r in rows if not r.ok] == []
    assert {
        ("GET", f"/rest/api/{api_version}/issue/createmeta/{{projectIdOrKey}}/issuetypes"),
        ("GET", f"/rest/api/{api_version}/project/{{projectIdOrKey}}/statuses"),
    } <= jira_contract.operations()
