"""Queries that parse but that Jira refuses: unknown fields and functions, wrong operators, bad
values. Never a silent match-all: each is a JqlError carrying Jira's message."""

from __future__ import annotations

import pytest

from jira_sandbox.jql import JqlError, parse_jql


def refusal(jql: str) -> list[str]:
    with pytest.raises(JqlError) as caught:
        parse_jql(jql)
    return caught.value.messages


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        # fields, echoed as typed
        (
            "nosuchfield = x",
            "Field 'nosuchfield' does not exist or you do not have permission to view it.",
        ),
        (
            "universe = 42",
            "Field 'universe' does not exist or you do not have permission to view it.",
        ),
        (
            '"Story Points" > 3',
            "Field 'Story Points' does not exist or you do not have permission to view it.",
        ),
        # operators a field does not take
        ("status is EMPTY", "The operator 'is' is not supported by the 'status' field."),
        ("Status > Done", "The operator '>' is not supported by the 'Status' field."),
        ("labels > x", "The operator '>' is not supported by the 'labels' field."),
        ("assignee ~ alice", "The operator '~' is not supported by the 'assignee' field."),
        ("project < CSP", "The operator '<' is not supported by the 'project' field."),
        ("key is EMPTY", "The operator 'is' is not supported by the 'key' field."),
        ("created ~ 2026-11-01", "The operator '~' is not supported by the 'created' field."),
        ("resolution > Done", "The operator '>' is not supported by the 'resolution' field."),
        (
            "statusCategory is not EMPTY",
            "The operator 'is not' is not supported by the 'statusCategory' field.",
        ),
        # the operand's shape against the operator (checked before the field's operators)
        (
            "status = (Open, Done)",
            "Operator '=' does not support the list value '(\"Open\", \"Done\")' for field 'status'.",
        ),
        (
            "status in Open",
            "Operator 'in' does not support the non-list value '\"Open\"' for field 'status'.",
        ),
        (
            "project not in 10000",
            "Operator 'not in' does not support the non-list value '10000' for field 'project'.",
        ),
        (
            "assignee in currentUser()",
            "Operator 'in' does not support the non-list value 'currentUser()' for field 'assignee'.",
        ),
        (
            "labels in EMPTY",
            "Operator 'in' does not support the empty value representation 'EMPTY' for field 'labels'.",
        ),
        (
            "assignee is alice",
            "Operator 'is' does not support searching for non-empty values for field 'assignee'.",
        ),
        (
            "labels is not x",
            "Operator 'is not' does not support searching for non-empty values for field 'labels'.",
        ),
        (
            "created > EMPTY",
            "Operator '>' does not support the empty value representation 'EMPTY' for field 'created'.",
        ),
        # functions
        (
            "assignee in membersOf(admins)",
            "Operator 'in' does not support the non-list value 'membersOf(admins)' for field 'assignee'.",
        ),
        ("assignee = nosuch()", "Unable to find JQL function 'nosuch()'."),
        (
            'assignee = membersOf("jira-admins", x)',
            "Unable to find JQL function 'membersOf(jira-admins, x)'.",
        ),
        (
            "status = currentUser()",
            "A value provided by the function 'currentUser' is invalid for the field 'status'.",
        ),
        (
            "assignee = currentUser(x)",
            "Function 'currentUser' expected '0' arguments but received '1'.",
        ),
        # values whose form is wrong whatever the server holds
        ("key = foo", "The issue key 'foo' for field 'key' is invalid."),
        ("issuekey in (CSP-1, CSP1)", "The issue key 'CSP1' for field 'issuekey' is invalid."),
        (
            'statusCategory = "Almost done"',
            "The value 'Almost done' does not exist for the field 'statusCategory'.",
        ),
    ],
)
def test_refused_with_jiras_validation_message(jql: str, message: str) -> None:
    assert refusal(jql) == [message]


def test_every_problem_is_reported_at_once() -> None:
    messages = refusal("nosuch = 1 AND summary = x OR created > nonsense ORDER BY bogus")
    assert messages == [
        "Field 'nosuch' does not exist or you do not have permission to view it.",
        "The operator '=' is not supported by the 'summary' field.",
        "Date value 'nonsense' for field 'created' is invalid. Valid formats include: "
        "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period "
        "format e.g. '-5d', '4w 2d'.",
        "Not able to sort using field 'bogus'.",
    ]


def test_the_error_text_joins_the_messages() -> None:
    with pytest.raises(JqlError) as caught:
        parse_jql("a = 1 AND b = 2")
    assert str(caught.value) == (
        "Field 'a' does not exist or you do not have permission to view it. "
        "Field 'b' does not exist or you do not have permission to view it."
    )


@pytest.mark.parametrize(
    "jql",
    [
        "assignee = EMPTY",
        "assignee != NULL",
        "labels in (a, EMPTY)",
        "priority >= Medium",
        "key < CSP-10",
        "statusCategory = 2",
        "description is not empty",
        "comment !~ foo",
        "assignee in (currentUser(), csp.bob)",
        "updated >= startOfDay(-1) AND updated < endOfDay()",
    ],
)
def test_queries_jira_accepts_are_accepted(jql: str) -> None:
    parse_jql(jql)
