"""This daemon's hold on the periodic jobs, when several daemons share one database.

`serve` keeps a job's lock from its first pass until it stops, renewing it from a heartbeat
thread every third of the lease (so a pass longer than the lease keeps it too); the other
daemons skip the job and look again every half lease. When the holder dies, its lease runs out
at most `lease` after its last renewal and the next look of another daemon takes the job over:
failover within 1.5 x `lease` (`CSP_JOB_LOCK_SECONDS`, 30 s by default, so within 45 s). A
daemon that stops cleanly releases its locks at once. `sync` takes each job's lock for the
length of its pass only.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from csp_jira_sync.store import JobLock, JobLocks

log = logging.getLogger(__name__)


def holder_name() -> str:
    """Who this process is, as other daemons and `check` see it: host, pid and a random tag
    (a restarted daemon may get its predecessor's pid; it must not inherit its locks)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def describe_holder(lock: JobLock, now: datetime) -> str:
    seconds = max(0.0, lock.held_for(now).total_seconds())
    return f"daemon {lock.holder} (holding it for {seconds:.0f} s)"


class JobLeases:
    """Take, keep and give back job locks for one holder. Thread-safe: the scheduler takes
    locks while the heartbeat renews them."""

    def __init__(
        self,
        locks: JobLocks,
        *,
        holder: str,
        lease: timedelta,
        clock: Callable[[], datetime],
    ) -> None:
        if lease <= timedelta(0):
            raise ValueError(f"the job lock lease must be positive, not {lease}")
        self.locks = locks
        self.holder = holder
        self.lease = lease
        self.clock = clock
        self._held: set[str] = set()
        self._mutex = threading.Lock()

    @property
    def recheck_seconds(self) -> float:
        """How often a daemon that was refused a job asks again."""
        return self.lease.total_seconds() / 2

    @property
    def held(self) -> frozenset[str]:
        with self._mutex:
            return frozenset(self._held)

    def hold(self, job: str) -> str | None:
        """Take or keep `job`'s lock: None when this daemon may run it now, else who runs it.
        Raises `StoreUnavailable` when the store does not answer (the job does not run)."""
        now = self.clock()
        lock = self.locks.acquire(job, self.holder, now, self.lease)
        with self._mutex:
            if lock.holder == self.holder:
                if job not in self._held:
                    log.info("scheduler.lock_taken job=%s holder=%s", job, self.holder)
                self._held.add(job)
                return None
            self._held.discard(job)
        return describe_holder(lock, now)

    def renew(self) -> set[str]:
        """Extend every lock this daemon holds; a lock found taken over (the heartbeat could
        not reach the store for longer than the lease) is dropped with a warning."""
        wanted = set(self.held)
        if not wanted:
            return set()
        kept = self.locks.renew(wanted, self.holder, self.clock(), self.lease)
        with self._mutex:
            for job in wanted - kept:
                self._held.discard(job)
                log.warning("scheduler.lock_lost job=%s holder=%s", job, self.holder)
        return kept

    def release(self, job: str) -> None:
        with self._mutex:
            if job not in self._held:
                return
            self._held.discard(job)
        self.locks.release(job, self.holder)
        log.info("scheduler.lock_released job=%s holder=%s", job, self.holder)

    def release_all(self) -> None:
        """Give every lock back (a clean stop), so other daemons take the jobs at once; a
        store that does not answer just lets the leases run out."""
        for job in sorted(self.held):
            try:
                self.release(job)
            except Exception as exc:
                log.warning("scheduler.lock_release_failed job=%s reason=%s", job, exc)

    def heartbeat(self, stop: threading.Event) -> None:
        """Renew every third of the lease until `stop`; a failed renewal is retried at the
        next beat (the lease outlives two missed beats)."""
        interval = self.lease.total_seconds() / 3
        while not stop.wait(interval):
            try:
                self.renew()
            except Exception as exc:
                log.warning("scheduler.lock_renew_failed holder=%s reason=%s", self.holder, exc)

    def start_heartbeat(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(
            target=self.heartbeat, args=(stop,), name="csp-job-locks", daemon=True
        )
        thread.start()
        return thread


__all__ = ["JobLeases", "describe_holder", "holder_name"]
