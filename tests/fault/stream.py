"""A mixed, repeatable stream of deliveries for the fault harness: NOC escalations (opened,
acknowledged, resolved, some reopened; the acknowledgement sometimes after the resolve) and
customer requests, with redeliveries both at once and long after (out of order), split into
partitions that one sender each delivers in order, as the NOC, the portal and the mailbox
each deliver their own items in order while running side by side."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from csp_jira_sync.config.references import event_marker
from csp_jira_sync.demo.run import demo_requests
from csp_jira_sync.demo.stream import escalation_stream

CUSTOMERS = ("acme", "globex", "initech", "umbrella")
# Events per escalation in `escalation_stream`, redeliveries included (for sizing).
_EVENTS_PER_ESCALATION = 3.3


@dataclass(frozen=True)
class Delivery:
    """One webhook delivery: which endpoint, what body, and which event it carries."""

    path: str
    payload: dict[str, Any]
    kind: str  # the reference kind: "escalation" or "request"
    event_id: str
    partition: int
    redelivery: bool

    @property
    def marker(self) -> str:
        """The text the daemon writes into the issue or comment this event became."""
        return event_marker(self.kind, self.event_id)

    @property
    def webhook_id(self) -> str:
        return f"msg_{self.event_id}"


def mixed_stream(
    size: int, *, seed: int, partitions: int = 4, late_redeliveries: float = 0.05
) -> list[Delivery]:
    """About `size` deliveries (four fifths escalation events, one fifth customer requests),
    deterministic for `seed`. A late redelivery repeats an earlier delivery of the same
    partition some way further on, after later events of the same item."""
    if size < 10:
        raise ValueError(f"a stream of {size} deliveries is too small to mix; ask for 10 or more")
    rng = random.Random(seed)
    escalations = max(1, round(size * 0.8 / _EVENTS_PER_ESCALATION))
    stream: list[Delivery] = []
    for item in escalation_stream(CUSTOMERS, escalations=escalations, seed=seed):
        escalation_id = str(item.payload["escalation_id"])
        stream.append(
            Delivery(
                "/webhooks/noc",
                item.payload,
                "escalation",
                str(item.payload["event_id"]),
                _partition(escalation_id, partitions),
                item.redelivery,
            )
        )
    templates = [item.payload for item in demo_requests()]
    late = round(size * late_redeliveries)
    requests = max(1, size - len(stream) - late)
    for number in range(requests):
        template = templates[number % len(templates)]
        request_id = f"REQ-F{seed}-{number:04d}"
        received = datetime.fromisoformat(template["received_at"]) + timedelta(minutes=number)
        payload = {**template, "id": request_id, "received_at": received.isoformat()}
        delivery = Delivery(
            "/webhooks/requests",
            payload,
            "request",
            request_id,
            _partition(request_id, partitions),
            redelivery=False,
        )
        stream.insert(rng.randrange(len(stream) + 1), delivery)
    for _ in range(late):
        index = rng.randrange(len(stream) // 2)
        original = stream[index]
        again = Delivery(
            original.path,
            dict(original.payload),
            original.kind,
            original.event_id,
            original.partition,
            redelivery=True,
        )
        stream.insert(rng.randrange(index + 1, len(stream) + 1), again)
    return stream


def by_partition(stream: Sequence[Delivery]) -> dict[int, list[Delivery]]:
    """Each partition's deliveries in stream order."""
    found: dict[int, list[Delivery]] = {}
    for delivery in stream:
        found.setdefault(delivery.partition, []).append(delivery)
    return found


def unique_events(stream: Sequence[Delivery]) -> dict[str, Delivery]:
    """The first delivery of each event, by marker."""
    found: dict[str, Delivery] = {}
    for delivery in stream:
        found.setdefault(delivery.marker, delivery)
    return found


def _partition(subject: str, partitions: int) -> int:
    # Not hash(): str hashes change between processes, and the stream must not.
    return sum(subject.encode()) % partitions
