"""The allowance pass is wired into `serve` (scheduled jobs) and `sync`, reading Jira's worklogs."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from csp_jira_sync.allowance.reading import JiraWorklogSource
from csp_jira_sync.runtime.bootstrap import build_app
from csp_jira_sync.runtime.daemon import jobs_for
from csp_jira_sync.settings import Settings
from tests.support.worklogs import InMemoryWorklogs


def test_serve_schedules_the_incremental_pass_and_the_month_reread(
    sandbox: Any, tmp_path: Path
) -> None:
    settings = Settings(
        jira_url=sandbox.base_url,
        jira_token="csp-sync-token",
        database_url=f"sqlite:///{tmp_path / 'state.sqlite'}",
        allowance_interval_seconds=60,
        allowance_recompute_seconds=900,
    )
    app = build_app(settings)
    try:
        assert isinstance(app.worklog_source, JiraWorklogSource)
        source = InMemoryWorklogs(groups={"csp-staff": {"csp.alice"}})
        issue = source.issue("CSP-1", "csp", "csp-act-escalation-management", "csp-customer-acme")
        source.log(issue, "csp.alice", "2026-11-02T10:00:00+00:00", 600)
        app.worklog_source = source
        jobs = {job.name: job for job in jobs_for(app)}
        assert {name: job.every_seconds for name, job in jobs.items()} == {
            "queue": None,  # the worker thread drains it in serve; only sync runs it as a job
            "triage": 300.0,
            "allowance": 60.0,
            "allowance-recompute": 900.0,
            "reports": 3600.0,
            "problems": 3600.0,
            # The nightly reconciliation wakes at least hourly; it waits for its cron time.
            "reconcile": 3600.0,
            "classify-retrain": 86400.0,  # nightly (issue 11)
        }
        done = jobs["allowance-recompute"].run()
        assert isinstance(done, Counter)
        assert done["months_read"] == 2
        assert source.calls.count("month") == 2
    finally:
        app.close()
