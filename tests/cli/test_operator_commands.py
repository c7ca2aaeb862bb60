"""The operator's commands: check (--live), import-requests, sync, dead-letters, in table and
JSON form, run as a person would through the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from csp_jira_sync.cli import app
from tests.cli.conftest import daemon_env

runner = CliRunner()
REQUEST = {
    "id": "IMP-1",
    "customer": "acme",
    "requester": "tom.hale@acme-logistics.example",
    "channel": "email",
    "received_at": "2026-11-24T09:15:00+00:00",
    "subject": "Invoice shows the backup twice",
    "body": "Our November invoice lists the managed backup twice, please correct it.",
}


@pytest.fixture
def env(sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    return daemon_env(monkeypatch, tmp_path, sandbox.base_url)


def test_check_live_confirms_what_the_mappings_name_exists_in_jira(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["check", "--live", "--format", "json"])
    assert result.exit_code == 0, result.output
    checks = {c["check"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["project CSP"]["ok"]
    assert checks["priority Highest (sev1)"]["ok"]
    assert checks["issue type Incident (escalation)"]["ok"]
    assert checks["create screen Incident"]["ok"]
    assert checks["status In Progress (acknowledged)"]["ok"]
    assert checks["create screen Service Request"]["ok"]
    assert checks["issue type Task (allowance)"]["ok"]  # the allowance tracking issue
    assert checks["create screen Task"]["ok"]


def test_check_never_prints_the_token(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSP_JIRA_TOKEN", "very-secret-token-123")
    result = runner.invoke(app, ["check"])
    assert "very-secret-token-123" not in result.output
    assert env["CSP_WEBHOOK_SECRET"] not in result.output


def test_check_fails_on_a_priority_jira_does_not_have(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    mappings = tmp_path / "mappings"
    shutil.copytree(Path(__file__).resolve().parents[2] / "mappings", mappings)
    path = mappings / "escalation.yaml"
    path.write_text(path.read_text().replace("sev1: Highest", "sev1: Blocker"))
    monkeypatch.setenv("CSP_MAPPINGS_DIR", str(mappings))
    result = runner.invoke(app, ["check", "--live"])
    assert result.exit_code == 1
    assert "Blocker" in result.output


def test_import_then_sync_raises_the_requests_in_jira(
    env: dict[str, str], tmp_path: Path, sandbox: Any
) -> None:
    file = tmp_path / "requests.jsonl"
    file.write_text(
        json.dumps(REQUEST)
        + "\n"
        + json.dumps(
            {
                **REQUEST,
                "id": "IMP-2",
                "subject": "Tour of VA1",
                "body": "Can our auditors tour the VA1 data center?",
            }
        )
        + "\n"
    )
    imported = runner.invoke(app, ["import-requests", str(file), "--format", "json"])
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.stdout) == {
        "rows": 2,
        "queued": 2,
        "already_imported": 0,
        "rejected": 0,
    }
    again = runner.invoke(app, ["import-requests", str(file), "--format", "json"])
    assert json.loads(again.stdout)["already_imported"] == 2
    synced = runner.invoke(app, ["sync", "--format", "json"])
    assert synced.exit_code == 0, synced.output
    assert json.loads(synced.stdout)["jobs"]["queue"]["outcomes"] == {"created": 2}
    assert len(sandbox.admin.issues()) == 2


def test_a_file_with_one_bad_row_imports_nothing_and_names_the_row(
    env: dict[str, str], tmp_path: Path
) -> None:
    file = tmp_path / "requests.jsonl"
    file.write_text(
        json.dumps(REQUEST) + "\n" + json.dumps({**REQUEST, "id": "IMP-2", "channel": "fax"}) + "\n"
    )
    result = runner.invoke(app, ["import-requests", str(file), "--format", "json"])
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert report["imported"] == 0
    assert report["rejected"][0]["line"] == 2 and "channel" in report["rejected"][0]["problem"]
    synced = runner.invoke(app, ["sync", "--format", "json"])
    assert sum(json.loads(synced.stdout)["queue"].values()) == 0


def test_dead_letters_lists_jiras_reason_and_requeue_puts_the_event_back(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSP_JIRA_PROJECT", "NOPE")  # Jira refuses: the project does not exist
    file = tmp_path / "requests.jsonl"
    file.write_text(json.dumps(REQUEST) + "\n")
    runner.invoke(app, ["import-requests", str(file)])
    runner.invoke(app, ["sync"])
    listed = runner.invoke(app, ["dead-letters", "--format", "json"])
    [dead] = json.loads(listed.stdout)
    assert dead["subject"] == "IMP-1" and "project" in dead["reason"].lower()
    monkeypatch.setenv("CSP_JIRA_PROJECT", "CSP")
    requeued = runner.invoke(
        app, ["dead-letters", "--requeue", str(dead["id"]), "--format", "json"]
    )
    assert json.loads(requeued.stdout) == {"requeued": 1}
    synced = runner.invoke(app, ["sync", "--format", "json"])
    assert json.loads(synced.stdout)["jobs"]["queue"]["outcomes"] == {"created": 1}


@pytest.fixture
def jira_answers_500(env: dict[str, str], sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every Jira call answers 500, and neither the gateway nor the worker waits to retry."""
    monkeypatch.setenv("CSP_JIRA_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("CSP_WORKER_RETRY_FIRST_SECONDS", "600")
    sandbox.admin.set_knobs(faultRate=1.0, faultKinds=["500"])


def _import_one_request(tmp_path: Path) -> None:
    file = tmp_path / "requests.jsonl"
    file.write_text(json.dumps(REQUEST) + "\n")
    assert runner.invoke(app, ["import-requests", str(file)]).exit_code == 0


def test_sync_shows_the_queue_results_when_the_triage_search_fails(
    jira_answers_500: None, tmp_path: Path
) -> None:
    _import_one_request(tmp_path)
    synced = runner.invoke(app, ["sync", "--format", "json", "--timeout", "0.3"])
    assert synced.exit_code == 1
    report = json.loads(synced.stdout)
    assert report["ok"] is False
    # Every job that calls Jira fails against a Jira answering 500; the queue's results stand.
    assert report["failed"] == ["triage", "allowance", "allowance-recompute"]
    assert report["jobs"]["queue"] == {"ok": True, "outcomes": {"retry": 1}}
    assert report["jobs"]["triage"]["ok"] is False
    assert "500" in report["jobs"]["triage"]["error"]
    assert report["queue"]["pending"] == 1
    assert "triage, allowance, allowance-recompute failed" in " ".join(synced.stderr.split())
    assert "Traceback" not in synced.output


def test_sync_table_names_the_failed_job_beside_the_other_results(
    jira_answers_500: None, tmp_path: Path
) -> None:
    _import_one_request(tmp_path)
    synced = runner.invoke(app, ["sync", "--timeout", "0.3"])
    assert synced.exit_code == 1
    assert "Events processed" in synced.stdout and "retry" in synced.stdout
    assert "Triage of hand-made issues: failed" in " ".join(synced.stdout.split())
    assert "Queue" in synced.stdout
    assert "error: triage, allowance, allowance-recompute failed" in " ".join(synced.stderr.split())
    assert "Traceback" not in synced.output


def test_sync_exits_0_when_every_job_succeeds(env: dict[str, str]) -> None:
    synced = runner.invoke(app, ["sync", "--format", "json"])
    assert synced.exit_code == 0, synced.output
    report = json.loads(synced.stdout)
    assert report["ok"] is True and report["failed"] == []
    # The scheduled reports are serve's (`report trends` raises one by hand); the rest run here.
    assert set(report["jobs"]) == {
        "queue",
        "triage",
        "allowance",
        "allowance-recompute",
        "problems",
    }
