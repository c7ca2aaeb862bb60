"""Periodic jobs inside `serve` (the triage pass today; reconciliation and worklog reads
later). One thread; a job that fails is logged and tried again at its next turn, never
crashing the daemon."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass
class Job:
    name: str
    every_seconds: float
    run: Callable[[], object]
    next_at: float = 0.0  # monotonic; 0 runs the job at start


def run_jobs(
    jobs: list[Job], stop: threading.Event, *, clock: Callable[[], float] = time.monotonic
) -> None:
    while not stop.is_set():
        now = clock()
        for job in jobs:
            if now >= job.next_at:
                try:
                    result = job.run()
                    log.info("scheduler.job_done job=%s result=%s", job.name, result)
                except Exception:
                    log.exception("scheduler.job_failed job=%s", job.name)
                job.next_at = clock() + job.every_seconds
        due = min((job.next_at for job in jobs), default=clock() + 60)
        stop.wait(max(0.05, min(60.0, due - clock())))


def start_scheduler(jobs: list[Job], stop: threading.Event) -> threading.Thread:
    thread = threading.Thread(target=run_jobs, args=(jobs, stop), name="csp-scheduler", daemon=True)
    thread.start()
    return thread
