"""`serve`'s nightly job: it runs once per cron time (UTC) across the daemons sharing the store,
a new daemon waits for its first cron time, and the scheduler sleeps until the next one."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from csp_jira_sync.reconcile.run import LAST_SLOT
from csp_jira_sync.runtime.bootstrap import App, build_app
from tests.e2e.harness import settings_for

START = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)


def _at(app: App, moment: datetime) -> None:
    app.worker.clock = lambda: moment


def test_the_nightly_job_runs_once_per_cron_time_across_daemons(
    reconcile_app: App, sandbox: Any, tmp_path: Path, database_url: str
) -> None:
    app = reconcile_app
    [job] = [job for job in app.jobs() if job.name == "reconcile"]
    assert not job.exclusive and not job.in_sync
    _at(app, START)
    assert job.run() == {}  # started after today's 02:30: waits for tomorrow's
    assert job.wait_seconds is not None
    assert job.wait_seconds() == 3600.0  # looks again within the hour, at most
    _at(app, datetime(2026, 12, 2, 2, 29, tzinfo=UTC))
    assert job.wait_seconds() == 60.0
    assert job.run() == {}

    _at(app, datetime(2026, 12, 2, 2, 30, 5, tzinfo=UTC))
    counts = job.run()
    assert counts["needs_person"] == 0
    assert app.store.get_cursor(LAST_SLOT) == "2026-12-02T02:30:00+00:00"
    _at(app, datetime(2026, 12, 2, 2, 40, tzinfo=UTC))
    assert job.run() == {}

    # Another daemon on the same store, started before the cron time, does not run it again.
    other = build_app(settings_for(sandbox.base_url, tmp_path / "b", database_url=database_url))
    try:
        other.reconcile_started_at = START
        _at(other, datetime(2026, 12, 2, 2, 45, tzinfo=UTC))
        [its_job] = [job for job in other.jobs() if job.name == "reconcile"]
        assert its_job.run() == {}
    finally:
        other.close()
