"""Reading the `fields` and `update` of Jira's issue bodies into checked values.

Create, edit, transitions and bulk create all send `{"fields": {...}, "update": {...}}`. Each
field is checked as Jira checks it and every problem is collected, so the answer lists them all
in `errors` keyed by field id, in Jira's wording. A field that is not on the operation's screen,
or that does not exist, gets "Field 'x' cannot be set. It is not on the appropriate screen, or
unknown." (jiralert #95). Nothing is applied to an issue here: the caller applies the values only
when there was no error, so a refused call changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jira_sandbox import errors as msg
from jira_sandbox.adf import adf_problem, adf_to_text
from jira_sandbox.errors import JiraApiError
from jira_sandbox.model import CustomField, Issue, RichText
from jira_sandbox.state import SandboxState
from jira_sandbox.timefmt import parse_date, parse_duration

EDITABLE_SYSTEM_FIELDS = frozenset(
    {
        "summary",
        "description",
        "environment",
        "labels",
        "priority",
        "assignee",
        "reporter",
        "duedate",
        "components",
        "timetracking",
    }
)
CREATE_ONLY_FIELDS = frozenset({"project", "issuetype"})


@dataclass
class PendingComment:
    body: RichText
    visibility: dict[str, Any] | None = None


@dataclass
class PendingWorklog:
    time_spent_seconds: int
    started_raw: str | None
    comment: RichText | None


@dataclass
class IssueValues:
    """A working copy of an issue's settable values; applied only if the input was valid."""

    summary: str | None = None
    description: RichText | None = None
    environment: RichText | None = None
    labels: list[str] = field(default_factory=list)
    priority_id: str | None = None
    assignee: str | None = None
    reporter: str | None = None
    duedate: str | None = None
    component_ids: list[str] = field(default_factory=list)
    original_estimate: int | None = None
    remaining_estimate: int | None = None
    custom: dict[str, Any] = field(default_factory=dict)
    resolution_id: str | None = None
    project_id: str | None = None
    issuetype_id: str | None = None
    set_fields: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, issue: Issue) -> IssueValues:
        return cls(
            summary=issue.summary,
            description=issue.description,
            environment=issue.environment,
            labels=list(issue.labels),
            priority_id=issue.priority_id,
            assignee=issue.assignee,
            reporter=issue.reporter,
            duedate=issue.duedate,
            component_ids=list(issue.component_ids),
            original_estimate=issue.original_estimate,
            remaining_estimate=issue.remaining_estimate,
            custom=dict(issue.custom),
            resolution_id=issue.resolution_id,
            project_id=issue.project_id,
            issuetype_id=issue.issuetype_id,
        )

    def apply_to(self, issue: Issue) -> None:
        assert self.summary is not None
        issue.summary = self.summary
        issue.description = self.description
        issue.environment = self.environment
        issue.labels = sorted(set(self.labels))
        issue.priority_id = self.priority_id
        issue.assignee = self.assignee
        issue.reporter = self.reporter
        issue.duedate = self.duedate
        issue.component_ids = list(dict.fromkeys(self.component_ids))
        issue.original_estimate = self.original_estimate
        issue.remaining_estimate = self.remaining_estimate
        issue.custom = dict(self.custom)


