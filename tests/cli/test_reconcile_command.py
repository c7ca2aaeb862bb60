"""`csp-jira-sync reconcile` as cron, systemd or a person runs it: JSON and tables, the exit
codes (0 clean, 1 needs a person, 2 cannot run, 3 another run holds the lock), and no secret in
anything it prints; and `dead-letters --requeue-all --reason`, the bulk requeue it points to."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from csp_jira_sync.cli import app
from csp_jira_sync.store import Store
from tests.cli.conftest import daemon_env
from tests.store.helpers import item

runner = CliRunner()


@pytest.fixture
def env(sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    return daemon_env(monkeypatch, tmp_path, sandbox.base_url)


def _store(env: dict[str, str]) -> Store:
    store = Store.open(env["CSP_DATABASE_URL"])
    store.migrate()
    return store


def _dead_letters(env: dict[str, str]) -> Store:
    store = _store(env)
    accepted = store.accept(
        [
            item("x-1", subject="NOC-1"),
            item("x-2", subject="NOC-2"),
            item("x-3", subject="NOC-3"),
        ]
    )
    store.dead_letter(accepted[0].inbox_id, "Jira answered 400: The priority selected is invalid.")
    store.dead_letter(accepted[1].inbox_id, "Jira answered 400: The priority selected is invalid.")
    store.dead_letter(accepted[2].inbox_id, "Jira answered 400: Field 'components' is required.")
    return store


def test_a_clean_first_run_exits_0_and_says_its_window(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["reconcile", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["ok"] and data["findings"] == [] and data["exit_code"] == 0
    assert data["window"] == "first run: from the start of last month (UTC)"
    assert [s["step"] for s in data["steps"]] == [
        "deleted-issues",
        "redelivery",
        "duplicates",
        "labels",
        "visibility",
        "allowance",
        "retention",
    ]
    # The next run starts where this one did.
    again = json.loads(runner.invoke(app, ["reconcile", "--format", "json"]).stdout)
    assert again["window"] == "since the last successful run" and again["since"] == data["until"]


def test_dead_letters_make_it_exit_1_naming_them(env: dict[str, str]) -> None:
    _dead_letters(env)
    result = runner.invoke(app, ["reconcile"])
    assert result.exit_code == 1
    assert "Findings" in result.stdout and "NEEDS" in result.stdout
    assert "2 finding(s) need a person" in result.output
    assert "redelivery: dead letters: Jira answered 400" in result.output


def test_a_dry_run_says_so_and_changes_nothing(env: dict[str, str]) -> None:
    store = _dead_letters(env)
    result = runner.invoke(app, ["reconcile", "--dry-run", "--month", "2026-11"])
    assert result.exit_code == 1
    assert "dry run: nothing changed" in result.stdout
    assert store.get_cursor("reconcile.last_success") is None


def test_another_reconciliation_running_exits_3_naming_its_daemon(env: dict[str, str]) -> None:
    store = _store(env)
    store.job_locks.acquire(
        "reconcile", "noc-host:4242:c0ffee", datetime.now(UTC), timedelta(minutes=5)
    )
    result = runner.invoke(app, ["reconcile", "--format", "json"])
    assert result.exit_code == 3
    assert "noc-host:4242:c0ffee" in result.output
    assert json.loads(result.stdout)["held_by"].startswith("daemon noc-host:4242:c0ffee")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--month", "11/2026"], "YYYY-MM"),
        (["--since", "yesterday"], "is not a date"),
        (["--since", "2026-11-01", "--month", "2026-11"], "not both"),
    ],
)
def test_bad_arguments_exit_2_saying_what_to_give(
    env: dict[str, str], args: list[str], says: str
) -> None:
    result = runner.invoke(app, ["reconcile", *args])
    assert result.exit_code == 2 and says in result.output


def test_jira_refusing_the_token_is_a_failed_step_and_no_secret_is_printed(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _store(env).accept([item("y-1", subject="NOC-9")])
    token = "wrong-token-Rk29x"
    monkeypatch.setenv("CSP_JIRA_TOKEN", token)
    monkeypatch.setenv("CSP_JIRA_MAX_ATTEMPTS", "1")
    outputs = []
    for fmt in ("table", "json"):
        result = runner.invoke(app, ["reconcile", "--format", fmt])
        assert result.exit_code in (0, 1), result.output
        outputs.append(result.output)
    everything = "\n".join(outputs)
    assert token not in everything and env["CSP_WEBHOOK_SECRET"] not in everything


def test_an_unreachable_database_exits_2_without_its_password(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "CSP_DATABASE_URL", "postgresql+psycopg://csp:db-Pass-Word-77@127.0.0.1:9/csp"
    )
    result = runner.invoke(app, ["reconcile", "--format", "json"])
    assert result.exit_code == 2
    assert "db-Pass-Word-77" not in result.output


def test_dead_letters_are_requeued_in_bulk_by_reason(env: dict[str, str]) -> None:
    store = _dead_letters(env)
    result = runner.invoke(
        app, ["dead-letters", "--requeue-all", "--reason", "PRIORITY SELECTED", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["requeued"] == 2
    [left] = store.dead_letters()
    assert "components" in (left.last_error or "")


def test_a_reason_without_requeue_all_is_refused(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["dead-letters", "--reason", "priority"])
    assert result.exit_code == 2 and "--requeue-all" in result.output
