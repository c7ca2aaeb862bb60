"""The data a JQL query runs over: the searchable view of an issue, and the search context.

The sandbox server builds these from its state; the JQL engine never sees the server's own
objects, so it stays a pure function of (query, docs, context).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

# Jira's priority schemes, highest first: the Cloud default (Highest..Lowest) interleaved with
# the legacy Server one (Blocker..Trivial). `priority > Medium` and `ORDER BY priority` follow
# this order when the server does not pass its own.
DEFAULT_PRIORITY_ORDER: tuple[str, ...] = (
    "Highest",
    "Blocker",
    "High",
    "Critical",
    "Medium",
    "Major",
    "Low",
    "Minor",
    "Lowest",
    "Trivial",
)

SUNDAY = 6  # datetime.weekday() numbering


@dataclass(frozen=True, slots=True)
class UserRef:
    """A user as JQL sees it: any of the four names matches `assignee = ...`."""

    account_id: str
    name: str
    email: str
    display_name: str


@dataclass(frozen=True, slots=True)
class IssueDoc:
    """The searchable view of one issue, built by the server."""

    id: int
    key: str
    project_key: str
    project_id: int
    issuetype: str
    status: str
    status_category: str  # "To Do" | "In Progress" | "Done"
    labels: tuple[str, ...]
    summary: str
    description: str  # plain text (the server flattens ADF / wiki markup)
    comments: tuple[str, ...]  # plain-text bodies
    created: datetime  # aware
    updated: datetime  # aware
    resolutiondate: datetime | None
    resolution: str | None
    priority: str | None
    assignee: UserRef | None
    reporter: UserRef | None
    # When each of the issue's worklogs started, epoch milliseconds, for `worklogDate` (plain
    # ints: the doc is rebuilt on every write, and an issue may carry thousands of worklogs).
    worklog_started_ms: tuple[int, ...] = ()


@dataclass(frozen=True)
class JqlContext:
    """What a query needs besides the issues: the clock, the searcher's time zone and identity.

    `now` must be aware. Date literals without an offset ("2026-11-01 10:00") are read in
    `timezone`, as Jira reads them in the searching user's time zone (airbyte #48492 skipped
    records by assuming UTC). `first_day_of_week` drives startOfWeek()/endOfWeek(); Jira takes it
    from the user's locale and its default locale (en_US) starts weeks on Sunday.

    `priority_order` lists priority names highest first (`priority > Medium`, ORDER BY).
    `value_aliases` lets a query name things the way Jira allows but IssueDoc does not carry:
    per field ("project", "issuetype", "status", "priority", "resolution"), other spellings
    (an id, a project's name) mapped to the value the doc holds, e.g.
    {"status": {"10001": "In Progress"}, "project": {"CSP Service": "CSP"}}. Keys compare
    case-insensitively.
    """

    now: datetime
    timezone: tzinfo
    current_user: UserRef | None
    first_day_of_week: int = SUNDAY
    priority_order: tuple[str, ...] = DEFAULT_PRIORITY_ORDER
    value_aliases: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
