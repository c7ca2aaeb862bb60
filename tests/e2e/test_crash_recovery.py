"""The daemon killed with SIGKILL at the worst moments, then restarted: every accepted event
ends up in Jira exactly once (issue 3's crash tests), with the sandbox's index lag on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from csp_jira_sync.config.references import ref_label
from csp_jira_sync.demo.run import new_webhook_secret, signed_post
from csp_jira_sync.runtime.daemon import free_port
from csp_jira_sync.store import Store
from tests.e2e.harness import T0, noc_event


@dataclass
class DaemonProcess:
    env: dict[str, str]
    base_url: str
    secret: str
    database_url: str
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "csp_jira_sync", "serve"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        # Start-up is mostly imports: 10 s and more on a loaded 2-core machine, 40 s at load 20.
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if requests.get(self.base_url + "/readyz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:  # not listening yet, or too busy to answer
                pass
            if self.process.poll() is not None:
                raise AssertionError(
                    f"serve exited: {self.process.stderr.read().decode() if self.process.stderr else ''}"
                )
            time.sleep(0.05)
        raise AssertionError("serve did not become ready")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def post(self, payload: dict[str, Any]) -> requests.Response:
        with requests.Session() as session:
            return signed_post(
                session,
                self.base_url + "/webhooks/noc",
                self.secret,
                payload,
                f"msg_{payload['event_id']}",
            )

    def wait_done(self, count: int, timeout: float = 40) -> None:
        store = Store.open(self.database_url)
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                depth = store.depth()
                if depth.get("done", 0) >= count and depth.get("pending", 0) == 0:
                    return
                time.sleep(0.1)
            raise AssertionError(f"not processed in {timeout} s: {store.depth()}")
        finally:
            store.close()


@pytest.fixture
def daemon_process(sandbox: Any, tmp_path: Path) -> Iterator[DaemonProcess]:
    port = free_port()
    secret = new_webhook_secret()
    database_url = f"sqlite:///{tmp_path / 'state.sqlite'}"
    env = {
        **os.environ,
        "CSP_JIRA_URL": sandbox.base_url,
        "CSP_DATABASE_URL": database_url,
        "CSP_WEBHOOK_SECRET": secret,
        "CSP_LISTEN": f"127.0.0.1:{port}",
        "CSP_JIRA_SEARCH_SETTLE_SECONDS": "3",
        "CSP_JIRA_TIMEOUT_SECONDS": "30",
        "CSP_WORKER_POLL_SECONDS": "0.05",
        "CSP_LOG_LEVEL": "WARNING",
    }
    daemon = DaemonProcess(env, f"http://127.0.0.1:{port}", secret, database_url)
    yield daemon
    daemon.stop()


def issues_with(sandbox: Any, label: str) -> list[dict[str, Any]]:
    return [i for i in sandbox.admin.issues() if label in i["labels"]]


def test_killed_right_after_accepting_loses_nothing_and_lands_each_escalation_once(
    daemon_process: DaemonProcess, sandbox: Any
) -> None:
    sandbox.admin.set_knobs(indexLagMs=1500, latencyMs=1500)  # the worker is mid-call when killed
    daemon_process.start()
    ids = [f"NOC-9{n:02d}" for n in range(10)]
    for n, escalation_id in enumerate(ids):
        response = daemon_process.post(
            noc_event(f"k{n}", escalation_id=escalation_id, at=T0 + timedelta(seconds=n))
        )
        assert response.status_code == 202
    daemon_process.kill()
    sandbox.admin.set_knobs(latencyMs=0)
    daemon_process.start()
    daemon_process.wait_done(len(ids))
    for escalation_id in ids:
        assert len(issues_with(sandbox, ref_label("escalation", escalation_id, 1))) == 1, (
            escalation_id
        )


def test_killed_after_jira_created_the_issue_but_before_the_store_recorded_it(
    daemon_process: DaemonProcess, sandbox: Any
) -> None:
    ref = ref_label("escalation", "NOC-777", 1)
    # Jira applies the create, then never answers: the daemon is waiting when it is killed.
    sandbox.admin.set_knobs(
        indexLagMs=1500,
        faultRate=1.0,
        faultKinds=["timeout"],
        faultAfterWrite=1.0,
        faultStallMs=30000,
    )
    daemon_process.start()
    assert daemon_process.post(noc_event("c1", escalation_id="NOC-777")).status_code == 202
    deadline = time.monotonic() + 20
    while not issues_with(sandbox, ref):
        assert time.monotonic() < deadline, "the create never reached the sandbox"
        time.sleep(0.02)
    daemon_process.kill()
    sandbox.admin.set_knobs(faultRate=0.0)
    daemon_process.start()
    # A later event for the same escalation must find the issue, not create another.
    assert (
        daemon_process.post(
            noc_event("c2", "acknowledged", T0 + timedelta(minutes=5), escalation_id="NOC-777")
        ).status_code
        == 202
    )
    daemon_process.wait_done(2)
    [issue] = issues_with(sandbox, ref)
    assert issue["status"] == "In Progress"
    assert sandbox.admin.calls("POST /rest/api/2/issue") == 1  # found again, never re-sent


def test_sigterm_stops_intake_and_exits_cleanly_keeping_what_was_accepted(
    daemon_process: DaemonProcess, sandbox: Any
) -> None:
    daemon_process.start()
    assert daemon_process.post(noc_event("t1", escalation_id="NOC-880")).status_code == 202
    assert daemon_process.process is not None
    daemon_process.process.send_signal(signal.SIGTERM)
    assert daemon_process.process.wait(timeout=40) == 0
    daemon_process.start()  # whatever was not finished is picked up again
    daemon_process.wait_done(1)
    assert len(issues_with(sandbox, ref_label("escalation", "NOC-880", 1))) == 1
