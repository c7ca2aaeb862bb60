"""`/readyz` answers 503 once the worker thread is gone, and says why the store is not ready;
`/metrics` shows how many events are held behind dead letters. Over real HTTP."""

from __future__ import annotations

import threading

from csp_jira_sync.runtime.daemon import watch_worker
from csp_jira_sync.store import Store
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
