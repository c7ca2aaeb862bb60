"""Jobs: the passes `sync` runs once and `serve` runs periodically (the queue and the triage pass
today; the allowance pass, reports and reconciliation join by adding a `Job` to
`bootstrap.App.jobs`, the one place jobs are registered).

A job that fails never takes the others down. Each failure is one log line with its reason; the
traceback is logged once per outage (the first failing pass): at DEBUG for the failures the code
expects (Jira or the store unavailable, a `CspSyncError`), at ERROR for anything else, which is a
bug. Later passes of the same outage repeat only the one line, and the pass that succeeds again
says so. A Jira outage at one pass a minute must not fill the log with tracebacks.

With several daemons on one database, an `exclusive` job runs on one daemon at a time: before
each pass the runner asks a `Guard` (the job locks, `runtime/leases.py`) for the job, and a job
another daemon holds is skipped with a DEBUG line, not counted as a failure.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Protocol

from csp_jira_sync.errors import CspSyncError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """One pass of work. `run` returns how many things ended in each outcome.

    `every_seconds` is how often `serve` runs it; None for a job `serve` does elsewhere (the
    queue is drained continuously by the worker thread) and only `sync` runs. `in_sync` False
    keeps a job out of `sync` (the scheduled reports: `report trends` raises one by hand).
    `exclusive`: at most one daemon of those sharing the database runs it at a time (not the
    queue, which the daemons share row by row through their claims).
    """

    name: str
    title: str  # the heading of its table in `sync`
    unit: str  # what `run` counts: "events", "issues"
    run: Callable[[], Mapping[str, int]]
    every_seconds: float | None = None
    in_sync: bool = True
    exclusive: bool = True
    # For a job on a calendar (the nightly reconciliation's cron): after each pass, how many
    # seconds until the next; it replaces `every_seconds` as the wait (which must still be set).
    wait_seconds: Callable[[], float] | None = None


class Guard(Protocol):
    """Who may run an exclusive job (`runtime.leases.JobLeases`)."""

    @property
    def recheck_seconds(self) -> float: ...

    def hold(self, job: str) -> str | None:
        """None when this process may run `job` now; else who runs it, for people."""

    def release(self, job: str) -> None: ...


@dataclass(frozen=True)
class JobResult:
    job: str
    outcomes: Mapping[str, int] = field(default_factory=dict)
    error: str | None = None
    held_by: str | None = None  # skipped: another daemon runs this job

    @property
    def skipped(self) -> bool:
        return self.held_by is not None

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

    def run(self, guard: Guard | None = None) -> JobResult:
        name = self.job.name
        try:
            held_by = guard.hold(name) if guard is not None and self.job.exclusive else None
            if held_by is not None:
                # Expected whenever several daemons share the database: not worth an INFO line.
                log.debug("scheduler.job_skipped job=%s held_by=%s", name, held_by)
                return JobResult(name, held_by=held_by)
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
    guard: Guard | None = None,
) -> list[JobResult]:
    """Every job once, in order; one failing does not stop the next (`sync`). `around` wraps
    each run, e.g. in a status line on the console. With a `guard`, an exclusive job runs only
    when its lock is free (else its result names the holder), and the lock is given back after
    the pass."""
    results = []
    for job in jobs:
        with around(job):
            result = JobRunner(job).run(guard)
        if guard is not None and job.exclusive and result.held_by is None:
            try:
                guard.release(job.name)
            except CspSyncError as exc:  # the lease runs out on its own
                log.warning("scheduler.lock_release_failed job=%s reason=%s", job.name, exc)
        results.append(result)
    return results


def run_periodically(
    jobs: Sequence[Job],
    stop: threading.Event,
    *,
    guard: Guard | None = None,
) -> None:
    """Run each periodic job at start and then every `every_seconds` until `stop` is set, each
    on its own thread: a long pass (the scheduled reports draw charts) never delays another
    job, nor its move here from a daemon that died. A job another daemon holds (see `Guard`)
    is asked for again after `guard.recheck_seconds` (or its own period, if shorter)."""
    threads = [
        threading.Thread(
            target=_run_one,
            args=(JobRunner(job), job.every_seconds, stop, guard, job.wait_seconds),
            name=f"csp-job-{job.name}",
            daemon=True,
        )
        for job in jobs
        if job.every_seconds is not None
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _run_one(
    runner: JobRunner,
    every: float,
    stop: threading.Event,
    guard: Guard | None,
    wait_seconds: Callable[[], float] | None = None,
) -> None:
    while not stop.is_set():
        result = runner.run(guard)
        wait = every
        if wait_seconds is not None:
            try:
                wait = wait_seconds()
            except Exception as exc:  # a broken calendar must not stop the job for good
                log.warning("scheduler.wait_failed job=%s reason=%s", runner.job.name, exc)
        if result.skipped and guard is not None:
            wait = min(every, guard.recheck_seconds)
        stop.wait(max(0.05, wait))


def start_scheduler(
    jobs: Sequence[Job], stop: threading.Event, guard: Guard | None = None
) -> threading.Thread:
    thread = threading.Thread(
        target=run_periodically,
        args=(jobs, stop),
        kwargs={"guard": guard},
        name="csp-scheduler",
        daemon=True,
    )
    thread.start()
    return thread
