"""/metrics shows which daemon holds which periodic job's lock and for how long (issue 10),
read from the store at each scrape, so every daemon sharing the database shows the same."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from csp_jira_sync.metrics import Metrics
from csp_jira_sync.store import JobLock
from tests.receiver.server import RunningReceiver

NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


def _lock(job: str, holder: str, since: float, expires_in: float) -> JobLock:
    return JobLock(
        job=job,
        holder=holder,
        acquired_at=NOW - timedelta(seconds=since),
        renewed_at=NOW,
        expires_at=NOW + timedelta(seconds=expires_in),
    )


def test_live_locks_are_shown_with_their_age_and_run_out_ones_are_not() -> None:
    metrics = Metrics()
    metrics.set_job_locks(
        [_lock("triage", "host-a:12:ab12cd", 42, 20), _lock("allowance", "host-b:7:ff", 90, -1)],
        NOW,
    )
    text = metrics.render()[0].decode()
    assert 'csp_job_lock_held_seconds{holder="host-a:12:ab12cd",job="triage"} 42.0' in text
    assert 'job="allowance"' not in text


def test_a_lock_that_changed_hands_is_shown_under_its_new_holder_only() -> None:
    metrics = Metrics()
    metrics.set_job_locks([_lock("triage", "host-a:1:aa", 5, 20)], NOW)
    metrics.set_job_locks([_lock("triage", "host-b:2:bb", 1, 20)], NOW)
    text = metrics.render()[0].decode()
    assert 'holder="host-a:1:aa"' not in text
    assert 'csp_job_lock_held_seconds{holder="host-b:2:bb",job="triage"} 1.0' in text


def test_the_daemon_names_itself_as_the_locks_know_it() -> None:
    metrics = Metrics()
    metrics.set_daemon("host-a:12:ab12cd")
    assert 'csp_daemon_info{holder="host-a:12:ab12cd"} 1.0' in metrics.render()[0].decode()


def test_metrics_over_http_read_the_lock_holders_from_the_store(
    receiver: RunningReceiver,
) -> None:
    now = datetime.now(UTC)
    receiver.store.job_locks.acquire("triage", "host-b:7:ff", now, timedelta(minutes=5))
    text = receiver.http.get(receiver.url + "/metrics").text
    assert 'csp_job_lock_held_seconds{holder="host-b:7:ff",job="triage"}' in text
