"""An in-memory Jira behind the `ReportsGateway` Protocol (csp_jira_sync/jira/reports_port.py),
for unit tests of publishing, saved filters and Problems: issues with labels, descriptions,
attachments and links, and saved filters with their shares. Every call is counted in `calls`;
`fail_on` makes the named operation raise once (a crash or a lost answer at that point),
`refuse_on` makes it answer Jira's 400 every time."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from csp_jira_sync.errors import JiraPermanent, JiraTransient
from csp_jira_sync.jira.model import IssueDraft, IssueLink, IssueRef
from csp_jira_sync.jira.reports_port import AttachmentInfo, FilterShare, SavedFilter


@dataclass
class FakeReportIssue:
    ref: IssueRef
    draft: IssueDraft
    labels: list[str]
    summary: str
    wiki: str = ""
    adf: dict[str, Any] = field(default_factory=dict)
    attachments: list[AttachmentInfo] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (type, other key)


class FakeReportsGateway:
    def __init__(self, issue_types: Sequence[str] = ("Task", "Report", "Problem")) -> None:
        self.issue_types = tuple(issue_types)
        self.issues: dict[str, FakeReportIssue] = {}
        self.filters: dict[str, SavedFilter] = {}
        self.calls: Counter[str] = Counter()
        self.fail_on: set[str] = set()
        self.refuse_on: set[str] = set()  # the named operation answers 400 every time
        # The next this-many filter searches miss (another daemon's create not yet seen).
        self.missed_finds = 0
        self._next = 100

    def _call(self, operation: str) -> None:
        self.calls[operation] += 1
        if operation in self.fail_on:
            self.fail_on.discard(operation)
            raise JiraTransient(f"fake: {operation} failed", may_have_landed=False)
        if operation in self.refuse_on:
            raise JiraPermanent(f"fake: Jira refuses {operation}", status=400)

    def _id(self) -> str:
        self._next += 1
        return str(self._next)

    # -- issues ------------------------------------------------------------------------------

    def add_issue(self, draft: IssueDraft) -> IssueRef:
        number = len(self.issues) + 1
        ref = IssueRef(id=self._id(), key=f"{draft.project}-{number}")
        self.issues[ref.key] = FakeReportIssue(ref, draft, list(draft.labels), draft.summary)
        for link in draft.links:
            self._link(ref, link)
        return ref

    def create_issue(self, draft: IssueDraft) -> IssueRef:
        self._call("create")
        return self.add_issue(draft)

    def find_by_label(self, label: str, *, reconcile: Sequence[str] = ()) -> list[IssueRef]:
        self._call("search")
        return [i.ref for i in self.issues.values() if label in i.labels]

    def project_issue_types(self, project: str) -> tuple[str, ...]:
        self._call("createmeta")
        return self.issue_types

    def set_summary_and_description(
        self, issue: IssueRef, *, summary: str, wiki: str, adf: dict[str, Any]
    ) -> None:
        self._call("edit")
        if issue.key not in self.issues:
            raise JiraPermanent(
                "Issue does not exist or you do not have permission to see it.", status=404
            )
        found = self.issues[issue.key]
        found.summary, found.wiki, found.adf = summary, wiki, adf

    def edit_labels(
        self, issue: IssueRef, *, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> None:
        self._call("labels")
        labels = self.issues[issue.key].labels
        labels[:] = [label for label in labels if label not in remove]
        labels.extend(label for label in add if label not in labels)

    # -- attachments -------------------------------------------------------------------------

    def attachments(self, issue: IssueRef) -> list[AttachmentInfo]:
        self._call("attachments")
        return list(self.issues[issue.key].attachments)

    def add_attachment(
        self, issue: IssueRef, *, filename: str, content: bytes, media_type: str
    ) -> AttachmentInfo:
        self._call("attach")
        info = AttachmentInfo(self._id(), filename, len(content))
        self.issues[issue.key].attachments.append(info)
        return info

    def delete_attachment(self, attachment_id: str) -> None:
        self._call("detach")
        if not any(a.id == attachment_id for i in self.issues.values() for a in i.attachments):
            raise JiraPermanent(
                f"The attachment with id '{attachment_id}' does not exist.", status=404
            )
        for issue in self.issues.values():
            issue.attachments[:] = [a for a in issue.attachments if a.id != attachment_id]

    # -- links -------------------------------------------------------------------------------

    def _link(self, issue: IssueRef, link: IssueLink) -> None:
        self.issues[issue.key].links.append((link.type_name, link.outward_issue_key))
        self.issues[link.outward_issue_key].links.append((link.type_name, issue.key))

    def linked_issue_keys(self, issue: IssueRef) -> frozenset[str]:
        self._call("links")
        if issue.key not in self.issues:
            raise JiraPermanent(
                "Issue does not exist or you do not have permission to see it.", status=404
            )
        return frozenset(key for _, key in self.issues[issue.key].links)

    def link(self, issue: IssueRef, link: IssueLink) -> None:
        self._call("link")
        if link.type_name not in ("Relates", "Blocks"):
            raise JiraPermanent(
                f"No issue link type with name '{link.type_name}' found.", status=404
            )
        self._link(issue, link)

    # -- saved filters -----------------------------------------------------------------------

    def get_filter(self, filter_id: str) -> SavedFilter | None:
        self._call("filter_get")
        return self.filters.get(filter_id)

    def find_filter(self, name: str) -> SavedFilter | None:
        self._call("filter_find")
        if self.missed_finds:
            self.missed_finds -= 1
            return None
        return next(
            (f for f in self.filters.values() if f.name.casefold() == name.casefold()), None
        )

    def create_filter(self, *, name: str, jql: str, description: str) -> SavedFilter:
        self._call("filter_create")
        if any(f.name.casefold() == name.casefold() for f in self.filters.values()):
            # What Jira answers: filter names are unique per owner.
            raise JiraPermanent("Filter with same name already exists.", status=400)
        filter_id = self._id()
        saved = SavedFilter(filter_id, name, jql, description, (), f"http://fake/f/{filter_id}")
        self.filters[filter_id] = saved
        return saved

    def update_filter(
        self, filter_id: str, *, name: str, jql: str, description: str
    ) -> SavedFilter:
        self._call("filter_update")
        old = self.filters[filter_id]
        saved = SavedFilter(filter_id, name, jql, description, old.shares, old.view_url)
        self.filters[filter_id] = saved
        return saved

    def share_filter(self, filter_id: str, share: FilterShare) -> None:
        self._call("filter_share")
        old = self.filters[filter_id]
        self.filters[filter_id] = SavedFilter(
            old.id, old.name, old.jql, old.description, (*old.shares, share), old.view_url
        )

    def project_id(self, project: str) -> str:
        self._call("project")
        return "10000"
