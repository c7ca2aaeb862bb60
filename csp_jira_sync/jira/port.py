"""The Jira calls the delivery core (`delivery/once.py`) and the triage pass depend on, as a
Protocol: `JiraGateway` satisfies it (mypy checks that at the bottom of `gateway.py`), and the
unit tests put an in-memory fake behind it (`tests/support/fake_gateway.py`), so every branch of
exactly-once delivery is tested without timing a real Jira.

Pure: it imports only the issue shapes, so the core may name it without loading HTTP code.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from csp_jira_sync.jira.model import FoundIssue, IssueDraft, IssueRef


class IssueCreator(Protocol):
    """All that `create_once` calls: a create, and a look by reference label before a second
    one. Both `Gateway` and the reports' `ReportsGateway` satisfy it."""

    def create_issue(self, draft: IssueDraft) -> IssueRef: ...

    def find_by_label(self, label: str, *, reconcile: Sequence[str] = ()) -> list[IssueRef]: ...


class Gateway(Protocol):
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

    def transition_to(self, issue: IssueRef, status: str, *, comment: str | None = None) -> bool:
        """Move `issue` to `status` carrying `comment`; False when no transition leads there."""
        ...

    def search(
        self,
        jql: str,
        *,
        fields: Sequence[str] = ...,
        reconcile: Sequence[str] = (),
        page_size: int = ...,
    ) -> Iterator[FoundIssue]: ...

    def edit_labels(
        self, issue: IssueRef, *, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> None: ...
