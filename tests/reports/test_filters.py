"""Keeping a customer's saved filters against an in-memory Jira: the cases the sandbox does not
stage cheaply (a race with another daemon, a filter deleted in Jira) and the calls a run costs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from csp_jira_sync.config.mappings import Mappings, load_mappings
from csp_jira_sync.errors import JiraPermanent
from csp_jira_sync.jira.reports_port import FilterShare
from csp_jira_sync.reports.filter_specs import FilterSpec
from csp_jira_sync.reports.filters import ensure_customer_filters, ensure_filter, specs_for
from csp_jira_sync.store import Store
from tests.support.fake_reports_gateway import FakeReportsGateway

NOW = datetime(2026, 11, 30, tzinfo=UTC)
SHARE = FilterShare("project", "10000")
MAPPINGS_DIR = Path(__file__).resolve().parents[2] / "mappings"


@pytest.fixture(scope="module")
def specs() -> tuple[FilterSpec, ...]:
    mappings: Mappings = load_mappings(MAPPINGS_DIR)
    acme = mappings.customer("acme")
    assert acme is not None
    return specs_for(acme, mappings, project="CSP")


def test_a_filter_another_daemon_just_made_is_taken_not_made_twice(
    sqlite_store: Store, specs: tuple[FilterSpec, ...]
) -> None:
    jira = FakeReportsGateway()
    theirs = jira.create_filter(
        name=specs[0].name, jql=specs[0].jql, description=specs[0].description
    )
    jira.missed_finds = 1  # our look happened before their create
    ours = ensure_filter(sqlite_store, jira, specs[0], share=SHARE, now=lambda: NOW)
    assert ours.id == theirs.id
    assert len(jira.filters) == 1


def test_a_name_clash_with_a_filter_we_cannot_find_is_raised_not_hidden(
    sqlite_store: Store, specs: tuple[FilterSpec, ...]
) -> None:
    # e.g. on Data Center, where a filter someone removed from our favourites is not listed
    jira = FakeReportsGateway()
    jira.missed_finds = 2
    jira.create_filter(name=specs[0].name, jql="x", description="")
    with pytest.raises(JiraPermanent, match="mark that filter as a favourite"):
        ensure_filter(sqlite_store, jira, specs[0], share=SHARE, now=lambda: NOW)


def test_a_filter_deleted_in_jira_is_made_again(
    sqlite_store: Store, specs: tuple[FilterSpec, ...]
) -> None:
    jira = FakeReportsGateway()
    first = ensure_filter(sqlite_store, jira, specs[0], share=SHARE, now=lambda: NOW)
    del jira.filters[first.id]
    again = ensure_filter(sqlite_store, jira, specs[0], share=SHARE, now=lambda: NOW)
    assert again.id != first.id
    assert jira.filters[again.id].shares == (SHARE,)


def test_a_current_filter_costs_one_read(
    sqlite_store: Store, specs: tuple[FilterSpec, ...]
) -> None:
    jira = FakeReportsGateway()
    ensure_customer_filters(sqlite_store, jira, specs, share=SHARE, now=lambda: NOW)
    jira.calls.clear()
    ensure_customer_filters(sqlite_store, jira, specs, share=SHARE, now=lambda: NOW)
    assert dict(jira.calls) == {"filter_get": 3}
