"""The operator sees who runs which periodic job: `check` has a row listing the job locks'
holders and their age (and a lease that ran out), and `sync` skips a job a running daemon
holds, saying which daemon, instead of running it a second time at once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from csp_jira_sync.cli import app
from csp_jira_sync.store import Store

runner = CliRunner()


@pytest.fixture
def store(offline_store: Store) -> Store:
    return offline_store


def _checks(output: str) -> dict[str, dict[str, object]]:
    return {c["check"]: c for c in json.loads(output)["checks"]}


def test_check_lists_each_job_lock_holder_and_how_long_it_has_held_it(store: Store) -> None:
    now = datetime.now(UTC)
    store.job_locks.acquire(
        "triage", "host-a:12:ab12cd", now - timedelta(seconds=75), timedelta(hours=1)
    )
    store.job_locks.acquire(
        "allowance", "host-b:7:ff", now - timedelta(hours=2), timedelta(seconds=30)
    )
    result = runner.invoke(app, ["check", "--format", "json"])
    row = _checks(result.stdout)["job locks"]
    assert row["ok"] is True
    detail = str(row["detail"])
    assert "triage: host-a:12:ab12cd for 7" in detail  # 75 s, give or take the run
    assert "allowance: free (host-b:7:ff's lease ran out" in detail


def test_check_says_when_no_daemon_holds_a_job(store: Store) -> None:
    result = runner.invoke(app, ["check", "--format", "json"])
    row = _checks(result.stdout)["job locks"]
    assert row["ok"] is True and str(row["detail"]).startswith("no daemon holds a periodic job")


def test_check_shows_the_job_locks_in_its_table(store: Store) -> None:
    store.job_locks.acquire("triage", "host-a:12:ab12cd", datetime.now(UTC), timedelta(hours=1))
    result = runner.invoke(app, ["check"])
    assert "job locks" in result.stdout and "host-a:12:ab12cd" in result.stdout


def test_sync_skips_a_job_another_daemon_holds_and_names_that_daemon(store: Store) -> None:
    store.job_locks.acquire("triage", "host-a:12:ab12cd", datetime.now(UTC), timedelta(hours=1))
    store.job_locks.acquire("allowance", "host-a:12:ab12cd", datetime.now(UTC), timedelta(hours=1))
    store.job_locks.acquire(
        "allowance-recompute", "host-a:12:ab12cd", datetime.now(UTC), timedelta(hours=1)
    )
    result = runner.invoke(app, ["sync", "--format", "json", "--timeout", "1"])
    jobs = json.loads(result.stdout)["jobs"]
    assert jobs["triage"]["skipped"] is True
    assert "daemon host-a:12:ab12cd" in jobs["triage"]["held_by"]
    assert jobs["queue"]["ok"] is True and "skipped" not in jobs["queue"]
    assert result.exit_code == 0
    [triage] = [lock for lock in store.job_locks.all() if lock.job == "triage"]
    assert triage.holder == "host-a:12:ab12cd"  # sync neither took nor freed it


def test_sync_tells_a_person_which_daemon_runs_the_skipped_job(store: Store) -> None:
    for job in ("triage", "allowance", "allowance-recompute"):
        store.job_locks.acquire(job, "host-a:12:ab12cd", datetime.now(UTC), timedelta(hours=1))
    result = runner.invoke(app, ["sync", "--timeout", "1"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())  # however the console wraps it
    assert "skipped, another daemon runs it: daemon host-a:12:ab12cd" in text
