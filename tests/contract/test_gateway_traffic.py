"""The product's own Jira gateway, recorded: what csp-jira-sync sends keeps the contract too.

The gateway is built as `connect()` builds it (serverInfo not read on construction, so the
deployment is given to the recorder), and driven through the calls the daemon makes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jira
import pytest

from csp_jira_sync.checks import run_live_checks
from csp_jira_sync.config.mappings import load_mappings
from csp_jira_sync.jira.gateway import JiraGateway
from csp_jira_sync.jira.model import IssueDraft, IssueLink
from tests.contract.clients import SYNC_AUTH
from tests.contract.issues import unique_label
from tests.support.contract import ContractRecorder, Deployment


def _recorded_gateway(
    base_url: str, deployment: Deployment, api_version: str, recorder: ContractRecorder
) -> JiraGateway:
    client = jira.JIRA(
        server=base_url,
        basic_auth=SYNC_AUTH,
        get_server_info=False,
        max_retries=0,
        options={"rest_api_version": api_version, "check_update": False},
    )
    recorder.attach(client, deployment=deployment)
    return JiraGateway(
        client, server=base_url, api_version=api_version, deployment=deployment.value
    )


@pytest.mark.parametrize(
    ("deployment", "api_version"),
    [(Deployment.CLOUD, "2"), (Deployment.CLOUD, "3"), (Deployment.DATA_CENTER, "2")],
    ids=["cloud-v2", "cloud-v3", "datacenter-v2"],
)
def test_the_gateways_calls_keep_the_contract(
    deployment: Deployment,
    api_version: str,
    sandbox: Any,
    sandbox_dc: Any,
    jira_contract: ContractRecorder,
) -> None:
    running = sandbox if deployment is Deployment.CLOUD else sandbox_dc
    gateway = _recorded_gateway(running.base_url, deployment, api_version, jira_contract)
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
    running.admin.flush_index()
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


@pytest.mark.parametrize(
    ("deployment", "api_version"),
    [(Deployment.CLOUD, "2"), (Deployment.CLOUD, "3"), (Deployment.DATA_CENTER, "2")],
    ids=["cloud-v2", "cloud-v3", "datacenter-v2"],
)
def test_check_live_keeps_the_contract(
    deployment: Deployment,
    api_version: str,
    sandbox: Any,
    sandbox_dc: Any,
    jira_contract: ContractRecorder,
) -> None:
    running = sandbox if deployment is Deployment.CLOUD else sandbox_dc
    gateway = _recorded_gateway(running.base_url, deployment, api_version, jira_contract)
    gateway.create_issue(IssueDraft("CSP", "Task", "Something to find", "d", ("csp",)))
    running.admin.flush_index()
    mappings = load_mappings(Path(__file__).resolve().parents[2] / "mappings")
    rows = run_live_checks(
        gateway,
        project="CSP",
        auth="basic",
        mappings=mappings,
        now=datetime.now(UTC),
        deployment=deployment.value,
    )
    assert [r.check for r in rows if not r.ok] == []
    assert {
        ("GET", f"/rest/api/{api_version}/issue/createmeta/{{projectIdOrKey}}/issuetypes"),
        ("GET", f"/rest/api/{api_version}/project/{{projectIdOrKey}}/statuses"),
    } <= jira_contract.operations()