class FieldReader:
    """Checks field input for one operation; `screen` is the set of field ids it may set."""

    def __init__(
        self,
        state: SandboxState[Any],
        *,
        version: int,
        screen: frozenset[str],
        creating: bool = False,
    ) -> None:
        self.state = state
        self.version = version
        self.screen = screen
        self.creating = creating
        self.errors: dict[str, str] = {}
        self.pending_comments: list[PendingComment] = []
        self.pending_worklogs: list[PendingWorklog] = []

    @staticmethod
    def create_screen(state: SandboxState[Any]) -> frozenset[str]:
        return EDITABLE_SYSTEM_FIELDS | CREATE_ONLY_FIELDS | frozenset(state.custom_fields)

    @staticmethod
    def edit_screen(state: SandboxState[Any]) -> frozenset[str]:
        return EDITABLE_SYSTEM_FIELDS | frozenset(state.custom_fields)

    def read(self, values: IssueValues, body: Mapping[str, Any]) -> None:
        """Read `fields` then `update` from `body` into `values`; raise 400 if anything is wrong."""
        fields = body.get("fields", {})
        update = body.get("update", {})
        if fields is None:
            fields = {}
        if update is None:
            update = {}
        if not isinstance(fields, dict) or not isinstance(update, dict):
            raise JiraApiError(400, [msg.INVALID_PAYLOAD])
        if self.creating:
            self._read_project_and_type(values, fields)
        for field_id, value in fields.items():
            if field_id in CREATE_ONLY_FIELDS and self.creating:
                continue
            if not self._settable(field_id):
                self.errors[field_id] = msg.field_not_settable(field_id)
                continue
            values.set_fields.add(field_id)
            self._set(values, field_id, value)
        for field_id, operations in update.items():
            self._update(values, field_id, operations)
        if self.creating and "summary" not in self.errors and not (values.summary or "").strip():
            self.errors["summary"] = msg.SUMMARY_REQUIRED
        if self.errors:
            raise JiraApiError(400, [], self.errors)

    # ---- helpers --------------------------------------------------------------------------

    def _settable(self, field_id: str) -> bool:
        return field_id in self.screen

    def _read_project_and_type(self, values: IssueValues, fields: Mapping[str, Any]) -> None:
        project_ref = _ref(fields.get("project"), ("id", "key"))
        project = self.state.find_project(project_ref) if project_ref else None
        if project is None:
            self.errors["project"] = msg.PROJECT_REQUIRED
        else:
            values.project_id = project.id
        raw_type = fields.get("issuetype")
        if raw_type is None:
            self.errors["issuetype"] = msg.ISSUETYPE_REQUIRED
            return
        type_ref = _ref(raw_type, ("id", "name"))
        issue_type = (
            self.state.find_by_id_or_name(self.state.issue_types, type_ref) if type_ref else None
        )
        if issue_type is None or (
            project is not None and issue_type.id not in project.issue_type_ids
        ):
            self.errors["issuetype"] = msg.ISSUETYPE_INVALID
        else:
            values.issuetype_id = issue_type.id

    def _set(self, values: IssueValues, field_id: str, value: Any) -> None:
        setter = self._setters().get(field_id)
        if setter is not None:
            setter(values, value)
            return
        custom = self.state.custom_fields.get(field_id)
        if custom is not None:
            self._set_custom(values, custom, value)

    def _setters(self) -> dict[str, Callable[[IssueValues, Any], None]]:
        return {
            "summary": self._set_summary,
            "description": lambda v, x: self._set_rich(v, "description", x),
            "environment": lambda v, x: self._set_rich(v, "environment", x),
            "labels": self._set_labels,
            "priority": self._set_priority,
            "assignee": lambda v, x: self._set_user(v, "assignee", x),
            "reporter": lambda v, x: self._set_user(v, "reporter", x),
            "duedate": self._set_duedate,
            "components": self._set_components,
            "timetracking": self._set_timetracking,
            "resolution": self._set_resolution,
        }

    def _set_summary(self, values: IssueValues, value: Any) -> None:
        if not isinstance(value, str):
            self.errors["summary"] = msg.STRING_REQUIRED
        elif not value.strip():
            self.errors["summary"] = msg.SUMMARY_REQUIRED
        elif len(value) > msg.SUMMARY_LIMIT:
            self.errors["summary"] = msg.SUMMARY_TOO_LONG
        elif "\n" in value or "\r" in value:
            self.errors["summary"] = msg.SUMMARY_NEWLINE
        else:
            values.summary = value

    def rich_text(self, field_id: str, value: Any) -> RichText | None:
        """A v2 string or v3 ADF document as RichText; records an error and returns None if bad."""
        if self.version >= 3:
            problem = adf_problem(value)
            if problem is not None:
                self.errors[field_id] = msg.ADF_REQUIRED
                return None
            text = adf_to_text(value)
            rich = RichText(text, value)
        else:
            if not isinstance(value, str):
                self.errors[field_id] = msg.STRING_REQUIRED
                return None
            rich = RichText(value)
        if len(rich.text) > msg.TEXT_LIMIT:
            self.errors[field_id] = msg.TEXT_TOO_LONG
            return None
        return rich

    def _set_rich(self, values: IssueValues, field_id: str, value: Any) -> None:
        rich = None if value is None else self.rich_text(field_id, value)
        if field_id not in self.errors:
            setattr(values, field_id, rich)

    def _labels(self, field_id: str, value: Any) -> list[str] | None:
        if not isinstance(value, list) or not all(isinstance(label, str) for label in value):
            self.errors[field_id] = "Operation value must be an array of strings"
            return None
        for label in value:
            problem = label_problem(label)
            if problem:
                self.errors[field_id] = problem
                return None
        return list(value)

    def _set_labels(self, values: IssueValues, value: Any) -> None:
        labels = self._labels("labels", [] if value is None else value)
        if labels is not None:
            values.labels = labels

    def _set_priority(self, values: IssueValues, value: Any) -> None:
        if value is None:
            values.priority_id = None
            return
        ref = _ref(value, ("id", "name"))
        if ref is None:
            self.errors["priority"] = "Could not find valid 'id' or 'name' in priority object."
            return
        priority = self.state.find_by_id_or_name(self.state.priorities, ref)
        if priority is None:
            self.errors["priority"] = "The priority selected is invalid."
        else:
            values.priority_id = priority.id

    def user_name(self, field_id: str, value: Any) -> tuple[bool, str | None]:
        """(ok, user name) for a user field value: an object with name/accountId/key, or null."""
        if value is None:
            return True, None
        # Jira Cloud names users by accountId only; `name` and `key` went with its user-privacy
        # changes (pycontribs/jira #903).
        if (
            self.state.gdpr_strict
            and isinstance(value, dict)
            and "accountId" not in value
            and any(value.get(k) is not None for k in ("name", "key", "emailAddress", "id"))
        ):
            self.errors[field_id] = (
                f"Specify the {field_id} by 'accountId': Jira Cloud does not accept "
                "user names or keys (GDPR strict mode)."
            )
            return False, None
        ref = _ref(value, ("accountId", "name", "key", "emailAddress", "id"))
        if ref is None:
            if isinstance(value, dict) and all(v is None for v in value.values()):
                return True, None
            self.errors[field_id] = f"Specify a valid value for {field_id}"
            return False, None
        if ref == "-1":  # "automatic": the project default, which is unassigned here
            return True, None
        user = self.state.find_user(ref)
        if user is None:
            self.errors[field_id] = f"User '{ref}' does not exist."
            return False, None
        return True, user.name

    def _set_user(self, values: IssueValues, field_id: str, value: Any) -> None:
        ok, name = self.user_name(field_id, value)
        if ok:
            setattr(values, field_id, name)

    def _set_duedate(self, values: IssueValues, value: Any) -> None:
        if value is None:
            values.duedate = None
        elif not isinstance(value, str) or parse_date(value) is None:
            self.errors["duedate"] = f"Error parsing date string: {value}"
        else:
            values.duedate = value

    def _component_ids(self, values: IssueValues, value: Any) -> list[str] | None:
        if not isinstance(value, list):
            self.errors["components"] = "Operation value must be an array"
            return None
        project = self.state.projects.get(values.project_id or "")
        available = project.components if project else ()
        found: list[str] = []
        for item in value:
            if isinstance(item, dict) and "id" in item:
                match = next((c for c in available if c.id == str(item["id"])), None)
                if match is None:
                    self.errors["components"] = f"Component with id '{item['id']}' does not exist."
                    return None
            elif isinstance(item, dict) and "name" in item:
                match = next((c for c in available if c.name == item["name"]), None)
                if match is None:
                    self.errors["components"] = f"Component name '{item['name']}' is not valid"
                    return None
            else:
                self.errors["components"] = "Could not find valid 'id' or 'name' in component."
                return None
            found.append(match.id)
        return found

    def _set_components(self, values: IssueValues, value: Any) -> None:
        ids = self._component_ids(values, [] if value is None else value)
        if ids is not None:
            values.component_ids = ids

    def _set_timetracking(self, values: IssueValues, value: Any) -> None:
        if value is None:
            values.original_estimate = values.remaining_estimate = None
            return
        if not isinstance(value, dict):
            self.errors["timetracking"] = "Operation value must be an object"
            return
        for key in ("originalEstimate", "remainingEstimate"):
            if key not in value:
                continue
            seconds = parse_duration(str(value[key]))
            if seconds is None:
                self.errors["timetracking"] = (
                    f"Invalid time duration entered for {key}: '{value[key]}'."
                )
                return
            if key == "originalEstimate":
                values.original_estimate = seconds
                if values.remaining_estimate is None:
                    values.remaining_estimate = seconds  # Jira starts remaining at the original
            else:
                values.remaining_estimate = seconds

    def _set_resolution(self, values: IssueValues, value: Any) -> None:
        if value is None:
            values.resolution_id = None
            return
        ref = _ref(value, ("id", "name"))
        resolution = self.state.find_by_id_or_name(self.state.resolutions, ref) if ref else None
        if resolution is None:
            self.errors["resolution"] = "Could not find valid 'id' or 'name' in resolution object."
        else:
            values.resolution_id = resolution.id

    def _set_custom(self, values: IssueValues, custom: CustomField, value: Any) -> None:
        if value is None:
            values.custom.pop(custom.id, None)
            return
        if custom.kind == "string":
            if not isinstance(value, str):
                self.errors[custom.id] = msg.STRING_REQUIRED
            elif len(value) > 255:
                self.errors[custom.id] = "Text fields can not have more than 255 characters."
            else:
                values.custom[custom.id] = value
        elif custom.kind == "textarea":
            rich = self.rich_text(custom.id, value)
            if rich is not None:
                values.custom[custom.id] = rich
        elif custom.kind == "number":
            if isinstance(value, bool) or not isinstance(value, int | float):
                self.errors[custom.id] = "Operation value must be a number"
            else:
                values.custom[custom.id] = value
        elif custom.kind == "labels":
            labels = self._labels(custom.id, value)
            if labels is not None:
                values.custom[custom.id] = sorted(set(labels))
        elif custom.kind == "date":
            if not isinstance(value, str) or parse_date(value) is None:
                self.errors[custom.id] = f"Error parsing date string: {value}"
            else:
                values.custom[custom.id] = value

    # ---- update operations ----------------------------------------------------------------

    def _update(self, values: IssueValues, field_id: str, operations: Any) -> None:
        if field_id == "comment" and not self.creating:
            self._update_comment(operations)
            return
        if field_id == "worklog" and "worklog" in self.screen:
            self._update_worklog(operations)
            return
        if not self._settable(field_id) or (field_id in CREATE_ONLY_FIELDS and not self.creating):
            self.errors[field_id] = msg.field_not_settable(field_id)
            return
        if not isinstance(operations, list) or not all(isinstance(op, dict) for op in operations):
            self.errors[field_id] = msg.INVALID_PAYLOAD
            return
        values.set_fields.add(field_id)
        for operation in operations:
            for verb, argument in operation.items():
                self._operate(values, field_id, verb, argument)

    def _operate(self, values: IssueValues, field_id: str, verb: str, argument: Any) -> None:
        custom = self.state.custom_fields.get(field_id)
        multi = field_id in ("labels", "components") or (
            custom is not None and custom.kind == "labels"
        )
        if verb == "set":
            self._set(values, field_id, argument)
            return
        if verb not in ("add", "remove") or not multi:
            self.errors[field_id] = f"Field '{field_id}' does not support the '{verb}' operation."
            return
        if field_id == "components":
            ids = self._component_ids(values, [argument])
            if ids is None:
                return
            if verb == "add":
                values.component_ids.extend(ids)
            else:
                values.component_ids = [c for c in values.component_ids if c not in ids]
            return
        if not isinstance(argument, str):
            self.errors[field_id] = "Operation value must be a string"
            return
        current = values.labels if field_id == "labels" else list(values.custom.get(field_id, []))
        if verb == "add":
            problem = label_problem(argument)
            if problem:
                self.errors[field_id] = problem
                return
            current.append(argument)
        else:
            current = [label for label in current if label != argument]
        if field_id == "labels":
            values.labels = current
        else:
            values.custom[field_id] = sorted(set(current))

    def _update_comment(self, operations: Any) -> None:
        if not isinstance(operations, list):
            self.errors["comment"] = msg.INVALID_PAYLOAD
            return
        for operation in operations:
            add = operation.get("add") if isinstance(operation, dict) else None
            if not isinstance(add, dict) or "body" not in add:
                self.errors["comment"] = "Comment body can not be empty!"
                return
            body = self.rich_text("comment", add["body"])
            if body is None:
                return
            if not body.text.strip():
                self.errors["comment"] = "Comment body can not be empty!"
                return
            self.pending_comments.append(PendingComment(body, add.get("visibility")))

    def _update_worklog(self, operations: Any) -> None:
        if not isinstance(operations, list):
            self.errors["worklog"] = msg.INVALID_PAYLOAD
            return
        for operation in operations:
            add = operation.get("add") if isinstance(operation, dict) else None
            if not isinstance(add, dict):
                self.errors["worklog"] = msg.INVALID_PAYLOAD
                return
            seconds = _seconds(add)
            if seconds is None or seconds <= 0:
                self.errors["timeLogged"] = msg.TIME_SPENT_REQUIRED
                return
            comment = None
            if add.get("comment") is not None:
                comment = self.rich_text("worklog", add["comment"])
            self.pending_worklogs.append(PendingWorklog(seconds, add.get("started"), comment))


