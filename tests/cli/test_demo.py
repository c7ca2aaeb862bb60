"""`csp-jira-sync demo` (what `make demo` runs): everything sent lands in Jira once."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from csp_jira_sync.cli import app
from csp_jira_sync.demo.run import demo_requests


def test_the_demo_lands_every_escalation_and_request_once(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["demo", "--escalations", "4", "--workdir", str(tmp_path), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    summary = report["summary"]
    assert summary["rejected"] == 0
    assert summary["queue"]["dead"] == 0 and summary["queue"]["pending"] == 0
    escalations = {i["source_id"] for i in report["issues"] if i["type"] == "Incident"}
    requests = [i for i in report["issues"] if i["type"] == "Service Request"]
    assert len(escalations) == 4
    assert len(requests) == len(demo_requests())
    assert all("csp" in i["labels"] for i in report["issues"])
