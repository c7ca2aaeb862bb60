"""`check --live`: everything the mappings name, looked up in Jira, one row per check.

Every check makes its own calls (answers are shared through a cache, so a call is made once),
and a failed call fails only the rows that needed it: an operator sees at once every issue
type, priority, status, link type and screen field to fix, instead of learning them one dead
letter at a time. Where something is missing, the row lists what Jira offers instead.

The calls and their answers are in `calls.py`, the create metadata in `create_meta.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from csp_jira_sync.checks.calls import Answer, Calls, MetaReader
from csp_jira_sync.checks.create_meta import IssueTypeMeta, read_create_meta, screen_fields
from csp_jira_sync.config.mappings import Mappings

# How far back the triage pass's first search looks (triage/job.py: first_look_back).
TRIAGE_LOOK_BACK = timedelta(days=30)
# What the daemon sets when it creates an issue, and what Jira fills in itself.
SET_ON_CREATE = frozenset({"summary", "description", "labels"})
# Named by the create call itself; some Jira imitations leave them out of the metadata.
ADDRESSING = frozenset({"project", "issuetype"})
FILLED_BY_JIRA = frozenset({"reporter"})
# The kinds the daemon creates today; the others are mapped for capabilities about to land, and
# only their issue type is checked until they say which fields they set.
CREATING_NOW = ("escalation", "request", "allowance")
WHERE_SET = {
    "escalation": "issue_type in mappings/escalation.yaml",
    "request": "request in mappings/issue_types.yaml",
    "report": "report in mappings/issue_types.yaml",
    "problem": "problem in mappings/issue_types.yaml",
    "allowance": "allowance in mappings/issue_types.yaml",
}


@dataclass(frozen=True)
class LiveCheck:
    check: str  # what was checked
    ok: bool
    detail: str  # the verdict, and what to do when it failed
    call: str  # the call(s) made
    answer: str  # what Jira answered, in short
    offers: tuple[str, ...] = ()  # what Jira has instead, where something is missing

    def as_json(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "ok": self.ok,
            "detail": self.detail,
            "call": self.call,
            "answer": self.answer,
            "offers": list(self.offers),
        }


def check_server(calls: Calls, auth: str) -> list[LiveCheck]:
    info = calls.get("serverInfo")
    deployment = str((info.value or {}).get("deploymentType", "")) if not info.failed else ""
    version = str((info.value or {}).get("version", "")) if not info.failed else ""
    rows = [
        LiveCheck(
            "Jira answers",
            not info.failed,
            f"{deployment or '?'} {version}".strip() if not info.failed else "check CSP_JIRA_URL",
            info.call,
            info.said(f"{deployment} {version}".strip()),
        )
    ]
    if auth == "bearer" and deployment.lower() == "cloud":
        rows.append(
            LiveCheck(
                "authentication",
                False,
                "Jira Cloud refuses bearer tokens (403): set CSP_JIRA_AUTH=basic with the "
                "account's email and an API token",
                info.call,
                f"deploymentType {deployment}",
            )
        )
    me = calls.get("myself")
    who = me.value or {} if not me.failed else {}
    name = str(who.get("displayName") or who.get("name") or who.get("accountId") or "?")
    rows.append(
        LiveCheck(
            "credentials",
            not me.failed,
            f"signed in as {name}" if not me.failed else "fix CSP_JIRA_USER / CSP_JIRA_TOKEN",
            me.call,
            me.said(name),
        )
    )
    return rows


def check_project(calls: Calls, project: str) -> LiveCheck:
    found = calls.get(f"project/{project}")
    if not found.failed:
        name = str(found.value.get("name", ""))
        return LiveCheck(f"project {project}", True, f"exists: {name}", found.call, name)
    offers: tuple[str, ...] = ()
    if found.error is not None and found.error.status == 404:
        listed = calls.get("project")
        if not listed.failed and isinstance(listed.value, list):
            offers = tuple(sorted(str(p.get("key")) for p in listed.value))
    return LiveCheck(
        f"project {project}",
        False,
        "set CSP_JIRA_PROJECT to a project the account can see",
        found.call,
        found.said(""),
        offers,
    )


def check_issue_types(calls: Calls, project: str, mappings: Mappings) -> list[LiveCheck]:
    meta = read_create_meta(calls, project)
    rows = []
    for kind, name in mappings.created_issue_types.items():
        found = meta.types.get(name.casefold())
        what = f"issue type {name} ({kind})"
        if meta.answer.failed:
            rows.append(
                LiveCheck(what, False, "not checked: the create metadata could not be read",
                          meta.answer.call, meta.answer.said(""))
            )  # fmt: skip
        elif found is None:
            rows.append(
                LiveCheck(
                    what,
                    False,
                    f"project {project} has no issue type {name!r}: set {WHERE_SET[kind]} "
                    "to one it offers",
                    meta.answer.call,
                    f"{len(meta.types)} issue types",
                    meta.offers(),
                )
            )
        else:
            rows.append(
                LiveCheck(what, True, f"in project {project}", meta.answer.call,
                          f"{len(meta.types)} issue types")
            )  # fmt: skip
    for kind in CREATING_NOW:
        name = mappings.created_issue_types[kind]
        found = meta.types.get(name.casefold())
        if found is not None:
            rows.append(check_screen(calls, project, kind, found, meta.answer, mappings))
    return rows


def check_screen(
    calls: Calls, project: str, kind: str, meta: IssueTypeMeta, via: Answer, mappings: Mappings
) -> LiveCheck:
    """The create screen must show every field the daemon sets and require nothing else
    ("Field 'x' cannot be set. It is not on the appropriate screen": jiralert #95)."""
    answer, screen = screen_fields(calls, project, meta, via)
    what = f"create screen {meta.name}"
    if answer.failed:
        return LiveCheck(what, False, "the screen's fields could not be read", answer.call,
                         answer.said(""))  # fmt: skip
    needed = set(SET_ON_CREATE)
    if kind == "escalation":
        needed.add("priority")
        if mappings.escalation.service_components:
            needed.add("components")
    missing = sorted(needed - set(screen))
    required = sorted(
        f for f, req in screen.items() if req and f not in needed | ADDRESSING | FILLED_BY_JIRA
    )
    said = f"{len(screen)} fields"
    if missing:
        detail = f"not on the screen: {', '.join(missing)}; add them to the create screen"
        return LiveCheck(what, False, detail, answer.call, said, tuple(sorted(screen)))
    if required:
        detail = f"Jira requires {', '.join(required)}, which the daemon does not set"
        return LiveCheck(what, False, detail, answer.call, said)
    return LiveCheck(what, True, "every field the daemon sets is on it", answer.call, said)


def check_named(
    calls: Calls, path: str, what: str, wanted: Mapping[str, str], fix: str, *, plural: str
) -> list[LiveCheck]:
    """Each name in `wanted` (name -> why it is wanted) is in the list `path` answers."""
    listed = calls.get(path)
    rows = []
    names: tuple[str, ...] = ()
    if not listed.failed:
        items = listed.value
        if isinstance(items, dict):  # {"issueLinkTypes": [...]}
            items = next((v for v in items.values() if isinstance(v, list)), [])
        names = tuple(sorted({str(item.get("name")) for item in items}))
    present = {n.casefold() for n in names}
    for name, why in sorted(wanted.items()):
        ok = not listed.failed and name.casefold() in present
        rows.append(
            LiveCheck(
                f"{what} {name} ({why})",
                ok,
                "exists" if ok else (fix if not listed.failed else "could not be read"),
                listed.call,
                listed.said(f"{len(names)} {plural}"),
                () if ok else names,
            )
        )
    return rows


def check_statuses(calls: Calls, project: str, mappings: Mappings) -> list[LiveCheck]:
    """The escalation workflow has each target status (the daemon takes whichever transition
    leads there, so the status names are what must match)."""
    issue_type = mappings.escalation.issue_type
    targets = mappings.escalation.statuses
    wanted = {
        targets.acknowledged: "acknowledged",
        targets.resolved: "resolved",
        targets.reopened: "reopened",
    }
    listed = calls.get(f"project/{project}/statuses")
    workflow: tuple[str, ...] | None = None
    types: tuple[str, ...] = ()
    anywhere: tuple[str, ...] = ()  # the statuses of all the project's workflows
    if not listed.failed:
        by_type = {str(t["name"]).casefold(): t for t in listed.value}
        types = tuple(sorted(str(t["name"]) for t in listed.value))
        anywhere = tuple(
            sorted({str(s["name"]) for t in listed.value for s in t.get("statuses", [])})
        )
        chosen = by_type.get(issue_type.casefold())
        if chosen is not None:
            workflow = tuple(sorted({str(s["name"]) for s in chosen.get("statuses", [])}))
    rows = []
    for name, why in wanted.items():
        what = f"status {name} ({why})"
        if listed.failed:
            rows.append(LiveCheck(what, False, "could not be read", listed.call, listed.said("")))
        elif workflow is None:
            rows.append(
                LiveCheck(
                    what,
                    False,
                    f"project {project} has no workflow for issue type {issue_type!r} (its "
                    f"types: {', '.join(types)}); its workflows have these statuses",
                    listed.call,
                    f"workflows of {len(types)} issue types",
                    anywhere,
                )
            )
        else:
            ok = name.casefold() in {s.casefold() for s in workflow}
            rows.append(
                LiveCheck(
                    what,
                    ok,
                    f"in the {issue_type} workflow"
                    if ok
                    else f"the {issue_type} workflow has no such status: fix `statuses` in "
                    "mappings/escalation.yaml",
                    listed.call,
                    f"{len(workflow)} statuses for {issue_type}",
                    () if ok else workflow,
                )
            )
    return rows


def check_approval_status(calls: Calls, project: str, mappings: Mappings) -> list[LiveCheck]:
    """Where a package's overage policy is `require-approval`, new requests of that customer
    wait in the approval status (mappings/allowance.yaml): the request workflow must have it."""
    requiring = sorted(t for t, p in mappings.packages.items() if p.overage == "require-approval")
    if not requiring:
        return []
    status = mappings.allowance.approval_status
    issue_type = mappings.issue_types.request
    what = f"status {status} (approval, packages {', '.join(requiring)})"
    listed = calls.get(f"project/{project}/statuses")
    if listed.failed:
        return [LiveCheck(what, False, "could not be read", listed.call, listed.said(""))]
    by_type = {str(t["name"]).casefold(): t for t in listed.value}
    chosen = by_type.get(issue_type.casefold())
    if chosen is None:
        return [
            LiveCheck(
                what,
                False,
                f"project {project} has no workflow for the request issue type {issue_type!r}",
                listed.call,
                f"workflows of {len(by_type)} issue types",
            )
        ]
    workflow = tuple(sorted({str(s["name"]) for s in chosen.get("statuses", [])}))
    ok = status.casefold() in {s.casefold() for s in workflow}
    return [
        LiveCheck(
            what,
            ok,
            f"in the {issue_type} workflow"
            if ok
            else f"the {issue_type} workflow has no such status: fix approval_status in "
            "mappings/allowance.yaml, or the workflow",
            listed.call,
            f"{len(workflow)} statuses for {issue_type}",
            () if ok else workflow,
        )
    ]


def check_components(calls: Calls, project: str, mappings: Mappings) -> list[LiveCheck]:
    components = mappings.escalation.service_components
    if not components:
        return []
    wanted = {name: f"service {service}" for service, name in components.items()}
    return check_named(
        calls,
        f"project/{project}/components",
        "component",
        wanted,
        "not in the project: fix service_components in mappings/escalation.yaml",
        plural="components",
    )


def check_search(calls: Calls, project: str, deployment: str, now: datetime) -> list[LiveCheck]:
    """The searches the daemon depends on, as it makes them: the triage pass's JQL with an
    epoch-millisecond date (dates without an offset are read in the Jira user's time zone:
    airbyte #48492), and then an issue read by its id, as every comment and transition
    addresses issues (keys change when an issue moves: jiralert #159)."""
    if deployment == "auto":
        info = calls.get("serverInfo")
        kind = "" if info.failed else str(info.value.get("deploymentType", ""))
        deployment = "cloud" if kind.lower() == "cloud" else "datacenter"
    path = "search/jql" if deployment == "cloud" else "search"
    since = int((now - TRIAGE_LOOK_BACK).timestamp() * 1000)
    jql = f"project = {project} AND updated >= {since} ORDER BY updated DESC"
    found = calls.get(path, {"jql": jql, "maxResults": 1, "fields": "summary"})
    issues = [] if found.failed else list(found.value.get("issues", []))
    rows = [
        LiveCheck(
            "search with an epoch-millisecond date (triage)",
            not found.failed,
            "the JQL the triage pass runs works"
            if not found.failed
            else "this Jira refuses `updated >= <epoch ms>`, which the triage pass searches with",
            found.call,
            found.said(f"{len(issues)} issue" + ("" if len(issues) == 1 else "s")),
        )
    ]
    if not issues:
        anyone = calls.get(
            path, {"jql": f"project = {project} ORDER BY created DESC", "maxResults": 1,
                   "fields": "summary"}
        )  # fmt: skip
        issues = [] if anyone.failed else list(anyone.value.get("issues", []))
    # The gateway addresses issues by id on Cloud and by key on Data Center
    # (`JiraGateway._issue_path`): read one issue the same way.
    way = "id" if deployment == "cloud" else "key"
    if not issues:
        rows.append(
            LiveCheck(
                f"issues addressed by {way}",
                True,
                f"not checked: no issue in project {project} to read",
                found.call,
                "0 issues",
            )
        )
        return rows
    first = issues[0]
    ident = str(first["id"] if way == "id" else first.get("key", ""))
    read = calls.get(f"issue/{ident}", {"fields": "summary"})
    rows.append(
        LiveCheck(
            f"issues addressed by {way}",
            not read.failed,
            f"{first.get('key', '')} read by its {way} {ident}"
            if not read.failed
            else f"{first.get('key', '')} cannot be read by its {way} {ident}: comments, "
            f"transitions and label edits address issues by {way} and would fail",
            read.call,
            read.said(str(read.value.get("key", "")) if not read.failed else ""),
        )
    )
    return rows


def run_live_checks(
    reader: MetaReader,
    *,
    project: str,
    auth: str,
    mappings: Mappings,
    now: datetime,
    deployment: str = "auto",
) -> list[LiveCheck]:
    """Every check, in order; none stops another. A check that meets an answer of a shape it
    does not understand fails its own row with what it met."""
    calls = Calls(reader)
    severities: dict[str, list[str]] = {}
    for severity, priority in mappings.escalation.severity_priority.items():
        severities.setdefault(priority, []).append(severity)
    steps: list[tuple[str, Callable[[], list[LiveCheck]]]] = [
        ("Jira answers", lambda: check_server(calls, auth)),
        (f"project {project}", lambda: [check_project(calls, project)]),
        ("issue types", lambda: check_issue_types(calls, project, mappings)),
        (
            "priorities",
            lambda: check_named(
                calls,
                "priority",
                "priority",
                {p: ", ".join(s) for p, s in severities.items()},
                "not in Jira: fix severity_priority in mappings/escalation.yaml",
                plural="priorities",
            ),
        ),
        ("statuses", lambda: check_statuses(calls, project, mappings)),
        ("approval status", lambda: check_approval_status(calls, project, mappings)),
        (
            "link type",
            lambda: check_named(
                calls,
                "issueLinkType",
                "link type",
                {mappings.escalation.link_type: "reopened escalations"},
                "not in Jira: fix link_type in mappings/escalation.yaml",
                plural="link types",
            ),
        ),
        ("components", lambda: check_components(calls, project, mappings)),
        ("search", lambda: check_search(calls, project, deployment, now)),
    ]
    rows: list[LiveCheck] = []
    for name, step in steps:
        try:
            rows += step()
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            rows.append(
                LiveCheck(
                    name,
                    False,
                    "Jira's answer had a shape the check does not understand",
                    "",
                    f"{type(exc).__name__}: {exc}",
                )
            )
    return rows
