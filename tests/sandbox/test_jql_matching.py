"""Which issues a query finds: operators per field, precedence, EMPTY, Jira's quirks."""

from __future__ import annotations

import pytest

from jira_sandbox.jql import parse_jql
from tests.sandbox.jql_factory import ALICE, BOB, DAVE, context, issue, matching

# --- precedence and connectives -----------------------------------------------------------

DONE_TASK_LOW = issue(1, status="Done", status_category="Done", priority="Low")
OPEN_INCIDENT_HIGH = issue(2, issuetype="Incident", priority="High")
OPEN_INCIDENT_LOW = issue(3, issuetype="Incident", priority="Low")
DONE_INCIDENT_HIGH = issue(4, issuetype="Incident", status="Done", priority="High")
PRECEDENCE_DOCS = [DONE_TASK_LOW, OPEN_INCIDENT_HIGH, OPEN_INCIDENT_LOW, DONE_INCIDENT_HIGH]


def test_and_binds_tighter_than_or() -> None:
    # status = Done OR (issuetype = Incident AND priority = High)
    found = matching("status = Done OR issuetype = Incident AND priority = High", PRECEDENCE_DOCS)
    assert found == {"CSP-1", "CSP-2", "CSP-4"}


def test_not_binds_tighter_than_and() -> None:
    # (NOT status = Done) AND priority = High; NOT (... AND ...) would also find CSP-1 and CSP-3
    found = matching("NOT status = Done AND priority = High", PRECEDENCE_DOCS)
    assert found == {"CSP-2"}


def test_parentheses_override_precedence() -> None:
    found = matching("(status = Done OR issuetype = Incident) AND priority = High", PRECEDENCE_DOCS)
    assert found == {"CSP-2", "CSP-4"}


def test_not_applies_to_a_parenthesised_query() -> None:
    found = matching("NOT (status = Done OR priority = Low)", PRECEDENCE_DOCS)
    assert found == {"CSP-2"}


@pytest.mark.parametrize(
    "jql",
    [
        "status = Done && priority = High",
        "status = Done & priority = High",
        "!(status != Done || priority != High)",
        "NOT (status != Done | priority != High)",
        "sTaTuS = done AnD PRIORITY = high",
    ],
)
def test_symbolic_and_mixed_case_connectives_mean_the_same(jql: str) -> None:
    assert matching(jql, PRECEDENCE_DOCS) == {"CSP-4"}


def test_empty_query_and_order_only_query_match_every_issue() -> None:
    assert matching("", PRECEDENCE_DOCS) == {"CSP-1", "CSP-2", "CSP-3", "CSP-4"}
    assert matching("ORDER BY created", PRECEDENCE_DOCS) == {"CSP-1", "CSP-2", "CSP-3", "CSP-4"}


def test_matches_agrees_with_search() -> None:
    query = parse_jql("issuetype = Incident OR priority = Low")
    ctx = context()
    found = {doc.key for doc in query.search(PRECEDENCE_DOCS, ctx)}
    assert found == {doc.key for doc in PRECEDENCE_DOCS if query.matches(doc, ctx)}
    assert found == {"CSP-1", "CSP-2", "CSP-3", "CSP-4"}


# --- project and key ----------------------------------------------------------------------

CSP_1, CSP_2, CSP_10 = issue(1), issue(2), issue(10)
OPS_5 = issue(5, project="OPS")
KEYED = [CSP_1, CSP_2, CSP_10, OPS_5]


@pytest.mark.parametrize(
    ("jql", "expected"),
    [
        ("project = CSP", {"CSP-1", "CSP-2", "CSP-10"}),
        ("project = csp", {"CSP-1", "CSP-2", "CSP-10"}),
        ("project = 10001", {"OPS-5"}),
        ("project != CSP", {"OPS-5"}),
        ("project in (OPS, CSP)", {"CSP-1", "CSP-2", "CSP-10", "OPS-5"}),
        ("project not in (CSP)", {"OPS-5"}),
        ("project is EMPTY", set()),
        ("project is not EMPTY", {"CSP-1", "CSP-2", "CSP-10", "OPS-5"}),
    ],
)
def test_project_matches_by_key_or_id(jql: str, expected: set[str]) -> None:
    assert matching(jql, KEYED) == expected


