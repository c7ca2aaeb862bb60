"""When recurring incidents become a Problem, and what it says: tables of plain values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from csp_jira_sync.reports.problem_decide import (
    Occurrence,
    RecurringGroup,
    links_to_add,
    problem_draft,
    reaches_threshold,
)

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
WINDOW = timedelta(days=30)


def occ(n: int, days: float) -> Occurrence:
    return Occurrence(f"NOC-{n}", f"CSP-{n}", T0 + timedelta(days=days))


@pytest.mark.parametrize(
    ("days", "reached"),
    [
        ((0, 10, 20), True),
        ((0, 15, 30), True),  # the window's edge counts
        ((0, 15, 30.5), False),
        ((0, 40, 50, 65), True),  # a later thirty days, not only the first
        ((0, 10), False),
        ((0, 31, 62, 93), False),
    ],
)
def test_three_escalations_within_thirty_days_of_each_other_reach_the_threshold(
    days: tuple[float, ...], reached: bool
) -> None:
    occurrences = [occ(i, d) for i, d in enumerate(days)]
    assert reaches_threshold(occurrences, escalations=3, window=WINDOW) is reached


def test_events_of_one_escalation_count_once() -> None:
    same = [Occurrence("NOC-1", "CSP-1", T0 + timedelta(hours=h)) for h in range(5)]
    assert not reaches_threshold([*same, occ(2, 1)], escalations=3, window=WINDOW)


GROUP = RecurringGroup(
    key="fp-disk-full-db01",
    customer="acme",
    category_slug="incident",
    title="Disk full on db-01",
    occurrences=(occ(2, 3), occ(1, 0), occ(3, 9)),
)


def test_the_problem_is_labelled_for_customer_category_and_its_recurring_key() -> None:
    draft = problem_draft(
        GROUP,
        customer_name="Acme Corp",
        customer_label="csp-customer-acme",
        category_label="csp-cat-incident",
        window=WINDOW,
    )
    assert draft.subject == "acme/fp-disk-full-db01"
    assert draft.labels[:4] == (
        "csp",
        "csp-problem-record",
        "csp-customer-acme",
        "csp-cat-incident",
    )
    assert draft.ref in draft.labels and draft.ref.startswith("csp-ref-")
    assert "csp-problem-fp-disk-full-db01" in draft.labels
    assert draft.summary == "Problem: Disk full on db-01 (Acme Corp, recurring)"
    assert "3 escalations of the same problem for Acme Corp within 30 days" in draft.description
    assert "* CSP-3 (NOC NOC-3)" in draft.description
    again = problem_draft(
        GROUP,
        customer_name="Acme Corp",
        customer_label="csp-customer-acme",
        category_label="csp-cat-incident",
        window=WINDOW,
    )
    assert again.ref == draft.ref  # the same group always has the same reference


def test_a_long_title_is_cut_to_jiras_summary_limit() -> None:
    long = RecurringGroup("k", "acme", "incident", "x" * 400, GROUP.occurrences)
    draft = problem_draft(
        long, customer_name="A", customer_label="l", category_label="c", window=WINDOW
    )
    assert len(draft.summary) == 255


def test_only_unlinked_escalations_are_linked_oldest_first() -> None:
    assert GROUP.issue_keys == ("CSP-1", "CSP-2", "CSP-3")
    assert links_to_add(GROUP, frozenset({"CSP-2"})) == ("CSP-1", "CSP-3")
    assert links_to_add(GROUP, frozenset({"CSP-1", "CSP-2", "CSP-3"})) == ()
