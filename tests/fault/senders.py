"""Senders as webhook senders behave: each delivers its own partition in order, one delivery at
a time, and retries what was not accepted (a refused or broken connection, a 5xx, a 429) with a
short pause, against the next daemon when there are several (a load balancer's retry), until it
is answered 202 or the sender gives up."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import requests

from csp_jira_sync.demo.run import signed_post
from tests.fault.stream import Delivery


@dataclass
class SendReport:
    """What the senders saw, summed over all of them."""

    deliveries: int = 0
    accepted: set[str] = field(default_factory=set)  # markers answered 202
    duplicates: int = 0  # 202s that said the event was stored before
    statuses: Counter[int] = field(default_factory=Counter)  # every answer but the final 202s
    connection_errors: int = 0
    refused: list[str] = field(default_factory=list)  # deliveries answered 4xx: a bug
    given_up: list[str] = field(default_factory=list)

    @property
    def server_errors(self) -> int:
        """5xx answers the senders saw (each retried)."""
        return sum(count for status, count in self.statuses.items() if status >= 500)

    def merge(self, other: SendReport) -> None:
        self.deliveries += other.deliveries
        self.accepted |= other.accepted
        self.duplicates += other.duplicates
        self.statuses.update(other.statuses)
        self.connection_errors += other.connection_errors
        self.refused.extend(other.refused)
        self.given_up.extend(other.given_up)


RETRIED = {429, 500, 502, 503, 504}


class Sender(threading.Thread):
    def __init__(
        self,
        deliveries: Sequence[tuple[int, Delivery]],
        base_urls: Callable[[], Sequence[str]],
        secret: str,
        *,
        give_up_after: float,
        pause: float = 0.1,
        checkpoint: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__(name=f"sender-{deliveries[0][1].partition}", daemon=True)
        self.checkpoint = checkpoint
        self.deliveries = deliveries
        self.base_urls = base_urls
        self.secret = secret
        self.give_up_after = give_up_after
        self.pause = pause
        self.report = SendReport()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with requests.Session() as session:
                for index, delivery in self.deliveries:
                    if self.checkpoint is not None:
                        self.checkpoint(index)
                    self._deliver(session, delivery)
        except BaseException as exc:  # reported by send_all, in the test's thread
            self.error = exc

    def _deliver(self, session: requests.Session, delivery: Delivery) -> None:
        report = self.report
        report.deliveries += 1
        deadline = time.monotonic() + self.give_up_after
        attempt = delivery.partition
        while time.monotonic() < deadline:
            urls = self.base_urls()
            url = urls[attempt % len(urls)] + delivery.path
            attempt += 1
            try:
                answer = signed_post(
                    session, url, self.secret, delivery.payload, delivery.webhook_id
                )
            except requests.RequestException:
                report.connection_errors += 1
                session.close()  # a half-dead keep-alive connection is not reused
                time.sleep(self.pause)
                continue
            if answer.status_code == 202:
                report.accepted.add(delivery.marker)
                if answer.json().get("duplicate"):
                    report.duplicates += 1
                return
            report.statuses[answer.status_code] += 1
            if answer.status_code not in RETRIED:
                report.refused.append(f"{delivery.marker}: {answer.status_code} {answer.text}")
                return
            time.sleep(self.pause)
        report.given_up.append(delivery.marker)


def send_all(
    stream: Sequence[Delivery],
    base_urls: Callable[[], Sequence[str]],
    secret: str,
    *,
    give_up_after: float = 120.0,
    checkpoint: Callable[[int], None] | None = None,
) -> SendReport:
    """Every partition by a sender of its own, side by side; waits until all are done.
    `checkpoint(index)` is called before the delivery at `index` of the stream is sent."""
    partitions: dict[int, list[tuple[int, Delivery]]] = {}
    for index, delivery in enumerate(stream):
        partitions.setdefault(delivery.partition, []).append((index, delivery))
    senders = [
        Sender(deliveries, base_urls, secret, give_up_after=give_up_after, checkpoint=checkpoint)
        for _, deliveries in sorted(partitions.items())
    ]
    for sender in senders:
        sender.start()
    total = SendReport()
    for sender in senders:
        sender.join()
        if sender.error is not None:
            raise sender.error
        total.merge(sender.report)
    return total
