"""Retention keeps the store small without weakening exactly-once: a finished subject's old
events lose their payloads and applied-event marks, but their (kind, event_id) stays, so a late
re-delivery is still a duplicate; anything unfinished or recent is left whole."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from csp_jira_sync.delivery import journal
from csp_jira_sync.reconcile.findings import Scope
from csp_jira_sync.reconcile.retention import RetentionStep
from csp_jira_sync.store import Store
from csp_jira_sync.store.schema import applied_events, purged_subjects
from tests.e2e.harness import noc_event, running_daemon
from tests.reconcile.conftest import issues_labelled
from tests.store.helpers import T0, item

LATER = T0 + timedelta(days=200)


def _done(store: Store, event_id: str, subject: str, minutes: float = 0) -> int:
    [accepted] = store.accept([item(event_id, subject=subject, minutes=minutes)], now=T0)
    store.complete(accepted.inbox_id, now=T0 + timedelta(minutes=minutes + 1))
    with store.transaction("marking") as conn:
        journal.mark_event(conn, "escalation", event_id, "applied", "CSP-1", "m", T0)
    return accepted.inbox_id


def _scope(dry_run: bool = False) -> Scope:
    return Scope(LATER - timedelta(days=1), LATER, dry_run=dry_run)


def _marks(store: Store) -> set[str]:
    with store.transaction("reading marks") as conn:
        return set(conn.execute(sa.select(applied_events.c.event_id)).scalars())


def test_old_finished_events_are_purged_and_a_late_duplicate_is_still_a_duplicate(
    store: Store,
) -> None:
    first = _done(store, "old-open", "NOC-1")
    _done(store, "old-resolve", "NOC-1", minutes=30)
    [finding] = RetentionStep(store, days=120, clock=lambda: LATER).run(_scope())
    assert finding.outcome == "repaired" and "2 event(s) of 1" in finding.found
    purged = store.get(first)
    assert purged is not None and purged.payload == {} and purged.state == "done"
    assert _marks(store) == set()
    # The sender delivers the old event again: recognised at intake, nothing new to apply.
    [again] = store.accept([item("old-open", subject="NOC-1")], now=LATER)
    assert again.duplicate and again.inbox_id == first
    assert store.depth()["pending"] == 0


def test_a_subject_with_anything_unfinished_or_recent_is_kept_whole(store: Store) -> None:
    _done(store, "a-open", "NOC-2")
    store.accept([item("a-ack", subject="NOC-2", minutes=5)], now=T0)  # still pending
    _done(store, "b-open", "NOC-3")
    [late] = store.accept(
        [item("b-late", subject="NOC-3", minutes=9)], now=LATER - timedelta(days=3)
    )
    store.complete(late.inbox_id, now=LATER)  # NOC-3 got an event three days ago
    assert RetentionStep(store, days=120, clock=lambda: LATER).run(_scope()) == []
    assert _marks(store) == {"a-open", "b-open"}


def test_a_dry_run_purges_nothing(store: Store) -> None:
    ident = _done(store, "c-open", "NOC-4")
    [finding] = RetentionStep(store, days=120, clock=lambda: LATER).run(_scope(dry_run=True))
    assert finding.outcome == "would-repair"
    row = store.get(ident)
    assert row is not None and row.payload != {} and _marks(store) == {"c-open"}
    with store.transaction("reading") as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(purged_subjects)).scalar() == 0


def test_purging_twice_does_nothing_the_second_time(store: Store) -> None:
    _done(store, "d-open", "NOC-5")
    step = RetentionStep(store, days=120, clock=lambda: LATER, batch=1)
    assert len(step.run(_scope())) == 1
    assert step.run(_scope()) == []


def test_a_retention_shorter_than_the_reports_look_back_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="at least 100 days"):
        RetentionStep(store, days=30, clock=lambda: LATER)


def test_after_a_purge_a_redelivered_webhook_makes_no_second_issue_or_comment(
    sandbox: Any, tmp_path: Path
) -> None:
    """End to end over HTTP: the event is delivered, purged 200 days on, then re-delivered by
    its sender; and a new event of the same escalation still lands on the same issue."""
    from csp_jira_sync.config.references import ref_label

    with running_daemon(sandbox.base_url, tmp_path) as daemon:
        opened = noc_event("r-open", "open")
        assert daemon.post(opened).status_code == 202
        daemon.drain()
        step = RetentionStep(
            daemon.app.store,
            days=120,
            clock=lambda: daemon.app.worker.clock() + timedelta(days=200),
        )
        [finding] = step.run(_scope())
        assert finding.outcome == "repaired"
        assert daemon.post(opened).status_code < 300
        acknowledged = noc_event("r-ack", "acknowledged", at=T0 + timedelta(days=200))
        assert daemon.post(acknowledged).status_code == 202
        daemon.drain()
        assert daemon.app.store.depth() == {"pending": 0, "done": 2, "dead": 0}
    [issue] = issues_labelled(sandbox, ref_label("escalation", "NOC-100", 1))
    assert issue["status"] == "In Progress"
    comments = sandbox.admin.state(keys=[issue["key"]])["issues"][0]["comments"]
    assert [c for c in comments if "r-open" in c["body"]] == []  # the open made the issue
    assert len([c for c in comments if "r-ack" in c["body"]]) == 1
