"""Loading the sandbox's starting state from YAML (see `default_seed.yaml` for the format).

The file is validated into typed models (unknown keys rejected); `SeedError` names the file and
the entry that is wrong. `Seed` is the frozen, cross-checked result the state is built from.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from jira_sandbox.model import (
    STATUS_CATEGORIES,
    Component,
    CustomField,
    IssueType,
    LinkType,
    Priority,
    Project,
    Resolution,
    Status,
    Transition,
    User,
)

_ACCOUNT_NAMESPACE = uuid.UUID("6f1c1ab0-6a53-4d55-9a0e-2b0f3c7c5c11")


class SeedError(ValueError):
    """The seed file cannot be used; the message names the file and the entry."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class _ServerSpec(_Strict):
    title: str = "CSP Jira Sandbox"
    version: str = "1001.0.0-SNAPSHOT"
    data_center_version: str = Field("10.3.24", alias="dataCenterVersion")


class _UserSpec(_Strict):
    name: str = Field(min_length=1)
    display_name: str | None = Field(None, alias="displayName")
    email: str | None = None
    token: str | None = None
    account_id: str | None = Field(None, alias="accountId")
    groups: list[str] = Field(default_factory=lambda: ["jira-software-users"])
    time_zone: str = Field("UTC", alias="timeZone")
    active: bool = True


class _ProjectSpec(_Strict):
    id: str
    key: str = Field(pattern=r"^[A-Z][A-Z0-9_]+$")
    name: str
    lead: str
    description: str = ""
    issue_types: list[str] = Field(alias="issueTypes", min_length=1)
    components: list[str] = Field(default_factory=list)


class _IssueTypeSpec(_Strict):
    id: str
    name: str
    description: str = ""


class _PrioritySpec(_Strict):
    id: str
    name: str
    description: str = ""
    status_color: str = Field("#cfcfcf", alias="statusColor")


class _StatusSpec(_Strict):
    id: str
    name: str
    category: Literal["new", "indeterminate", "done"]
    description: str = ""


class _ResolutionSpec(_Strict):
    id: str
    name: str
    description: str = ""


class _LinkTypeSpec(_Strict):
    id: str
    name: str
    inward: str
    outward: str


class _CustomFieldSpec(_Strict):
    id: str = Field(pattern=r"^customfield_\d+$")
    name: str
    type: Literal["string", "textarea", "number", "labels", "date"]
    description: str = ""


class _TransitionSpec(_Strict):
    id: str
    name: str
    to: str
    from_: list[str] = Field(default_factory=list, alias="from")
    fields: list[str] = Field(default_factory=list)
    resolution: str | None = None


class _WorkflowSpec(_Strict):
    initial_status: str = Field(alias="initialStatus")
    transitions: list[_TransitionSpec]


class _SeedWorklogSpec(_Strict):
    author: str
    time_spent: str = Field(alias="timeSpent")
    started: str
    comment: str | None = None


class _SeedIssueSpec(_Strict):
    project: str
    type: str
    summary: str
    description: str | None = None
    labels: list[str] = Field(default_factory=list)
    status: str | None = None
    priority: str | None = None
    reporter: str | None = None
    assignee: str | None = None
    created: str | None = None
    worklogs: list[_SeedWorklogSpec] = Field(default_factory=list)


class _SeedSpec(_Strict):
    server: _ServerSpec = _ServerSpec()
    users: list[_UserSpec] = Field(min_length=1)
    projects: list[_ProjectSpec] = Field(min_length=1)
    issue_types: list[_IssueTypeSpec] | None = Field(None, alias="issueTypes")
    priorities: list[_PrioritySpec] | None = None
    statuses: list[_StatusSpec] | None = None
    resolutions: list[_ResolutionSpec] | None = None
    link_types: list[_LinkTypeSpec] | None = Field(None, alias="linkTypes")
    custom_fields: list[_CustomFieldSpec] | None = Field(None, alias="customFields")
    workflow: _WorkflowSpec | None = None
    issues: list[_SeedIssueSpec] = Field(default_factory=list)


