"""The Jira calls allowance enforcement makes: a small Protocol, so enforcement depends on
these six calls only (the gateway implements them; tests use the sandbox through the gateway)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from csp_jira_sync.jira.model import FoundIssue, IssueDraft, IssueRef


class AllowanceJira(Protocol):
    def create_issue(self, draft: IssueDraft) -> IssueRef: ...

    def find_by_label(self, label: str, *, reconcile: Sequence[str] = ()) -> list[IssueRef]: ...

    def search(self, jql: str, *, fields: Sequence[str] = ...) -> Iterator[FoundIssue]: ...

    def add_comment(self, issue: IssueRef, body: str) -> None: ...

    def comments_containing(self, issue: IssueRef, marker: str) -> bool: ...

    def edit_labels(
        self, issue: IssueRef, *, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> None: ...

    def edit_description(self, issue: IssueRef, description: str) -> None: ...

    def transition_to(
        self, issue: IssueRef, status: str, *, comment: str | None = None
    ) -> bool: ...
