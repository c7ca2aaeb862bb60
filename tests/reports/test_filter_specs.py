"""The customer filters' JQL: every value quoted and escaped, one filter per purpose."""

from __future__ import annotations

import pytest

from csp_jira_sync.reports.filter_specs import (
    PURPOSES,
    customer_filters,
    issues_jql,
    jql_list,
    jql_string,
)


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("csp-customer-acme", '"csp-customer-acme"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("back\\slash", '"back\\\\slash"'),
        ("line\nbreak", '"line\\nbreak"'),
        ('"; OR project = X', '"\\"; OR project = X"'),
    ],
)
def test_jql_strings_are_quoted_and_escaped(value: str, literal: str) -> None:
    assert jql_string(value) == literal


def test_an_empty_jql_list_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        jql_list([])


def test_each_customer_gets_one_filter_per_purpose_with_its_label_quoted() -> None:
    specs = customer_filters(
        project="CSP",
        alias="acme",
        display_name="Acme Corp",
        customer_label='csp-customer-"acme"',
        escalation_label="csp-escalation-management",
    )
    assert tuple(s.purpose for s in specs) == PURPOSES
    assert {s.scope for s in specs} == {"acme"}
    assert specs[0].name == "CSP Acme Corp (acme): open escalations"
    assert specs[0].jql == (
        'project = "CSP" AND labels = "csp-customer-\\"acme\\"" AND labels = '
        '"csp-escalation-management" AND resolution IS EMPTY ORDER BY priority DESC, created ASC'
    )
    assert "worklogDate >= startOfMonth()" in specs[1].jql
    assert 'labels = "csp-problem-record"' in specs[2].jql


def test_issue_links_name_the_issues_by_key() -> None:
    assert issues_jql(["CSP-1", "CSP-2"]) == 'key IN ("CSP-1", "CSP-2") ORDER BY created ASC'
