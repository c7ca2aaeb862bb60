"""What the sandbox server asks of a parsed query besides search(): values to check against its
state, labels to pre-filter with, whether the query is bounded, and the parse cache."""

from __future__ import annotations

import pytest

from jira_sandbox.jql import JqlError, parse_jql
from tests.sandbox.jql_factory import context, issue

KNOWN = {
    "project": {"CSP"},
    "status": {"to do", "done"},
    "issuetype": {"task", "incident"},
    "key": {"CSP-1", "10001"},
    "assignee": {"csp.alice"},
}


def exists(field: str, value: str) -> bool:
    """A stand-in for the server's state: names compare case-insensitively, as in Jira."""
    return value.casefold() in {known.casefold() for known in KNOWN.get(field, set())}


def test_values_for_collects_literals_under_any_alias() -> None:
    query = parse_jql(
        "project in (CSP, OPS) AND type = Incident AND issuetype != Task "
        "AND resolution in (Unresolved, Done) AND assignee in (csp.bob, currentUser(), EMPTY)"
    )
    assert query.values_for("project") == {"CSP", "OPS"}
    assert query.values_for("issuetype") == {"Incident", "Task"}
    assert query.values_for("type") == {"Incident", "Task"}
    assert query.values_for("resolution") == {"Done"}
    assert query.values_for("assignee") == {"csp.bob"}
    assert query.values_for("status") == frozenset()


def test_values_for_refuses_a_name_that_is_not_a_field() -> None:
    with pytest.raises(ValueError, match="not a JQL field"):
        parse_jql("project = CSP").values_for("universe")


def test_referenced_values_names_the_fields_whose_values_must_exist() -> None:
    query = parse_jql(
        'project = CSP AND status = "In Progress" AND labels = x AND key > CSP-3 '
        'AND created > "2026-11-01" AND summary ~ disk AND priority >= High'
    )
    assert query.referenced_values() == {
        "project": {"CSP"},
        "status": {"In Progress"},
        "key": {"CSP-3"},
        "priority": {"High"},
    }


def test_check_values_passes_when_everything_exists() -> None:
    parse_jql("project = csp AND status in ('To Do', Done) AND key in (CSP-1, 10001)").check_values(
        exists
    )


def test_check_values_reports_every_unknown_value_in_jiras_words() -> None:
    query = parse_jql(
        "project = NOPE AND type = Bogus AND key = CSP-999 AND assignee = nobody "
        "AND project != NOPE AND status = Done"
    )
    with pytest.raises(JqlError) as caught:
        query.check_values(exists)
    assert caught.value.messages == [
        "The value 'NOPE' does not exist for the field 'project'.",
        "The value 'Bogus' does not exist for the field 'type'.",
        "An issue with key 'CSP-999' does not exist for field 'key'.",
        "The value 'nobody' does not exist for the field 'assignee'.",
    ]


def test_check_values_asks_with_canonical_field_names() -> None:
    asked: list[tuple[str, str]] = []

    def record(field: str, value: str) -> bool:
        asked.append((field, value))
        return True

    parse_jql(
        "type = Task AND issuekey = CSP-1 AND resolution = Unresolved AND labels = x"
    ).check_values(record)
    assert asked == [("issuetype", "Task"), ("key", "CSP-1")]


@pytest.mark.parametrize(
    ("jql", "expected"),
    [
        ('labels = "CSP-Ref-ABC"', {"csp-ref-abc"}),
        ('project = CSP AND labels = "csp-ref-abc" ORDER BY created DESC', {"csp-ref-abc"}),
        ("labels in (a, b) AND labels = c AND project = CSP", {"c"}),
        ("labels in (a, b)", {"a", "b"}),
        ("labels = a OR project = CSP", None),
        ("labels in (a, EMPTY)", None),
        ("labels != a", None),
        ("NOT labels = a", None),
        ("project = CSP", None),
        ("", None),
    ],
)
def test_label_equalities_give_a_safe_prefilter(jql: str, expected: set[str] | None) -> None:
    assert parse_jql(jql).label_equalities() == expected


def test_every_issue_a_query_finds_carries_one_of_its_label_equalities() -> None:
    docs = [
        issue(n, labels=labels)
        for n, labels in enumerate([("A",), ("b", "c"), (), ("c",), ("a", "d")], 1)
    ]
    query = parse_jql("labels in (a, c) AND labels != d")
    required = query.label_equalities()
    assert required == frozenset({"a", "c"})
    found = query.search(docs, context())
    assert [d.key for d in found] == ["CSP-4", "CSP-2", "CSP-1"]
    assert all(required & {label.casefold() for label in d.labels} for d in found)


@pytest.mark.parametrize(
    ("jql", "bounded"),
    [
        ("", False),
        ("   ", False),
        ("ORDER BY key DESC", False),
        ("assignee = currentUser() ORDER BY key", True),
    ],
)
def test_is_bounded_tells_whether_the_query_restricts_the_search(jql: str, bounded: bool) -> None:
    # Jira Cloud's /search/jql refuses unbounded queries; the server decides where.
    assert parse_jql(jql).is_bounded is bounded


def test_a_query_text_is_parsed_once_and_shared() -> None:
    text = 'project = CSP AND labels = "cache-me"'
    assert parse_jql(text) is parse_jql(text)
    assert parse_jql(text).text == text
