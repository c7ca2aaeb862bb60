"""The shapes the core hands to the Jira gateway and gets back: no HTTP in here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class IssueRef:
    """An issue as the daemon remembers it. The id survives moves between projects; the key
    does not (jiralert #159 created duplicates after a move), so calls address issues by id."""

    id: str
    key: str


@dataclass(frozen=True, slots=True)
class IssueLink:
    type_name: str
    outward_issue_key: str


@dataclass(frozen=True, slots=True)
class IssueDraft:
    """Everything one create call carries: fields, labels, priority, properties and links, so a
    new issue costs one Jira call."""

    project: str
    issue_type: str
    summary: str
    description: str
    labels: tuple[str, ...]
    priority: str | None = None
    components: tuple[str, ...] = ()
    properties: dict[str, Any] = field(default_factory=dict)
    links: tuple[IssueLink, ...] = ()


@dataclass(frozen=True, slots=True)
class FoundIssue:
    ref: IssueRef
    labels: tuple[str, ...]
    status: str
    summary: str
    description: str
    created: str
    updated: str
    fields: dict[str, Any]


def jira_time(text: str) -> datetime | None:
    """Jira's timestamps: `2026-12-02T04:54:01.000+0000` (either deployment), the fraction
    optional; None for text that is not one."""
    for fmt in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def older_createmeta_types(answer: Any, project: str) -> list[dict[str, Any]]:
    """The issue types of `project` in the older create metadata's answer
    (`issue/createmeta?projectKeys=`: Data Center before 8.4, jira820): the `issuetypes` of
    the entry of `projects` whose key is `project`."""
    projects = (answer or {}).get("projects") or []
    return [
        issue_type
        for entry in projects
        if str(entry.get("key")) == project
        for issue_type in entry.get("issuetypes") or []
    ]
