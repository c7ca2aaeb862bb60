"""Issue 7 as it was seen, end to end: a real `csp-jira-sync serve` on PostgreSQL, 5 escalations,
PostgreSQL stopped for a few seconds (the receiver answers 503 and /readyz says why) and started
again, 10 more escalations: every accepted event reaches Jira exactly once, and the daemon's
log says once that the worker lost the store and once that it got it back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests

from csp_jira_sync.config.references import ref_label
from csp_jira_sync.demo.run import new_webhook_secret, signed_post
from csp_jira_sync.runtime.daemon import free_port
from csp_jira_sync.store import Store
from tests.e2e.harness import T0, noc_event, wait_for
from tests.support.postgres_cluster import PostgresCluster

CLI = Path(sys.executable).parent / "csp-jira-sync"


@contextmanager
def serving(jira_url: str, database_url: str, log: Path) -> Iterator[tuple[str, str]]:
    """`csp-jira-sync serve` in a subprocess; yields its base URL and webhook secret."""
    secret = new_webhook_secret()
    listen = f"127.0.0.1:{free_port()}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("CSP_")}
    # The suite's one trained classifier, rather than one trained at each start (issue 11).
    env["CSP_MODEL_DIR"] = os.environ["CSP_MODEL_DIR"]
    env.update(
        {
            "CSP_JIRA_URL": jira_url,
            "CSP_DATABASE_URL": database_url,
            "CSP_WEBHOOK_SECRET": secret,
            "CSP_LISTEN": listen,
            "CSP_LOG_LEVEL": "INFO",
            "CSP_WORKER_POLL_SECONDS": "0.05",
            "CSP_WORKER_RETRY_FIRST_SECONDS": "0.1",
            "CSP_WORKER_RETRY_MAX_SECONDS": "1.0",
            "CSP_JIRA_SEARCH_SETTLE_SECONDS": "2.0",
            "CSP_JIRA_MAX_BACKOFF_SECONDS": "2.0",
        }
    )
    with log.open("w") as output:
        process = subprocess.Popen([str(CLI), "serve"], env=env, stdout=output, stderr=output)
    base_url = f"http://{listen}"
    try:

        def ready() -> bool:
            assert process.poll() is None, log.read_text()
            try:
                return requests.get(base_url + "/readyz", timeout=1).status_code == 200
            except requests.ConnectionError:
                return False

        wait_for(ready, "serve answers /readyz", timeout=30)
        yield base_url, secret
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def escalation(n: int) -> dict[str, Any]:
    return noc_event(f"out-{n}", at=T0 + timedelta(minutes=n), escalation_id=f"NOC-OUT-{n}")


def test_postgresql_stopped_under_serve_loses_nothing_and_duplicates_nothing(
    sandbox: Any, stoppable_postgres: PostgresCluster, tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    database = stoppable_postgres.url
    with serving(sandbox.base_url, database, log) as (base_url, secret), requests.Session() as http:

        def post(n: int) -> requests.Response:
            payload = escalation(n)
            return signed_post(http, base_url + "/webhooks/noc", secret, payload, f"msg_{n}")

        for n in range(1, 6):
            assert post(n).status_code == 202

        stoppable_postgres.stop()
        refused = post(6)
        readiness = http.get(base_url + "/readyz", timeout=10)
        assert refused.status_code == 503 and refused.headers["retry-after"] == "5"
        assert readiness.status_code == 503
        assert readiness.json()["store"] == "unavailable"
        assert readiness.json()["store_error"].startswith("state store unavailable")
        time.sleep(3)  # the outage lasts a few seconds
        stoppable_postgres.start()

        for n in range(6, 16):
            # As a sender does: a 503 is retried (the first request may meet the outage's end).
            wait_for(lambda n=n: post(n).status_code == 202, f"escalation {n} accepted", 15)

        store = Store.open(database)
        try:
            wait_for(
                lambda: store.depth() == {"pending": 0, "done": 15, "dead": 0},
                "every accepted event is done",
                timeout=30,
            )
        finally:
            store.close()
        assert http.get(base_url + "/readyz", timeout=10).status_code == 200

    labels = Counter(
        label
        for issue in sandbox.admin.issues()
        for label in issue["labels"]
        if label.startswith("csp-ref-")
    )
    assert labels == Counter({ref_label("escalation", f"NOC-OUT-{n}", 1): 1 for n in range(1, 16)})
    lines = log.read_text().splitlines()
    assert sum("worker.outage_started" in line for line in lines) == 1, log.read_text()
    assert sum("worker.outage_ended" in line for line in lines) == 1, log.read_text()
    assert "Exception in thread" not in log.read_text()
