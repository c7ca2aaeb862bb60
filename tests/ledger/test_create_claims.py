"""The create ledger on both backends: only one worker may send a create, and a stale attempt
can be taken over exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from csp_jira_sync import ledger
from csp_jira_sync.jira.model import IssueRef
from csp_jira_sync.store import Store

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_only_the_first_worker_may_send_a_new_create(store: Store) -> None:
    with store.engine.begin() as conn:
        assert ledger.claim_create(
            conn, "escalation", "NOC-1", 1, "csp-ref-a", T0, previous_start=None
        )
    with store.engine.begin() as conn:
        assert not ledger.claim_create(
            conn, "escalation", "NOC-1", 1, "csp-ref-a", T0, previous_start=None
        )


def test_a_stale_attempt_is_taken_over_by_exactly_one_worker(store: Store) -> None:
    with store.engine.begin() as conn:
        ledger.claim_create(conn, "escalation", "NOC-2", 1, "csp-ref-b", T0, previous_start=None)
        entry = ledger.ledger_entry(conn, "escalation", "NOC-2", 1)
    assert entry is not None and entry.create_started_at == T0
    later = T0 + timedelta(minutes=2)
    with store.engine.begin() as conn:
        first = ledger.claim_create(
            conn, "escalation", "NOC-2", 1, "csp-ref-b", later, previous_start=T0
        )
    with store.engine.begin() as conn:
        second = ledger.claim_create(
            conn, "escalation", "NOC-2", 1, "csp-ref-b", later, previous_start=T0
        )
    assert (first, second) == (True, False)


def test_a_recorded_create_is_found_by_generation(store: Store) -> None:
    with store.engine.begin() as conn:
        ledger.claim_create(conn, "escalation", "NOC-3", 2, "csp-ref-c", T0, previous_start=None)
        ledger.record_created(conn, "escalation", "NOC-3", 2, IssueRef("10001", "CSP-9"), T0)
        assert ledger.issue_for(conn, "escalation", "NOC-3", 2) == IssueRef("10001", "CSP-9")
        assert ledger.issue_for(conn, "escalation", "NOC-3", 1) is None


def test_applied_events_move_from_applying_to_applied_and_can_be_undone_only_while_applying(
    store: Store,
) -> None:
    with store.engine.begin() as conn:
        ledger.mark_event(conn, "escalation", "e1", "applying", "CSP-1", "[m]", T0)
        ledger.unmark_event(conn, "escalation", "e1")
        assert ledger.applied_state(conn, "escalation", "e1") is None
        ledger.mark_event(conn, "escalation", "e1", "applying", "CSP-1", "[m]", T0)
        ledger.mark_event(conn, "escalation", "e1", "applied", "CSP-1", "[m]", T0)
        ledger.unmark_event(conn, "escalation", "e1")
        assert ledger.applied_state(conn, "escalation", "e1") == "applied"
