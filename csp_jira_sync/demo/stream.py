"""A realistic stream of NOC escalation events, for the demo and the benchmarks.

Each escalation is opened, usually acknowledged, usually resolved; the NOC re-delivers some
events (same `event_id`), delivers some late (out of `occurred_at` order), and reopens a few
inside or after the reopen window. Deterministic for a given seed.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

PROBLEMS: tuple[tuple[str, str, str, str], ...] = (
    (
        "Packet loss on edge routers",
        "network",
        "edge-router-packet-loss",
        "Loss between 2% and 7% on both uplinks; BGP sessions flapping.",
    ),
    (
        "Storage latency above SLA on SAN cluster",
        "storage",
        "san-latency",
        "Read latency p99 at 45 ms for 20 minutes, threshold 20 ms.",
    ),
    (
        "Hypervisor host unreachable",
        "compute",
        "hv-host-down",
        "Host stopped answering heartbeats; VMs restarted on other hosts by HA.",
    ),
    (
        "Backup jobs failing for customer tenant",
        "backup",
        "backup-job-failure",
        "Nightly jobs ended with 'target not reachable' on 3 of 12 servers.",
    ),
    (
        "Load balancer certificate expires in 3 days",
        "network",
        "lb-cert-expiry",
        "The wildcard certificate on the shared load balancer expires soon.",
    ),
    (
        "Firewall HA pair failed over",
        "security",
        "fw-failover",
        "Primary firewall rebooted after a watchdog reset; secondary took over.",
    ),
    (
        "Object storage 5xx rate elevated",
        "storage",
        "object-storage-5xx",
        "2.5% of PUT requests answered 503 in the last 15 minutes.",
    ),
    (
        "DNS resolution slow in data center",
        "network",
        "dns-latency",
        "Resolver latency above 800 ms from customer VLANs.",
    ),
)
DATACENTERS = ("VA1", "GB3", "DE1", "AU1", "CA2")
SEVERITIES = ("sev1", "sev2", "sev2", "sev3", "sev3", "sev3", "sev4")


@dataclass(frozen=True)
class StreamItem:
    payload: dict[str, Any]
    redelivery: bool


def escalation_stream(
    customers: Sequence[str],
    *,
    escalations: int = 20,
    seed: int = 7,
    start: datetime | None = None,
    redeliver_share: float = 0.05,
    late_share: float = 0.05,
) -> list[StreamItem]:
    """Events in delivery order (which is not always `occurred_at` order)."""
    rng = random.Random(seed)
    clock = start or datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    stream: list[StreamItem] = []
    for number in range(1, escalations + 1):
        title, service, fingerprint, detail = rng.choice(PROBLEMS)
        customer = rng.choice(list(customers))
        dc = rng.choice(DATACENTERS)
        escalation_id = f"NOC-{20000 + number + seed * 1000}"
        opened = clock + timedelta(minutes=rng.randint(5, 180) * number)
        base = {
            "escalation_id": escalation_id,
            "customer": customer,
            "title": f"{title} ({dc})",
            "severity": rng.choice(SEVERITIES),
            "service": service,
            "datacenter": dc,
            "fingerprint": fingerprint,
        }
        lifecycle = [("open", opened, detail)]
        if rng.random() < 0.85:
            lifecycle.append(
                (
                    "acknowledged",
                    opened + timedelta(minutes=rng.randint(2, 20)),
                    "NOC engineer is on it.",
                )
            )
        if rng.random() < 0.8:
            lifecycle.append(
                (
                    "resolved",
                    opened + timedelta(hours=rng.randint(1, 8)),
                    "Mitigated; root cause analysis follows.",
                )
            )
            if rng.random() < 0.1:
                days = rng.choice((2, 10))
                lifecycle.append(("open", opened + timedelta(days=days), "The problem is back."))
        events = [
            {
                **base,
                "event_id": f"{escalation_id}-{i}",
                "status": status,
                "occurred_at": at.isoformat(),
                "description": text,
            }
            for i, (status, at, text) in enumerate(lifecycle, start=1)
        ]
        if len(events) > 2 and rng.random() < late_share * 4:
            events[1], events[2] = (
                events[2],
                events[1],
            )  # the acknowledgement arrives after the resolve
        for payload in events:
            stream.append(StreamItem(payload, redelivery=False))
            if rng.random() < redeliver_share:
                stream.append(StreamItem(dict(payload), redelivery=True))
    return stream
