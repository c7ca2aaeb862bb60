"""Ordering survives a dead letter (issue 7): once an escalation's event is dead-lettered, its
later events are held, even those already claimed in the same batch, and go to the handler
only after the dead letter is requeued (then in `occurred_at` order) or dropped."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from csp_jira_sync.delivery.worker import HELD_REASON, BatchReport, Worker, WorkerConfig
from csp_jira_sync.errors import JiraPermanent
from csp_jira_sync.store import InboxRow, Store
from tests.store.helpers import T0, item


class Jira:
    """A handler that refuses the events in `refuse` for good and records the rest."""

    def __init__(self, refuse: set[str]) -> None:
        self.refuse = refuse
        self.applied: list[str] = []

    def __call__(self, row: InboxRow) -> str:
        if row.event_id in self.refuse:
            raise JiraPermanent("The priority selected is invalid.", status=400)
        self.applied.append(row.event_id)
        return "applied"


def _worker(tmp_path: Path, jira: Jira) -> Worker:
    store = Store.open(f"sqlite:///{tmp_path / 'state.sqlite'}")
    store.migrate()
    store.accept(
        [
            item("open", minutes=0),
            item("resolve", minutes=5),
            item("reopen", minutes=9),
            item("other", subject="NOC-2", minutes=1),
        ],
        now=T0,
    )
    return Worker(store, {"escalation": jira}, WorkerConfig(), clock=lambda: T0)


def test_events_after_a_dead_letter_in_the_same_batch_are_held_not_applied(
    tmp_path: Path,
) -> None:
    jira = Jira(refuse={"open"})
    worker = _worker(tmp_path, jira)
    report = worker.run_once()
    assert dict(report.outcomes) == {"dead": 1, "held": 2, "applied": 1}
    assert jira.applied == ["other"]
    held = worker.store.pending_for_subject("escalation", "NOC-1001")
    assert [(r.event_id, r.last_error) for r in held] == [
        ("resolve", HELD_REASON),
        ("reopen", HELD_REASON),
    ]
    assert worker.run_once().processed == 0  # still held on the next look
    assert jira.applied == ["other"]


def test_a_requeued_dead_letter_is_applied_before_the_events_it_held(tmp_path: Path) -> None:
    jira = Jira(refuse={"open"})
    worker = _worker(tmp_path, jira)
    worker.run_once()
    jira.refuse.clear()  # the cause is fixed
    [dead] = worker.store.dead_letters()
    worker.store.requeue_dead([dead.id], now=T0)
    report = worker.run_once()
    assert dict(report.outcomes) == {"applied": 3}
    assert jira.applied == ["other", "open", "resolve", "reopen"]


def test_dropping_a_dead_letter_lets_the_events_it_held_through(tmp_path: Path) -> None:
    jira = Jira(refuse={"open"})
    worker = _worker(tmp_path, jira)
    worker.run_once()
    [dead] = worker.store.dead_letters()
    worker.store.drop_dead([dead.id], now=T0)
    worker.run_once()
    assert jira.applied == ["other", "resolve", "reopen"]
    assert worker.store.depth() == {"pending": 0, "done": 4, "dead": 0}


def test_an_open_dead_lettered_by_another_worker_holds_the_later_events_here_too(
    tmp_path: Path,
) -> None:
    jira = Jira(refuse=set())
    worker = _worker(tmp_path, jira)
    store = worker.store
    claimed = store.claim(10, T0, timedelta(minutes=2))  # another worker takes the batch...
    [opened] = [r for r in claimed if r.event_id == "open"]
    store.dead_letter(opened.id, "refused")  # ...and Jira refuses the open
    store.release_claims([r.id for r in claimed], T0 + timedelta(minutes=2))
    worker.run_once()
    assert jira.applied == ["other"]


def test_drain_stops_when_only_held_events_are_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker = _worker(tmp_path, Jira(refuse={"open"}))
    batches: list[int] = []
    run_once = worker.run_once

    def counted() -> BatchReport:
        report = run_once()
        batches.append(report.processed)
        return report

    monkeypatch.setattr(worker, "run_once", counted)
    ticks = iter(range(10_000))
    worker.clock = lambda: T0 + timedelta(minutes=next(ticks))  # bounds drain if it spins
    report = worker.drain(timeout=600)
    assert batches == [4, 0]  # not waiting out the timeout for events nobody will move
    assert dict(report.outcomes) == {"dead": 1, "held": 2, "applied": 1}