@pytest.mark.parametrize(
    ("jql", "expected"),
    [
        ("key = CSP-2", {"CSP-2"}),
        ("key = csp-2", {"CSP-2"}),
        ("issuekey = CSP-10", {"CSP-10"}),
        ("id = 10005", {"OPS-5"}),
        ("issue in (CSP-1, 10010)", {"CSP-1", "CSP-10"}),
        ("key != CSP-1", {"CSP-2", "CSP-10", "OPS-5"}),
        ("key not in (CSP-1, CSP-2)", {"CSP-10", "OPS-5"}),
        # ordered comparisons stay within the key's project and compare numbers, not text
        ("key > CSP-2", {"CSP-10"}),
        ("key >= CSP-2", {"CSP-2", "CSP-10"}),
        ("key < CSP-10", {"CSP-1", "CSP-2"}),
        ("key <= CSP-1", {"CSP-1"}),
        ("key > 10002", {"OPS-5", "CSP-10"}),
    ],
)
def test_issue_key_comparisons(jql: str, expected: set[str]) -> None:
    assert matching(jql, KEYED) == expected


# --- named constants: issue type, status, status category, priority, resolution ----------

CONSTANTS = [
    issue(1, issuetype="Incident", status="In Progress", status_category="In Progress"),
    issue(2, issuetype="Service Request", priority="Highest"),
    issue(
        3,
        status="Done",
        status_category="Done",
        resolution="Done",
        resolutiondate=issue(3).updated,
        priority=None,
    ),
    issue(4, status="Awaiting approval", status_category="In Progress", priority="Low"),
]


@pytest.mark.parametrize(
    ("jql", "expected"),
    [
        ("issuetype = incident", {"CSP-1"}),
        ('type = "service request"', {"CSP-2"}),
        ("issuetype in (Task, Incident)", {"CSP-1", "CSP-3", "CSP-4"}),
        ("issuetype != Task", {"CSP-1", "CSP-2"}),
        ('status = "in progress"', {"CSP-1"}),
        ("status in ('To Do', Done)", {"CSP-2", "CSP-3"}),
        ('status not in ("Awaiting approval", Done)', {"CSP-1", "CSP-2"}),
        ('statusCategory = "In Progress"', {"CSP-1", "CSP-4"}),
        ("statuscategory = indeterminate", {"CSP-1", "CSP-4"}),
        ("statusCategory in (new, 3)", {"CSP-2", "CSP-3"}),
        ("statusCategory != Done", {"CSP-1", "CSP-2", "CSP-4"}),
    ],
)
def test_named_values_compare_case_insensitively(jql: str, expected: set[str]) -> None:
    assert matching(jql, CONSTANTS) == expected


@pytest.mark.parametrize(
    ("jql", "expected"),
    [
        ("resolution = Unresolved", {"CSP-1", "CSP-2", "CSP-4"}),
        ('resolution = "unresolved"', {"CSP-1", "CSP-2", "CSP-4"}),
        ("resolution is EMPTY", {"CSP-1", "CSP-2", "CSP-4"}),
        ("resolution = Done", {"CSP-3"}),
        ("resolution != Unresolved", {"CSP-3"}),
        ("resolution in (Unresolved, Done)", {"CSP-1", "CSP-2", "CSP-3", "CSP-4"}),
        # != never matches an empty field: unresolved issues are not "!= Duplicate"
        ("resolution != Duplicate", {"CSP-3"}),
    ],
)
def test_unresolved_means_no_resolution(jql: str, expected: set[str]) -> None:
    assert matching(jql, CONSTANTS) == expected


@pytest.mark.parametrize(
    ("jql", "expected"),
    [
        ("priority = medium", {"CSP-1"}),
        ("priority > Medium", {"CSP-2"}),
        ("priority >= Medium", {"CSP-1", "CSP-2"}),
        ("priority < Medium", {"CSP-4"}),
        ("priority <= Low", {"CSP-4"}),
        ("priority is EMPTY", {"CSP-3"}),
        ("priority != Low", {"CSP-1", "CSP-2"}),
    ],
)
def test_priority_compares_by_rank_not_by_name(jql: str, expected: set[str]) -> None:
    assert matching(jql, CONSTANTS) == expected


def test_priority_rank_follows_the_servers_scheme() -> None:
    ctx = context(priority_order=("P1", "P2", "P3"))
    docs = [issue(1, priority="P1"), issue(2, priority="P2"), issue(3, priority="P3")]
    assert matching("priority > P2", docs, ctx) == {"CSP-1"}
    assert matching("priority < P1", docs, ctx) == {"CSP-2", "CSP-3"}


# --- labels -------------------------------------------------------------------------------

LABELLED = [
    issue(1, labels=("csp-ref-abc", "noc")),
    issue(2, labels=("CSP-REF-ABC",)),
    issue(3, labels=("noc",)),
    issue(4, labels=()),
]


