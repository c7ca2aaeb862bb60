"""A real receiver on a real socket for tests, and senders that sign like the real ones.

    from tests.receiver.server import running_receiver, noc_event

    with running_receiver(store) as receiver:
        response = receiver.post_noc(noc_event("evt-1"))

`running_receiver` starts uvicorn on a free 127.0.0.1 port in a thread (the receiver's own
`ReceiverServer`) and stops it afterwards; the `receiver` fixture (tests/receiver/conftest.py)
wraps it around a fresh SQLite store.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from fastapi import FastAPI
from pydantic import SecretStr
from standardwebhooks.webhooks import Webhook
from starlette.types import Receive, Scope, Send

from csp_jira_sync.config.mappings import Mappings, load_mappings
from csp_jira_sync.metrics import Metrics
from csp_jira_sync.receiver import ReceiverServer, create_receiver, set_ready
from csp_jira_sync.settings import PROJECT_ROOT, Settings
from csp_jira_sync.store import Store

FIXTURES = Path(__file__).resolve().parent / "fixtures"

WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"csp-test-webhook-secret-current!").decode()
PREVIOUS_SECRET = "whsec_" + base64.b64encode(b"csp-test-webhook-secret-previous").decode()
ALERTMANAGER_TOKEN = "am-test-token-5f1c9e"
PAGERDUTY_SECRET = "pd-test-secret-a81b77"
# The PagerDuty service in fixtures/pagerduty_incident_triggered.json belongs to initech.
PAGERDUTY_SERVICES = {"PX3KQ7B": "initech"}


def receiver_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "webhook_secret": SecretStr(WEBHOOK_SECRET),
        "webhook_secret_previous": SecretStr(PREVIOUS_SECRET),
        "alertmanager_token": SecretStr(ALERTMANAGER_TOKEN),
        "pagerduty_secret": SecretStr(PAGERDUTY_SECRET),
    }
    values.update(overrides)
    return Settings(**values)


@functools.cache
def receiver_mappings() -> Mappings:
    mappings = load_mappings(PROJECT_ROOT / "mappings")
    escalation = mappings.escalation.model_copy(update={"pagerduty_services": PAGERDUTY_SERVICES})
    return mappings.model_copy(update={"escalation": escalation})


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def noc_event(event_id: str, **fields: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": event_id,
        "escalation_id": "NOC-24117",
        "customer": "acme",
        "title": "VA1 block storage latency above 40 ms for acme-prod",
        "description": "p99 write latency 58 ms on ceph pool acme-rbd-prod since 08:52 UTC.",
        "severity": "sev2",
        "status": "open",
        "service": "block-storage",
        "datacenter": "va1",
        "occurred_at": "2026-05-20T10:52:00+02:00",
        "fingerprint": "ceph-latency/acme-rbd-prod",
    }
    event.update(fields)
    return event


def customer_request(request_id: str, **fields: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "id": request_id,
        "customer": "globex",
        "requester": "dan.whitfield@globex.example",
        "channel": "email",
        "received_at": "2026-05-20T08:15:00-04:00",
        "subject": "Invoice shows the backup line twice",
        "body": "Hi team, our May invoice lists 'Backup 10 TB' twice. Can you check? Dan",
    }
    request.update(fields)
    return request


def standard_webhook_headers(
    body: bytes, secret: str = WEBHOOK_SECRET, *, at: datetime | None = None
) -> dict[str, str]:
    """Headers of a Standard Webhooks delivery of `body`, signed with `secret` at `at`."""
    message_id = f"msg_{uuid.uuid4().hex}"
    moment = at or datetime.now(UTC)
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, moment, body.decode()),
    }


def pagerduty_signature(body: bytes, *secrets: str) -> str:
    return ",".join(
        "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest() for secret in secrets
    )


@dataclass
class RunningReceiver:
    url: str
    app: FastAPI
    store: Store
    metrics: Metrics
    settings: Settings
    http: requests.Session

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> requests.Response:
        return self.http.post(self.url + path, data=body, headers=headers, timeout=10)

    def post_signed(
        self, path: str, document: Any, secret: str = WEBHOOK_SECRET
    ) -> requests.Response:
        body = json.dumps(document).encode()
        return self.post(path, body, standard_webhook_headers(body, secret))

    def post_noc(self, event: dict[str, Any], secret: str = WEBHOOK_SECRET) -> requests.Response:
        return self.post_signed("/webhooks/noc", event, secret)

    def post_request(self, request: dict[str, Any]) -> requests.Response:
        return self.post_signed("/webhooks/requests", request)

    def post_alertmanager(
        self, body: bytes, token: str | None = ALERTMANAGER_TOKEN
    ) -> requests.Response:
        headers = {"content-type": "application/json"}
        if token is not None:
            headers["authorization"] = f"Bearer {token}"
        return self.post("/webhooks/alertmanager", body, headers)

    def post_pagerduty(self, body: bytes, signature: str | None = None) -> requests.Response:
        headers = {
            "content-type": "application/json",
            "x-pagerduty-signature": signature or pagerduty_signature(body, PAGERDUTY_SECRET),
        }
        return self.post("/webhooks/pagerduty", body, headers)

    def metric(self, name: str, **labels: str) -> float:
        value = self.metrics.registry.get_sample_value(name, labels)
        return 0.0 if value is None else value


@contextmanager
def running_receiver(
    store: Store,
    *,
    settings: Settings | None = None,
    mappings: Mappings | None = None,
    metrics: Metrics | None = None,
    on_accepted: Callable[[], None] | None = None,
    ready: bool = True,
) -> Iterator[RunningReceiver]:
    settings = settings or receiver_settings()
    metrics = metrics or Metrics()
    app = create_receiver(
        settings, mappings or receiver_mappings(), store, metrics, on_accepted=on_accepted
    )
    set_ready(app, ready)
    with ReceiverServer(app) as server, requests.Session() as http:
        yield RunningReceiver(server.url, app, store, metrics, settings, http)


class Switchboard:
    """An ASGI app that forwards to whichever receiver app is plugged in, so that one uvicorn
    server (started once per test session) serves a fresh receiver, store and metrics in
    every test. Starting and stopping uvicorn costs ~0.2 s; building a receiver ~10 ms."""

    def __init__(self) -> None:
        self.app: FastAPI | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            # The plugged apps' writers start on first use and are stopped by `plugged`.
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if self.app is None:
            raise RuntimeError("no receiver plugged into the switchboard")
        await self.app(scope, receive, send)


@contextmanager
def plugged_receiver(
    switchboard: Switchboard,
    url: str,
    store: Store,
    *,
    settings: Settings | None = None,
    metrics: Metrics | None = None,
    ready: bool = True,
) -> Iterator[RunningReceiver]:
    """Like `running_receiver`, on the already running switchboard server at `url`."""
    settings = settings or receiver_settings()
    metrics = metrics or Metrics()
    app = create_receiver(settings, receiver_mappings(), store, metrics)
    set_ready(app, ready)
    switchboard.app = app
    try:
        with requests.Session() as http:
            yield RunningReceiver(url, app, store, metrics, settings, http)
    finally:
        switchboard.app = None
        app.state.writer.stop()