@dataclass(frozen=True)
class SeedWorklog:
    author: str
    time_spent: str
    started: str
    comment: str | None


@dataclass(frozen=True)
class SeedIssue:
    project_key: str
    issuetype_name: str
    summary: str
    description: str | None
    labels: tuple[str, ...]
    status_name: str | None
    priority_name: str | None
    reporter: str | None
    assignee: str | None
    created: str | None
    worklogs: tuple[SeedWorklog, ...]


@dataclass(frozen=True)
class ServerIdentity:
    title: str
    cloud_version: str
    data_center_version: str


@dataclass(frozen=True)
class Seed:
    """Everything the sandbox starts from, cross-checked."""

    source: str
    server: ServerIdentity
    users: tuple[User, ...]
    projects: tuple[Project, ...]
    issue_types: tuple[IssueType, ...]
    priorities: tuple[Priority, ...]
    statuses: tuple[Status, ...]
    resolutions: tuple[Resolution, ...]
    link_types: tuple[LinkType, ...]
    custom_fields: tuple[CustomField, ...]
    initial_status_id: str
    transitions: tuple[Transition, ...]
    issues: tuple[SeedIssue, ...]


def account_id_for(name: str) -> str:
    """A stable Cloud-style account id for a user name."""
    return f"712020:{uuid.uuid5(_ACCOUNT_NAMESPACE, name)}"


def default_seed_text() -> str:
    return resources.files("jira_sandbox").joinpath("default_seed.yaml").read_text("utf-8")


def load_seed(path: Path | None = None) -> Seed:
    """The seed at `path`, or the packaged default seed."""
    if path is None:
        return parse_seed(default_seed_text(), "default_seed.yaml")
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise SeedError(f"{path}: cannot read the seed file ({exc.strerror})") from exc
    return parse_seed(text, str(path))


def parse_seed(text: str, source: str) -> Seed:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SeedError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise SeedError(f"{source}: the seed must be a mapping with `users` and `projects`")
    defaults = yaml.safe_load(default_seed_text())
    assert isinstance(defaults, dict)
    for section in (
        "issueTypes",
        "priorities",
        "statuses",
        "resolutions",
        "linkTypes",
        "customFields",
        "workflow",
    ):
        raw.setdefault(section, defaults[section])
    try:
        spec = _SeedSpec.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors()
        )
        raise SeedError(f"{source}: {problems}") from exc
    return _build(spec, source)