def _ref(value: Any, keys: tuple[str, ...]) -> str | None:
    """The first of `keys` present in an object value (or a bare string/number value)."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, dict):
        for key in keys:
            found = value.get(key)
            if isinstance(found, str | int) and not isinstance(found, bool) and str(found):
                return str(found)
    return None


def _seconds(worklog: Mapping[str, Any]) -> int | None:
    raw_seconds = worklog.get("timeSpentSeconds")
    if raw_seconds is not None:
        try:
            return int(raw_seconds)
        except (TypeError, ValueError):
            return None
    raw_text = worklog.get("timeSpent")
    if isinstance(raw_text, str):
        return parse_duration(raw_text)
    return None


def time_spent_seconds(worklog: Mapping[str, Any]) -> int | None:
    """`timeSpentSeconds` (an int, or a numeric string as the jira package may send) or
    `timeSpent` (`"3h 20m"`); None when neither gives a duration."""
    return _seconds(worklog)


def label_problem(label: str) -> str | None:
    """Jira's objection to a label, or None. Jira refuses labels with spaces and over 255
    characters (jiralert #108, #146)."""
    if not label:
        return "Labels cannot be empty."
    if any(character.isspace() for character in label):
        return msg.label_has_spaces(label)
    if len(label) > msg.LABEL_LIMIT:
        return msg.label_too_long(label)
    return None
