"""The Jira calls that raising reports, keeping saved filters and recording Problems depend on
(issue 9), as a Protocol beside the delivery core's `port.Gateway`: `JiraGateway` satisfies
both (mypy checks that at the bottom of `gateway.py`), and the unit tests put an in-memory fake
behind it (`tests/support/fake_reports_gateway.py`).

Pure: only the shapes of issues, attachments and filters; no HTTP.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from csp_jira_sync.jira.model import IssueDraft, IssueLink, IssueRef


@dataclass(frozen=True, slots=True)
class AttachmentInfo:
    id: str
    filename: str
    size: int


@dataclass(frozen=True, slots=True)
class FilterShare:
    """Who a saved filter is shared with: a project (by id) or a group (by name)."""

    type: str  # "project" or "group"
    value: str  # the project id or the group name


@dataclass(frozen=True, slots=True)
class SavedFilter:
    id: str
    name: str
    jql: str
    description: str
    shares: tuple[FilterShare, ...]
    view_url: str


class ReportsGateway(Protocol):
    """Failures are raised as `JiraTransient` (with `may_have_landed`) or `JiraPermanent`."""

    # -- the report and Problem issues -------------------------------------------------------

    def create_issue(self, draft: IssueDraft) -> IssueRef: ...

    def find_by_label(self, label: str, *, reconcile: Sequence[str] = ()) -> list[IssueRef]: ...

    def project_issue_types(self, project: str) -> tuple[str, ...]:
        """The names of the issue types `project` offers on create (its create metadata)."""
        ...

    def set_summary_and_description(
        self, issue: IssueRef, *, summary: str, wiki: str, adf: dict[str, Any]
    ) -> None:
        """One edit: the wiki string on REST v2, the ADF document on v3."""
        ...

    def edit_labels(
        self, issue: IssueRef, *, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> None: ...

    # -- attachments -------------------------------------------------------------------------

    def attachments(self, issue: IssueRef) -> list[AttachmentInfo]:
        """The issue's attachments, oldest first (`fields.attachment`)."""
        ...

    def add_attachment(
        self, issue: IssueRef, *, filename: str, content: bytes, media_type: str
    ) -> AttachmentInfo: ...

    def delete_attachment(self, attachment_id: str) -> None: ...

    # -- links -------------------------------------------------------------------------------

    def linked_issue_keys(self, issue: IssueRef) -> frozenset[str]:
        """The keys of every issue linked to `issue`, either direction (read consistently)."""
        ...

    def link(self, issue: IssueRef, link: IssueLink) -> None: ...

    # -- saved filters -----------------------------------------------------------------------

    def get_filter(self, filter_id: str) -> SavedFilter | None:
        """The filter, or None when it no longer exists or is not visible to us."""
        ...

    def find_filter(self, name: str) -> SavedFilter | None:
        """Our filter named exactly `name` (Cloud: `/filter/search`; DC: our favourites)."""
        ...

    def create_filter(self, *, name: str, jql: str, description: str) -> SavedFilter: ...

    def update_filter(
        self, filter_id: str, *, name: str, jql: str, description: str
    ) -> SavedFilter: ...

    def share_filter(self, filter_id: str, share: FilterShare) -> None: ...

    def project_id(self, project: str) -> str:
        """The id of the project with this key (sharing names projects by id)."""
        ...
