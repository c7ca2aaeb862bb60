"""`/readyz` answers 503 once the worker thread is gone, and says why the store is not ready;
`/metrics` shows how many events are held behind dead letters. Over real HTTP."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import requests

from csp_jira_sync.runtime.bootstrap import build_app
from csp_jira_sync.runtime.daemon import start_daemon, watch_worker
from csp_jira_sync.store import Store
from tests.e2e.harness import settings_for
from tests.receiver.server import running_receiver
from tests.receiver.test_operations import _unreachable_postgres
from tests.store.helpers import T0, item


def test_readyz_is_503_once_the_worker_thread_has_stopped(sqlite_store: Store) -> None:
    release = threading.Event()
    worker = threading.Thread(target=release.wait, daemon=True)
    worker.start()
    with running_receiver(sqlite_store) as receiver:
        watch_worker(receiver.app, worker)
        running = receiver.http.get(receiver.url + "/readyz")
        release.set()
        worker.join(timeout=10)
        stopped = receiver.http.get(receiver.url + "/readyz")
    assert running.status_code == 200 and running.json()["worker"] == "ok"
    assert stopped.status_code == 503
    assert stopped.json() == {
        "ready": False,
        "daemon": "ready",
        "store": "ok",
        "worker": "the worker thread is not running",
    }


def test_readyz_says_why_the_store_is_unavailable() -> None:
    store = _unreachable_postgres()
    try:
        with running_receiver(store) as receiver:
            readiness = receiver.http.get(receiver.url + "/readyz")
    finally:
        store.close()
    assert readiness.status_code == 503
    body = readiness.json()
    assert body["store"] == "unavailable"
    assert body["store_error"].startswith("state store unavailable while pinging: ")


def test_metrics_count_the_events_held_behind_dead_letters(sqlite_store: Store) -> None:
    sqlite_store.accept(
        [item("open"), item("resolve", minutes=1), item("reopen", minutes=2)], now=T0
    )
    [opened, *_] = sqlite_store.claim(3, T0, lease=T0 - T0)
    sqlite_store.dead_letter(opened.id, "Jira: priority is invalid")
    with running_receiver(sqlite_store) as receiver:
        text = receiver.http.get(receiver.url + "/metrics").text
    assert "csp_events_held 2.0" in text


def test_a_daemon_whose_worker_thread_ended_is_not_ready(sandbox: Any, tmp_path: Path) -> None:
    settings = settings_for(sandbox.base_url, tmp_path)
    app = build_app(settings)
    ended = threading.Event()

    def worker_that_ends(*_: object) -> None:
        ended.set()

    app.worker.run_forever = worker_that_ends  # type: ignore[method-assign]
    try:
        with start_daemon(app) as running:
            assert ended.wait(10)
            for thread in threading.enumerate():
                if thread.name == "csp-worker":
                    thread.join(timeout=10)
            response = requests.get(running.base_url + "/readyz", timeout=10)
    finally:
        app.close()
    assert response.status_code == 503
    assert response.json()["worker"] == "the worker thread is not running"
