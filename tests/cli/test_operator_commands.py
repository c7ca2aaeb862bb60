"""The operator's commands: check (--live), import-requests, sync, dead-letters, in table and
JSON form, run as a person would through the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from csp_jira_sync.cli import app
from csp_jira_sync.demo.run import new_webhook_secret

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
    values = {
        "CSP_JIRA_URL": sandbox.base_url,
        "CSP_DATABASE_URL": f"sqlite:///{tmp_path / 'state.sqlite'}",
        "CSP_WEBHOOK_SECRET": new_webhook_secret(),
        "CSP_JIRA_TOKEN": "csp-sync-token",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


def test_check_live_confirms_what_the_mappings_name_exists_in_jira(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["check", "--live", "--format", "json"])
    assert result.exit_code == 0, result.output
    checks = {c["check"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["project CSP"]["ok"]
    assert checks["priority Highest"]["ok"]
    assert checks["issuetype Incident"]["ok"]
    assert checks["create screen Incident"]["ok"]
    assert checks["workflow Incident"]["ok"]
    assert checks["create screen Service Request"]["ok"]
    assert checks["issuetype Task"]["ok"]  # the allowance tracking issue
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
    assert json.loads(synced.stdout)["outcomes"] == {"created": 2}
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
    assert json.loads(synced.stdout)["outcomes"] == {"created": 1}
