"""Raising a report in the sandbox on Cloud v2, Cloud v3 and Data Center: the issue, its
description, its two attachments replaced on a re-run (one of each after two runs), never a
second report; every exchange held to Atlassian's contract."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from csp_jira_sync.jira.gateway import JiraGateway
from csp_jira_sync.jira.reports_port import SavedFilter
from csp_jira_sync.reports.publish import ReportPublisher
from csp_jira_sync.store import Store
from tests.reports.documents import report
from tests.support.contract import ContractRecorder
from tests.support.jira_target import EVERY_JIRA, JiraTarget, on_jira

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


def _publisher(store: Store, gateway: JiraGateway, issue_type: str = "Report") -> ReportPublisher:
    return ReportPublisher(
        store,
        gateway,
        project="CSP",
        issue_type=issue_type,
        now=lambda: NOW,
        settle=timedelta(seconds=60),
    )


def _raw_issue(gateway: JiraGateway, key: str) -> dict[str, Any]:
    raw: dict[str, Any] = gateway.read(
        f"issue/{key}", {"fields": "summary,description,labels,issuetype,attachment"}
    )
    fields: dict[str, Any] = raw["fields"]
    return fields


@EVERY_JIRA
def test_a_rerun_updates_the_one_report_and_replaces_its_png_and_csv(
    jira_target: JiraTarget, sqlite_store: Store
) -> None:
    gateway = jira_target.gateway
    publisher = _publisher(sqlite_store, gateway)
    saved = SavedFilter("10500", "CSP acme: open escalations", "jql", "", (), "http://j/f/1")

    first = publisher.publish(report(run=1), filters=[saved])
    second = publisher.publish(report(run=2), filters=[saved])

    assert (first.new, second.new) == (True, False)
    assert first.issue == second.issue
    assert (first.removed, second.removed) == (0, 2)
    assert gateway.find_by_label("csp-report-acme-2026-w47") == [first.issue]
    fields = _raw_issue(gateway, first.issue.key)
    assert fields["summary"] == "CSP trends acme 2026-W47"
    assert fields["issuetype"]["name"] == "Report"
    assert sorted(fields["labels"]) == [
        "csp-period-2026-w47",
        "csp-report",
        "csp-report-acme-2026-w47",
    ]
    if jira_target.api_version == "3":
        document = fields["description"]
        assert document["type"] == "doc"
        assert [node["type"] for node in document["content"]] == [
            "heading",
            "table",
            "heading",
            "bulletList",
        ]
        second_row = document["content"][1]["content"][1]
        assert [c["content"][0]["content"][0]["text"] for c in second_row["content"]] == [
            "P2",
            "5",
        ]
    else:
        assert "|P2|5|" in fields["description"]
        assert "* [CSP acme: open escalations|http://j/f/1]" in fields["description"]
    attachments = fields["attachment"]
    assert sorted(a["filename"] for a in attachments) == [
        "trends-acme-2026-W47.csv",
        "trends-acme-2026-W47.png",
    ]
    state = jira_target.running.sandbox.state
    with state.lock:
        stored = {a.filename: a.content for a in state.attachments_by_id.values()}
    assert stored["trends-acme-2026-W47.csv"] == b"severity,count\nP1,3\nP2,5\n"
    assert stored["trends-acme-2026-W47.png"].endswith(bytes([2]) * 40)


@on_jira("cloud-v2")
def test_each_scope_and_period_gets_its_own_report(
    jira_target: JiraTarget, sqlite_store: Store
) -> None:
    publisher = _publisher(sqlite_store, jira_target.gateway)
    keys = {
        publisher.publish(report(scope=scope, period=period)).issue.key
        for scope in ("acme", "all")
        for period in ("2026-W47", "2026-W48")
    }
    assert len(keys) == 4


@on_jira("cloud-v3")
def test_a_project_without_the_report_type_gets_a_task_read_from_create_metadata(
    jira_target: JiraTarget, sqlite_store: Store, jira_contract: ContractRecorder
) -> None:
    gateway = jira_target.gateway
    publisher = _publisher(sqlite_store, gateway, issue_type="Service Review")
    published = publisher.publish(report())
    publisher.publish(report(period="2026-W48"))
    assert _raw_issue(gateway, published.issue.key)["issuetype"]["name"] == "Task"
    createmeta = [e for e in jira_contract.exchanges if "createmeta" in (e.operation or "")]
    assert len(createmeta) == 1  # read once, not per report


@on_jira("cloud-v2")
def test_a_report_deleted_in_jira_by_hand_is_raised_again(
    jira_target: JiraTarget, sqlite_store: Store
) -> None:
    gateway = jira_target.gateway
    publisher = _publisher(sqlite_store, gateway)
    first = publisher.publish(report(run=1)).issue
    state = jira_target.running.sandbox.state
    with state.lock:
        state.delete_issue(state.issue(first.key))
    again = publisher.publish(report(run=2))
    assert again.new is True
    assert gateway.find_by_label("csp-report-acme-2026-w47") == [again.issue]
