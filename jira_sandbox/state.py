"""The sandbox's in-memory Jira: catalog, issues and their parts, with the indexes that keep
the API fast at 10,000 issues and 100,000 worklogs.

Indexes: issues by id and by key; worklogs by id; the worklog change feeds (updated, deleted)
ordered by time; comments, links and attachments by id; and the search index (with its label
index) that JQL runs on. One re-entrant lock guards everything: callers hold `state.lock` for
the whole of a request's work, so a request sees and leaves a consistent state.

This module keeps the data consistent; it does not validate Jira payloads (`fields`,
`issue_service` do) and knows nothing of HTTP.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from jira_sandbox.clock import SandboxClock
from jira_sandbox.errors import issue_not_found
from jira_sandbox.feed import ChangeFeed
from jira_sandbox.model import (
    Attachment,
    Comment,
    CustomField,
    Issue,
    IssueLink,
    IssueType,
    LinkType,
    Priority,
    Project,
    Resolution,
    SavedFilter,
    Status,
    Transition,
    User,
    Worklog,
)
from jira_sandbox.search_index import SearchIndex
from jira_sandbox.seed import Seed

D = TypeVar("D")

FIRST_ID = 10000


class SandboxState(Generic[D]):
    """`make_doc` turns an issue into the document JQL searches; `labels_of` reads its labels."""

    def __init__(
        self,
        seed: Seed,
        clock: SandboxClock,
        *,
        make_doc: Callable[[SandboxState[D], Issue], D],
        labels_of: Callable[[D], Iterable[str]],
        index_lag_ms: Callable[[], int] = lambda: 0,
    ) -> None:
        self.seed = seed
        self.clock = clock
        self.lock = threading.RLock()
        self._make_doc = make_doc
        self.search_index: SearchIndex[D] = SearchIndex(clock.now_ms, index_lag_ms, labels_of)
        self._load_catalog(seed)
        self.issues_by_id: dict[int, Issue] = {}
        self.issues_by_key: dict[str, Issue] = {}
        self.worklogs_by_id: dict[int, Worklog] = {}
        self.comments_by_id: dict[int, Comment] = {}
        self.links_by_id: dict[int, IssueLink] = {}
        self.attachments_by_id: dict[int, Attachment] = {}
        self.filters_by_id: dict[int, SavedFilter] = {}
        self.worklog_updates = ChangeFeed()
        self.worklog_deletions = ChangeFeed()
        self._next_id = FIRST_ID
        self._next_number: dict[str, int] = {}
        # Jira Cloud's user privacy ("GDPR strict") mode: users are named by accountId only.
        self.gdpr_strict = False

    def _load_catalog(self, seed: Seed) -> None:
        self.users: dict[str, User] = {user.name: user for user in seed.users}
        self._user_refs: dict[str, User] = {}
        for user in seed.users:
            for ref in (user.name, user.account_id, user.email):
                self._user_refs[ref.lower()] = user
        self._token_owner: dict[str, User] = {user.token: user for user in seed.users}
        self.projects: dict[str, Project] = {project.id: project for project in seed.projects}
        self._project_keys: dict[str, Project] = {p.key.upper(): p for p in seed.projects}
        self.issue_types: dict[str, IssueType] = {t.id: t for t in seed.issue_types}
        self.priorities: dict[str, Priority] = {p.id: p for p in seed.priorities}
        self.statuses: dict[str, Status] = {s.id: s for s in seed.statuses}
        self.resolutions: dict[str, Resolution] = {r.id: r for r in seed.resolutions}
        self.link_types: dict[str, LinkType] = {lt.id: lt for lt in seed.link_types}
        self.custom_fields: dict[str, CustomField] = {cf.id: cf for cf in seed.custom_fields}
        self.transitions: tuple[Transition, ...] = seed.transitions

    # ---- identity -------------------------------------------------------------------------

    def new_id(self) -> int:
        """Ids are unique across issues, comments, worklogs, links, attachments and filters."""
        value = self._next_id
        self._next_id += 1
        return value

    def next_key(self, project: Project) -> str:
        number = self._next_number.get(project.id, 0) + 1
        self._next_number[project.id] = number
        return f"{project.key}-{number}"

    # ---- catalog lookups ------------------------------------------------------------------

    def find_user(self, ref: str) -> User | None:
        """A user by name, account id or email (case-insensitive)."""
        return self._user_refs.get(ref.lower())

    def user_for_token(self, token: str) -> User | None:
        return self._token_owner.get(token)

    def find_project(self, ref: str) -> Project | None:
        """A project by id or key (case-insensitive key)."""
        return self.projects.get(ref) or self._project_keys.get(ref.upper())

    def find_by_id_or_name(self, table: dict[str, D2], ref: str) -> D2 | None:
        found = table.get(ref)
        if found is not None:
            return found
        lowered = ref.lower()
        for item in table.values():
            if getattr(item, "name", "").lower() == lowered:
                return item
        return None

    # ---- issues ---------------------------------------------------------------------------

    def issue(self, ref: str) -> Issue:
        """The issue with this id or key, or Jira's 404."""
        found = self.find_issue(ref)
        if found is None:
            raise issue_not_found()
        return found

    def find_issue(self, ref: str) -> Issue | None:
        if ref.isdigit():
            return self.issues_by_id.get(int(ref))
        return self.issues_by_key.get(ref.upper())

    def insert_issue(self, issue: Issue) -> None:
        self.issues_by_id[issue.id] = issue
        self.issues_by_key[issue.key] = issue
        self.reindex(issue)

    def reindex(self, issue: Issue, *, at_once: bool = False) -> None:
        doc = self._make_doc(self, issue)
        if at_once:
            self.search_index.put_now(issue.id, doc)
        else:
            self.search_index.put(issue.id, doc)

    def current_doc(self, issue: Issue) -> D:
        """The issue as JQL would see it with no index lag (for `reconcileIssues`)."""
        return self._make_doc(self, issue)

    def touch(self, issue: Issue) -> None:
        """Record a change to the issue: bump `updated` and queue it for the search index."""
        issue.updated_ms = max(self.clock.now_ms(), issue.created_ms)
        self.reindex(issue)

    def delete_issue(self, issue: Issue) -> None:
        now = self.clock.now_ms()
        for worklog in issue.worklogs:
            self._forget_worklog(worklog, now)
        for comment in issue.comments:
            self.comments_by_id.pop(comment.id, None)
        for attachment in issue.attachments:
            self.attachments_by_id.pop(attachment.id, None)
        for link_id in list(issue.link_ids):
            self.remove_link(link_id)
        del self.issues_by_id[issue.id]
        del self.issues_by_key[issue.key]
        self.search_index.remove(issue.id)

    # ---- worklogs -------------------------------------------------------------------------

    def add_worklog(self, issue: Issue, worklog: Worklog) -> None:
        issue.worklogs.append(worklog)
        self.worklogs_by_id[worklog.id] = worklog
        self.worklog_updates.record(worklog.id, worklog.updated_ms)

    def worklog_changed(self, worklog: Worklog) -> None:
        self.worklog_updates.record(worklog.id, worklog.updated_ms)

    def remove_worklog(self, issue: Issue, worklog: Worklog) -> None:
        issue.worklogs.remove(worklog)
        self._forget_worklog(worklog, self.clock.now_ms())

    def _forget_worklog(self, worklog: Worklog, now: int) -> None:
        self.worklogs_by_id.pop(worklog.id, None)
        self.worklog_updates.forget(worklog.id)
        self.worklog_deletions.record(worklog.id, now)

    # ---- comments, links, attachments ------------------------------------------------------

    def add_comment(self, issue: Issue, comment: Comment) -> None:
        issue.comments.append(comment)
        self.comments_by_id[comment.id] = comment

    def remove_comment(self, issue: Issue, comment: Comment) -> None:
        issue.comments.remove(comment)
        self.comments_by_id.pop(comment.id, None)

    def add_link(self, link: IssueLink) -> None:
        self.links_by_id[link.id] = link
        for issue_id in (link.inward_issue_id, link.outward_issue_id):
            self.issues_by_id[issue_id].link_ids.append(link.id)

    def remove_link(self, link_id: int) -> None:
        link = self.links_by_id.pop(link_id, None)
        if link is None:
            return
        for issue_id in (link.inward_issue_id, link.outward_issue_id):
            issue = self.issues_by_id.get(issue_id)
            if issue is not None and link_id in issue.link_ids:
                issue.link_ids.remove(link_id)

    def add_attachment(self, issue: Issue, attachment: Attachment) -> None:
        issue.attachments.append(attachment)
        self.attachments_by_id[attachment.id] = attachment

    def remove_attachment(self, attachment: Attachment) -> None:
        self.attachments_by_id.pop(attachment.id, None)
        issue = self.issues_by_id.get(attachment.issue_id)
        if issue is not None:
            issue.attachments.remove(attachment)

    # ---- lifecycle ------------------------------------------------------------------------

    def clear(self) -> None:
        """Forget every issue and its parts; the catalog stays."""
        self.issues_by_id.clear()
        self.issues_by_key.clear()
        self.worklogs_by_id.clear()
        self.comments_by_id.clear()
        self.links_by_id.clear()
        self.attachments_by_id.clear()
        self.filters_by_id.clear()
        self.worklog_updates = ChangeFeed()
        self.worklog_deletions = ChangeFeed()
        self.search_index.clear()
        self._next_id = FIRST_ID
        self._next_number.clear()


D2 = TypeVar("D2")
