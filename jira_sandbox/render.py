"""Jira's JSON for the sandbox's data, per API version and deployment mode.

v3 renders rich text (description, environment, comment bodies, worklog comments, textarea
custom fields) as ADF and v2 as strings. Cloud identifies users by `accountId` only (Atlassian's
GDPR changes removed `name`/`key`); Data Center by `name` and `key`. Every `self` link points at
the sandbox's own base URL, so clients that follow links (the jira package reloads resources
through `self`) stay on the sandbox.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from jira_sandbox.adf import text_to_adf
from jira_sandbox.config import Mode
from jira_sandbox.fielddefs import FieldDef, all_field_defs
from jira_sandbox.model import (
    Attachment,
    Comment,
    Component,
    Issue,
    IssueLink,
    IssueType,
    LinkType,
    Priority,
    Project,
    Resolution,
    RichText,
    Status,
    StatusCategory,
    Transition,
    User,
    Worklog,
)
from jira_sandbox.state import SandboxState
from jira_sandbox.timefmt import format_duration, format_ms

ISSUE_EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"
EMBEDDED_WORKLOG_LIMIT = 20  # Jira embeds at most 20 worklogs in an issue (pycontribs #1576)


@dataclass(frozen=True)
class FieldSelection:
    """Which fields to render: `fields` (ids) and whether the bean carries only id (and key)."""

    fields: frozenset[str]
    id_only: bool = False
    with_key: bool = True


def select_fields(tokens: Iterable[str], defs: dict[str, FieldDef], default: str) -> FieldSelection:
    """Jira's `fields` parameter: `*all`, `*navigable`, ids, `-id` exclusions, `id`, `key`.

    `default` (`*all`, `*navigable` or `id`) applies when nothing is asked for; exclusions alone
    start from the navigable fields.
    """
    requested = [token.strip() for raw in tokens for token in raw.split(",") if token.strip()]
    if not requested:
        requested = [default]
    includes = [token for token in requested if not token.startswith("-")]
    excludes = {token[1:] for token in requested if token.startswith("-")}
    navigable = {field_id for field_id, spec in defs.items() if spec.navigable}
    chosen: set[str] = set()
    if not includes:
        chosen |= navigable
    for token in includes:
        if token == "*all":
            chosen |= set(defs)
        elif token == "*navigable":
            chosen |= navigable
        elif token in defs:
            chosen.add(token)
    chosen.discard("issuekey")
    chosen -= excludes
    pseudo = {token for token in includes if token in ("id", "key")}
    if not chosen and pseudo:
        return FieldSelection(frozenset(), id_only=True, with_key="key" in pseudo)
    return FieldSelection(frozenset(chosen))


class Renderer:
    def __init__(self, state: SandboxState[Any], mode: Mode, base_url: str, version: int) -> None:
        self.state = state
        self.mode = mode
        self.base = base_url.rstrip("/")
        self.version = version
        self.api = f"{self.base}/rest/api/{version}"
        self.field_defs = {spec.id: spec for spec in all_field_defs(state.seed.custom_fields)}
        self._users: dict[str, dict[str, Any]] = {}

    # ---- catalog --------------------------------------------------------------------------

    def avatar_urls(self, kind: str, avatar_id: int) -> dict[str, str]:
        return {
            size: f"{self.base}/secure/{kind}avatar?size={label}&avatarId={avatar_id}"
            for size, label in (
                ("48x48", "large"),
                ("24x24", "small"),
                ("16x16", "xsmall"),
                ("32x32", "medium"),
            )
        }

    def user(self, user: User, *, full: bool = False) -> dict[str, Any]:
        if self.mode == "cloud":
            found: dict[str, Any] = {
                "self": f"{self.api}/user?accountId={quote(user.account_id)}",
                "accountId": user.account_id,
                "emailAddress": user.email,
            }
        else:
            found = {
                "self": f"{self.api}/user?username={quote(user.name)}",
                "name": user.name,
                "key": user.name,
                "emailAddress": user.email,
            }
        found.update(
            {
                "avatarUrls": self.avatar_urls("user", 10122),
                "displayName": user.display_name,
                "active": user.active,
                "timeZone": user.time_zone,
            }
        )
        if self.mode == "cloud":
            found["accountType"] = "atlassian"
        if full:
            found["locale"] = "en_US"
            found["groups"] = {
                "size": len(user.groups),
                "items": [{"name": group} for group in user.groups],
            }
            found["applicationRoles"] = {"size": 1, "items": []}
            found["expand"] = "groups,applicationRoles"
        return found

    def user_named(self, name: str | None) -> dict[str, Any] | None:
        """A user reference; users never change, so each is rendered once per response."""
        if name is None:
            return None
        cached = self._users.get(name)
        if cached is None:
            user = self.state.users.get(name)
            if user is None:
                return None
            cached = self._users[name] = self.user(user)
        return cached

    def issue_type(self, issue_type: IssueType) -> dict[str, Any]:
        slug = issue_type.name.lower().replace(" ", "")
        return {
            "self": f"{self.api}/issuetype/{issue_type.id}",
            "id": issue_type.id,
            "description": issue_type.description,
            "iconUrl": f"{self.base}/images/icons/issuetypes/{slug}.svg",
            "name": issue_type.name,
            "subtask": issue_type.subtask,
            "avatarId": 10300 + int(issue_type.id) % 100,
            "hierarchyLevel": -1 if issue_type.subtask else 0,
        }

    def component(self, component: Component) -> dict[str, Any]:
        return {
            "self": f"{self.api}/component/{component.id}",
            "id": component.id,
            "name": component.name,
            "description": component.description,
        }

    def project(self, project: Project, *, full: bool = False) -> dict[str, Any]:
        found: dict[str, Any] = {
            "self": f"{self.api}/project/{project.id}",
            "id": project.id,
            "key": project.key,
            "name": project.name,
            "projectTypeKey": "software",
            "simplified": False,
            "avatarUrls": self.avatar_urls("project", 10400),
        }
        if full:
            found.update(
                {
                    "expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
                    "description": project.description,
                    "lead": self.user_named(project.lead),
                    "components": [self.component(c) for c in project.components],
                    "issueTypes": [
                        self.issue_type(self.state.issue_types[type_id])
                        for type_id in project.issue_type_ids
                    ],
                    "assigneeType": "UNASSIGNED",
                    "versions": [],
                    "roles": {},
                    "style": "classic",
                    "isPrivate": False,
                    "properties": {},
                }
            )
        return found

    def status_category(self, category: StatusCategory) -> dict[str, Any]:
        return {
            "self": f"{self.api}/statuscategory/{category.id}",
            "id": category.id,
            "key": category.key,
            "colorName": category.color_name,
            "name": category.name,
        }

    def status(self, status: Status) -> dict[str, Any]:
        return {
            "self": f"{self.api}/status/{status.id}",
            "description": status.description,
            "iconUrl": f"{self.base}/images/icons/statuses/generic.png",
            "name": status.name,
            "id": status.id,
            "statusCategory": self.status_category(status.category),
        }

    def priority(self, priority: Priority) -> dict[str, Any]:
        return {
            "self": f"{self.api}/priority/{priority.id}",
            "statusColor": priority.status_color,
            "description": priority.description,
            "iconUrl": f"{self.base}/images/icons/priorities/{priority.name.lower()}.svg",
            "name": priority.name,
            "id": priority.id,
        }

    def resolution(self, resolution: Resolution) -> dict[str, Any]:
        return {
            "self": f"{self.api}/resolution/{resolution.id}",
            "id": resolution.id,
            "description": resolution.description,
            "name": resolution.name,
        }

    def link_type(self, link_type: LinkType) -> dict[str, Any]:
        return {
            "id": link_type.id,
            "name": link_type.name,
            "inward": link_type.inward,
            "outward": link_type.outward,
            "self": f"{self.api}/issueLinkType/{link_type.id}",
        }

    def transition(self, transition: Transition) -> dict[str, Any]:
        return {
            "id": transition.id,
            "name": transition.name,
            "to": self.status(self.state.statuses[transition.to_status_id]),
            "hasScreen": bool(transition.screen_fields),
            "isGlobal": not transition.from_status_ids,
            "isInitial": False,
            "isAvailable": True,
            "isConditional": False,
            "isLooped": False,
        }

    # ---- rich text ------------------------------------------------------------------------

    def rich(self, value: RichText | None) -> Any:
        if value is None:
            return None
        if self.version >= 3:
            return value.adf if value.adf is not None else text_to_adf(value.text)
        return value.text

    # ---- issue parts ----------------------------------------------------------------------

    def comment(self, comment: Comment, *, rendered: bool = False) -> dict[str, Any]:
        found: dict[str, Any] = {
            "self": f"{self.api}/issue/{comment.issue_id}/comment/{comment.id}",
            "id": str(comment.id),
            "author": self.user_named(comment.author),
            "body": self.rich(comment.body),
            "updateAuthor": self.user_named(comment.update_author),
            "created": format_ms(comment.created_ms),
            "updated": format_ms(comment.updated_ms),
            "jsdPublic": True,
        }
        if comment.visibility is not None:
            found["visibility"] = comment.visibility
        if rendered:
            found["renderedBody"] = _html(comment.body.text)
        return found

    def worklog(self, worklog: Worklog, *, with_properties: bool = False) -> dict[str, Any]:
        found: dict[str, Any] = {
            "self": f"{self.api}/issue/{worklog.issue_id}/worklog/{worklog.id}",
            "author": self.user_named(worklog.author),
            "updateAuthor": self.user_named(worklog.update_author),
            "created": format_ms(worklog.created_ms),
            "updated": format_ms(worklog.updated_ms),
            "started": format_ms(worklog.started_ms),
            "timeSpent": format_duration(worklog.time_spent_seconds),
            "timeSpentSeconds": worklog.time_spent_seconds,
            "id": str(worklog.id),
            "issueId": str(worklog.issue_id),
        }
        if worklog.comment is not None:
            found["comment"] = self.rich(worklog.comment)
        if worklog.visibility is not None:
            found["visibility"] = worklog.visibility
        if with_properties:
            found["properties"] = [
                {"key": key, "value": value} for key, value in worklog.properties.items()
            ]
        return found

    def attachment_content_url(self, attachment: Attachment) -> str:
        if self.mode == "cloud":
            return f"{self.api}/attachment/content/{attachment.id}"
        return f"{self.base}/secure/attachment/{attachment.id}/{quote(attachment.filename)}"

    def attachment(self, attachment: Attachment) -> dict[str, Any]:
        return {
            "self": f"{self.api}/attachment/{attachment.id}",
            "id": str(attachment.id),
            "filename": attachment.filename,
            "author": self.user_named(attachment.author),
            "created": format_ms(attachment.created_ms),
            "size": len(attachment.content),
            "mimeType": attachment.mime_type,
            "content": self.attachment_content_url(attachment),
        }

    def linked_issue(self, issue: Issue) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "summary": issue.summary,
            "status": self.status(self.state.statuses[issue.status_id]),
            "issuetype": self.issue_type(self.state.issue_types[issue.issuetype_id]),
        }
        if issue.priority_id:
            fields["priority"] = self.priority(self.state.priorities[issue.priority_id])
        return {
            "id": str(issue.id),
            "key": issue.key,
            "self": f"{self.api}/issue/{issue.id}",
            "fields": fields,
        }

    def issue_link(self, link: IssueLink) -> dict[str, Any]:
        """`/issueLink/{id}`: both ends."""
        return {
            "id": str(link.id),
            "self": f"{self.api}/issueLink/{link.id}",
            "type": self.link_type(self.state.link_types[link.type_id]),
            "inwardIssue": self.linked_issue(self.state.issues_by_id[link.inward_issue_id]),
            "outwardIssue": self.linked_issue(self.state.issues_by_id[link.outward_issue_id]),
        }

    def issue_link_from(self, link: IssueLink, issue: Issue) -> dict[str, Any]:
        """An `issuelinks` entry as seen from `issue`: the other end, inward or outward."""
        found: dict[str, Any] = {
            "id": str(link.id),
            "self": f"{self.api}/issueLink/{link.id}",
            "type": self.link_type(self.state.link_types[link.type_id]),
        }
        if link.inward_issue_id == issue.id:
            found["outwardIssue"] = self.linked_issue(
                self.state.issues_by_id[link.outward_issue_id]
            )
        else:
            found["inwardIssue"] = self.linked_issue(self.state.issues_by_id[link.inward_issue_id])
        return found

    def watchers(self, issue: Issue, viewer: User | None) -> dict[str, Any]:
        return {
            "self": f"{self.api}/issue/{issue.key}/watchers",
            "isWatching": viewer is not None and viewer.name in issue.watchers,
            "watchCount": len(issue.watchers),
            "watchers": [self.user_named(name) for name in issue.watchers],
        }

    # ---- issues ---------------------------------------------------------------------------

    def _time_tracking(self, issue: Issue) -> dict[str, Any]:
        found: dict[str, Any] = {}
        spent = issue.time_spent
        if issue.original_estimate is not None:
            found["originalEstimate"] = format_duration(issue.original_estimate)
            found["originalEstimateSeconds"] = issue.original_estimate
        if issue.remaining_estimate is not None:
            found["remainingEstimate"] = format_duration(issue.remaining_estimate)
            found["remainingEstimateSeconds"] = issue.remaining_estimate
        if spent:
            found["timeSpent"] = format_duration(spent)
            found["timeSpentSeconds"] = spent
        return found

    def _progress(self, issue: Issue) -> dict[str, Any]:
        spent = issue.time_spent
        total = spent + (issue.remaining_estimate or 0)
        found: dict[str, Any] = {"progress": spent, "total": total}
        if total:
            found["percent"] = round(spent * 100 / total)
        return found

    def field_value(self, issue: Issue, field_id: str, viewer: User | None) -> Any:
        state = self.state
        match field_id:
            case "summary":
                return issue.summary
            case "description":
                return self.rich(issue.description)
            case "environment":
                return self.rich(issue.environment)
            case "issuetype":
                return self.issue_type(state.issue_types[issue.issuetype_id])
            case "project":
                return self.project(state.projects[issue.project_id])
            case "status":
                return self.status(state.statuses[issue.status_id])
            case "priority":
                return (
                    self.priority(state.priorities[issue.priority_id])
                    if issue.priority_id
                    else None
                )
            case "labels":
                return list(issue.labels)
            case "assignee":
                return self.user_named(issue.assignee)
            case "reporter":
                return self.user_named(issue.reporter)
            case "creator":
                return self.user_named(issue.creator)
            case "created":
                return format_ms(issue.created_ms)
            case "updated":
                return format_ms(issue.updated_ms)
            case "resolution":
                if issue.resolution_id is None:
                    return None
                return self.resolution(state.resolutions[issue.resolution_id])
            case "resolutiondate":
                return format_ms(issue.resolution_ms) if issue.resolution_ms else None
            case "statuscategorychangedate":
                return format_ms(issue.status_changed_ms)
            case "duedate":
                return issue.duedate
            case "components":
                project = state.projects[issue.project_id]
                by_id = {component.id: component for component in project.components}
                return [self.component(by_id[c]) for c in issue.component_ids if c in by_id]
            case "timetracking":
                return self._time_tracking(issue)
            case "timeoriginalestimate":
                return issue.original_estimate
            case "timeestimate":
                return issue.remaining_estimate
            case "timespent":
                return issue.time_spent or None
            case "progress":
                return self._progress(issue)
            case "workratio":
                if not issue.original_estimate:
                    return -1
                return round(issue.time_spent * 100 / issue.original_estimate)
            case "comment":
                return {
                    "comments": [self.comment(comment) for comment in issue.comments],
                    "self": f"{self.api}/issue/{issue.id}/comment",
                    "maxResults": len(issue.comments),
                    "total": len(issue.comments),
                    "startAt": 0,
                }
            case "worklog":
                return {
                    "startAt": 0,
                    "maxResults": EMBEDDED_WORKLOG_LIMIT,
                    "total": len(issue.worklogs),
                    "worklogs": [self.worklog(w) for w in issue.worklogs[:EMBEDDED_WORKLOG_LIMIT]],
                }
            case "attachment":
                return [self.attachment(attachment) for attachment in issue.attachments]
            case "issuelinks":
                return [
                    self.issue_link_from(state.links_by_id[link_id], issue)
                    for link_id in issue.link_ids
                ]
            case "watches":
                return {
                    "self": f"{self.api}/issue/{issue.key}/watchers",
                    "watchCount": len(issue.watchers),
                    "isWatching": viewer is not None and viewer.name in issue.watchers,
                }
            case "votes":
                return {
                    "self": f"{self.api}/issue/{issue.key}/votes",
                    "votes": 0,
                    "hasVoted": False,
                }
            case "subtasks" | "fixVersions" | "versions":
                return []
            case "security" | "lastViewed":
                return None
        custom = state.custom_fields.get(field_id)
        if custom is None:
            return None
        value = issue.custom.get(field_id)
        if isinstance(value, RichText):
            return self.rich(value)
        return value

    def issue(
        self,
        issue: Issue,
        selection: FieldSelection,
        *,
        expand: frozenset[str] = frozenset(),
        properties: Iterable[str] = (),
        viewer: User | None = None,
    ) -> dict[str, Any]:
        if selection.id_only:
            bean: dict[str, Any] = {"id": str(issue.id)}
            if selection.with_key:
                bean["key"] = issue.key
            return bean
        ordered = [field_id for field_id in self.field_defs if field_id in selection.fields]
        fields = {field_id: self.field_value(issue, field_id, viewer) for field_id in ordered}
        bean = {
            "expand": ISSUE_EXPAND,
            "id": str(issue.id),
            "self": f"{self.api}/issue/{issue.id}",
            "key": issue.key,
        }
        wanted_properties = list(properties)
        if wanted_properties:
            keys = issue.properties if "*all" in wanted_properties else wanted_properties
            bean["properties"] = {
                key: issue.properties[key] for key in keys if key in issue.properties
            }
        if "renderedFields" in expand:
            bean["renderedFields"] = self.rendered_fields(issue, fields)
        if "names" in expand:
            bean["names"] = self.names(ordered)
        if "schema" in expand:
            bean["schema"] = self.schemas(ordered)
        if "transitions" in expand:
            bean["transitions"] = [
                self.transition(t)
                for t in self.state.transitions
                if not t.from_status_ids or issue.status_id in t.from_status_ids
            ]
        if "operations" in expand:
            bean["operations"] = {"linkGroups": []}
        if "editmeta" in expand:
            bean["editmeta"] = {"fields": {}}
        if "changelog" in expand:
            bean["changelog"] = {"startAt": 0, "maxResults": 0, "total": 0, "histories": []}
        bean["fields"] = fields
        return bean

    def names(self, field_ids: Iterable[str]) -> dict[str, str]:
        return {fid: self.field_defs[fid].name for fid in field_ids if fid in self.field_defs}

    def schemas(self, field_ids: Iterable[str]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for field_id in field_ids:
            spec = self.field_defs.get(field_id)
            if spec is not None and spec.schema is not None:
                found[field_id] = spec.schema
        return found

    def rendered_fields(self, issue: Issue, fields: dict[str, Any]) -> dict[str, Any]:
        """A minimal `renderedFields`: text fields as HTML paragraphs, dates as shown."""
        rendered: dict[str, Any] = {}
        for field_id in fields:
            if field_id == "description":
                rendered[field_id] = _html(issue.description.text) if issue.description else None
            elif field_id == "environment":
                rendered[field_id] = _html(issue.environment.text) if issue.environment else None
            elif field_id in ("created", "updated"):
                rendered[field_id] = fields[field_id]
            else:
                rendered[field_id] = None
        return rendered


def _html(text: str) -> str:
    return "".join(f"<p>{html.escape(block)}</p>" for block in text.split("\n\n") if block)
