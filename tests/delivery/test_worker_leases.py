"""The worker renews a claimed row's lease before working on it only once half the batch's
lease is spent: until then no other daemon can have claimed the row (a claim takes only rows
whose lease has ended), and asking the store would cost a commit per event."""

from __future__ import annotations

from datetime import datetime, timedelta

from csp_jira_sync.delivery.worker import Worker, WorkerConfig
from csp_jira_sync.store import InboxRow, Store
from tests.store.helpers import T0, item

LEASE = timedelta(minutes=2)


class CountingStore(Store):
    def __init__(self, store: Store) -> None:
        super().__init__(store.engine)
        self.renewals: list[tuple[int, datetime]] = []

    def renew_claim(
        self, inbox_id: int, claimed_until: datetime, now: datetime, lease: timedelta
    ) -> datetime | None:
        self.renewals.append((inbox_id, now))
        return super().renew_claim(inbox_id, claimed_until, now, lease)


def test_events_inside_the_first_half_of_the_lease_are_not_renewed_and_later_ones_are(
    sqlite_store: Store,
) -> None:
    store = CountingStore(sqlite_store)
    store.accept([item(f"e{n}", minutes=n) for n in range(3)], now=T0)
    now = [T0]

    def jira(row: InboxRow) -> str:
        now[0] += timedelta(seconds=50)  # e0 at 0 s, e1 at 50 s, e2 at 100 s into the lease
        return "applied"

    worker = Worker(store, {"escalation": jira}, WorkerConfig(lease=LEASE), clock=lambda: now[0])
    assert worker.run_once().outcomes["applied"] == 3
    [(renewed, at)] = store.renewals
    assert at == T0 + timedelta(seconds=100)
    row = store.get(renewed)
    assert row is not None and row.event_id == "e2" and row.state == "done"
