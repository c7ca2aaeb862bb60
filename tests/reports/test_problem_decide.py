"""When recurring incidents become a Problem, and what it says: tables of plain values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from csp_jira_sync.reports.problem_decide import (
    Occurrence,
    RecurringGroup,
    links_to_add,
    problem_draft,
    problem_title,
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


def disk(n: int, days: float, datacenter: str) -> Occurrence:
    return Occurrence(f"NOC-{n}", f"CSP-{n}", T0 + timedelta(days=days), datacenter)


def seen(*occurrences: Occurrence) -> RecurringGroup:
    """The group as the pass sees it: titled by the NOC-earliest escalation it has seen."""
    first = min(occurrences, key=lambda o: (o.at, o.escalation_id))
    title = f"Disk usage above 90% ({first.datacenter})"
    return RecurringGroup("fingerprint:disk-usage", "acme", "incident", title, occurrences)


def draft_of(group: RecurringGroup) -> str:
    return problem_draft(
        group, customer_name="Acme Corp", customer_label="l", category_label="c", window=WINDOW
    ).summary


def test_the_summary_is_the_same_whichever_escalations_the_pass_had_seen_when_it_raised_it() -> (
    None
):
    # Lanes and daemons apply events out of the NOC's order, so the pass that raises the
    # Problem may have seen NOC-1 (VA1) or not yet; the summary must not depend on it.
    va1, gb3, de1, au1 = disk(1, 0, "VA1"), disk(2, 3, "GB3"), disk(3, 5, "DE1"), disk(4, 8, "AU1")
    early = draft_of(seen(va1, gb3, de1))
    late = draft_of(seen(gb3, de1, au1))
    assert early == late == "Problem: Disk usage above 90% (Acme Corp, recurring)"


def test_the_description_names_each_escalations_data_center_in_the_nocs_order() -> None:
    group = seen(disk(3, 5, "DE1"), disk(1, 0, "VA1"), disk(2, 3, "VA1"), disk(4, 8, ""))
    description = problem_draft(
        group, customer_name="Acme Corp", customer_label="l", category_label="c", window=WINDOW
    ).description
    assert "Data centers: DE1, VA1" in description
    listed = [line for line in description.splitlines() if line.startswith("* ")]
    assert listed == [
        "* CSP-1 (NOC NOC-1, VA1)",
        "* CSP-2 (NOC NOC-2, VA1)",
        "* CSP-3 (NOC NOC-3, DE1)",
        "* CSP-4 (NOC NOC-4)",
    ]


@pytest.mark.parametrize(
    ("title", "datacenters", "expected"),
    [
        ("Disk usage above 90% (VA1)", ("VA1", "GB3"), "Disk usage above 90%"),
        (
            "DNS resolution slow in data center (gb3)",
            ("GB3",),
            "DNS resolution slow in data center",
        ),
        ("Packet loss in DE1", ("DE1",), "Packet loss"),
        ("VA1 - fabric down", ("VA1",), "fabric down"),
        ("Disk full on db-01", ("VA1",), "Disk full on db-01"),  # names none: unchanged
        ("Host VA10 down", ("VA1",), "Host VA10 down"),  # whole names only
        ("VA1", ("VA1",), "VA1"),  # nothing else to call it
        ("Disk usage above 90% (VA1)", (), "Disk usage above 90% (VA1)"),
    ],
)
def test_the_problem_title_leaves_out_the_data_centers(
    title: str, datacenters: tuple[str, ...], expected: str
) -> None:
    assert problem_title(title, datacenters) == expected
