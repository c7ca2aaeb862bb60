"""What an operator sees of delivery on /metrics (issue 10): lanes busy, Jira calls in flight,
the concurrency limit, the 429 pauses (and the per-issue write limit's 429s, which pause
nothing), and the age of the oldest undelivered event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families

from csp_jira_sync.runtime.bootstrap import build_app
from csp_jira_sync.runtime.daemon import start_daemon
from tests.e2e.harness import settings_for
from tests.store.helpers import item


def scrape(url: str) -> dict[str, float]:
    text = requests.get(url + "/metrics", timeout=10).text
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if not sample.labels
    }


def test_metrics_show_the_lanes_the_pace_and_the_oldest_undelivered_event(
    tmp_path: Path,
) -> None:
    app = build_app(settings_for("http://127.0.0.1:9", tmp_path, jira_max_concurrency=6))
    try:
        with start_daemon(app, with_worker=False) as daemon:
            empty = scrape(daemon.base_url)
            assert empty["csp_oldest_undelivered_seconds"] == 0.0
            assert empty["csp_worker_lanes"] == 9.0  # half as many again as call slots
            assert empty["csp_worker_lanes_busy"] == 0.0
            assert empty["csp_jira_calls_in_flight"] == 0.0
            assert empty["csp_jira_concurrency_limit"] == 6.0
            assert empty["csp_jira_rate_limit_pauses_total"] == 0.0
            assert empty["csp_jira_issue_write_limited_total"] == 0.0

            app.store.accept([item("old")], now=datetime.now(UTC) - timedelta(minutes=10))
            app.store.accept([item("new", minutes=1)])
            with app.gateway._pacer.call() as call:
                call.answered(429, {"Retry-After": "7"})
            with app.gateway._pacer.call() as call:
                call.answered(
                    429, {"Retry-After": "2", "RateLimit-Reason": "jira-per-issue-on-write"}
                )
            seen = scrape(daemon.base_url)
    finally:
        app.close()
    assert 600 <= seen["csp_oldest_undelivered_seconds"] < 3600
    assert seen["csp_jira_concurrency_limit"] == 3.0
    assert seen["csp_jira_rate_limit_pauses_total"] == 1.0
    assert seen["csp_jira_issue_write_limited_total"] == 1.0
    assert 6.0 <= seen["csp_jira_rate_limit_paused_seconds_total"] <= 7.0
