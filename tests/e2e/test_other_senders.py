"""Alertmanager and PagerDuty deliveries, through the real receiver and worker into the sandbox:
the same escalation model, the same exactly-once issues."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import requests
from pydantic import SecretStr

from csp_jira_sync.config.references import ref_label
from tests.e2e.harness import running_daemon
from tests.receiver.server import pagerduty_signature

FIXTURES = Path(__file__).resolve().parents[1] / "receiver" / "fixtures"
ROOT = Path(__file__).resolve().parents[2]
TOKEN = "am-token-e2e"
PD_SECRET = "pd-secret-e2e"


def customer_label(issue: Any) -> str:
    [label] = [label for label in issue.fields.labels if label.startswith("csp-customer-")]
    return str(label)


def test_alertmanager_alerts_become_incidents_for_their_customers(
    sandbox: Any, tmp_path: Path
) -> None:
    body = (FIXTURES / "alertmanager_v4.json").read_bytes()
    with running_daemon(sandbox.base_url, tmp_path, alertmanager_token=SecretStr(TOKEN)) as daemon:
        url = daemon.running.base_url + "/webhooks/alertmanager"
        headers = {"content-type": "application/json", "authorization": f"Bearer {TOKEN}"}
        assert requests.post(url, data=body, headers=headers, timeout=10).status_code == 202
        assert (
            requests.post(url, data=body, headers=headers, timeout=10).json()["duplicate"] is True
        )
        daemon.drain()
        issues = {customer_label(i): i for i in daemon.issues()}
    assert set(issues) == {"csp-customer-acme", "csp-customer-globex"}
    assert issues["csp-customer-acme"].fields.priority.name == "Highest"  # critical -> sev1
    assert issues["csp-customer-acme"].fields.status.name == "To Do"
    assert issues["csp-customer-globex"].fields.status.name == "Done"  # already resolved


def test_a_pagerduty_incident_lifecycle_moves_one_issue_to_done(
    sandbox: Any, tmp_path: Path
) -> None:
    mappings = tmp_path / "mappings"
    shutil.copytree(ROOT / "mappings", mappings)
    escalation = mappings / "escalation.yaml"
    escalation.write_text(
        escalation.read_text().replace(
            "pagerduty_services: {}", "pagerduty_services:\n  PX3KQ7B: initech"
        )
    )
    triggered = json.loads((FIXTURES / "pagerduty_incident_triggered.json").read_text())

    def event(kind: str, event_id: str, at: str) -> bytes:
        payload = copy.deepcopy(triggered)
        payload["event"].update(event_type=f"incident.{kind}", id=event_id, occurred_at=at)
        return json.dumps(payload).encode()

    with running_daemon(
        sandbox.base_url, tmp_path, pagerduty_secret=SecretStr(PD_SECRET), mappings_dir=mappings
    ) as daemon:
        url = daemon.running.base_url + "/webhooks/pagerduty"
        for body in (
            event("triggered", "PDE-1", "2026-05-20T09:02:41Z"),
            event("acknowledged", "PDE-2", "2026-05-20T09:05:00Z"),
            event("resolved", "PDE-3", "2026-05-20T10:15:00Z"),
        ):
            headers = {
                "content-type": "application/json",
                "x-pagerduty-signature": pagerduty_signature(body, PD_SECRET),
            }
            assert requests.post(url, data=body, headers=headers, timeout=10).status_code == 202
        daemon.drain()
        [issue] = daemon.issues(f'labels = "{ref_label("escalation", "Q2W8ZK4JD1ME7A")}"')
        assert issue.fields.status.name == "Done"
        assert "csp-customer-initech" in issue.fields.labels
        assert len(daemon.jira().comments(issue.key)) == 2
