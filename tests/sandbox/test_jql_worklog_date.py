"""`worklogDate`: an issue matches when some worklog of it started on a matching date, read in
the searcher's zone; each clause is judged on its own worklog, as Jira indexes one date per
worklog. The allowance ledger's month read relies on it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jira_sandbox.jql import JqlError, parse_jql
from jira_sandbox.server import RunningSandbox
from tests.sandbox.jql_factory import BERLIN, context, issue, matching
from tests.sandbox.sandbox_helpers import JiraHttp


def _ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


OCT_20 = _ms(datetime(2026, 10, 20, 9, tzinfo=UTC))
NOV_10 = _ms(datetime(2026, 11, 10, 9, tzinfo=UTC))
DEC_05 = _ms(datetime(2026, 12, 5, 9, tzinfo=UTC))

DOCS = [
    issue(1, worklog_started_ms=(OCT_20,)),
    issue(2, worklog_started_ms=(NOV_10,)),
    issue(3, worklog_started_ms=(OCT_20, DEC_05)),
    issue(4),  # no worklogs
]


def test_worklog_date_bounds_find_issues_with_a_worklog_in_the_period() -> None:
    assert matching('worklogDate >= "2026/11/01"', DOCS) == {"CSP-2", "CSP-3"}
    assert matching('worklogDate < "2026/11/01"', DOCS) == {"CSP-1", "CSP-3"}
    assert matching('worklogDate = "2026/11/10"', DOCS) == {"CSP-2"}
    assert matching('worklogDate in ("2026/11/10", "2026/12/05")', DOCS) == {"CSP-2", "CSP-3"}


def test_each_worklog_date_clause_is_judged_on_its_own() -> None:
    # CSP-3 has one worklog before November and one after it: both clauses hold, as in Jira.
    jql = 'worklogDate >= "2026/11/01" AND worklogDate < "2026/12/01"'
    assert matching(jql, DOCS) == {"CSP-2", "CSP-3"}


def test_not_equal_needs_a_worklog_on_another_date_and_no_worklogs_never_match() -> None:
    assert matching('worklogDate != "2026/11/10"', DOCS) == {"CSP-1", "CSP-3"}


def test_worklog_dates_are_read_in_the_searchers_zone() -> None:
    late = issue(5, worklog_started_ms=(_ms(datetime(2026, 10, 31, 23, 30, tzinfo=UTC)),))
    # 00:30 on 1 November in Berlin.
    assert matching('worklogDate >= "2026/11/01"', [late], context(timezone=BERLIN)) == {"CSP-5"}
    assert matching('worklogDate >= "2026/11/01"', [late], context(timezone=UTC)) == set()


def test_worklog_date_takes_no_empty_and_cannot_sort() -> None:
    with pytest.raises(JqlError):
        parse_jql("worklogDate is EMPTY")
    with pytest.raises(JqlError):
        parse_jql("project = CSP ORDER BY worklogDate")


def test_worklog_date_follows_worklogs_logged_over_rest(sandbox: RunningSandbox) -> None:
    http = JiraHttp(sandbox, user="csp.alice")
    key = http.create()["key"]
    logged = http.post(
        f"issue/{key}/worklog",
        json={"timeSpent": "1h", "started": "2026-11-10T09:00:00.000+0000"},
    )
    assert logged.status_code == 201
    sandbox.admin.flush_index()
    assert http.jql('worklogDate >= "2026/11/01" AND worklogDate < "2026/12/01"') == [key]
    worklog_id = logged.json()["id"]
    assert http.delete(f"issue/{key}/worklog/{worklog_id}").status_code == 204
    sandbox.admin.flush_index()
    assert http.jql('worklogDate >= "2026/11/01"') == []
