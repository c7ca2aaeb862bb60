"""The allowance step re-reads every month the window touches through the allowance package's
own month read, and names each customer-month whose figures changed: an issue a person
relabelled changes no worklog, so only a month read sees it. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from csp_jira_sync.allowance.job import run_allowance_pass
from csp_jira_sync.allowance.months import Month
from csp_jira_sync.config.mappings import Mappings, load_mappings
from csp_jira_sync.reconcile.allowance_step import AllowanceStep, months_touched
from csp_jira_sync.reconcile.findings import Scope
from csp_jira_sync.store import Store
from tests.support.worklogs import InMemoryWorklogs

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
ACT = "csp-act-escalation-management"


@pytest.fixture(scope="module")
def mappings() -> Mappings:
    return load_mappings(ROOT / "mappings")


def _step(store: Store, jira: InMemoryWorklogs, mappings: Mappings) -> AllowanceStep:
    def run_pass(months: Collection[Month]) -> object:
        return run_allowance_pass(
            store, jira, None, mappings, clock=lambda: NOW, read_months=months
        )

    return AllowanceStep(store, mappings, run_pass)


def test_a_relabelled_issue_moves_the_hours_and_the_customer_month_is_named(
    store: Store, mappings: Mappings
) -> None:
    jira = InMemoryWorklogs(groups={"csp-staff": {"csp.alice"}})
    issue = jira.issue("CSP-1", "csp", ACT, "csp-customer-acme")
    jira.log(issue, "csp.alice", "2026-11-05T09:00:00+00:00", 7200)
    run_allowance_pass(store, jira, None, mappings, clock=lambda: NOW)
    jira.relabel(issue, "csp", ACT, "csp-customer-globex")  # a person fixes the customer

    scope = Scope(NOW - timedelta(days=1), NOW, dry_run=False)
    findings = _step(store, jira, mappings).run(scope)

    by_subject = {f.subject: f for f in findings}
    assert set(by_subject) == {"acme 2026-11", "globex 2026-11"}
    assert "2.00 h" in by_subject["acme 2026-11"].found
    assert by_subject["acme 2026-11"].found.endswith("Jira's worklogs say 0.00 h (ok)")
    assert all(f.outcome == "repaired" and not f.needs_person for f in findings)
    # Run again: the ledger agrees with Jira now.
    assert _step(store, jira, mappings).run(scope) == []


def test_a_dry_run_names_the_months_and_reads_nothing(store: Store, mappings: Mappings) -> None:
    jira = InMemoryWorklogs(groups={"csp-staff": {"csp.alice"}})
    scope = Scope(datetime(2026, 10, 30, tzinfo=UTC), NOW, dry_run=True)
    [finding] = _step(store, jira, mappings).run(scope)
    assert finding.outcome == "would-repair" and finding.subject == "2026-10, 2026-11"
    assert jira.calls == []


def test_the_months_of_backdated_worklogs_read_since_are_touched(
    store: Store, mappings: Mappings
) -> None:
    jira = InMemoryWorklogs(groups={"csp-staff": {"csp.alice"}})
    issue = jira.issue("CSP-1", "csp", ACT, "csp-customer-acme")
    logged = jira.log(issue, "csp.alice", "2026-08-14T09:00:00+00:00", 600)
    jira.edit(logged, updated=NOW - timedelta(minutes=30))  # logged half an hour ago, for August
    run_allowance_pass(store, jira, None, mappings, clock=lambda: NOW)
    since_an_hour = Scope(NOW - timedelta(hours=1), NOW, dry_run=False)
    assert months_touched(store, since_an_hour) == [Month(2026, 8), Month(2026, 11)]
    since_ten_minutes = Scope(NOW - timedelta(minutes=10), NOW, dry_run=False)
    assert months_touched(store, since_ten_minutes) == [Month(2026, 11)]


def test_without_a_worklog_reader_the_ledger_needs_a_person(
    store: Store, mappings: Mappings
) -> None:
    [finding] = AllowanceStep(store, mappings, None).run(Scope(NOW, NOW, dry_run=False))
    assert finding.needs_person
