"""ORDER BY: Jira's default order, default directions, several keys, empties, ties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from jira_sandbox.jql import JqlError, SortField, parse_jql
from tests.sandbox.jql_factory import ALICE, BOB, DAVE, issue, keys

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def test_without_order_by_issues_come_newest_key_first() -> None:
    # Jira falls back to `ORDER BY key DESC`, comparing issue numbers as numbers.
    docs = [issue(2), issue(10), issue(9), issue(1, project="OPS")]
    assert keys("project in (CSP, OPS)", docs) == ["OPS-1", "CSP-10", "CSP-9", "CSP-2"]


def test_order_by_key_sorts_by_project_then_number() -> None:
    docs = [issue(10), issue(9), issue(3, project="OPS"), issue(100, project="ABC")]
    assert keys("ORDER BY key ASC", docs) == ["ABC-100", "CSP-9", "CSP-10", "OPS-3"]
    assert keys("ORDER BY issuekey", docs) == ["ABC-100", "CSP-9", "CSP-10", "OPS-3"]


def test_dates_sort_newest_first_unless_told_otherwise() -> None:
    docs = [
        issue(1, created=T0),
        issue(2, created=T0 + timedelta(hours=2)),
        issue(3, created=T0 + timedelta(hours=1)),
    ]
    assert keys("ORDER BY created", docs) == ["CSP-2", "CSP-3", "CSP-1"]
    assert keys("ORDER BY created ASC", docs) == ["CSP-1", "CSP-3", "CSP-2"]
    assert keys("ORDER BY createdDate desc", docs) == ["CSP-2", "CSP-3", "CSP-1"]


def test_several_sort_keys_each_with_its_own_direction() -> None:
    docs = [
        issue(1, priority="Low", created=T0),
        issue(2, priority="High", created=T0 + timedelta(hours=3)),
        issue(3, priority="Low", created=T0 + timedelta(hours=1)),
        issue(4, priority="High", created=T0 + timedelta(hours=2)),
        issue(5, priority="Highest", created=T0 + timedelta(hours=4)),
    ]
    assert keys("ORDER BY priority DESC, created ASC", docs) == [
        "CSP-5",
        "CSP-4",
        "CSP-2",
        "CSP-1",
        "CSP-3",
    ]
    assert keys("ORDER BY priority ASC, created DESC", docs) == [
        "CSP-3",
        "CSP-1",
        "CSP-2",
        "CSP-4",
        "CSP-5",
    ]


def test_status_sorts_by_category_then_name() -> None:
    docs = [
        issue(1, status="Done", status_category="Done"),
        issue(2, status="To Do", status_category="To Do"),
        issue(3, status="In Progress", status_category="In Progress"),
        issue(4, status="Awaiting approval", status_category="In Progress"),
    ]
    assert keys("ORDER BY status ASC", docs) == ["CSP-2", "CSP-4", "CSP-3", "CSP-1"]
    assert keys("ORDER BY statusCategory ASC, key ASC", docs) == [
        "CSP-2",
        "CSP-3",
        "CSP-4",
        "CSP-1",
    ]


def test_empty_values_sort_last_ascending_and_first_descending() -> None:
    resolved = T0 + timedelta(days=1)
    docs = [
        issue(1, resolutiondate=resolved, resolution="Done"),
        issue(2),
        issue(3, resolutiondate=resolved + timedelta(hours=1), resolution="Done"),
    ]
    assert keys("ORDER BY resolutiondate ASC", docs) == ["CSP-1", "CSP-3", "CSP-2"]
    assert keys("ORDER BY resolved DESC", docs) == ["CSP-2", "CSP-3", "CSP-1"]


def test_users_sort_by_display_name() -> None:
    docs = [
        issue(1, assignee=DAVE),
        issue(2, assignee=None),
        issue(3, assignee=ALICE),
        issue(4, assignee=BOB),
    ]
    assert keys("ORDER BY assignee ASC", docs) == ["CSP-3", "CSP-4", "CSP-1", "CSP-2"]


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("summary ASC", ["CSP-2", "CSP-3", "CSP-1"]),
        ("issuetype ASC, key DESC", ["CSP-3", "CSP-2", "CSP-1"]),
        ("labels ASC", ["CSP-2", "CSP-1", "CSP-3"]),
        ("project ASC, key ASC", ["CSP-1", "CSP-2", "CSP-3"]),
        ("updated ASC", ["CSP-1", "CSP-2", "CSP-3"]),
        ("reporter DESC, key ASC", ["CSP-1", "CSP-2", "CSP-3"]),
        ("resolution ASC, key DESC", ["CSP-3", "CSP-2", "CSP-1"]),
    ],
)
def test_every_sortable_field(order: str, expected: list[str]) -> None:
    docs = [
        issue(1, summary="zebra", issuetype="Task", labels=("b",)),
        issue(2, summary="Apple", issuetype="Incident", labels=("a", "z")),
        issue(3, summary="mango", issuetype="Incident"),
    ]
    assert keys(f"ORDER BY {order}", docs) == expected


def test_ties_keep_a_stable_order_by_issue_id_whatever_the_input_order() -> None:
    docs = [issue(n, created=T0) for n in (5, 3, 9, 1)]
    expected = ["CSP-1", "CSP-3", "CSP-5", "CSP-9"]
    assert keys("ORDER BY created DESC", docs) == expected
    assert keys("ORDER BY created DESC", list(reversed(docs))) == expected


def test_order_by_reports_the_resolved_sort_fields() -> None:
    query = parse_jql("project = CSP ORDER BY created, priority ASC, issuekey")
    assert query.order_by == (
        SortField("created", descending=True),
        SortField("priority", descending=False),
        SortField("key", descending=False),
    )
    assert parse_jql("project = CSP").order_by == ()


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ("project = CSP ORDER BY bogus", "Not able to sort using field 'bogus'."),
        ("ORDER BY description", "Field 'description' does not support sorting."),
        ("ORDER BY text DESC", "Field 'text' does not support sorting."),
        (
            "ORDER BY created, created DESC",
            "The sort field 'created' is referenced multiple times in the JQL sort.",
        ),
        (
            "ORDER BY created, createdDate",
            "The sort field 'createdDate' is referenced multiple times in the JQL sort. "
            "Field 'createdDate' is an alias for field 'created'.",
        ),
    ],
)
def test_sorts_jira_refuses(jql: str, message: str) -> None:
    with pytest.raises(JqlError) as caught:
        parse_jql(jql)
    assert caught.value.messages == [message]
