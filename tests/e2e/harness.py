"""Running the real daemon (receiver over HTTP + worker) against a running sandbox."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jira
import requests
from pydantic import SecretStr

from csp_jira_sync.demo.run import new_webhook_secret, signed_post
from csp_jira_sync.runtime.bootstrap import App, build_app
from csp_jira_sync.runtime.daemon import RunningDaemon, start_daemon
from csp_jira_sync.settings import Settings

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def wait_for(condition: Callable[[], bool], what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened within {timeout:.0f} s: {what}")
        time.sleep(0.1)


def flaky_and_lagging(sandbox: Any, *, seed: int) -> None:
    """Jira's index half a second behind, and a fifth of the calls failed (5xx, dropped or
    timed out after a 1.5 s stall; half of the writes among them after they landed)."""
    sandbox.admin.set_knobs(
        indexLagMs=500,
        faultRate=0.2,
        faultKinds=["500", "502", "503", "drop", "timeout"],
        faultAfterWrite=0.5,
        faultStallMs=1500,
        faultSeed=seed,
    )


def issues_by_ref(sandbox: Any) -> dict[str, list[dict[str, Any]]]:
    """The sandbox's issues by reference label (`csp-ref-…`): two under one is a duplicate."""
    by_ref: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for issue in sandbox.admin.issues():
        for label in issue["labels"]:
            if label.startswith("csp-ref-"):
                by_ref[label].append(issue)
    return by_ref


@dataclass
class Daemon:
    running: RunningDaemon
    app: App
    secret: str
    jira_url: str
    session: requests.Session

    def post(self, payload: dict[str, Any], path: str = "/webhooks/noc") -> requests.Response:
        return signed_post(
            self.session,
            self.running.base_url + path,
            self.secret,
            payload,
            f"msg_{payload.get('event_id', payload.get('id'))}",
        )

    def drain(self, timeout: float = 30.0) -> None:
        """Wait until nothing is pending (deferred events included)."""
        self.app.wait_until_drained(timeout)

    def jira(self) -> jira.JIRA:
        return jira.JIRA(
            server=self.jira_url,
            basic_auth=("csp.alice", "csp.alice-token"),
            max_retries=0,
        )

    def issues(self, jql: str = "project = CSP ORDER BY key ASC") -> list[Any]:
        """Read back what landed, as a person in Jira would see it (waits out the index lag)."""
        client = self.jira()
        if self.app.gateway.deployment == "cloud":
            return list(client.enhanced_search_issues(jql, maxResults=False))
        return list(client.search_issues(jql, maxResults=False))


def settings_for(jira_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "jira_url": jira_url,
        "database_url": f"sqlite:///{tmp_path / 'state.sqlite'}",
        "webhook_secret": SecretStr(new_webhook_secret()),
        "jira_search_settle_seconds": 2.0,
        "jira_max_backoff_seconds": 2.0,
        "worker_poll_seconds": 0.05,
        # Short retry delays so tests of outages finish in seconds.
        "worker_retry_first_seconds": 0.1,
        "worker_retry_max_seconds": 1.0,
    }
    values.update(overrides)
    return Settings(**values)


@contextmanager
def running_daemon(jira_url: str, tmp_path: Path, **overrides: Any) -> Iterator[Daemon]:
    settings = settings_for(jira_url, tmp_path, **overrides)
    app = build_app(settings)
    assert settings.webhook_secret is not None
    with start_daemon(app) as running, requests.Session() as session:
        yield Daemon(running, app, settings.webhook_secret.get_secret_value(), jira_url, session)
    app.close()


def noc_event(
    event_id: str,
    status: str = "open",
    at: datetime = T0,
    escalation_id: str = "NOC-100",
    **extra: Any,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "event_id": event_id,
        "escalation_id": escalation_id,
        "customer": "acme",
        "title": "Packet loss on VA1 edge routers",
        "description": "Loss between 2% and 7% on both uplinks.",
        "severity": "sev2",
        "status": status,
        "service": "network",
        "datacenter": "VA1",
        "occurred_at": at.isoformat(),
    }
    payload.update(extra)
    return payload
