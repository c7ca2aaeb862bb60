"""Prometheus metrics of one daemon, in a registry of their own (not the process-global one),
so that tests and benchmarks can build as many as they like.

Counting rules: `received` and `rejected` count HTTP deliveries; `accepted`, `duplicate` and
`ignored` count events (one Alertmanager delivery may carry many alerts).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from csp_jira_sync.store.locks import JobLock
from csp_jira_sync.store.records import Held

# Jira calls take from a few milliseconds (sandbox) to tens of seconds (a 429 storm).
_JIRA_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass(frozen=True)
class DeliveryPace:
    """What the delivery side reports at each scrape (read from the worker and the pacer)."""

    lanes: int
    lanes_busy: int
    calls_in_flight: int
    concurrency_limit: float
    pauses: int
    paused_seconds: float
    issue_waits: int


class _PaceCollector(Collector):
    def __init__(self, read: Callable[[], DeliveryPace]) -> None:
        self._read = read

    def collect(self) -> Iterator[Metric]:
        pace = self._read()
        yield GaugeMetricFamily("csp_worker_lanes", "Lanes the worker delivers on.", pace.lanes)
        yield GaugeMetricFamily(
            "csp_worker_lanes_busy", "Lanes working on an event right now.", pace.lanes_busy
        )
        yield GaugeMetricFamily(
            "csp_jira_calls_in_flight",
            "Jira calls sent and not yet answered.",
            pace.calls_in_flight,
        )
        yield GaugeMetricFamily(
            "csp_jira_concurrency_limit",
            "Jira calls allowed in flight now: shrinks on 429/503 and NearLimit, grows while "
            "Jira answers well, never above CSP_JIRA_MAX_CONCURRENCY.",
            pace.concurrency_limit,
        )
        yield CounterMetricFamily(
            "csp_jira_rate_limit_pauses",
            "Pauses of every Jira call after a 429 or 503 (one per pause, not per lane).",
            value=pace.pauses,
        )
        yield CounterMetricFamily(
            "csp_jira_rate_limit_paused_seconds",
            "Seconds every Jira call was paused for, as Jira's Retry-After asked.",
            value=pace.paused_seconds,
        )
        yield CounterMetricFamily(
            "csp_jira_issue_write_limited",
            "429s of Jira's per-issue write limit (RateLimit-Reason: jira-per-issue-on-write): "
            "only the write to that issue waits, every other call goes on.",
            value=pace.issue_waits,
        )


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.events_received = Counter(
            "csp_events_received", "Webhook deliveries received, by sender.", ["source"], registry=r
        )
        self.events_accepted = Counter(
            "csp_events_accepted",
            "Events durably stored for the worker, by sender.",
            ["source"],
            registry=r,
        )
        self.events_duplicate = Counter(
            "csp_events_duplicate",
            "Events already stored (a re-delivery), answered 202 and not stored again.",
            ["source"],
            registry=r,
        )
        self.events_rejected = Counter(
            "csp_events_rejected",
            "Deliveries refused (4xx, or 503 when the store is unavailable), by reason.",
            ["source", "reason"],
            registry=r,
        )
        self.events_ignored = Counter(
            "csp_events_ignored",
            "Events answered 202 but not stored because they do not affect escalations "
            "(e.g. PagerDuty incident.annotated), by event type.",
            ["source", "event_type"],
            registry=r,
        )
        self.queue_depth = Gauge(
            "csp_queue_depth", "Inbox rows by state, read from the store.", ["state"], registry=r
        )
        self.jira_calls = Counter(
            "csp_jira_calls",
            "Jira REST calls by method and outcome.",
            ["method", "outcome"],
            registry=r,
        )
        self.jira_call_seconds = Histogram(
            "csp_jira_call_seconds",
            "Duration of Jira REST calls, by method.",
            ["method"],
            buckets=_JIRA_BUCKETS,
            registry=r,
        )
        self.dead_letters = Counter(
            "csp_dead_letters", "Events moved to the dead-letter list.", registry=r
        )
        self.events_held = Gauge(
            "csp_events_held",
            "Pending events held behind a dead-lettered earlier event of their escalation or "
            "request, read from the store; they go out once it is requeued or dropped.",
            registry=r,
        )
        self._init_job_locks()
        self.oldest_undelivered = Gauge(
            "csp_oldest_undelivered_seconds",
            "Age of the oldest event accepted and not yet in Jira (held ones included), read "
            "from the store; 0 when there is none. The figure to alert on.",
            registry=r,
        )

    def watch_delivery(self, read: Callable[[], DeliveryPace]) -> None:
        """Report the lanes and the Jira pace at each scrape (called once, at bootstrap)."""
        self.registry.register(_PaceCollector(read))

    # -- several daemons on one database (issue 10) ----------------------------------------

    def _init_job_locks(self) -> None:
        r = self.registry
        self.daemon_info = Gauge(
            "csp_daemon_info",
            "Always 1: this daemon's name as the job locks know it (holder).",
            ["holder"],
            registry=r,
        )
        self.job_lock_held_seconds = Gauge(
            "csp_job_lock_held_seconds",
            "Periodic job locks read from the store: how long `holder` has held the lock of "
            "`job` (run out leases excluded). The same on every daemon sharing the database.",
            ["job", "holder"],
            registry=r,
        )

    def set_daemon(self, holder: str) -> None:
        self.daemon_info.clear()
        self.daemon_info.labels(holder=holder).set(1)

    def set_job_locks(self, locks: Sequence[JobLock], now: datetime) -> None:
        self.job_lock_held_seconds.clear()
        for lock in locks:
            if lock.live(now):
                self.job_lock_held_seconds.labels(job=lock.job, holder=lock.holder).set(
                    lock.held_for(now).total_seconds()
                )

    # -- intake ----------------------------------------------------------------------------

    def received(self, source: str) -> None:
        self.events_received.labels(source=source).inc()

    def accepted(self, source: str, count: int = 1) -> None:
        self.events_accepted.labels(source=source).inc(count)

    def duplicate(self, source: str, count: int = 1) -> None:
        self.events_duplicate.labels(source=source).inc(count)

    def rejected(self, source: str, reason: str) -> None:
        self.events_rejected.labels(source=source, reason=reason).inc()

    def ignored(self, source: str, event_type: str) -> None:
        self.events_ignored.labels(source=source, event_type=event_type).inc()

    # -- worker ----------------------------------------------------------------------------

    def set_queue_depth(self, depth: Mapping[str, int]) -> None:
        for state, count in depth.items():
            self.queue_depth.labels(state=state).set(count)

    def set_held(self, held: Held) -> None:
        self.events_held.set(held.events)

    def set_oldest_undelivered(self, received_at: datetime | None, now: datetime) -> None:
        age = 0.0 if received_at is None else max(0.0, (now - received_at).total_seconds())
        self.oldest_undelivered.set(age)

    def jira_call(self, method: str, outcome: str, seconds: float) -> None:
        self.jira_calls.labels(method=method, outcome=outcome).inc()
        self.jira_call_seconds.labels(method=method).observe(seconds)

    def dead_lettered(self, count: int = 1) -> None:
        self.dead_letters.inc(count)

    # -- exposition ------------------------------------------------------------------------

    def render(self) -> tuple[bytes, str]:
        """The Prometheus text exposition and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
