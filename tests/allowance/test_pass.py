"""The allowance pass over an in-memory WorklogSource: changes and month reads land in one
ledger, exact to the second, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from csp_jira_sync.allowance import repository as repo
from csp_jira_sync.allowance.facts import WorklogChanges
from csp_jira_sync.allowance.figures import MonthFigures
from csp_jira_sync.allowance.job import month_period, run_allowance_pass
from csp_jira_sync.allowance.ledger import figures_of
from csp_jira_sync.allowance.months import Month
from csp_jira_sync.config.mappings import Mappings, load_mappings
from csp_jira_sync.store import Store
from tests.support.worklogs import InMemoryWorklogs

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
OCT, NOV = Month(2026, 10), Month(2026, 11)
ACT = "csp-act-escalation-management"
FIREWALL = "csp-act-firewall-review"


@pytest.fixture(scope="module")
def mappings() -> Mappings:
    return load_mappings(ROOT / "mappings")


@pytest.fixture
def jira() -> InMemoryWorklogs:
    return InMemoryWorklogs(groups={"csp-staff": {"csp.alice", "csp.bob"}})


def run(store: Store, jira: InMemoryWorklogs, mappings: Mappings, *months: Month) -> None:
    run_allowance_pass(store, jira, None, mappings, clock=lambda: NOW, read_months=months)


def figures(store: Store, mappings: Mappings, alias: str, month: Month) -> MonthFigures:
    with store.transaction("test") as conn:
        return figures_of(conn, mappings, mappings.customers[alias], month)


def test_worklogs_count_in_the_customers_month_by_category(
    store: Store, jira: InMemoryWorklogs, mappings: Mappings
) -> None:
    issue = jira.issue("CSP-1", "csp", ACT, "csp-customer-globex")
    jira.log(issue, "csp.alice", "2026-10-31T23:30:00-04:00", 1800)  # 23:30 in New York: Oct
    jira.log(issue, "csp.alice", "2026-11-01T00:30:00-04:00", 601)  # 00:30 in New York: Nov
    jira.log(issue, "noc.dave", "2026-10-20T10:00:00+00:00", 7200)
    run(store, jira, mappings)
    october = figures(store, mappings, "globex", OCT)
    assert october.used_seconds == 1800
    assert october.used_by_category == {"incident-problem": 1800}
    assert october.excluded_by_reason == {"not-csp-staff": 7200}
    assert figures(store, mappings, "globex", NOV).used_seconds == 601


def test_edits_moves_and_deletions_of_old_worklogs_are_recounted(
    store: Store, jira: InMemoryWorklogs, mappings: Mappings
) -> None:
    issue = jira.issue("CSP-1", "csp", ACT, "csp-customer-acme")
    other = jira.issue("CSP-2", "csp", FIREWALL, "csp-customer-acme")
    first = jira.log(issue, "csp.alice", "2026-10-05T09:00:00+01:00", 3600)
    second = jira.log(issue, "csp.bob", "2026-10-06T09:00:00+01:00", 1200)
    run(store, jira, mappings)
    assert figures(store, mappings, "acme", OCT).used_seconds == 4800
    jira.edit(first, seconds=3000)
    jira.edit(second, started=datetime(2026, 11, 2, 9, tzinfo=UTC))  # moved to November
    run(store, jira, mappings)
    assert figures(store, mappings, "acme", OCT).used_seconds == 3000
    assert figures(store, mappings, "acme", NOV).used_seconds == 1200
    jira.edit(first, issue_id=other.id)  # moved to another issue, another category
    jira.delete(second)
    run(store, jira, mappings)
    october = figures(store, mappings, "acme", OCT)
    assert october.used_by_category == {"configuration": 3000}
    assert figures(store, mappings, "acme", NOV).used_seconds == 0


def test_a_relabelled_issue_moves_its_hours_when_the_month_is_read(
    store: Store, jira: InMemoryWorklogs, mappings: Mappings
) -> None:
    issue = jira.issue("CSP-1", "csp", ACT, "csp-customer-acme")
    jira.log(issue, "csp.alice", "2026-10-05T09:00:00+01:00", 3600)
    run(store, jira, mappings)
    jira.relabel(issue, "csp", FIREWALL, "csp-customer-acme")
    run(store, jira, mappings, OCT)
    assert figures(store, mappings, "acme", OCT).used_by_category == {"configuration": 3600}
    jira.relabel(issue, "csp-out-of-scope", "csp-customer-acme")
    run(store, jira, mappings, OCT)
    october = figures(store, mappings, "acme", OCT)
    assert october.used_seconds == 0
    assert october.excluded_by_reason == {"out-of-scope": 3600}


def test_a_month_read_forgets_worklogs_jira_no_longer_has(
    store: Store, jira: InMemoryWorklogs, mappings: Mappings
) -> None:
    issue = jira.issue("CSP-1", "csp", ACT, "csp-customer-acme")
    gone = jira.log(issue, "csp.alice", "2026-10-05T09:00:00+01:00", 3600)
    jira.log(issue, "csp.alice", "2026-10-07T09:00:00+01:00", 60)
    run(store, jira, mappings)
    # Deleted while the feed was not read (e.g. before the deleted feed's retention).
    del jira.worklogs[gone.id]
    jira.changed_ms.pop(gone.id)
    run(store, jira, mappings, OCT)
    assert figures(store, mappings, "acme", OCT).used_seconds == 60


def test_the_cursor_moves_and_a_pass_without_changes_asks_jira_once(
    store: Store, jira: InMemoryWorklogs, mappings: Mappings
) -> None:
    issue = jira.issue("CSP-1", "csp", ACT, "csp-customer-acme")
    jira.log(issue, "csp.alice", "2026-10-05T09:00:00+01:00", 3600)
    run(store, jira, mappings)
    with store.transaction("test") as conn:
        assert repo.cursor(conn) == jira.now_ms + 1
    jira.calls.clear()
    run(store, jira, mappings)
    assert jira.calls == ["changes_since"]  # no group read when nothing changed


def test_a_month_period_covers_every_time_zone() -> None:
    start, end = month_period(OCT)
    assert start == datetime(2026, 9, 30, 10, tzinfo=UTC)  # 1 October 00:00 at UTC+14
    assert end == datetime(2026, 11, 1, 12, tzinfo=UTC)  # 1 November 00:00 at UTC-12


def test_a_worklog_whose_issue_the_reader_left_out_is_not_guessed_at(
    store: Store, jira: InMemoryWorklogs, mappings: Mappings, caplog: pytest.LogCaptureFixture
) -> None:
    issue = jira.issue("CSP-1", "csp", ACT, "csp-customer-acme")
    jira.log(issue, "csp.alice", "2026-10-05T09:00:00+01:00", 3600)
    original = jira.changes_since

    def without_issues(since_ms: int) -> WorklogChanges:
        return replace(original(since_ms), issues=())

    jira.changes_since = without_issues  # type: ignore[method-assign]
    with caplog.at_level("WARNING"):
        run(store, jira, mappings)
    assert "allowance.issue_missing worklogs=1" in caplog.text
    assert figures(store, mappings, "acme", OCT).used_seconds == 0
    run(store, jira, mappings, OCT)  # the month read hands the issue over
    assert figures(store, mappings, "acme", OCT).used_seconds == 3600
