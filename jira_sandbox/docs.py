"""The bridge from the sandbox's issues to the JQL engine's documents and context."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jira_sandbox.jql.model import IssueDoc, JqlContext, UserRef
from jira_sandbox.model import Issue, User
from jira_sandbox.state import SandboxState


def user_ref(user: User) -> UserRef:
    return UserRef(
        account_id=user.account_id, name=user.name, email=user.email, display_name=user.display_name
    )


def _instant(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def make_doc(state: SandboxState[Any], issue: Issue) -> IssueDoc:
    """The searchable view of `issue` as it is now."""
    project = state.projects[issue.project_id]
    status = state.statuses[issue.status_id]
    assignee = state.users.get(issue.assignee) if issue.assignee else None
    reporter = state.users.get(issue.reporter) if issue.reporter else None
    resolution = state.resolutions.get(issue.resolution_id) if issue.resolution_id else None
    priority = state.priorities.get(issue.priority_id) if issue.priority_id else None
    return IssueDoc(
        id=issue.id,
        key=issue.key,
        project_key=project.key,
        project_id=int(project.id),
        issuetype=state.issue_types[issue.issuetype_id].name,
        status=status.name,
        status_category=status.category.name,
        labels=tuple(issue.labels),
        summary=issue.summary,
        description=issue.description.text if issue.description else "",
        comments=tuple(comment.body.text for comment in issue.comments),
        created=_instant(issue.created_ms),
        updated=_instant(issue.updated_ms),
        resolutiondate=_instant(issue.resolution_ms) if issue.resolution_ms else None,
        resolution=resolution.name if resolution else None,
        priority=priority.name if priority else None,
        assignee=user_ref(assignee) if assignee else None,
        reporter=user_ref(reporter) if reporter else None,
        worklog_started_ms=tuple(w.started_ms for w in issue.worklogs),
    )


def labels_of(doc: IssueDoc) -> tuple[str, ...]:
    """The keys of the label index: casefolded, as JQL compares labels case-insensitively."""
    return tuple(label.casefold() for label in doc.labels)


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def jql_context(state: SandboxState[Any], user: User | None) -> JqlContext:
    """The searching user's context: the sandbox clock and the user's time zone."""
    return JqlContext(
        now=state.clock.now(),
        timezone=_zone(user.time_zone if user else "UTC"),
        current_user=user_ref(user) if user else None,
        priority_order=tuple(priority.name for priority in state.priorities.values()),
    )
