"""The create ledger on both backends: only one worker may send a create, and a stale attempt
can be taken over exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from csp_jira_sync.delivery import journal
from csp_jira_sync.jira.model import IssueRef
from csp_jira_sync.store import Store

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_only_the_first_worker_may_send_a_new_create(store: Store) -> None:
    with store.engine.begin() as conn:
        assert journal.claim_create(
            conn, "escalation", "NOC-1", 1, "csp-ref-a", T0, previous_start=None
        )
    with store.engine.begin() as conn:
        assert not journal.claim_create(
            conn, "escalation", "NOC-1", 1, "csp-ref-a", T0, previous_start=None
        )


def test_a_stale_attempt_is_taken_over_by_exactly_one_worker(store: Store) -> None:
    with store.engine.begin() as conn:
        journal.claim_create(conn, "escalation", "NOC-2", 1, "csp-ref-b", T0, previous_start=None)
        entry = journal.ledger_entry(conn, "escalation", "NOC-2", 1)
    assert entry is not None and entry.create_started_at == T0
    later = T0 + timedelta(minutes=2)
    with store.engine.begin() as conn:
        first = journal.claim_create(
            conn, "escalation", "NOC-2", 1, "csp-ref-b", later, previous_start=T0
        )
    with store.engine.begin() as conn:
        second = journal.claim_create(
            conn, "escalation", "NOC-2", 1, "csp-ref-b", later, previous_start=T0
        )
    assert (first, second) == (True, False)


def test_a_recorded_create_is_found_by_generation(store: Store) -> None:
    with store.engine.begin() as conn:
        journal.claim_create(conn, "escalation", "NOC-3", 2, "csp-ref-c", T0, previous_start=None)
        journal.record_created(conn, "escalation", "NOC-3", 2, IssueRef("10001", "CSP-9"), T0)
        assert journal.issue_for(conn, "escalation", "NOC-3", 2) == IssueRef("10001", "CSP-9")
        assert journal.issue_for(conn, "escalation", "NOC-3", 1) is None


def test_applied_events_move_from_applying_to_applied_and_can_be_undone_only_while_applying(
    store: Store,
) -> None:
    with store.engine.begin() as conn:
        journal.mark_event(conn, "escalation", "e1", "applying", "CSP-1", "[m]", T0)
        journal.unmark_event(conn, "escalation", "e1")
        assert journal.applied_state(conn, "escalation", "e1") is None
        journal.mark_event(conn, "escalation", "e1", "applying", "CSP-1", "[m]", T0)
        journal.mark_event(conn, "escalation", "e1", "applied", "CSP-1", "[m]", T0)
        journal.unmark_event(conn, "escalation", "e1")
        assert journal.applied_state(conn, "escalation", "e1") == "applied"
