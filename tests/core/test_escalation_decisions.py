"""The pure decision of what one NOC event does to its Jira issue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from csp_jira_sync.config.events import EscalationEvent
from csp_jira_sync.config.mappings import Mappings, load_mappings
from csp_jira_sync.config.references import ref_label
from csp_jira_sync.escalations.decide import Create, EscalationState, Update, decide

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def mappings() -> Mappings:
    return load_mappings(ROOT / "mappings")


def event(status: str = "open", at: datetime = T0, **extra: Any) -> EscalationEvent:
    data: dict[str, Any] = {
        "event_id": f"ev-{status}-{at.isoformat()}",
        "escalation_id": "NOC-4711",
        "customer": "acme",
        "title": "Packet loss on VA1 edge routers",
        "description": "Loss between 2% and 7% on both uplinks.",
        "severity": "sev2",
        "status": status,
        "service": "network",
        "datacenter": "VA1",
        "occurred_at": at,
        "fingerprint": "edge-router-packet-loss",
    }
    data.update(extra)
    return EscalationEvent.model_validate(data)


def state(
    status: str, at: datetime = T0, resolved_at: datetime | None = None, generation: int = 1
) -> EscalationState:
    return EscalationState("NOC-4711", "acme", generation, status, at, resolved_at)  # type: ignore[arg-type]


def run(mappings: Mappings, st: EscalationState | None, ev: EscalationEvent) -> Any:
    customer = mappings.customer("acme")
    assert customer is not None
    return decide(st, ev, customer, mappings, project="CSP", previous_issue_key="CSP-1")


def test_first_event_creates_one_labelled_incident_with_priority_from_severity(
    mappings: Mappings,
) -> None:
    decision = run(mappings, None, event())
    assert isinstance(decision.action, Create)
    draft = decision.action.draft
    assert draft.issue_type == "Incident"
    assert draft.priority == "High"
    assert set(draft.labels) >= {
        "csp",
        "csp-cat-incident-problem",
        "csp-act-escalation-management",
        "csp-customer-acme",
        ref_label("escalation", "NOC-4711", 1),
        "csp-problem-edge-router-packet-loss",
        "csp-dc-va1",
        "csp-sev2",
    }
    assert all(" " not in label for label in draft.labels)
    assert draft.summary.startswith("[NOC-4711] ACME Logistics Ltd: ")
    assert decision.action.then_status is None


@pytest.mark.parametrize("severity", ["sev1", "sev2", "sev3", "sev4"])
def test_the_issue_carries_the_first_events_severity_as_a_label(
    mappings: Mappings, severity: str
) -> None:
    decision = run(mappings, None, event(severity=severity))
    assert isinstance(decision.action, Create)
    severity_labels = [label for label in decision.action.draft.labels if "sev" in label]
    assert severity_labels == [f"csp-{severity}"]


def test_first_event_already_acknowledged_creates_then_moves_to_in_progress(
    mappings: Mappings,
) -> None:
    decision = run(mappings, None, event("acknowledged"))
    assert isinstance(decision.action, Create)
    assert decision.action.then_status == "In Progress"
    assert decision.state.status == "acknowledged"


def test_acknowledged_moves_to_in_progress_with_the_comment_in_the_same_update(
    mappings: Mappings,
) -> None:
    decision = run(mappings, state("open"), event("acknowledged", T0 + timedelta(minutes=5)))
    assert isinstance(decision.action, Update)
    assert decision.action.status == "In Progress"
    assert "acknowledged" in decision.action.comment


def test_resolved_moves_to_done_and_remembers_when(mappings: Mappings) -> None:
    at = T0 + timedelta(hours=1)
    decision = run(mappings, state("acknowledged"), event("resolved", at))
    assert isinstance(decision.action, Update)
    assert decision.action.status == "Done"
    assert decision.state.resolved_at == at


def test_a_late_older_event_is_commented_but_never_moves_the_status_back(
    mappings: Mappings,
) -> None:
    current = state("resolved", T0 + timedelta(hours=2), resolved_at=T0 + timedelta(hours=2))
    decision = run(mappings, current, event("acknowledged", T0 + timedelta(hours=1)))
    assert isinstance(decision.action, Update)
    assert decision.action.status is None
    assert decision.state == current


def test_open_after_resolved_inside_the_window_reopens_the_same_issue(mappings: Mappings) -> None:
    resolved = T0 + timedelta(hours=1)
    decision = run(
        mappings, state("resolved", resolved, resolved), event("open", resolved + timedelta(days=6))
    )
    assert isinstance(decision.action, Update)
    assert decision.action.status == "To Do"
    assert decision.state.generation == 1
    assert decision.state.status == "open"


def test_open_after_the_window_raises_a_new_issue_linked_to_the_old_one(mappings: Mappings) -> None:
    resolved = T0 + timedelta(hours=1)
    decision = run(
        mappings, state("resolved", resolved, resolved), event("open", resolved + timedelta(days=8))
    )
    assert isinstance(decision.action, Create)
    assert decision.action.generation == 2
    assert decision.action.draft.links[0].outward_issue_key == "CSP-1"
    assert ref_label("escalation", "NOC-4711", 2) in decision.action.draft.labels
    assert ref_label("escalation", "NOC-4711", 1) not in decision.action.draft.labels
    assert decision.state.generation == 2


def test_open_after_acknowledged_is_recorded_without_moving_the_issue_back(
    mappings: Mappings,
) -> None:
    decision = run(mappings, state("acknowledged"), event("open", T0 + timedelta(minutes=1)))
    assert isinstance(decision.action, Update)
    assert decision.action.status is None
    assert decision.state.status == "acknowledged"


def test_the_comment_carries_the_event_marker_used_for_crash_recovery(mappings: Mappings) -> None:
    ev = event("acknowledged", T0 + timedelta(minutes=5))
    decision = run(mappings, state("open"), ev)
    assert isinstance(decision.action, Update)
    assert f"[csp-event escalation:{ev.event_id}]" in decision.action.comment


def test_a_very_long_title_still_gives_a_summary_within_jiras_255_characters(
    mappings: Mappings,
) -> None:
    decision = run(mappings, None, event(title="💥" * 400))
    assert isinstance(decision.action, Create)
    summary = decision.action.draft.summary
    assert len(summary.encode("utf-16-le")) // 2 <= 255
    summary.encode("utf-8")  # no lone surrogate: the cut did not split a character
