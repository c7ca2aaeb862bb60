"""Store faults: the database goes away under a running daemon while senders deliver the mixed
stream. The receiver answers 503 while it is down (never a 202 it could not keep), the senders'
retries land once it is back, and nothing is lost or duplicated.

PostgreSQL is stopped (`pg_ctl stop -m fast`: every connection ends) and started again. For
SQLite "unavailable" is the file locked by another process (`BEGIN EXCLUSIVE`, as a backup or a
stuck migration holds it) for longer than the daemon's busy timeout (5 s)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jira_sandbox.pytest_plugin import SandboxFactory
from tests.e2e.harness import wait_for
from tests.fault.daemons import Cluster, cluster
from tests.fault.plugin import SoakSize
from tests.fault.scenario import Row, RunStart, baseline, measure, replay, settle
from tests.fault.stream import Delivery, mixed_stream
from tests.support.postgres_cluster import PostgresCluster

pytestmark = [pytest.mark.fault, pytest.mark.slow]
SEED = 12  # the crash runs' stream: one run without faults serves all
SQLITE_BUSY_TIMEOUT = 5.0


def outages(
    target: list[Cluster],
    stream: list[Delivery],
    count: int,
    seconds: float,
    down: Callable[[], None],
    up: Callable[[], None],
) -> Callable[[], None]:
    """`count` outages spread over the stream: the k-th starts once k/(count+1) of it is stored."""

    def run() -> None:
        for k in range(1, count + 1):
            share = len(stream) * k // (count + 2)

            def stored(share: int = share) -> bool:
                return sum(target[0].depth().values()) >= share

            wait_for(stored, f"outage {k}'s share of the stream stored", timeout=600)
            down()
            time.sleep(seconds)
            up()

    return run


def store_outage_run(
    name: str,
    sandbox: Any,
    sandbox_factory: SandboxFactory,
    database_url: str,
    tmp_path: Path,
    size: SoakSize,
    soak_report: list[Row],
    *,
    down: Callable[[], None],
    up: Callable[[], None],
    seconds: float,
    notes: str,
) -> None:
    stream = mixed_stream(size.outage_events, seed=SEED)
    expected = baseline(sandbox_factory, stream, (size.outage_events, SEED), tmp_path / "base")
    started = RunStart.now()
    holder: list[Cluster] = []
    with cluster(sandbox.base_url, database_url, tmp_path) as target:
        holder.append(target)
        sent = replay(
            target, stream, during=outages(holder, stream, size.outages, seconds, down, up)
        )
        depth, sync = settle(target)
    measured = measure(
        name,
        stream,
        sandbox.admin.issues(),
        expected,
        sent=sent,
        depth=depth,
        sync=sync,
        kills=0,
        started=started,
        notes=notes,
    )
    soak_report.append(measured.row)
    assert measured.problems() == [], "\n".join(measured.problems())
    # The receiver said "not now" while the store was away, and only that.
    assert sent.statuses[503] > 0, sent.statuses
    assert set(sent.statuses) <= {503}, sent.statuses


@pytest.mark.postgres
def test_postgresql_stopped_under_the_daemon_answers_503_and_loses_nothing(
    sandbox: Any,
    sandbox_factory: SandboxFactory,
    stoppable_postgres: PostgresCluster,
    tmp_path: Path,
    soak_size: SoakSize,
    soak_report: list[Row],
) -> None:
    store_outage_run(
        "store down, PostgreSQL stopped",
        sandbox,
        sandbox_factory,
        stoppable_postgres.url,
        tmp_path,
        soak_size,
        soak_report,
        down=stoppable_postgres.stop,
        up=stoppable_postgres.start,
        seconds=soak_size.outage_seconds,
        notes=f"{soak_size.outages} x {soak_size.outage_seconds:.0f} s PostgreSQL stopped",
    )


def test_sqlite_locked_by_another_process_answers_503_and_loses_nothing(
    sandbox: Any,
    sandbox_factory: SandboxFactory,
    tmp_path: Path,
    soak_size: SoakSize,
    soak_report: list[Row],
) -> None:
    path = tmp_path / "state.sqlite"
    lock: list[sqlite3.Connection] = []

    def down() -> None:
        connection = sqlite3.connect(path, timeout=30, isolation_level=None)
        connection.execute("BEGIN EXCLUSIVE")
        lock.append(connection)

    def up() -> None:
        connection = lock.pop()
        connection.execute("ROLLBACK")
        connection.close()

    seconds = soak_size.outage_seconds + SQLITE_BUSY_TIMEOUT + 3
    store_outage_run(
        "store down, SQLite locked",
        sandbox,
        sandbox_factory,
        f"sqlite:///{path}",
        tmp_path,
        soak_size,
        soak_report,
        down=down,
        up=up,
        seconds=seconds,
        notes=f"{soak_size.outages} x {seconds:.0f} s SQLite held by BEGIN EXCLUSIVE",
    )
