"""Crash: a mixed stream replayed while `serve` is killed with SIGKILL at random moments and
restarted, the senders retrying what was not accepted; then settled. Nothing is lost, nothing
is duplicated, and Jira ends exactly as after the same stream without crashes: once with one
daemon on SQLite, once with two daemons on PostgreSQL, parallel lanes on in both."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jira_sandbox.pytest_plugin import SandboxFactory
from tests.fault.daemons import cluster
from tests.fault.plugin import SoakSize
from tests.fault.scenario import Row, RunStart, baseline, measure, replay, settle
from tests.fault.stream import mixed_stream

pytestmark = [pytest.mark.fault, pytest.mark.slow]
SEED = 12


def crash_run(
    name: str,
    sandbox: Any,
    sandbox_factory: SandboxFactory,
    database_url: str,
    tmp_path: Path,
    size: SoakSize,
    soak_report: list[Row],
    *,
    daemons: int,
) -> None:
    stream = mixed_stream(size.crash_events, seed=SEED)
    expected = baseline(sandbox_factory, stream, (size.crash_events, SEED), tmp_path / "baseline")
    # The worker is mid-call more often when Jira takes a moment; the index lags as in Cloud.
    sandbox.admin.set_knobs(latencyMs=20, indexLagMs=500)
    started = RunStart.now()
    with cluster(sandbox.base_url, database_url, tmp_path, daemons=daemons) as target:
        sent = replay(target, stream, kills=size.crash_kills, seed=SEED)
        depth, sync = settle(target)
    measured = measure(
        name,
        stream,
        sandbox.admin.issues(),
        expected,
        sent=sent,
        depth=depth,
        sync=sync,
        kills=size.crash_kills,
        started=started,
    )
    soak_report.append(measured.row)
    assert measured.problems() == [], "\n".join(measured.problems())
    assert sum(daemon.starts for daemon in target.daemons) == daemons + size.crash_kills


def test_one_daemon_on_sqlite_killed_at_random_loses_and_duplicates_nothing(
    sandbox: Any,
    sandbox_factory: SandboxFactory,
    tmp_path: Path,
    soak_size: SoakSize,
    soak_report: list[Row],
) -> None:
    crash_run(
        "crash, 1 daemon, SQLite",
        sandbox,
        sandbox_factory,
        f"sqlite:///{tmp_path / 'state.sqlite'}",
        tmp_path,
        soak_size,
        soak_report,
        daemons=1,
    )


@pytest.mark.postgres
def test_two_daemons_on_postgresql_killed_at_random_lose_and_duplicate_nothing(
    sandbox: Any,
    sandbox_factory: SandboxFactory,
    postgres_database_url: str,
    tmp_path: Path,
    soak_size: SoakSize,
    soak_report: list[Row],
) -> None:
    crash_run(
        "crash, 2 daemons, PostgreSQL",
        sandbox,
        sandbox_factory,
        postgres_database_url,
        tmp_path,
        soak_size,
        soak_report,
        daemons=2,
    )
