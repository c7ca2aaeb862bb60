"""The reconciliation's pure decisions: the window a run looks at, when the nightly run is due,
the exit code, and which recorded issues a label search missed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from csp_jira_sync.jira.model import IssueDraft, IssueRef
from csp_jira_sync.reconcile.findings import Finding
from csp_jira_sync.reconcile.plan import (
    ExitCode,
    check_cron,
    due_slot,
    exit_code,
    first_run_since,
    latest_slot,
    next_slot,
    window,
)
from csp_jira_sync.reconcile.recorded import Recorded
from csp_jira_sync.reconcile.replace import (
    labels_query,
    missed,
    replacement_draft,
    source_payload,
)

NOW = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)
NIGHTLY = "30 2 * * *"


def _finding(needs_person: bool) -> Finding:
    return Finding("s", "x", "found", "reported", "", needs_person=needs_person)


@pytest.mark.parametrize(
    ("findings", "code"),
    [
        ([], ExitCode.CLEAN),
        ([_finding(False)], ExitCode.CLEAN),
        ([_finding(False), _finding(True)], ExitCode.NEEDS_PERSON),
    ],
)
def test_the_exit_code_is_non_zero_only_when_a_finding_needs_a_person(
    findings: list[Finding], code: ExitCode
) -> None:
    assert exit_code(findings) is code


def test_a_first_run_looks_back_to_the_start_of_last_month() -> None:
    span = window(NOW)
    assert span.since == datetime(2026, 11, 1, tzinfo=UTC) and span.until == NOW
    assert "first run" in span.why
    assert first_run_since(datetime(2026, 1, 15, tzinfo=UTC)) == datetime(2025, 12, 1, tzinfo=UTC)


def test_a_later_run_starts_where_the_last_successful_one_did() -> None:
    last = NOW - timedelta(hours=26)
    assert window(NOW, last_success=last).since == last


def test_since_and_month_override_the_last_run() -> None:
    last = NOW - timedelta(hours=1)
    given = datetime(2026, 10, 3)
    assert window(NOW, since=given, last_success=last).since == given.replace(tzinfo=UTC)
    october = window(NOW, month="2026-10", last_success=last)
    assert (october.since, october.until) == (
        datetime(2026, 10, 1, tzinfo=UTC),
        datetime(2026, 11, 1, tzinfo=UTC),
    )
    assert window(NOW, month="2026-12").until == NOW  # the current month ends now


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"month": "2026-13"}, "YYYY-MM"),
        ({"month": "2027-01"}, "has not begun"),
        ({"since": NOW + timedelta(days=1)}, "in the future"),
        ({"since": NOW, "month": "2026-11"}, "not both"),
    ],
)
def test_a_window_that_makes_no_sense_is_refused_saying_why(
    kwargs: dict[str, object], says: str
) -> None:
    with pytest.raises(ValueError, match=says):
        window(NOW, **kwargs)  # type: ignore[arg-type]


def test_cron_times_are_read_in_utc() -> None:
    assert latest_slot(NIGHTLY, NOW) == datetime(2026, 12, 2, 2, 30, tzinfo=UTC)
    assert next_slot(NIGHTLY, NOW) == datetime(2026, 12, 3, 2, 30, tzinfo=UTC)
    exactly = datetime(2026, 12, 2, 2, 30, 20, tzinfo=UTC)
    assert latest_slot(NIGHTLY, exactly) == datetime(2026, 12, 2, 2, 30, tzinfo=UTC)


def test_a_nightly_run_is_due_once_per_cron_time() -> None:
    slot = datetime(2026, 12, 2, 2, 30, tzinfo=UTC)
    started = NOW - timedelta(days=3)
    assert due_slot(NIGHTLY, NOW, last_slot=None, started_at=started) == slot
    assert due_slot(NIGHTLY, NOW, last_slot=slot, started_at=started) is None
    # A run missed while every daemon was down is caught up, once, for the latest time.
    assert due_slot(NIGHTLY, NOW, last_slot=slot - timedelta(days=2), started_at=NOW) == slot


def test_a_new_deployment_waits_for_its_first_cron_time() -> None:
    assert due_slot(NIGHTLY, NOW, last_slot=None, started_at=NOW - timedelta(minutes=5)) is None


@pytest.mark.parametrize("bad", ["30 2 * *", "61 2 * * *", "every night", "30 2 * * * *"])
def test_a_bad_cron_expression_is_refused_with_an_example(bad: str) -> None:
    with pytest.raises(ValueError, match="cron expression"):
        check_cron(bad)


def _recorded(n: int) -> Recorded:
    return Recorded(
        "escalation", f"NOC-{n}", 1, f"csp-ref-{n:020x}", "created", IssueRef(str(n), f"CSP-{n}")
    )


def test_what_the_label_search_did_not_return_is_to_be_confirmed() -> None:
    batch = [_recorded(1), _recorded(2), _recorded(3)]
    assert missed(batch, ["csp-ref-00000000000000000002", "other"]) == [batch[0], batch[2]]
    assert labels_query(batch[:2]) == (
        'labels in ("csp-ref-00000000000000000001", "csp-ref-00000000000000000002")'
    )


def test_an_escalation_is_raised_again_from_its_latest_open() -> None:
    events = [
        {"status": "open", "event_id": "a"},
        {"status": "resolved", "event_id": "b"},
        {"status": "open", "event_id": "c"},
        {"status": "acknowledged", "event_id": "d"},
    ]
    assert source_payload("escalation", events) == events[2]
    assert source_payload("escalation", [events[1]]) == events[1]
    assert source_payload("request", [{"id": "r"}]) == {"id": "r"}


def test_events_emptied_by_retention_leave_nothing_to_raise_from() -> None:
    assert source_payload("escalation", [{}, {}]) is None


def test_the_new_issue_says_which_issue_it_replaces() -> None:
    draft = IssueDraft("CSP", "Incident", "summary", "what happened", ("csp-ref-1",))
    new = replacement_draft(draft, "CSP-7", NOW)
    assert new.description.startswith("Raised again by the nightly reconciliation on 2026-12-02")
    assert "CSP-7" in new.description and new.description.endswith("what happened")
    assert new.labels == draft.labels
