"""Each customer's saved filters in the sandbox (Cloud and Data Center): created once, found
again by id or by name, kept current, shared once, and selecting what they say."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from csp_jira_sync.config.mappings import Mappings, load_mappings
from csp_jira_sync.jira.model import IssueDraft
from csp_jira_sync.reports.filters import ensure_customer_filters, share_target, specs_for
from csp_jira_sync.store import Store
from tests.support.contract import ContractRecorder
from tests.support.jira_target import BOTH_MODES, JiraTarget, on_jira

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
MAPPINGS_DIR = Path(__file__).resolve().parents[2] / "mappings"


@pytest.fixture(scope="module")
def mappings() -> Mappings:
    return load_mappings(MAPPINGS_DIR)


def _writes(rec: ContractRecorder) -> list[tuple[str, str]]:
    return [
        (e.method, e.operation or "")
        for e in rec.exchanges
        if e.method in ("POST", "PUT") and "filter" in (e.operation or "")
    ]


@BOTH_MODES
def test_filters_are_created_once_and_shared_once_across_runs(
    jira_target: JiraTarget,
    sqlite_store: Store,
    jira_contract: ContractRecorder,
    mappings: Mappings,
) -> None:
    gateway = jira_target.gateway
    acme = mappings.customer("acme")
    assert acme is not None
    specs = specs_for(acme, mappings, project="CSP")
    share = share_target(gateway, project="CSP", group=None)

    first = ensure_customer_filters(sqlite_store, gateway, specs, share=share, now=lambda: NOW)
    writes_after_first = len(_writes(jira_contract))
    second = ensure_customer_filters(sqlite_store, gateway, specs, share=share, now=lambda: NOW)

    assert [f.id for f in first] == [f.id for f in second]
    assert len(set(f.id for f in first)) == 3
    assert writes_after_first == 6  # three creates, three shares
    assert len(_writes(jira_contract)) == writes_after_first  # nothing written again
    assert all(f.shares == (share,) for f in second)


@BOTH_MODES
def test_a_lost_store_finds_the_filters_by_name_and_a_changed_jql_is_updated(
    jira_target: JiraTarget,
    sqlite_store: Store,
    tmp_path: Path,
    mappings: Mappings,
) -> None:
    gateway = jira_target.gateway
    acme = mappings.customer("acme")
    assert acme is not None
    specs = specs_for(acme, mappings, project="CSP")
    share = share_target(gateway, project="CSP", group="jira-software-users")
    first = ensure_customer_filters(sqlite_store, gateway, specs, share=share, now=lambda: NOW)

    changed = (replace(specs[0], jql=specs[0].jql.replace("ASC", "DESC")), *specs[1:])
    lost = Store.open(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    lost.migrate()
    try:
        again = ensure_customer_filters(lost, gateway, changed, share=share, now=lambda: NOW)
    finally:
        lost.close()
    assert [f.id for f in again] == [f.id for f in first]
    assert again[0].jql.endswith("created DESC")


@on_jira("cloud-v2")
def test_the_filters_select_the_customers_issues(
    jira_target: JiraTarget, sqlite_store: Store, mappings: Mappings
) -> None:
    gateway = jira_target.gateway
    acme = mappings.customer("acme")
    globex = mappings.customer("globex")
    assert acme is not None and globex is not None
    escalation = mappings.escalation_activity.label
    mine = gateway.create_issue(
        IssueDraft("CSP", "Incident", "Disk full", "d", ("csp", acme.label, escalation))
    )
    gateway.create_issue(
        IssueDraft("CSP", "Incident", "Disk full", "d", ("csp", globex.label, escalation))
    )
    specs = specs_for(acme, mappings, project="CSP")
    share = share_target(gateway, project="CSP", group=None)
    saved = ensure_customer_filters(sqlite_store, gateway, specs, share=share, now=lambda: NOW)
    open_escalations = [f.ref for f in gateway.search(saved[0].jql)]
    assert open_escalations == [mine]
    assert list(gateway.search(saved[2].jql)) == []
