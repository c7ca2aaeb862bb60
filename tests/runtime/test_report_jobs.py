"""The report and Problem jobs as `serve` registers them (bootstrap.App.jobs), run against the
sandbox: registered only once their sources are wired, at the configured interval, and raising
reports and Problems through the real gateway."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from csp_jira_sync.reports.document import ReportDocument
from csp_jira_sync.reports.problem_decide import RecurringGroup
from csp_jira_sync.runtime.bootstrap import build_app
from csp_jira_sync.runtime.scheduler import JobRunner
from tests.e2e.harness import settings_for
from tests.reports.documents import report


def test_report_jobs_are_registered_for_serve_and_raise_what_their_sources_give(
    sandbox: Any, tmp_path: Path
) -> None:
    app = build_app(settings_for(sandbox.base_url, tmp_path, report_interval_seconds=1800))
    try:
        assert [job.name for job in app.jobs()] == [
            "queue",
            "triage",
            "allowance",
            "allowance-recompute",
            "reconcile",
            "classify-retrain",
            "reports",
            "problems",
        ]
        assert [job.name for job in app.jobs() if not job.in_sync] == [
            "reconcile",
            "classify-retrain",
            "reports",
        ]
        asked: list[str] = []

        def documents(kind: str, label: str) -> list[ReportDocument]:
            asked.append(label)
            return [report(scope="acme", period=label), report(scope="all", period=label)]

        def groups(now: Any) -> list[RecurringGroup]:
            return []

        app.report_source = documents
        app.problem_source = groups
        jobs = {job.name: job for job in app.jobs()}
        assert list(jobs)[-2:] == ["reports", "problems"]
        assert jobs["reports"].every_seconds == jobs["problems"].every_seconds == 1800
        result = JobRunner(jobs["reports"]).run()
        assert result.error is None
        assert result.outcomes == {"created": 4}  # acme and all, for the week and the month
        assert len(asked) == 2
        assert JobRunner(jobs["problems"]).run().outcomes == {}
    finally:
        app.close()
