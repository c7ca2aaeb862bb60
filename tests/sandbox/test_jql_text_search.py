"""The CONTAINS operator (~, !~) over summary, description, comments and the `text` master field."""

from __future__ import annotations

import pytest

from jira_sandbox.jql import JqlError, parse_jql
from tests.sandbox.jql_factory import issue, matching

DOCS = [
    issue(1, summary="Disk full on the primary database server"),
    issue(2, summary="Databases restarted", description="Both replicas came back at 03:10."),
    issue(3, summary="Windows update failed", comments=("Rolled back.", "Escalated to NOC")),
    issue(4, summary="Customer queries about invoice", labels=("csp-ref-abc",)),
    issue(5, summary="Re: CSP-REF-ABC follow up", description="Full disk again"),
]


@pytest.mark.parametrize(
    ("jql", "expected"),
    [
        ("summary ~ disk", {"CSP-1"}),
        ("summary ~ DISK", {"CSP-1"}),
        # whole words only: "data" is not a word of "database"
        ("summary ~ data", set()),
        # plural and singular find each other
        ("summary ~ database", {"CSP-1", "CSP-2"}),
        ("summary ~ query", {"CSP-4"}),
        # several words: all of them, in any order
        ('summary ~ "full disk"', {"CSP-1"}),
        ('summary ~ "disk restarted"', set()),
        # a quoted phrase inside the value: word for word
        ('summary ~ "\\"disk full\\""', {"CSP-1"}),
        ('summary ~ "\\"full disk\\""', set()),
        # OR between two words; a leading minus excludes
        ('summary ~ "windows OR invoice"', {"CSP-3", "CSP-4"}),
        ('summary ~ "database -restarted"', {"CSP-1"}),
        ('summary ~ "database NOT restarted"', {"CSP-1"}),
        # wildcards inside or at the end of a word
        ('summary ~ "win*"', {"CSP-3"}),
        ('summary ~ "dat?base"', {"CSP-1"}),
        # a word the tokenizer splits is matched as a phrase
        ("summary ~ csp-ref-abc", {"CSP-5"}),
        # stop words are ignored; a query of stop words alone finds nothing, as Lucene's does
        ('summary ~ "the disk"', {"CSP-1"}),
        ('summary ~ "the"', set()),
    ],
)
def test_summary_contains(jql: str, expected: set[str]) -> None:
    assert matching(jql, DOCS) == expected


@pytest.mark.parametrize(
    ("jql", "expected"),
    [
        ("description ~ replicas", {"CSP-2"}),
        ('description ~ "full disk"', {"CSP-5"}),
        ("comment ~ escalated", {"CSP-3"}),
        # each comment is searched on its own: no phrase across two comments
        ('comment ~ "\\"back escalated\\""', set()),
        # text searches summary, description and comments
        ("text ~ disk", {"CSP-1", "CSP-5"}),
        ("text ~ noc", {"CSP-3"}),
        ("text ~ replicas", {"CSP-2"}),
    ],
)
def test_description_comment_and_text_fields(jql: str, expected: set[str]) -> None:
    assert matching(jql, DOCS) == expected


@pytest.mark.parametrize(
    ("jql", "expected"),
    [
        ("summary !~ database", {"CSP-3", "CSP-4", "CSP-5"}),
        # like !=, !~ does not match an empty field
        ("description !~ replicas", {"CSP-5"}),
        ("comment !~ rolled", set()),
        ("description is EMPTY", {"CSP-1", "CSP-3", "CSP-4"}),
        ("description is not EMPTY", {"CSP-2", "CSP-5"}),
        ("description ~ EMPTY", {"CSP-1", "CSP-3", "CSP-4"}),
    ],
)
def test_does_not_contain_and_emptiness(jql: str, expected: set[str]) -> None:
    assert matching(jql, DOCS) == expected


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        (
            'summary ~ "*start"',
            "The text query '*start' for field 'summary' is not allowed to start with '*'.",
        ),
        (
            'comment ~ "fine ?tart"',
            "The text query 'fine ?tart' for field 'comment' is not allowed to start with '?'.",
        ),
        ('text ~ ""', "The field 'text' does not support searching for an empty string."),
        ("summary = disk", "The operator '=' is not supported by the 'summary' field."),
        ("labels ~ disk", "The operator '~' is not supported by the 'labels' field."),
        ("text !~ disk", "The operator '!~' is not supported by the 'text' field."),
        ("summary is EMPTY", "The operator 'is' is not supported by the 'summary' field."),
        ("summary > 3", "The operator '>' is not supported by the 'summary' field."),
        (
            "summary in test",
            "Operator 'in' does not support the non-list value '\"test\"' for field 'summary'.",
        ),
        (
            "summary ~ (a, b)",
            "Operator '~' does not support the list value '(\"a\", \"b\")' for field 'summary'.",
        ),
    ],
)
def test_text_clauses_jira_refuses(jql: str, message: str) -> None:
    with pytest.raises(JqlError) as caught:
        parse_jql(jql)
    assert caught.value.messages == [message]
