"""The Jira calls the delivery core (`delivery/once.py`) and the triage pass depend on, as a
Protocol: `JiraGateway` satisfies it (mypy checks that at the bottom of `gateway.py`), and the
unit tests put an in-memory fake behind it (`tests/support/fake_gateway.py`), so every branch of
exactly-once delivery is tested without timing a real Jira. `JqlSearch` is the search every
port shares; `IssueSearch` adds the deployment, which the jobs that read Jira need, and the
reconciliation's `ReconcileGateway` adds its other calls to that.

Pure: it imports only the issue shapes, so the core may name it without loading HTTP code.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from csp_jira_sync.jira.model import FoundIssue, IssueDraft, IssueLink, IssueRef


class IssueCreator(Protocol):
    """All that `create_once` calls: a create, and a look by reference label before a second
    one. Both `Gateway` and the reports' `ReportsGateway` satisfy it."""

    def create_issue(self, draft: IssueDraft) -> IssueRef: ...

    def find_by_label(self, label: str, *, reconcile: Sequence[str] = ()) -> list[IssueRef]: ...


class JqlSearch(Protocol):
    def search(
        self,
        jql: str,
        *,
        fields: Sequence[str] = ...,
        reconcile: Sequence[str] = (),
        page_size: int = ...,
    ) -> Iterator[FoundIssue]:
        """Every issue matching `jql`, page by page, as Jira's (eventually consistent) index
        sees it; on Cloud the ids in `reconcile` are read through the index lag."""
        ...


class IssueSearch(JqlSearch, Protocol):
    """The search, and which deployment answers it: what the jobs that read Jira
    (reconciliation, allowance, reports) depend on."""

    @property
    def deployment(self) -> str:
        """ "cloud" or "datacenter": Cloud's search reads `reconcileIssues` through the index
        lag; Data Center's does not, so a known issue the search misses is read by id."""
        ...


class Gateway(JqlSearch, Protocol):
    """What `create_once`, `apply_once` and `run_triage_pass` call. Failures are raised as
    `JiraTransient` (with `may_have_landed`) or `JiraPermanent` from `csp_jira_sync.errors`."""

    def create_issue(self, draft: IssueDraft) -> IssueRef:
        """One create; a failure that may have landed is not retried (the caller looks first)."""
        ...

    def find_by_label(self, label: str, *, reconcile: Sequence[str] = ()) -> list[IssueRef]:
        """Issues carrying `label`, oldest first, as the (eventually consistent) index sees them."""
        ...

    def comments_containing(self, issue: IssueRef, marker: str) -> bool:
        """Whether a comment on `issue` contains `marker` (comments are read consistently)."""
        ...

    def add_comment(self, issue: IssueRef, body: str) -> None: ...

    def delete_comments_containing(self, issue: IssueRef, markers: Sequence[str]) -> int:
        """Delete the comments on `issue` that contain any of `markers` (the daemon's own, by
        their event markers); how many were deleted. Safe to repeat."""
        ...

    def transition_to(self, issue: IssueRef, status: str, *, comment: str | None = None) -> bool:
        """Move `issue` to `status` carrying `comment`; False when no transition leads there."""
        ...

    def edit_labels(
        self, issue: IssueRef, *, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> None: ...


# -- the nightly reconciliation's steps (issue 12) --------------------------------------------


@dataclass(frozen=True, slots=True)
class IssueComment:
    """One comment as Jira holds it: who wrote it, when (Jira's timestamp), and its text
    (wiki markup on v2, the plain text of the ADF on v3)."""

    id: str
    author: str
    created: str
    body: str


@dataclass(frozen=True, slots=True)
class LinkType:
    name: str
    inward: str
    outward: str


class ReconcileGateway(IssueSearch, Protocol):
    """What the duplicate, label and visibility steps (`reconcile/`) call. `JiraGateway`
    satisfies it (checked at the bottom of `gateway.py`)."""

    def get_issue(self, issue: IssueRef | str, fields: Sequence[str] = ...) -> FoundIssue:
        """One issue read by id (consistent, unlike search): `JiraPermanent` with status 404
        when it is deleted or hidden from us, 403 when we may no longer see it."""
        ...

    def issue_comments(self, issue: IssueRef) -> list[IssueComment]:
        """Every comment on the issue, oldest first (all pages)."""
        ...

    def issue_link_types(self) -> list[LinkType]: ...

    def link(self, issue: IssueRef, link: IssueLink) -> None:
        """`issue` <the type's outward description> `link.outward_issue_key`."""
        ...

    def close_issue(self, issue: IssueRef, *, comment: str | None) -> str | None:
        """Move `issue` to a status of Jira's done category, carrying `comment` in the same
        call; the status it moved to, or None when no transition from where it is leads there
        (or the transition screen wants a field the daemon does not set)."""
        ...

    def add_comment(self, issue: IssueRef, body: str) -> None: ...

    def edit_labels(
        self, issue: IssueRef, *, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> None: ...
