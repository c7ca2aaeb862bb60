"""Jobs: the passes `sync` runs once and `serve` runs periodically (the queue and the triage pass
today; the allowance pass, reports and reconciliation join by adding a `Job` to
`bootstrap.App.jobs`, the one place jobs are registered).

A job that fails never takes the others down. Each failure is one log line with its reason; the
traceback is logged once per outage (the first failing pass): at DEBUG for the failures the code
expects (Jira or the store unavailable, a `CspSyncError`), at ERROR for anything else, which is a
bug. Later passes of the same outage repeat only the one line, and the pass that succeeds again
says so. A Jira outage at one pass a minute must not fill the log with tracebacks.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field

from csp_jira_sync.errors import CspSyncError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """One pass of work. `run` returns how many things ended in each outcome.

    `every_seconds` is how often `serve` runs it; None for a job `serve` does elsewhere (the
    queue is drained continuously by the worker thread) and only `sync` runs. `in_sync` False
    keeps a job out of `sync` (the scheduled reports: `report trends` raises one by hand).
    """

    name: str
    title: str  # the heading of its table in `sync`
    unit: str  # what `run` counts: "events", "issues"
    run: Callable[[], Mapping[str, int]]
    every_seconds: float | None = None
    in_sync: bool = True


@dataclass(frozen=True)
class JobResult:
    job: str
    outcomes: Mapping[str, int] = field(default_factory=dict)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def describe(exc: BaseException) -> str:
    """The reason on one line: our own errors carry a message written for operators; anything
    else is named by its type, since its message alone may say little."""
    text = " ".join(str(exc).split())
    if isinstance(exc, CspSyncError):
        return text or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@dataclass
class JobRunner:
    """Runs one job pass after pass and remembers whether it is failing, so an outage is
    reported once in full and then in one line per pass."""

    job: Job
    failing_passes: int = 0

    def run(self) -> JobResult:
        name = self.job.name
        try:
            outcomes = Counter(self.job.run())
        except Exception as exc:
            self.failing_passes += 1
            reason = describe(exc)
            expected = isinstance(exc, CspSyncError)
            first = self.failing_passes == 1
            log.log(
                logging.WARNING if expected else logging.ERROR,
                "scheduler.job_failed job=%s passes=%d reason=%s",
                name,
                self.failing_passes,
                reason,
                # A bug's traceback belongs in the line itself; an outage's only at DEBUG.
                exc_info=exc if first and not expected else None,
            )
            if first and expected:
                log.debug("scheduler.job_failed job=%s traceback follows", name, exc_info=exc)
            return JobResult(name, error=reason)
        if self.failing_passes:
            log.info(
                "scheduler.job_recovered job=%s after_failed_passes=%d", name, self.failing_passes
            )
            self.failing_passes = 0
        log.info("scheduler.job_done job=%s outcomes=%s", name, dict(outcomes))
        return JobResult(name, outcomes=dict(outcomes))


def run_all(
    jobs: Sequence[Job],
    *,
    around: Callable[[Job], AbstractContextManager[object]] = lambda _: nullcontext(),
) -> list[JobResult]:
    """Every job once, in order; one failing does not stop the next (`sync`). `around` wraps
    each run, e.g. in a status line on the console."""
    results = []
    for job in jobs:
        with around(job):
            results.append(JobRunner(job).run())
    return results


def run_periodically(
    jobs: Sequence[Job],
    stop: threading.Event,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Run each periodic job at start and then every `every_seconds` until `stop` is set."""
    due: list[tuple[JobRunner, float]] = [
        (JobRunner(job), job.every_seconds) for job in jobs if job.every_seconds is not None
    ]
    next_at = [0.0] * len(due)
    while not stop.is_set():
        for index, (runner, every) in enumerate(due):
            if stop.is_set():
                return
            if clock() >= next_at[index]:
                runner.run()
                next_at[index] = clock() + every
        soonest = min(next_at, default=clock() + 60)
        stop.wait(max(0.05, min(60.0, soonest - clock())))


def start_scheduler(jobs: Sequence[Job], stop: threading.Event) -> threading.Thread:
    thread = threading.Thread(
        target=run_periodically, args=(jobs, stop), name="csp-scheduler", daemon=True
    )
    thread.start()
    return thread