def _build(spec: _SeedSpec, source: str) -> Seed:
    def fail(message: str) -> SeedError:
        return SeedError(f"{source}: {message}")

    users = tuple(
        User(
            name=user.name,
            account_id=user.account_id or account_id_for(user.name),
            display_name=user.display_name or user.name,
            email=user.email or f"{user.name}@sandbox.example",
            token=user.token or f"{user.name}-token",
            groups=tuple(user.groups),
            time_zone=user.time_zone,
            active=user.active,
        )
        for user in spec.users
    )
    _unique(fail, "users", [user.name for user in users])
    user_names = {user.name for user in users}

    assert spec.issue_types is not None and spec.priorities is not None
    assert spec.statuses is not None and spec.resolutions is not None
    assert spec.link_types is not None and spec.custom_fields is not None
    assert spec.workflow is not None
    issue_types = tuple(IssueType(t.id, t.name, t.description) for t in spec.issue_types)
    _unique(fail, "issueTypes", [t.id for t in issue_types])
    type_by_name = {t.name: t for t in issue_types}

    component_id = 10000
    projects: list[Project] = []
    for index, project in enumerate(spec.projects):
        if project.lead not in user_names:
            raise fail(f"projects.{index}.lead: no user named '{project.lead}'")
        missing = [name for name in project.issue_types if name not in type_by_name]
        if missing:
            raise fail(f"projects.{index}.issueTypes: unknown issue type(s) {missing}")
        components = []
        for name in project.components:
            components.append(Component(str(component_id), name))
            component_id += 1
        projects.append(
            Project(
                id=project.id,
                key=project.key,
                name=project.name,
                lead=project.lead,
                issue_type_ids=tuple(type_by_name[name].id for name in project.issue_types),
                components=tuple(components),
                description=project.description,
            )
        )
    _unique(fail, "projects", [p.key for p in projects])

    priorities = tuple(
        Priority(p.id, p.name, p.description, p.status_color) for p in spec.priorities
    )
    statuses = tuple(
        Status(s.id, s.name, STATUS_CATEGORIES[s.category], s.description) for s in spec.statuses
    )
    _unique(fail, "statuses", [s.id for s in statuses])
    status_by_name = {s.name: s for s in statuses}
    resolutions = tuple(Resolution(r.id, r.name, r.description) for r in spec.resolutions)
    resolution_by_name = {r.name: r for r in resolutions}
    link_types = tuple(LinkType(lt.id, lt.name, lt.inward, lt.outward) for lt in spec.link_types)
    custom_fields = tuple(
        CustomField(cf.id, cf.name, cf.type, cf.description) for cf in spec.custom_fields
    )

    if spec.workflow.initial_status not in status_by_name:
        raise fail(f"workflow.initialStatus: no status named '{spec.workflow.initial_status}'")
    transitions: list[Transition] = []
    for index, transition in enumerate(spec.workflow.transitions):
        where = f"workflow.transitions.{index}"
        for name in [transition.to, *transition.from_]:
            if name not in status_by_name:
                raise fail(f"{where}: no status named '{name}'")
        if transition.resolution is not None and transition.resolution not in resolution_by_name:
            raise fail(f"{where}.resolution: no resolution named '{transition.resolution}'")
        transitions.append(
            Transition(
                id=transition.id,
                name=transition.name,
                to_status_id=status_by_name[transition.to].id,
                from_status_ids=tuple(status_by_name[name].id for name in transition.from_),
                screen_fields=tuple(transition.fields),
                resolution_id=(
                    resolution_by_name[transition.resolution].id if transition.resolution else None
                ),
            )
        )
    _unique(fail, "workflow.transitions", [t.id for t in transitions])

    project_keys = {p.key for p in projects}
    issues: list[SeedIssue] = []
    for index, issue in enumerate(spec.issues):
        where = f"issues.{index}"
        if issue.project not in project_keys:
            raise fail(f"{where}.project: no project '{issue.project}'")
        if issue.type not in type_by_name:
            raise fail(f"{where}.type: no issue type '{issue.type}'")
        if issue.status is not None and issue.status not in status_by_name:
            raise fail(f"{where}.status: no status '{issue.status}'")
        for role, person in (("reporter", issue.reporter), ("assignee", issue.assignee)):
            if person is not None and person not in user_names:
                raise fail(f"{where}.{role}: no user named '{person}'")
        issues.append(
            SeedIssue(
                project_key=issue.project,
                issuetype_name=issue.type,
                summary=issue.summary,
                description=issue.description,
                labels=tuple(issue.labels),
                status_name=issue.status,
                priority_name=issue.priority,
                reporter=issue.reporter,
                assignee=issue.assignee,
                created=issue.created,
                worklogs=tuple(
                    SeedWorklog(w.author, w.time_spent, w.started, w.comment)
                    for w in issue.worklogs
                ),
            )
        )

    return Seed(
        source=source,
        server=ServerIdentity(
            spec.server.title, spec.server.version, spec.server.data_center_version
        ),
        users=users,
        projects=tuple(projects),
        issue_types=issue_types,
        priorities=priorities,
        statuses=statuses,
        resolutions=resolutions,
        link_types=link_types,
        custom_fields=custom_fields,
        initial_status_id=status_by_name[spec.workflow.initial_status].id,
        transitions=tuple(transitions),
        issues=tuple(issues),
    )


def _unique(fail: Any, section: str, values: list[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise fail(f"{section}: '{value}' appears more than once")
        seen.add(value)
