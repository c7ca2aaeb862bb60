"""Publishing against an in-memory Jira: the branches the sandbox cannot stage cheaply (a crash
between adding a file and deleting the old one, another daemon holding the create, the issue
type fallback), and the calls each run costs."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from csp_jira_sync.delivery import journal
from csp_jira_sync.delivery.once import Defer
from csp_jira_sync.errors import ConfigError, JiraTransient
from csp_jira_sync.jira.model import IssueDraft
from csp_jira_sync.reports.publish import (
    KIND,
    ReportPublisher,
    choose_issue_type,
    reference_label,
    subject_of,
)
from csp_jira_sync.store import Store
from tests.reports.documents import report
from tests.support.fake_reports_gateway import FakeReportsGateway

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


def _publisher(store: Store, jira: FakeReportsGateway) -> ReportPublisher:
    return ReportPublisher(
        store, jira, project="CSP", issue_type="Report", now=lambda: NOW, settle=timedelta(60)
    )


@pytest.mark.parametrize(
    ("wanted", "offered", "chosen"),
    [
        ("Report", ("Task", "Report"), "Report"),
        ("report", ("Task", "Report"), "Report"),
        ("Report", ("Bug", "task"), "task"),
    ],
)
def test_issue_type_is_the_mapped_one_where_offered_else_task(
    wanted: str, offered: tuple[str, ...], chosen: str
) -> None:
    assert choose_issue_type(wanted, offered) == chosen


def test_a_project_with_neither_type_is_an_error_naming_the_setting() -> None:
    # The product's own error, so that the CLI shows it as one instead of a traceback.
    with pytest.raises(ConfigError, match=r"issue_types\.report"):
        choose_issue_type("Report", ("Bug", "Epic"))


def test_a_crash_between_adding_and_deleting_leaves_the_chart_and_the_next_run_tidies(
    sqlite_store: Store,
) -> None:
    jira = FakeReportsGateway()
    publisher = _publisher(sqlite_store, jira)
    issue = publisher.publish(report(run=1)).issue
    jira.fail_on.add("detach")
    with pytest.raises(JiraTransient):
        publisher.publish(report(run=2))
    names = sorted(a.filename for a in jira.issues[issue.key].attachments)
    assert names == [
        "trends-acme-2026-W47.csv",
        "trends-acme-2026-W47.png",
        "trends-acme-2026-W47.png",
    ]
    publisher.publish(report(run=3))
    assert sorted(a.filename for a in jira.issues[issue.key].attachments) == [
        "trends-acme-2026-W47.csv",
        "trends-acme-2026-W47.png",
    ]
    assert jira.calls["create"] == 1


def test_a_rerun_costs_no_search_and_no_create_metadata(sqlite_store: Store) -> None:
    jira = FakeReportsGateway()
    publisher = _publisher(sqlite_store, jira)
    publisher.publish(report(run=1))
    first_run = dict(jira.calls)
    jira.calls.clear()
    _publisher(sqlite_store, jira).publish(report(run=2))
    assert first_run["create"] == 1 and first_run["createmeta"] == 1
    assert "create" not in jira.calls and "createmeta" not in jira.calls
    assert "search" not in jira.calls
    assert jira.calls["attach"] == 2 and jira.calls["detach"] == 2


def test_a_create_another_daemon_holds_is_deferred_not_doubled(sqlite_store: Store) -> None:
    jira = FakeReportsGateway()
    document = report()
    with sqlite_store.transaction("test: another daemon's claim") as conn:
        journal.claim_create(
            conn, KIND, subject_of(document), 0, reference_label(document), NOW, previous_start=None
        )
    with pytest.raises(Defer):
        _publisher(sqlite_store, jira).publish(document)
    assert jira.calls["create"] == 0


def test_a_create_that_landed_before_a_crash_is_found_by_its_label(sqlite_store: Store) -> None:
    jira = FakeReportsGateway()
    document = report()
    earlier = NOW - timedelta(minutes=5)
    with sqlite_store.transaction("test: a crashed create") as conn:
        journal.claim_create(
            conn,
            KIND,
            subject_of(document),
            0,
            reference_label(document),
            earlier,
            previous_start=None,
        )
    landed = jira.add_issue(IssueDraft("CSP", "Report", document.summary, "", document.labels))
    published = _publisher(sqlite_store, jira).publish(document)
    assert published.issue == landed
    assert published.new is False
    assert jira.calls["create"] == 0


def test_a_document_without_labels_is_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="reference label"):
        reference_label(replace(report(), labels=()))


def test_a_report_deleted_in_jira_is_raised_again_once(sqlite_store: Store) -> None:
    jira = FakeReportsGateway()
    publisher = _publisher(sqlite_store, jira)
    gone = publisher.publish(report(run=1)).issue
    del jira.issues[gone.key]
    again = publisher.publish(report(run=2))
    assert again.new is True
    assert again.issue != gone
    assert publisher.publish(report(run=3)).issue == again.issue
    assert jira.calls["create"] == 2


def test_an_old_attachment_someone_removed_meanwhile_is_no_failure(sqlite_store: Store) -> None:
    jira = FakeReportsGateway()
    publisher = _publisher(sqlite_store, jira)
    issue = publisher.publish(report(run=1)).issue
    stale = list(jira.issues[issue.key].attachments)
    jira.issues[issue.key].attachments.clear()  # a person removed both files
    jira.attachments = lambda _issue: stale  # type: ignore[method-assign,assignment]  # read earlier
    published = publisher.publish(report(run=2))
    assert published.removed == 0
    assert len(jira.issues[issue.key].attachments) == 2


def test_a_long_summary_is_cut_to_jiras_limit(sqlite_store: Store) -> None:
    jira = FakeReportsGateway()
    long = replace(report(), summary="Trends " + "x" * 300)
    issue = _publisher(sqlite_store, jira).publish(long).issue
    assert len(jira.issues[issue.key].summary) == 255
    assert len(jira.issues[issue.key].draft.summary) == 255
