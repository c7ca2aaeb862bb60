"""The sandbox's data: Jira's catalog (frozen) and issues with their parts (mutable).

Plain dataclasses with no HTTP in them; `render` turns them into Jira's JSON and `state` keeps
them with their indexes. Users are referred to by `name` everywhere (the Data Center username);
`render` shows the Cloud `accountId` or the Data Center `name`/`key` depending on the mode.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class User:
    name: str
    account_id: str
    display_name: str
    email: str
    token: str
    groups: tuple[str, ...]
    time_zone: str = "UTC"
    active: bool = True


@dataclass(frozen=True)
class IssueType:
    id: str
    name: str
    description: str = ""
    subtask: bool = False


@dataclass(frozen=True)
class Priority:
    id: str
    name: str
    description: str = ""
    status_color: str = "#cfcfcf"


@dataclass(frozen=True)
class StatusCategory:
    id: int
    key: str
    name: str
    color_name: str


STATUS_CATEGORIES: dict[str, StatusCategory] = {
    "undefined": StatusCategory(1, "undefined", "No Category", "medium-gray"),
    "new": StatusCategory(2, "new", "To Do", "blue-gray"),
    "done": StatusCategory(3, "done", "Done", "green"),
    "indeterminate": StatusCategory(4, "indeterminate", "In Progress", "yellow"),
}


@dataclass(frozen=True)
class Status:
    id: str
    name: str
    category: StatusCategory
    description: str = ""


@dataclass(frozen=True)
class Resolution:
    id: str
    name: str
    description: str = ""


@dataclass(frozen=True)
class Component:
    id: str
    name: str
    description: str = ""


@dataclass(frozen=True)
class Project:
    id: str
    key: str
    name: str
    lead: str
    issue_type_ids: tuple[str, ...]
    components: tuple[Component, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class LinkType:
    id: str
    name: str
    inward: str
    outward: str


@dataclass(frozen=True)
class CustomField:
    """A custom field; `kind` is one of `string`, `textarea`, `number`, `labels`, `date`."""

    id: str
    name: str
    kind: str
    description: str = ""

    @property
    def numeric_id(self) -> int:
        return int(self.id.removeprefix("customfield_"))


@dataclass(frozen=True)
class Transition:
    """A workflow transition; empty `from_status_ids` makes it global (available everywhere)."""

    id: str
    name: str
    to_status_id: str
    from_status_ids: tuple[str, ...]
    screen_fields: tuple[str, ...] = ()
    resolution_id: str | None = None  # set on arrival in a done status unless the call sets one


@dataclass
class RichText:
    """A rich-text value: its plain text, and the ADF document when a v3 client sent one."""

    text: str
    adf: dict[str, Any] | None = None


@dataclass
class Comment:
    id: int
    issue_id: int
    author: str
    update_author: str
    body: RichText
    created_ms: int
    updated_ms: int
    visibility: dict[str, Any] | None = None
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass
class Worklog:
    id: int
    issue_id: int
    author: str
    update_author: str
    comment: RichText | None
    started_ms: int
    time_spent_seconds: int
    created_ms: int
    updated_ms: int
    visibility: dict[str, Any] | None = None
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass
class Attachment:
    id: int
    issue_id: int
    filename: str
    mime_type: str
    content: bytes
    author: str
    created_ms: int


@dataclass
class IssueLink:
    id: int
    type_id: str
    inward_issue_id: int
    outward_issue_id: int


@dataclass
class Issue:
    id: int
    key: str
    project_id: str
    issuetype_id: str
    summary: str
    status_id: str
    reporter: str | None
    creator: str
    created_ms: int
    updated_ms: int
    status_changed_ms: int
    description: RichText | None = None
    labels: list[str] = field(default_factory=list)
    priority_id: str | None = None
    resolution_id: str | None = None
    resolution_ms: int | None = None
    assignee: str | None = None
    duedate: str | None = None
    environment: RichText | None = None
    component_ids: list[str] = field(default_factory=list)
    original_estimate: int | None = None
    remaining_estimate: int | None = None
    custom: dict[str, Any] = field(default_factory=dict)
    properties: dict[str, Any] = field(default_factory=dict)
    watchers: list[str] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    worklogs: list[Worklog] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    link_ids: list[int] = field(default_factory=list)

    @property
    def time_spent(self) -> int:
        return sum(worklog.time_spent_seconds for worklog in self.worklogs)


@dataclass
class FilterShare:
    """One share permission of a saved filter: with a project, a group, or every logged-in user."""

    id: int
    type: str  # "project", "group", "loggedin", "global"
    project_id: str | None = None
    group: str | None = None


@dataclass
class SavedFilter:
    id: int
    name: str
    jql: str
    owner: str
    description: str = ""
    favourite: bool = True  # Jira makes a new filter a favourite of its owner
    shares: list[FilterShare] = field(default_factory=list)
