"""`csp-jira-sync demo` (what `make demo` runs): everything sent lands in Jira once, and the
time CSP and NOC users log puts one customer past a warning threshold and one past 100%."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from csp_jira_sync.cli import app
from csp_jira_sync.demo.run import demo_requests


def test_the_demo_lands_everything_once_and_shows_customers_past_their_thresholds(
    tmp_path: Path,
) -> None:
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
    allowance = report["allowance"]
    users = {w["user"] for w in allowance["worklogs"]}
    assert {"csp.alice", "csp.bob", "csp.chen", "noc.dave", "noc.erin"} <= users
    ledger = {item["customer"]: item for item in allowance["ledger"]}
    assert (ledger["globex"]["percent"], ledger["globex"]["state"]) == (80, "warning")
    assert (ledger["initech"]["used_hours"], ledger["initech"]["state"]) == (4.5, "exceeded")
    assert ledger["globex"]["excluded_by_reason"] == {"not-csp-staff": 2}
    tracking = {t["summary"].rpartition(": ")[2]: t for t in allowance["tracking_issues"]}
    assert "75% warning" in tracking["Globex Retail Inc"]["comments"][0]
    assert "used up" in tracking["Initech Software GmbH"]["comments"][-1]
    flagged = {(f["customer"], label) for f in allowance["flagged_issues"] for label in f["labels"]}
    assert ("initech", "csp-allowance-exceeded") in flagged
    assert ("globex", "csp-allowance-warning") in flagged
    assert ("globex", "csp-allowance-exceeded") not in flagged
