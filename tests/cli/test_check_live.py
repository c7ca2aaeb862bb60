"""`check --live` against the sandbox (Cloud and Data Center), run as an operator runs it: every
check on its own row with the call made and Jira's answer, what Jira offers where something is
missing, and an exit code that says whether all passed. And a create Jira refuses for its issue
type is dead-lettered with a reason naming the type and the project."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from csp_jira_sync.cli import app, output
from tests.cli.conftest import daemon_env

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["cloud", "datacenter"])
def jira(request: pytest.FixtureRequest, sandbox: Any, sandbox_dc: Any) -> Any:
    return sandbox if request.param == "cloud" else sandbox_dc


@pytest.fixture
def mappings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "mappings"
    shutil.copytree(ROOT / "mappings", target)
    monkeypatch.setenv("CSP_MAPPINGS_DIR", str(target))
    return target


@pytest.fixture
def env(jira: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mappings: Path) -> Path:
    daemon_env(monkeypatch, tmp_path, jira.base_url)
    return mappings


def live_rows(*extra: str) -> tuple[int, dict[str, dict[str, Any]]]:
    result = runner.invoke(app, ["check", "--live", "--format", "json", *extra])
    report = json.loads(result.stdout)
    assert report["ok"] == (result.exit_code == 0)
    return result.exit_code, {c["check"]: c for c in report["checks"] if "call" in c}


def test_every_check_passes_on_a_jira_that_has_what_the_mappings_name(env: Path) -> None:
    code, rows = live_rows()
    assert code == 0, [r for r in rows.values() if not r["ok"]]
    assert len([name for name in rows if name.startswith("issue type ")]) == 5
    assert rows["project CSP"]["call"] == "GET /rest/api/2/project/CSP"
    assert rows["project CSP"]["answer"] == "Client Service Partner"


def test_everything_missing_is_reported_at_once_with_what_jira_offers(env: Path) -> None:
    (env / "issue_types.yaml").write_text("request: Service Requests\nproblem: Bug\n")
    escalation = env / "escalation.yaml"
    escalation.write_text(
        escalation.read_text()
        .replace("sev1: Highest", "sev1: Blocker")
        .replace("acknowledged: In Progress", "acknowledged: Working")
        .replace("link_type: Relates", "link_type: Causes")
    )
    code, rows = live_rows()
    assert code == 1
    failed = {name for name, row in rows.items() if not row["ok"]}
    assert failed == {
        "issue type Service Requests (request)",
        "issue type Bug (problem)",
        "priority Blocker (sev1)",
        "status Working (acknowledged)",
        "link type Causes (reopened escalations)",
    }
    assert "Service Request" in rows["issue type Bug (problem)"]["offers"]
    assert "Highest" in rows["priority Blocker (sev1)"]["offers"]
    assert "In Progress" in rows["status Working (acknowledged)"]["offers"]
    assert "Relates" in rows["link type Causes (reopened escalations)"]["offers"]


def test_an_unknown_project_fails_its_rows_and_the_others_still_run(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSP_JIRA_PROJECT", "NOPE")
    code, rows = live_rows()
    assert code == 1
    assert "404" in rows["project NOPE"]["answer"] and rows["project NOPE"]["offers"] == ["CSP"]
    assert rows["priority Highest (sev1)"]["ok"]
    assert not rows["issue type Incident (escalation)"]["ok"]


def test_the_table_shows_the_call_the_answer_and_the_offers(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(output.console, "width", 250)  # one row per line, however run
    (env / "issue_types.yaml").write_text("report: Reports\n")
    result = runner.invoke(app, ["check", "--live"])
    assert result.exit_code == 1
    line = next(ln for ln in result.stdout.splitlines() if "issue type Reports" in ln)
    assert "NO" in line and "/issue/createmeta/CSP/issuetypes" in line
    assert "Incident, Problem, Report, Service Request, Task" in line


def test_a_create_refused_for_its_issue_type_is_dead_lettered_naming_type_and_project(
    env: Path, tmp_path: Path
) -> None:
    (env / "issue_types.yaml").write_text("request: Story\n")  # not in the sandbox's project
    file = tmp_path / "requests.jsonl"
    request = {
        "id": "IMP-9",
        "customer": "acme",
        "requester": "tom.hale@acme-logistics.example",
        "channel": "email",
        "received_at": "2026-11-24T09:15:00+00:00",
        "subject": "Invoice shows the backup twice",
        "body": "Our November invoice lists the managed backup twice, please correct it.",
    }
    file.write_text(json.dumps(request) + "\n")
    assert runner.invoke(app, ["import-requests", str(file)]).exit_code == 0
    runner.invoke(app, ["sync"])
    [dead] = json.loads(runner.invoke(app, ["dead-letters", "--format", "json"]).stdout)
    assert dead["subject"] == "IMP-9"
    assert "issue type 'Story' in project CSP" in dead["reason"]
