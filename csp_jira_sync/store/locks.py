"""Job locks: which daemon runs each periodic job, when several share one database.

A lock is a lease row (`schema.job_locks`), not a PostgreSQL advisory lock: it works the same on
SQLite, it can be read by any process (`check`, `/metrics` show who holds what and since when),
and a holder that loses its connection does not silently lose the lock with it; the lease
simply runs out `ttl` after the last renewal, and only then may another daemon take the job.

Every method is one short transaction; the clock is the caller's (`now`), so failover is
tested without waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, case, delete, select, update

from csp_jira_sync.store.engine import READ_ONLY, unavailable_on_failure, writing
from csp_jira_sync.store.schema import job_locks
from csp_jira_sync.store.upsert import insert_for


@dataclass(frozen=True)
class JobLock:
    """One job's lease as stored: `holder` runs `job` until `expires_at` unless it renews."""

    job: str
    holder: str
    acquired_at: datetime
    renewed_at: datetime
    expires_at: datetime

    def live(self, now: datetime) -> bool:
        return self.expires_at > now

    def held_for(self, now: datetime) -> timedelta:
        return now - self.acquired_at


class JobLocks:
    """The lease rows of the periodic jobs. Build it with `Store.job_locks`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def acquire(self, job: str, holder: str, now: datetime, ttl: timedelta) -> JobLock:
        """Take `job`'s lease for `holder` until `now + ttl`, or renew it when `holder` has it
        already; a live lease of another holder is left alone. Returns the lease as it stands
        afterwards: `holder` is this one when it got (or kept) the job."""
        if ttl <= timedelta(0):
            raise ValueError(f"a job lock needs a positive lease, not {ttl}")
        insert = insert_for(self._engine.dialect.name, job_locks).values(
            job=job, holder=holder, acquired_at=now, renewed_at=now, expires_at=now + ttl
        )
        same_holder = job_locks.c.holder == insert.excluded.holder
        statement = insert.on_conflict_do_update(
            index_elements=[job_locks.c.job],
            set_={
                "holder": insert.excluded.holder,
                # A renewal keeps the time the holder first got the job: `check` shows its age.
                "acquired_at": case(
                    (same_holder, job_locks.c.acquired_at), else_=insert.excluded.acquired_at
                ),
                "renewed_at": insert.excluded.renewed_at,
                "expires_at": insert.excluded.expires_at,
            },
            where=same_holder | (job_locks.c.expires_at <= insert.excluded.renewed_at),
        )
        with writing(self._engine, "taking a job lock") as connection:
            connection.execute(statement)
            row = connection.execute(select(job_locks).where(job_locks.c.job == job)).one()
        return JobLock(**row._asdict())

    def renew(self, jobs: set[str], holder: str, now: datetime, ttl: timedelta) -> set[str]:
        """Extend `holder`'s leases on `jobs` to `now + ttl`; returns the jobs it still holds.
        A lease that ran out is renewed as long as nobody else took it in the meantime."""
        if not jobs:
            return set()
        statement = (
            update(job_locks)
            .where(job_locks.c.job.in_(sorted(jobs)), job_locks.c.holder == holder)
            .values(renewed_at=now, expires_at=now + ttl)
            .returning(job_locks.c.job)
        )
        with writing(self._engine, "renewing job locks") as connection:
            return set(connection.execute(statement).scalars())

    def release(self, job: str, holder: str) -> bool:
        """Give `job` up so another daemon can take it at once; False when `holder` did not
        hold it (any more)."""
        statement = delete(job_locks).where(job_locks.c.job == job, job_locks.c.holder == holder)
        with writing(self._engine, "releasing a job lock") as connection:
            return bool(connection.execute(statement).rowcount)

    def all(self) -> list[JobLock]:
        """Every lease row, live or run out, by job."""
        query = select(job_locks).order_by(job_locks.c.job)
        with (
            unavailable_on_failure("reading job locks"),
            self._engine.connect().execution_options(**{READ_ONLY: True}) as connection,
        ):
            return [JobLock(**row._asdict()) for row in connection.execute(query)]


__all__ = ["JobLock", "JobLocks"]
