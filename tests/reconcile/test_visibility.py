"""The visibility step and its shared detection (`classify_missing`): issues a search missed are
read by id, and only that read says deleted (404), forbidden (403), unlabelled (a person removed
the reference label) or unindexed (search lags behind); deleted ones are left to the
deleted-issues step; a source item the store no longer has is not reported; nothing is changed.
Against the sandbox (Cloud, and Data Center's index lag without `reconcileIssues`), and a small
fake for the 403 the sandbox has no permission model for."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from csp_jira_sync.config.references import ref_label
from csp_jira_sync.errors import JiraPermanent
from csp_jira_sync.jira.model import FoundIssue, IssueLink, IssueRef
from csp_jira_sync.jira.port import IssueComment, LinkType
from csp_jira_sync.reconcile.recorded import Recorded
from csp_jira_sync.reconcile.visibility import IssueVisibility
from csp_jira_sync.reconcile.visibility_decide import (
    ReadOutcome,
    classify_missing,
    missed_by_search,
)
from csp_jira_sync.store import Store
from tests.contract.clients import JiraHttp
from tests.reconcile.test_duplicates_sandbox import SCOPE, person_gateway, raise_issue, record
from tests.reconcile.test_labels_sandbox import accepted


def known(n: int) -> Recorded:
    return Recorded(
        "escalation",
        f"NOC-{n}",
        1,
        ref_label("escalation", f"NOC-{n}"),
        "created",
        IssueRef(str(100 + n), f"CSP-{n}"),
    )


@pytest.mark.parametrize(
    ("read", "why", "needs_person"),
    [
        ("not-found", "deleted", True),
        ("forbidden", "forbidden", True),
        ("found-without-label", "unlabelled", True),
        ("found", "unindexed", False),
    ],
)
def test_what_reading_a_missed_issue_answers_says_why_it_is_missing(
    read: ReadOutcome, why: str, needs_person: bool
) -> None:
    entries = [known(1), known(2)]
    missing = classify_missing(entries, found_ids={"101"}, reads={"102": read})
    assert [(m.known.subject, m.why, m.needs_person) for m in missing] == [
        ("NOC-2", why, needs_person)
    ]


def test_a_found_issue_is_not_missing_and_a_duplicate_with_its_label_does_not_hide_a_gone_one() -> (
    None
):
    entries = [known(1), known(2)]
    # The search found an issue carrying NOC-2's label, but not NOC-2's recorded issue.
    assert missed_by_search(entries, found_ids={"101", "999"}) == [known(2)]
    assert classify_missing(entries, {"101", "102"}, {}) == []


def test_a_missed_issue_that_was_not_read_is_a_mistake_said_clearly() -> None:
    with pytest.raises(KeyError, match="CSP-2 was missed by the search but not read by id"):
        classify_missing([known(2)], found_ids=set(), reads={})


def test_deleted_and_unlabelled_issues_are_told_apart_and_nothing_is_changed(
    sandbox: Any, store: Store
) -> None:
    gateway = person_gateway(sandbox, "2", "csp-sync")
    issues: dict[str, IssueRef] = {}
    for subject in ("NOC-1", "NOC-2", "NOC-3", "NOC-4"):
        issues[subject] = raise_issue(gateway, subject, ref_label("escalation", subject))
        record(store, "escalation", subject, issues[subject])
        if subject != "NOC-4":  # NOC-4's events are purged: its source item is gone
            accepted(store, "escalation", subject, "acme", severity="sev3")
    JiraHttp(sandbox.base_url).delete(f"/rest/api/2/issue/{issues['NOC-2'].key}")
    person_gateway(sandbox, "2").edit_labels(
        issues["NOC-3"], remove=[ref_label("escalation", "NOC-3")]
    )
    JiraHttp(sandbox.base_url).delete(f"/rest/api/2/issue/{issues['NOC-4'].key}")
    sandbox.admin.flush_index()
    before = sandbox.admin.issues()

    findings = IssueVisibility(gateway=gateway, store=store).run(SCOPE)

    assert [(f.subject, f.outcome, f.needs_person) for f in findings] == [
        (issues["NOC-3"].key, "reported", True)
    ]
    assert "no longer carries its reference label" in findings[0].found
    reported = IssueVisibility(gateway=gateway, store=store, report_deleted=True).run(SCOPE)
    assert sorted(f.subject for f in reported) == sorted([issues["NOC-2"].key, issues["NOC-3"].key])
    assert sandbox.admin.issues() == before


def test_on_data_center_an_issue_the_index_has_not_caught_up_with_is_not_a_persons_problem(
    sandbox_dc: Any, sqlite_store: Store
) -> None:
    gateway = person_gateway(sandbox_dc, "2", "csp-sync")
    sandbox_dc.admin.set_knobs(indexLagMs=600_000)
    fresh = raise_issue(gateway, "NOC-8", ref_label("escalation", "NOC-8"))
    record(sqlite_store, "escalation", "NOC-8", fresh)
    accepted(sqlite_store, "escalation", "NOC-8", "acme", severity="sev1")

    findings = IssueVisibility(gateway=gateway, store=sqlite_store).run(SCOPE)

    assert [(f.subject, f.outcome, f.needs_person) for f in findings] == [
        (fresh.key, "reported", False)
    ]
    assert "search does not show it" in findings[0].found


@dataclass
class ForbiddingJira:
    """Jira as a user who lost Browse permission on one issue sees it: search leaves it out,
    reading it answers 403. Only what the visibility step calls."""

    forbidden_id: str
    deployment: str = "cloud"

    def search(
        self,
        jql: str,
        *,
        fields: Sequence[str] = (),
        reconcile: Sequence[str] = (),
        page_size: int = 100,
    ) -> Iterator[FoundIssue]:
        return iter(())

    def get_issue(self, issue: IssueRef | str, fields: Sequence[str] = ()) -> FoundIssue:
        raise JiraPermanent(
            "You do not have the permission to see the specified issue.", status=403
        )

    def issue_comments(self, issue: IssueRef) -> list[IssueComment]:
        raise AssertionError("the visibility step reads no comments")

    def issue_link_types(self) -> list[LinkType]:
        raise AssertionError("the visibility step reads no link types")

    def link(self, issue: IssueRef, link: IssueLink) -> None:
        raise AssertionError("the visibility step is read-only")

    def close_issue(self, issue: IssueRef, *, comment: str | None) -> str | None:
        raise AssertionError("the visibility step is read-only")

    def add_comment(self, issue: IssueRef, body: str) -> None:
        raise AssertionError("the visibility step is read-only")

    def edit_labels(
        self, issue: IssueRef, *, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> None:
        raise AssertionError("the visibility step is read-only")


def test_an_issue_the_daemons_user_may_no_longer_see_needs_a_person(sqlite_store: Store) -> None:
    issue = IssueRef("10077", "CSP-77")
    record(sqlite_store, "request", "REQ-77", issue)
    accepted(sqlite_store, "request", "REQ-77", "globex")

    findings = IssueVisibility(gateway=ForbiddingJira(issue.id), store=sqlite_store).run(SCOPE)

    assert [(f.subject, f.needs_person) for f in findings] == [("CSP-77", True)]
    assert "403" in findings[0].found and "request REQ-77" in findings[0].found
