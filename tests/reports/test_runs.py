"""Report runs: which periods are due, and a scheduled pass that raises each report once and
then costs nothing in Jira until the next period ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from csp_jira_sync.config.mappings import Mappings, load_mappings
from csp_jira_sync.reports.document import ReportDocument
from csp_jira_sync.reports.runs import (
    ReportContext,
    due_periods,
    publish_documents,
    scheduled_reports,
)
from csp_jira_sync.store import Store
from tests.reports.documents import report
from tests.support.fake_reports_gateway import FakeReportsGateway

MAPPINGS_DIR = Path(__file__).resolve().parents[2] / "mappings"


@pytest.mark.parametrize(
    ("now", "week", "month"),
    [
        # Tuesday: the week that ended on Sunday is a day old.
        (datetime(2026, 11, 24, 10, 0, tzinfo=UTC), "2026-W47", "2026-10"),
        # Monday morning: that week ended hours ago in UTC (and not yet everywhere): not due.
        (datetime(2026, 11, 23, 10, 0, tzinfo=UTC), "2026-W46", "2026-10"),
        # 2 December: November ended a day ago.
        (datetime(2026, 12, 2, 0, 0, tzinfo=UTC), "2026-W48", "2026-11"),
        (datetime(2026, 12, 1, 12, 0, tzinfo=UTC), "2026-W48", "2026-10"),
        # ISO week years: 2027-01-01 is in 2026-W53.
        (datetime(2027, 1, 5, 9, 0, tzinfo=UTC), "2026-W53", "2026-12"),
    ],
)
def test_the_due_week_and_month_are_the_last_to_have_ended_a_day_ago(
    now: datetime, week: str, month: str
) -> None:
    assert due_periods(now) == {"week": week, "month": month}


@pytest.fixture(scope="module")
def mappings() -> Mappings:
    return load_mappings(MAPPINGS_DIR)


def _context(
    store: Store, jira: FakeReportsGateway, mappings: Mappings, now: datetime
) -> ReportContext:
    return ReportContext(
        store=store,
        gateway=jira,
        mappings=mappings,
        project="CSP",
        report_issue_type="Report",
        filter_group=None,
        now=lambda: now,
        settle=timedelta(seconds=60),
    )


def test_a_customer_report_links_its_filters_and_the_all_customer_report_none(
    sqlite_store: Store, mappings: Mappings
) -> None:
    jira = FakeReportsGateway()
    ctx = _context(sqlite_store, jira, mappings, datetime(2026, 11, 24, tzinfo=UTC))
    outcomes = publish_documents(ctx, [report(scope="acme"), report(scope="all")])
    assert outcomes == {"created": 2}
    by_scope = {i.draft.summary.split()[2]: i for i in jira.issues.values()}
    assert "h3. Saved filters" in by_scope["acme"].wiki
    assert "open escalations" in by_scope["acme"].wiki
    assert "Saved filters" not in by_scope["all"].wiki
    assert len(jira.filters) == 3


def test_the_scheduled_pass_raises_each_due_report_once(
    sqlite_store: Store, mappings: Mappings
) -> None:
    jira = FakeReportsGateway()
    asked: list[tuple[str, str]] = []

    def source(kind: str, label: str) -> list[ReportDocument]:
        asked.append((kind, label))
        scopes = [*sorted(mappings.customers), "all"]
        return [report(scope=scope, period=label) for scope in scopes]

    ctx = _context(sqlite_store, jira, mappings, datetime(2026, 12, 2, 6, tzinfo=UTC))
    first = scheduled_reports(ctx, source)
    scopes = len(mappings.customers) + 1
    assert first == {"created": 2 * scopes}
    assert asked == [("week", "2026-W48"), ("month", "2026-11")]
    jira.calls.clear()
    second = scheduled_reports(ctx, source)
    assert second == {"already raised": 2 * scopes}
    assert len(asked) == 2  # nothing computed again
    assert sum(jira.calls.values()) == 0  # and nothing asked of Jira


def test_filters_jira_refuses_leave_the_report_without_links_but_raised(
    sqlite_store: Store, mappings: Mappings
) -> None:
    jira = FakeReportsGateway()
    jira.refuse_on.add("filter_share")
    ctx = _context(sqlite_store, jira, mappings, datetime(2026, 11, 24, tzinfo=UTC))
    assert publish_documents(ctx, [report(scope="acme")]) == {"filters refused": 1, "created": 1}
    [issue] = jira.issues.values()
    assert "Saved filters" not in issue.wiki


def test_a_report_jira_refuses_does_not_stop_the_others(
    sqlite_store: Store, mappings: Mappings
) -> None:
    jira = FakeReportsGateway()
    jira.refuse_on.add("attach")
    ctx = _context(sqlite_store, jira, mappings, datetime(2026, 11, 24, tzinfo=UTC))
    outcomes = publish_documents(ctx, [report(scope="all"), report(scope="all", period="2026-W48")])
    assert outcomes == {"refused": 2}
    assert jira.calls["attach"] == 2  # the second was tried after the first was refused
