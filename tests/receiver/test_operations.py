"""/healthz, /readyz, /metrics, the OpenAPI docs, and the 503 the senders retry on when the
store cannot be written."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

from csp_jira_sync.store import Store
from tests.receiver.server import RunningReceiver, noc_event, running_receiver


def test_healthz_answers_while_the_process_lives(receiver: RunningReceiver) -> None:
    response = receiver.http.get(receiver.url + "/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_waits_for_the_daemon_to_say_ready(sqlite_store: Store) -> None:
    from csp_jira_sync.receiver import set_ready

    with running_receiver(sqlite_store, ready=False) as receiver:
        starting = receiver.http.get(receiver.url + "/readyz")
        set_ready(receiver.app, True)
        ready = receiver.http.get(receiver.url + "/readyz")
    assert starting.status_code == 503 and starting.json()["daemon"] == "starting"
    assert ready.status_code == 200 and ready.json() == {
        "ready": True,
        "daemon": "ready",
        "store": "ok",
    }


def _unreachable_postgres() -> Store:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return Store.open(f"postgresql+psycopg://csp@127.0.0.1:{port}/csp", busy_timeout=1)


def test_unreachable_store_means_503_with_retry_after_and_not_ready() -> None:
    store = _unreachable_postgres()
    try:
        with running_receiver(store) as receiver:
            response = receiver.post_noc(noc_event("evt-1"))
            readiness = receiver.http.get(receiver.url + "/readyz")
            metrics = receiver.http.get(receiver.url + "/metrics")
    finally:
        store.close()
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert "nothing was stored" in response.json()["error"]
    assert readiness.status_code == 503 and readiness.json()["store"] == "unavailable"
    assert metrics.status_code == 200
    assert 'csp_events_rejected_total{reason="store_unavailable",source="noc"} 1.0' in metrics.text


def test_locked_store_means_503_and_the_same_event_is_accepted_once_it_is_free(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.sqlite"
    store = Store.open(f"sqlite:///{path}", busy_timeout=0.2)
    store.migrate()
    blocker = sqlite3.connect(path, isolation_level=None)
    try:
        with running_receiver(store) as receiver:
            blocker.execute("BEGIN IMMEDIATE")  # another writer holds the database
            refused = receiver.post_noc(noc_event("evt-1"))
            blocker.execute("ROLLBACK")
            retried = receiver.post_noc(noc_event("evt-1"))
    finally:
        blocker.close()
        store.close()
    assert refused.status_code == 503
    assert retried.status_code == 202 and retried.json()["duplicate"] is False


def test_metrics_expose_intake_counters_and_queue_depth(receiver: RunningReceiver) -> None:
    receiver.post_noc(noc_event("evt-1"))
    receiver.post_noc(noc_event("evt-1"))
    receiver.post_noc(noc_event("evt-2", severity="sev0"))
    receiver.metrics.jira_call("create_issue", "ok", 0.042)
    response = receiver.http.get(receiver.url + "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    for line in (
        'csp_events_received_total{source="noc"} 3.0',
        'csp_events_accepted_total{source="noc"} 1.0',
        'csp_events_duplicate_total{source="noc"} 1.0',
        'csp_events_rejected_total{reason="schema",source="noc"} 1.0',
        'csp_queue_depth{state="pending"} 1.0',
        'csp_queue_depth{state="dead"} 0.0',
        'csp_jira_calls_total{method="create_issue",outcome="ok"} 1.0',
        'csp_jira_call_seconds_count{method="create_issue"} 1.0',
        "csp_dead_letters_total 0.0",
    ):
        assert line in text, line


def test_openapi_documents_every_webhook_with_its_request_body(receiver: RunningReceiver) -> None:
    docs = receiver.http.get(receiver.url + "/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    spec = receiver.http.get(receiver.url + "/openapi.json").json()
    bodies = {
        path: spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        for path in (
            "/webhooks/noc",
            "/webhooks/alertmanager",
            "/webhooks/pagerduty",
            "/webhooks/requests",
        )
    }
    assert bodies["/webhooks/noc"] == {"$ref": "#/components/schemas/EscalationEvent"}
    schemas = spec["components"]["schemas"]
    assert {"EscalationEvent", "CustomerRequest", "AlertmanagerWebhook", "Alert"} <= set(schemas)
    assert "severity" in schemas["EscalationEvent"]["properties"]
    assert set(spec["paths"]["/webhooks/noc"]["post"]["responses"]) >= {
        "202",
        "401",
        "413",
        "422",
        "503",
    }
