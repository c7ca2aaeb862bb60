"""Every webhook route with a way to sign a body as its real sender does, so that one table of
bad inputs runs against all of them."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.receiver.server import (
    ALERTMANAGER_TOKEN,
    PAGERDUTY_SECRET,
    customer_request,
    fixture_bytes,
    noc_event,
    pagerduty_signature,
    standard_webhook_headers,
)


@dataclass(frozen=True)
class Route:
    path: str
    sign: Callable[[bytes], dict[str, str]]  # credential headers (and content type) for a body
    valid: Callable[[str], bytes]  # a valid body whose event id is derived from the argument
    standard_webhooks: bool = False

    def __str__(self) -> str:
        return self.path


def _alertmanager(key: str) -> bytes:
    document: dict[str, Any] = json.loads(fixture_bytes("alertmanager_v4.json"))
    document["groupKey"] = f"{{}}:{{alertname={key!r}}}"
    document["alerts"] = document["alerts"][:1]
    return json.dumps(document).encode()


def _pagerduty(key: str) -> bytes:
    document: dict[str, Any] = json.loads(fixture_bytes("pagerduty_incident_triggered.json"))
    document["event"]["id"] = f"01{key}"
    return json.dumps(document).encode()


NOC = Route(
    "/webhooks/noc",
    standard_webhook_headers,
    lambda key: json.dumps(noc_event(f"evt-{key}")).encode(),
    standard_webhooks=True,
)
REQUESTS = Route(
    "/webhooks/requests",
    standard_webhook_headers,
    lambda key: json.dumps(customer_request(f"req-{key}")).encode(),
    standard_webhooks=True,
)
ALERTMANAGER = Route(
    "/webhooks/alertmanager",
    lambda _: {"content-type": "application/json", "authorization": f"Bearer {ALERTMANAGER_TOKEN}"},
    _alertmanager,
)
PAGERDUTY = Route(
    "/webhooks/pagerduty",
    lambda body: {
        "content-type": "application/json; charset=utf-8",
        "x-pagerduty-signature": pagerduty_signature(body, PAGERDUTY_SECRET),
    },
    _pagerduty,
)

ROUTES = (NOC, REQUESTS, ALERTMANAGER, PAGERDUTY)
SIGNED_ROUTES = (NOC, REQUESTS)