@pytest.mark.parametrize(
    ("jql", "expected"),
    [
        # Jira folds labels for search since 7.10 (JRASERVER-29120)
        ('labels = "csp-ref-abc"', {"CSP-1", "CSP-2"}),
        ("labels = NOC", {"CSP-1", "CSP-3"}),
        ("labels in (noc, csp-ref-abc)", {"CSP-1", "CSP-2", "CSP-3"}),
        # != and NOT IN mean "has labels, none of them this one"
        ("labels != noc", {"CSP-2"}),
        ("labels not in (csp-ref-abc)", {"CSP-3"}),
        ("labels is EMPTY", {"CSP-4"}),
        ("labels = EMPTY", {"CSP-4"}),
        ("labels is not EMPTY", {"CSP-1", "CSP-2", "CSP-3"}),
        ("labels != NULL", {"CSP-1", "CSP-2", "CSP-3"}),
        ("labels in (noc, EMPTY)", {"CSP-1", "CSP-3", "CSP-4"}),
        ("NOT labels = noc", {"CSP-2", "CSP-4"}),
        ("labels = noc AND labels = csp-ref-abc", {"CSP-1"}),
    ],
)
def test_labels_match_any_label_of_the_issue(jql: str, expected: set[str]) -> None:
    assert matching(jql, LABELLED) == expected


# --- users --------------------------------------------------------------------------------

ASSIGNED = [
    issue(1, assignee=ALICE),
    issue(2, assignee=BOB, reporter=DAVE),
    issue(3, assignee=None),
]


@pytest.mark.parametrize(
    "value",
    [
        ALICE.account_id,
        "csp.alice",
        "CSP.Alice",
        '"alice@csp.example"',
        '"Alice Archer"',
        "currentUser()",
    ],
)
def test_a_user_matches_by_account_id_name_email_or_display_name(value: str) -> None:
    assert matching(f"assignee = {value}", ASSIGNED) == {"CSP-1"}


@pytest.mark.parametrize(
    ("jql", "expected"),
    [
        ("assignee != csp.alice", {"CSP-2"}),
        ("assignee is EMPTY", {"CSP-3"}),
        ("assignee is not EMPTY", {"CSP-1", "CSP-2"}),
        ("assignee in (csp.bob, EMPTY)", {"CSP-2", "CSP-3"}),
        ("assignee not in (csp.bob)", {"CSP-1"}),
        ("reporter = noc.dave", {"CSP-2"}),
        # != leaves out the unassigned, so Jira's docs add "OR assignee is EMPTY"
        ("reporter = currentUser() AND assignee != currentUser()", set()),
        (
            "reporter = currentUser() AND (assignee != currentUser() OR assignee is EMPTY)",
            {"CSP-3"},
        ),
    ],
)
def test_user_fields(jql: str, expected: set[str]) -> None:
    assert matching(jql, ASSIGNED) == expected


def test_current_user_matches_nobody_for_an_anonymous_search() -> None:
    anonymous = context(user=None)
    assert matching("assignee = currentUser()", ASSIGNED, anonymous) == set()
    assert matching("assignee != currentUser()", ASSIGNED, anonymous) == {"CSP-1", "CSP-2"}


def test_current_user_follows_the_context_not_the_parse() -> None:
    query = parse_jql("assignee = currentUser()")
    assert {d.key for d in query.search(ASSIGNED, context(user=BOB))} == {"CSP-2"}
    assert {d.key for d in query.search(ASSIGNED, context(user=ALICE))} == {"CSP-1"}


# --- other spellings the server knows: ids, project names ---------------------------------

ALIASED = [
    issue(1, status="In Progress", status_category="In Progress", priority="High"),
    issue(2, issuetype="Incident", priority="Low"),
    issue(3, project="OPS"),
]
ALIASES = {
    "project": {"CSP Service": "CSP", "Operations": "OPS"},
    "status": {"10001": "In Progress", "10000": "To Do"},
    "issuetype": {"10002": "Incident"},
    "priority": {"2": "High", "3": "Medium"},
}


@pytest.mark.parametrize(
    ("jql", "expected"),
    [
        ('project = "csp service"', {"CSP-1", "CSP-2"}),
        ("project in (Operations, CSP)", {"CSP-1", "CSP-2", "OPS-3"}),
        ("status = 10001", {"CSP-1"}),
        ("status != 10001", {"CSP-2", "OPS-3"}),
        ("issuetype in (10002)", {"CSP-2"}),
        ("priority = 2", {"CSP-1"}),
        ("priority < 3", {"CSP-2"}),
        ("priority >= 2", {"CSP-1"}),
    ],
)
def test_ids_and_names_the_server_maps_find_the_same_issues(jql: str, expected: set[str]) -> None:
    assert matching(jql, ALIASED, context(value_aliases=ALIASES)) == expected


def test_without_aliases_an_id_matches_only_a_value_spelled_so() -> None:
    assert matching("status = 10001", ALIASED) == set()
    assert matching('project = "CSP Service"', ALIASED) == set()
