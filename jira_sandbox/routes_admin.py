"""The admin API under `/_sandbox/`, for tests, benchmarks and the demo only.

It needs no Jira authentication and is not subject to the knobs or counted in the stats.

- `GET  /_sandbox/info`    mode, seed, the seeded users with their tokens (sandbox only).
- `GET  /_sandbox/stats`   calls by `METHOD /path/template`, by status, and injected faults;
  `DELETE /_sandbox/stats` zeroes them.
- `POST /_sandbox/reset`   back to the seed: issues, stats, knobs and clock as at start.
- `GET  /_sandbox/state`   issues with labels, comments, worklogs, links, properties (filter
  with `?key=CSP-1` or `?label=x`, repeatable), and the deleted worklogs.
- `GET|PUT /_sandbox/knobs` read or change the realism knobs (a partial JSON object with
  `latencyMs`, `rateLimitPerSecond`, `rateLimitBurst`, `faultRate`, `faultKinds`,
  `faultStallMs`, `faultSeed`, `faultAfterWrite`, `indexLagMs`, `issueWriteLimits`: a list of
  `{"writes": n, "windowMs": m}`).
- `GET|PUT /_sandbox/clock` the sandbox clock; PUT `{"advanceMs": n}`, `{"freeze": true}`,
  `{"freezeAtMs": n}`, `{"freeze": false}` or `{"reset": true}`.
- `POST /_sandbox/index/flush` make every pending write searchable now.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from jira_sandbox.core import Sandbox
from jira_sandbox.errors import JiraApiError
from jira_sandbox.http import json_response, no_content
from jira_sandbox.knobs import KnobError, knobs_to_json
from jira_sandbox.model import Issue
from jira_sandbox.routing import Router
from jira_sandbox.timefmt import format_ms

PREFIX = "/_sandbox/"

AdminHandler = Callable[[Request, Sandbox], Awaitable[Response]]


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise JiraApiError(400, ["The body must be a JSON object."]) from None
    if not isinstance(body, dict):
        raise JiraApiError(400, ["The body must be a JSON object."])
    return body


async def info(request: Request, sandbox: Sandbox) -> Response:
    with sandbox.state.lock:
        return json_response(
            {
                "mode": sandbox.config.mode,
                "baseUrl": str(request.base_url).rstrip("/"),
                "seed": sandbox.seed.source,
                "users": [
                    {
                        "name": user.name,
                        "displayName": user.display_name,
                        "email": user.email,
                        "accountId": user.account_id,
                        "token": user.token,
                        "groups": list(user.groups),
                    }
                    for user in sandbox.seed.users
                ],
                "issueCount": len(sandbox.state.issues_by_id),
                "worklogCount": len(sandbox.state.worklogs_by_id),
            }
        )


async def stats(request: Request, sandbox: Sandbox) -> Response:
    return json_response(sandbox.stats.snapshot())


async def reset_stats(request: Request, sandbox: Sandbox) -> Response:
    sandbox.stats.reset()
    return no_content()


async def reset(request: Request, sandbox: Sandbox) -> Response:
    sandbox.reset()
    return no_content()


def dump_issue(sandbox: Sandbox, issue: Issue) -> dict[str, Any]:
    state = sandbox.state
    project = state.projects[issue.project_id]
    components = {c.id: c.name for c in project.components}
    return {
        "id": str(issue.id),
        "key": issue.key,
        "project": project.key,
        "issuetype": state.issue_types[issue.issuetype_id].name,
        "summary": issue.summary,
        "description": issue.description.text if issue.description else None,
        "status": state.statuses[issue.status_id].name,
        "resolution": (
            state.resolutions[issue.resolution_id].name if issue.resolution_id else None
        ),
        "priority": state.priorities[issue.priority_id].name if issue.priority_id else None,
        "labels": list(issue.labels),
        "components": [components[c] for c in issue.component_ids if c in components],
        "assignee": issue.assignee,
        "reporter": issue.reporter,
        "creator": issue.creator,
        "created": format_ms(issue.created_ms),
        "updated": format_ms(issue.updated_ms),
        "customFields": {
            key: (value.text if hasattr(value, "text") else value)
            for key, value in issue.custom.items()
        },
        "properties": dict(issue.properties),
        "watchers": list(issue.watchers),
        "comments": [
            {
                "id": str(c.id),
                "author": c.author,
                "body": c.body.text,
                "created": format_ms(c.created_ms),
                "updated": format_ms(c.updated_ms),
            }
            for c in issue.comments
        ],
        "worklogs": [
            {
                "id": str(w.id),
                "author": w.author,
                "timeSpentSeconds": w.time_spent_seconds,
                "started": format_ms(w.started_ms),
                "comment": w.comment.text if w.comment else None,
                "updated": format_ms(w.updated_ms),
            }
            for w in issue.worklogs
        ],
        "links": [
            {
                "id": str(link.id),
                "type": state.link_types[link.type_id].name,
                "inward": state.issues_by_id[link.inward_issue_id].key,
                "outward": state.issues_by_id[link.outward_issue_id].key,
            }
            for link in (state.links_by_id[link_id] for link_id in issue.link_ids)
        ],
        "attachments": [
            {"id": str(a.id), "filename": a.filename, "size": len(a.content)}
            for a in issue.attachments
        ],
    }


async def state_dump(request: Request, sandbox: Sandbox) -> Response:
    keys = {key.upper() for key in request.query_params.getlist("key")}
    labels = set(request.query_params.getlist("label"))
    state = sandbox.state
    with state.lock:
        issues = [
            dump_issue(sandbox, issue)
            for issue in state.issues_by_id.values()
            if (not keys or issue.key in keys) and (not labels or labels & set(issue.labels))
        ]
        deleted, _ = state.worklog_deletions.page(0, 2**62, 2**31)
        body = {
            "mode": sandbox.config.mode,
            "issues": issues,
            "deletedWorklogs": [{"worklogId": i, "deletedTime": t} for t, i in deleted],
            "indexPending": state.search_index.pending_count(),
        }
    return json_response(body)


async def get_knobs(request: Request, sandbox: Sandbox) -> Response:
    return json_response(knobs_to_json(sandbox.knobs.settings))


async def put_knobs(request: Request, sandbox: Sandbox) -> Response:
    patch = await _body(request)
    try:
        sandbox.update_knobs(patch)
    except KnobError as error:
        raise JiraApiError(400, [str(error)]) from None
    return json_response(knobs_to_json(sandbox.knobs.settings))


async def get_clock(request: Request, sandbox: Sandbox) -> Response:
    return json_response(sandbox.clock.describe())


async def put_clock(request: Request, sandbox: Sandbox) -> Response:
    body = await _body(request)
    clock = sandbox.clock
    known = {"advanceMs", "freeze", "freezeAtMs", "reset"}
    unknown = sorted(set(body) - known)
    if unknown:
        raise JiraApiError(400, [f"Unknown clock setting(s) {unknown}; use {sorted(known)}."])
    for name in ("advanceMs", "freezeAtMs"):
        value = body.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise JiraApiError(400, [f"{name} must be a whole number of milliseconds."])
    if body.get("reset"):
        clock.reset()
    if body.get("freezeAtMs") is not None:
        clock.freeze(body["freezeAtMs"])
    elif body.get("freeze") is True:
        clock.freeze()
    elif body.get("freeze") is False:
        clock.unfreeze()
    if body.get("advanceMs"):
        clock.advance(body["advanceMs"])
    return json_response(clock.describe())


async def flush_index(request: Request, sandbox: Sandbox) -> Response:
    with sandbox.state.lock:
        sandbox.state.search_index.flush()
    return no_content()


def build_router() -> Router[AdminHandler]:
    router: Router[AdminHandler] = Router()
    router.add("GET", "/_sandbox/info", info)
    router.add("GET", "/_sandbox/stats", stats)
    router.add("DELETE", "/_sandbox/stats", reset_stats)
    router.add("POST", "/_sandbox/reset", reset)
    router.add("GET", "/_sandbox/state", state_dump)
    router.add("GET", "/_sandbox/knobs", get_knobs)
    router.add("PUT", "/_sandbox/knobs", put_knobs)
    router.add("GET", "/_sandbox/clock", get_clock)
    router.add("PUT", "/_sandbox/clock", put_clock)
    router.add("POST", "/_sandbox/index/flush", flush_index)
    return router
