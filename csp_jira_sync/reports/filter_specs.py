"""The saved Jira filters kept for each customer, as plain values: their names, descriptions
and JQL. Pure: no Jira, no store.

Every value put into JQL goes through `jql_string`, quoted and escaped, because customer labels,
fingerprints and issue types come from mappings and alerts, not from us: an unescaped quote
would break the filter or change what it selects.

`startOfMonth()` is read by Jira in the time zone of the user running the filter, which is the
right month for a person opening it from Jira's filter list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from csp_jira_sync.jira.jql import string as jql_string
from csp_jira_sync.jira.jql import strings as jql_list

OPEN_ESCALATIONS = "open-escalations"
MONTH_WORK = "month-work"
RECURRING_PROBLEMS = "recurring-problems"
PURPOSES = (OPEN_ESCALATIONS, MONTH_WORK, RECURRING_PROBLEMS)

# Every Problem record carries this label (reports/problems.py), so the filter does not depend
# on the project having a "Problem" issue type (an unknown type in JQL is Jira's 400).
PROBLEM_RECORD_LABEL = "csp-problem-record"
CSP_LABEL = "csp"  # on everything the daemon creates (escalations.decide.labels_for)


@dataclass(frozen=True)
class FilterSpec:
    scope: str  # the customer alias
    purpose: str  # one of PURPOSES
    name: str  # unique among the sync user's filters: Jira refuses a second of the same name
    description: str
    jql: str


def filter_name(display_name: str, alias: str, title: str) -> str:
    # The alias keeps names unique when two customers share a display name; Jira caps at 255.
    return f"CSP {display_name} ({alias}): {title}"[:255]


def customer_filters(
    *,
    project: str,
    alias: str,
    display_name: str,
    customer_label: str,
    escalation_label: str,
) -> tuple[FilterSpec, ...]:
    """The three filters of one customer: open escalations, this month's CSP work, and its
    recurring problems (Problem records)."""
    base = f"project = {jql_string(project)} AND labels = {jql_string(customer_label)}"
    return (
        FilterSpec(
            alias,
            OPEN_ESCALATIONS,
            filter_name(display_name, alias, "open escalations"),
            f"NOC escalations of {display_name} not yet resolved (kept by csp-jira-sync).",
            f"{base} AND labels = {jql_string(escalation_label)} AND resolution IS EMPTY "
            "ORDER BY priority DESC, created ASC",
        ),
        FilterSpec(
            alias,
            MONTH_WORK,
            filter_name(display_name, alias, "CSP work this month"),
            f"CSP issues of {display_name} with time logged this month (kept by csp-jira-sync).",
            f"{base} AND labels = {jql_string(CSP_LABEL)} AND worklogDate >= startOfMonth() "
            "ORDER BY updated DESC",
        ),
        FilterSpec(
            alias,
            RECURRING_PROBLEMS,
            filter_name(display_name, alias, "recurring problems"),
            f"Problem records of {display_name}: incidents that keep coming back "
            "(kept by csp-jira-sync).",
            f"{base} AND labels = {jql_string(PROBLEM_RECORD_LABEL)} ORDER BY created DESC",
        ),
    )


def issues_jql(keys: Sequence[str]) -> str:
    """The issues behind one number of a report, by key."""
    return f"key IN {jql_list(keys)} ORDER BY created ASC"
