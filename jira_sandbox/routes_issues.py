"""Issue endpoints: create, bulk create, get, edit, delete, and workflow transitions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.responses import Response

from jira_sandbox import issue_service
from jira_sandbox.http import Call, Handler, json_response, no_content
from jira_sandbox.model import Issue
from jira_sandbox.render import select_fields

Add = Callable[[str, str, Handler], None]


def _created(call: Call, issue: Issue) -> dict[str, Any]:
    return {"id": str(issue.id), "key": issue.key, "self": f"{call.api}/issue/{issue.id}"}


async def create_issue(call: Call) -> Response:
    body = await call.json()
    sandbox = call.sandbox
    with sandbox.state.lock:
        issue = issue_service.create_issue(
            sandbox.state, sandbox.workflow, call.actor, body, call.version
        )
        created = _created(call, issue)
    if isinstance(body, dict) and "transition" in body:
        created["transition"] = {
            "status": 200,
            "errorCollection": {"errorMessages": [], "errors": {}},
        }
    return json_response(created, 201)


async def bulk_create(call: Call) -> Response:
    body = await call.json()
    sandbox = call.sandbox
    with sandbox.state.lock:
        issues, failures = issue_service.bulk_create(
            sandbox.state, sandbox.workflow, call.actor, body, call.version
        )
        created = [_created(call, issue) for issue in issues]
    # Jira answers 201 when at least one issue was created, 400 when none was.
    status = 201 if created or not failures else 400
    return json_response({"issues": created, "errors": failures}, status)


async def get_issue(call: Call) -> Response:
    sandbox = call.sandbox
    with sandbox.state.lock:
        issue = call.issue()
        selection = select_fields(call.query_list("fields"), call.render.field_defs, "*all")
        bean = call.render.issue(
            issue,
            selection,
            expand=frozenset(call.query_list("expand")),
            properties=call.query_list("properties"),
            viewer=call.user,
        )
    return json_response(bean)


async def edit_issue(call: Call) -> Response:
    body = await call.json()
    sandbox = call.sandbox
    with sandbox.state.lock:
        issue = call.issue()
        issue_service.edit_issue(sandbox.state, call.actor, issue, body, call.version)
        if call.query_bool("returnIssue", False):
            selection = select_fields([], call.render.field_defs, "*all")
            bean = call.render.issue(
                issue, selection, expand=frozenset(call.query_list("expand")), viewer=call.user
            )
            return json_response(bean)
    return no_content()


async def delete_issue(call: Call) -> Response:
    sandbox = call.sandbox
    with sandbox.state.lock:
        issue = call.issue()
        sandbox.state.delete_issue(issue)
    return no_content()


async def get_transitions(call: Call) -> Response:
    sandbox = call.sandbox
    with sandbox.state.lock:
        issue = call.issue()
        available = sandbox.workflow.available(issue.status_id)
        wanted = call.query("transitionId")
        if wanted is not None:
            available = [t for t in available if t.id == wanted]
        found = [call.render.transition(t) for t in available]
    return json_response({"expand": "transitions", "transitions": found})


async def do_transition(call: Call) -> Response:
    body = await call.json()
    sandbox = call.sandbox
    with sandbox.state.lock:
        issue = call.issue()
        issue_service.transition_issue(
            sandbox.state, sandbox.workflow, call.actor, issue, body, call.version
        )
    return no_content()


def register(add: Add) -> None:
    add("POST", "/issue", create_issue)
    add("POST", "/issue/bulk", bulk_create)
    add("GET", "/issue/{issueIdOrKey}", get_issue)
    add("PUT", "/issue/{issueIdOrKey}", edit_issue)
    add("DELETE", "/issue/{issueIdOrKey}", delete_issue)
    add("GET", "/issue/{issueIdOrKey}/transitions", get_transitions)
    add("POST", "/issue/{issueIdOrKey}/transitions", do_transition)
