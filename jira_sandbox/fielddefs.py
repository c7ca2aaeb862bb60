"""The issue fields the sandbox knows, as `/field` lists them and `expand=names,schema` shows.

System fields carry Jira's ids, names, JQL clause names and schemas; the seed's custom fields
are added with the schema Jira gives their type (`customfield_NNNNN`, `cf[NNNNN]`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jira_sandbox.model import CustomField


@dataclass(frozen=True)
class FieldDef:
    id: str
    name: str
    schema: dict[str, Any] | None
    clause_names: tuple[str, ...]
    custom: bool = False
    navigable: bool = True
    orderable: bool = True
    searchable: bool = True

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "id": self.id,
            "key": self.id,
            "name": self.name,
            "custom": self.custom,
            "orderable": self.orderable,
            "navigable": self.navigable,
            "searchable": self.searchable,
            "clauseNames": list(self.clause_names),
        }
        if self.schema is not None:
            found["schema"] = self.schema
        return found


def _system(
    field_id: str,
    name: str,
    kind: str | None,
    clauses: tuple[str, ...],
    *,
    items: str | None = None,
    navigable: bool = True,
    orderable: bool = True,
    searchable: bool = True,
) -> FieldDef:
    schema: dict[str, Any] | None = None
    if kind is not None:
        schema = {"type": kind, "system": field_id}
        if items is not None:
            schema["items"] = items
    return FieldDef(field_id, name, schema, clauses, False, navigable, orderable, searchable)


SYSTEM_FIELDS: tuple[FieldDef, ...] = (
    _system("issuekey", "Key", None, ("id", "issue", "issuekey", "key"), orderable=False),
    _system("summary", "Summary", "string", ("summary",)),
    _system("description", "Description", "string", ("description",)),
    _system("environment", "Environment", "string", ("environment",)),
    _system("issuetype", "Issue Type", "issuetype", ("issuetype", "type")),
    _system("project", "Project", "project", ("project",), orderable=False),
    _system("status", "Status", "status", ("status",), orderable=False),
    _system("priority", "Priority", "priority", ("priority",)),
    _system("labels", "Labels", "array", ("labels",), items="string"),
    _system("assignee", "Assignee", "user", ("assignee",)),
    _system("reporter", "Reporter", "user", ("reporter",)),
    _system("creator", "Creator", "user", ("creator",), orderable=False),
    _system("created", "Created", "datetime", ("created", "createdDate"), orderable=False),
    _system("updated", "Updated", "datetime", ("updated", "updatedDate"), orderable=False),
    _system("resolution", "Resolution", "resolution", ("resolution",)),
    _system(
        "resolutiondate", "Resolved", "datetime", ("resolved", "resolutiondate"), orderable=False
    ),
    _system(
        "statuscategorychangedate",
        "Status Category Changed",
        "datetime",
        ("statusCategoryChangedDate",),
        orderable=False,
    ),
    _system("duedate", "Due date", "date", ("due", "duedate")),
    _system("components", "Components", "array", ("component",), items="component"),
    _system("timetracking", "Time tracking", "timetracking", (), navigable=False, searchable=False),
    _system(
        "timeoriginalestimate",
        "Original estimate",
        "number",
        ("originalEstimate", "timeoriginalestimate"),
        orderable=False,
    ),
    _system(
        "timeestimate",
        "Remaining Estimate",
        "number",
        ("remainingEstimate", "timeestimate"),
        orderable=False,
    ),
    _system("timespent", "Time Spent", "number", ("timespent",), orderable=False),
    _system("progress", "Progress", "progress", ("progress",), orderable=False),
    _system("workratio", "Work Ratio", "number", ("workratio",), orderable=False),
    _system("comment", "Comment", "comments-page", ("comment",), navigable=False),
    _system("worklog", "Log Work", "array", (), items="worklog", navigable=False, searchable=False),
    _system(
        "attachment",
        "Attachment",
        "array",
        ("attachments",),
        items="attachment",
        navigable=False,
    ),
    _system("issuelinks", "Linked Issues", "array", ("issueLink",), items="issuelinks"),
    _system("watches", "Watchers", "watches", ("watcher", "watchers"), orderable=False),
    _system("votes", "Votes", "votes", ("votes",), orderable=False),
    _system("subtasks", "Sub-tasks", "array", ("subtasks",), items="issuelinks", orderable=False),
    _system("fixVersions", "Fix versions", "array", ("fixVersion",), items="version"),
    _system("versions", "Affects versions", "array", ("affectedVersion",), items="version"),
    _system("security", "Security Level", "securitylevel", ("level",)),
    _system("lastViewed", "Last Viewed", "datetime", ("lastViewed",), orderable=False),
)

_CUSTOM_TYPES: dict[str, tuple[str, str | None, str]] = {
    # kind: (schema type, items, Jira's custom type key)
    "string": ("string", None, "com.atlassian.jira.plugin.system.customfieldtypes:textfield"),
    "textarea": ("string", None, "com.atlassian.jira.plugin.system.customfieldtypes:textarea"),
    "number": ("number", None, "com.atlassian.jira.plugin.system.customfieldtypes:float"),
    "labels": ("array", "string", "com.atlassian.jira.plugin.system.customfieldtypes:labels"),
    "date": ("date", None, "com.atlassian.jira.plugin.system.customfieldtypes:datepicker"),
}


def custom_field_def(field: CustomField) -> FieldDef:
    kind, items, custom_type = _CUSTOM_TYPES[field.kind]
    schema: dict[str, Any] = {"type": kind, "custom": custom_type, "customId": field.numeric_id}
    if items is not None:
        schema["items"] = items
    return FieldDef(
        field.id,
        field.name,
        schema,
        (f"cf[{field.numeric_id}]", field.name),
        custom=True,
    )


@lru_cache(maxsize=8)
def all_field_defs(custom_fields: tuple[CustomField, ...]) -> tuple[FieldDef, ...]:
    return SYSTEM_FIELDS + tuple(custom_field_def(field) for field in custom_fields)
