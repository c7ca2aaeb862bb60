"""What one escalation event costs the store, and in which order against its Jira call: the
claim or mark is a commit that waits for the disk *before* the call (else a power cut after the
call could lose it, and the next attempt would post or create a second time); the record of the
answer, the escalation's state, the event applied and the inbox row done are one commit after
it, which may skip the wait (a power cut that loses it leaves the mark to recover from). Real
handler, real SQLite store, the in-memory fake gateway."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Connection

from csp_jira_sync.classify import compile_rules, load_classification_rules
from csp_jira_sync.config.mappings import load_mappings
from csp_jira_sync.delivery.context import HandlerContext
from csp_jira_sync.delivery.kinds import handlers_for
from csp_jira_sync.delivery.worker import Worker, WorkerConfig
from csp_jira_sync.jira.model import IssueDraft, IssueRef
from csp_jira_sync.settings import PROJECT_ROOT
from csp_jira_sync.store import InboxItem, Store
from csp_jira_sync.store.engine import READ_ONLY, RECOVERABLE
from tests.support.fake_gateway import FakeClock, FakeGateway

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


class LoggedGateway(FakeGateway):
    """The fake, writing each Jira write into the same log as the store's transactions."""

    def __init__(self, clock: FakeClock, log: list[str]) -> None:
        super().__init__(clock)
        self.log = log

    def create_issue(self, draft: IssueDraft) -> IssueRef:
        self.log.append("jira: create")
        return super().create_issue(draft)

    def add_comment(self, issue: IssueRef, body: str) -> None:
        self.log.append("jira: comment")
        super().add_comment(issue, body)

    def transition_to(self, issue: IssueRef, status: str, *, comment: str | None = None) -> bool:
        self.log.append("jira: transition")
        return super().transition_to(issue, status, comment=comment)


def _event(event_id: str, status: str, minutes: int, customer: str) -> InboxItem:
    occurred = T0 - timedelta(hours=1) + timedelta(minutes=minutes)
    payload: dict[str, Any] = {
        "event_id": event_id,
        "escalation_id": "NOC-7",
        "customer": customer,
        "title": "Storage latency above threshold in VA1",
        "severity": "sev2",
        "status": status,
        "occurred_at": occurred.isoformat(),
    }
    return InboxItem(
        kind="escalation",
        source="noc",
        event_id=event_id,
        subject="NOC-7",
        customer=customer,
        occurred_at=occurred,
        payload=payload,
    )


@pytest.fixture
def world(tmp_path: Path) -> tuple[Worker, list[str]]:
    store = Store.open(f"sqlite:///{tmp_path / 'state.sqlite'}")
    store.migrate()
    mappings = load_mappings(PROJECT_ROOT / "mappings")
    rules = compile_rules(
        load_classification_rules(PROJECT_ROOT / "mappings", mappings.catalog), mappings.catalog
    )
    log: list[str] = []
    clock = FakeClock(T0)
    context = HandlerContext(
        store=store,
        gateway=LoggedGateway(clock, log),
        mappings=mappings,
        rules=rules,
        project="CSP",
        search_settle=timedelta(seconds=60),
        clock=clock,
    )

    @event.listens_for(store.engine, "begin")
    def _begin(connection: Connection) -> None:
        options = connection.get_execution_options()
        kind = (
            "read"
            if options.get(READ_ONLY)
            else "recoverable"
            if options.get(RECOVERABLE)
            else "durable"
        )
        log.append(f"store: {kind}")

    customer = sorted(mappings.customers)[0]
    store.accept(
        [_event("e-open", "open", 0, customer), _event("e-ack", "acknowledged", 5, customer)],
        now=T0,
    )
    return Worker(store, handlers_for(context), WorkerConfig(batch=1), clock=clock), log


def _one_event(worker: Worker, log: list[str]) -> Sequence[str]:
    log.clear()
    report = worker.run_once()
    assert report.processed == 1
    return log[:]


def test_a_create_is_claimed_durably_before_the_call_and_finished_in_one_commit_after(
    world: tuple[Worker, list[str]],
) -> None:
    worker, log = world
    assert _one_event(worker, log) == [
        "store: recoverable",  # the batch's claim (a lease)
        "store: read",  # what the batch's lanes wait behind
        "store: read",  # the escalation's state
        "store: durable",  # the create claimed, on disk before the call
        "jira: create",
        "store: recoverable",  # issue recorded + state + event applied + row done
    ]
    assert worker.store.depth()["done"] == 1


def test_a_comment_is_marked_durably_before_the_call_and_finished_in_one_commit_after(
    world: tuple[Worker, list[str]],
) -> None:
    worker, log = world
    _one_event(worker, log)
    calls = _one_event(worker, log)
    assert calls[:3] == ["store: recoverable", "store: read", "store: read"]
    assert calls[3] == "store: durable"  # the event marked applying, on disk before the call
    assert calls[4].startswith("jira: ")
    assert calls[-1] == "store: recoverable" and calls[-2].startswith("jira: ")
    assert [c for c in calls if c.startswith("store: ") and c != "store: read"] == [
        "store: recoverable",
        "store: durable",
        "store: recoverable",
    ]
    assert worker.store.depth() == {"pending": 0, "done": 2, "dead": 0}
