"""Jobs that fail well: one line per failing pass, the traceback once per outage, the other
jobs untouched."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from csp_jira_sync.errors import JiraTransient
from csp_jira_sync.runtime.bootstrap import build_app
from csp_jira_sync.runtime.scheduler import Job, JobRunner, run_all, run_periodically
from tests.e2e.harness import settings_for

LOGGER = "csp_jira_sync.runtime.scheduler"


def scripted(*steps: BaseException | Mapping[str, int]) -> Callable[[], Mapping[str, int]]:
    """A job body that raises or returns the next step each pass."""
    remaining = list(steps)

    def run() -> Mapping[str, int]:
        step = remaining.pop(0)
        if isinstance(step, BaseException):
            raise step
        return step

    return run


def failures(caplog: pytest.LogCaptureFixture, level: int) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER and r.levelno == level]


def test_a_jira_outage_is_one_warning_line_per_pass_and_the_traceback_only_at_debug(
    caplog: pytest.LogCaptureFixture,
) -> None:
    outage = JiraTransient("search: Jira answered 500: Internal server error", status=500)
    runner = JobRunner(Job("triage", "Triage", "issues", scripted(outage, outage, outage)))
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        results = [runner.run() for _ in range(3)]
    assert [r.error for r in results] == [str(outage)] * 3
    warnings = failures(caplog, logging.WARNING)
    assert len(warnings) == 3
    assert all(r.exc_info is None for r in warnings)
    assert all("job=triage" in r.getMessage() and "500" in r.getMessage() for r in warnings)
    tracebacks = [r for r in caplog.records if r.exc_info is not None]
    assert [r.levelno for r in tracebacks] == [logging.DEBUG]


def test_an_unexpected_error_logs_its_traceback_once_per_outage_not_per_pass(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bug = KeyError("customer")
    runner = JobRunner(
        Job("triage", "Triage", "issues", scripted(bug, bug, bug, {"triaged": 1}, bug, bug))
    )
    with caplog.at_level(logging.INFO, logger=LOGGER):
        results = [runner.run() for _ in range(6)]
    assert [r.ok for r in results] == [False, False, False, True, False, False]
    assert results[0].error == "KeyError: 'customer'"
    errors = failures(caplog, logging.ERROR)
    assert len(errors) == 5  # one line per failing pass
    with_traceback = [i for i, r in enumerate(errors) if r.exc_info is not None]
    assert with_traceback == [0, 3]  # the first pass of each of the two outages
    assert any(
        "scheduler.job_recovered job=triage after_failed_passes=3" in r.getMessage()
        for r in caplog.records
    )


def test_sync_runs_every_job_and_keeps_the_results_of_those_before_and_after_a_failure() -> None:
    jobs = [
        Job("queue", "Events", "events", scripted({"created": 2})),
        Job("triage", "Triage", "issues", scripted(JiraTransient("Jira answered 500"))),
        Job("later", "Later", "things", scripted({"done": 1})),
    ]
    results = run_all(jobs)
    assert [(r.job, r.ok) for r in results] == [("queue", True), ("triage", False), ("later", True)]
    assert results[0].outcomes == {"created": 2}
    assert results[2].outcomes == {"done": 1}
    assert results[1].error == "Jira answered 500"


def test_the_scheduler_keeps_running_the_other_jobs_while_one_fails_every_pass(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stop = threading.Event()
    passes: Counter[str] = Counter()

    def healthy() -> Mapping[str, int]:
        passes["healthy"] += 1
        if passes["healthy"] == 3:
            stop.set()
        return {"ok": 1}

    def broken() -> Mapping[str, int]:
        passes["broken"] += 1
        raise JiraTransient("search: Jira answered 500")

    jobs = [
        Job("broken", "Broken", "things", broken, every_seconds=0.0),
        Job("healthy", "Healthy", "things", healthy, every_seconds=0.0),
        Job("sync-only", "Only in sync", "things", scripted(), every_seconds=None),
    ]
    with caplog.at_level(logging.INFO, logger=LOGGER):
        run_periodically(jobs, stop)
    # Each job runs on its own thread: the healthy one made its three passes while the broken
    # one failed pass after pass beside it, one warning line per failing pass.
    assert passes["healthy"] == 3
    assert passes["broken"] >= 2
    assert len(failures(caplog, logging.WARNING)) == passes["broken"]
    assert not [r for r in caplog.records if r.exc_info is not None]


def test_the_triage_job_against_a_jira_answering_500_logs_one_line_per_pass(
    sandbox: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox.admin.set_knobs(faultRate=1.0, faultKinds=["500"])
    app = build_app(settings_for(sandbox.base_url, tmp_path, jira_max_attempts=1))
    try:
        [triage] = [job for job in app.jobs() if job.name == "triage"]
        runner = JobRunner(triage)
        with caplog.at_level(logging.INFO):
            results = [runner.run() for _ in range(3)]
    finally:
        app.close()
    assert [r.job for r in results] == ["triage"] * 3
    assert all(r.error is not None and "Jira answered 500" in r.error for r in results)
    lines = [r for r in caplog.records if r.name == LOGGER and r.levelno >= logging.WARNING]
    assert [r.getMessage().split(" reason=")[0] for r in lines] == [
        f"scheduler.job_failed job=triage passes={n}" for n in (1, 2, 3)
    ]
    assert not [r for r in caplog.records if r.exc_info is not None]
