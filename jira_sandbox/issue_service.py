"""Issue operations as Jira performs them: create (single and bulk), edit, transition, delete,
comments, properties, watchers and links. Every operation checks its whole input first and
changes nothing when it refuses (a 4xx never leaves a half-written issue).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from jira_sandbox import errors as msg
from jira_sandbox.errors import JiraApiError
from jira_sandbox.fields import FieldReader, IssueValues, PendingComment
from jira_sandbox.model import Comment, Issue, IssueLink, RichText, User
from jira_sandbox.state import SandboxState
from jira_sandbox.workflow import Workflow
from jira_sandbox.worklog_service import log_work_in_transition, started_ms

BULK_LIMIT = 50
PROPERTY_KEY_LIMIT = 255
PROPERTY_VALUE_LIMIT = 32768


def _body_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise JiraApiError(400, [msg.INVALID_PAYLOAD])
    return body


def _property_list(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise JiraApiError(400, [msg.INVALID_PAYLOAD])
    found: dict[str, Any] = {}
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            raise JiraApiError(400, [msg.INVALID_PAYLOAD])
        check_property(item["key"], item.get("value"))
        found[item["key"]] = item.get("value")
    return found


def check_property(key: str, value: Any) -> None:
    if not key or len(key) > PROPERTY_KEY_LIMIT:
        raise JiraApiError(400, ["The property key must be between 1 and 255 characters long."])
    if len(json.dumps(value)) > PROPERTY_VALUE_LIMIT:
        raise JiraApiError(
            400, [f"The property '{key}' exceeds the maximum size of {PROPERTY_VALUE_LIMIT} bytes."]
        )


def _transition_id(raw: Any) -> str | None:
    if isinstance(raw, dict):
        value = raw.get("id")
        if isinstance(value, int | str) and not isinstance(value, bool) and str(value):
            return str(value)
    return None


def create_issue(
    state: SandboxState[Any], workflow: Workflow, actor: User, body: Any, version: int
) -> Issue:
    """Create an issue from a Jira create body (`fields`, `update`, `properties`, `transition`)."""
    body = _body_object(body)
    reader = FieldReader(
        state, version=version, screen=FieldReader.create_screen(state), creating=True
    )
    values = IssueValues(reporter=actor.name)
    reader.read(values, body)
    properties = _property_list(body.get("properties"))
    transition = None
    if "transition" in body:
        transition_id = _transition_id(body["transition"])
        transition = workflow.find(state.seed.initial_status_id, transition_id or "")
        if transition is None:
            raise JiraApiError(400, [msg.transition_not_valid(transition_id or "")])
    assert values.project_id is not None and values.issuetype_id is not None
    project = state.projects[values.project_id]
    now = state.clock.now_ms()
    issue = Issue(
        id=state.new_id(),
        key=state.next_key(project),
        project_id=project.id,
        issuetype_id=values.issuetype_id,
        summary=values.summary or "",
        status_id=state.seed.initial_status_id,
        reporter=values.reporter,
        creator=actor.name,
        created_ms=now,
        updated_ms=now,
        status_changed_ms=now,
    )
    values.apply_to(issue)
    issue.properties = properties
    issue.watchers = [actor.name]
    state.insert_issue(issue)
    if transition is not None:
        _move(state, workflow, issue, transition.to_status_id, transition.resolution_id)
        state.touch(issue)
    return issue


def bulk_create(
    state: SandboxState[Any], workflow: Workflow, actor: User, body: Any, version: int
) -> tuple[list[Issue], list[dict[str, Any]]]:
    """Create up to 50 issues; failures are reported per element, as Jira's bulk create does."""
    updates = _body_object(body).get("issueUpdates")
    if not isinstance(updates, list):
        raise JiraApiError(400, [msg.INVALID_PAYLOAD])
    if len(updates) > BULK_LIMIT:
        # Atlassian's contract gives every 400 of this operation the bulk answer's shape
        # (CreatedIssues), so the refusal is one element error on the first issue too many.
        message = (
            f"The number of issues to create ({len(updates)}) exceeds the maximum of "
            f"{BULK_LIMIT} per bulk request."
        )
        return [], [
            {
                "status": 400,
                "elementErrors": {"errorMessages": [message], "errors": {}},
                "failedElementNumber": BULK_LIMIT,
            }
        ]
    created: list[Issue] = []
    failures: list[dict[str, Any]] = []
    for index, update in enumerate(updates):
        try:
            created.append(create_issue(state, workflow, actor, update, version))
        except JiraApiError as error:
            failures.append(
                {
                    "status": error.status,
                    "elementErrors": {
                        "errorMessages": error.error_messages,
                        "errors": error.errors,
                    },
                    "failedElementNumber": index,
                }
            )
    return created, failures


def edit_issue(
    state: SandboxState[Any], actor: User, issue: Issue, body: Any, version: int
) -> None:
    body = _body_object(body)
    reader = FieldReader(state, version=version, screen=FieldReader.edit_screen(state))
    values = IssueValues.of(issue)
    reader.read(values, body)
    properties = _property_list(body.get("properties"))
    values.apply_to(issue)
    issue.properties.update(properties)
    _add_pending_comments(state, actor, issue, reader.pending_comments)
    if values.set_fields or reader.pending_comments:
        state.touch(issue)  # an edit that changes nothing leaves `updated` alone


def transition_issue(
    state: SandboxState[Any],
    workflow: Workflow,
    actor: User,
    issue: Issue,
    body: Any,
    version: int,
) -> None:
    """Move the issue along the workflow; `fields` on the transition screen and `update`
    (comment, worklog) are applied in the same call."""
    body = _body_object(body)
    transition_id = _transition_id(body.get("transition"))
    if transition_id is None:
        raise JiraApiError(400, ["Missing 'transition' identifier"])
    transition = workflow.find(issue.status_id, transition_id)
    if transition is None:
        raise JiraApiError(400, [msg.transition_not_valid(transition_id)])
    screen = frozenset(transition.screen_fields) | {"worklog"}
    reader = FieldReader(state, version=version, screen=screen)
    values = IssueValues.of(issue)
    reader.read(values, body)
    for pending in reader.pending_worklogs:
        started_ms(pending.started_raw, 0)  # refuse a bad start date before changing anything
    values.apply_to(issue)
    resolution = (
        values.resolution_id if "resolution" in values.set_fields else transition.resolution_id
    )
    _move(state, workflow, issue, transition.to_status_id, resolution)
    _add_pending_comments(state, actor, issue, reader.pending_comments)
    for pending in reader.pending_worklogs:
        log_work_in_transition(
            state, actor, issue, pending.time_spent_seconds, pending.started_raw, pending.comment
        )
    state.touch(issue)


def _move(
    state: SandboxState[Any],
    workflow: Workflow,
    issue: Issue,
    to_status_id: str,
    resolution_id: str | None,
) -> None:
    now = state.clock.now_ms()
    if issue.status_id != to_status_id:
        issue.status_changed_ms = now
    issue.status_id = to_status_id
    if workflow.is_done(to_status_id):
        # Arriving in a done status resolves the issue (keeping an earlier resolution date
        # if it was already resolved); leaving it clears the resolution, as Jira does.
        if resolution_id is not None:
            issue.resolution_id = resolution_id
        if issue.resolution_id is not None and issue.resolution_ms is None:
            issue.resolution_ms = now
    else:
        issue.resolution_id = None
        issue.resolution_ms = None


def _add_pending_comments(
    state: SandboxState[Any], actor: User, issue: Issue, pending: list[PendingComment]
) -> None:
    for item in pending:
        _new_comment(state, actor, issue, item.body, item.visibility, {})


def _new_comment(
    state: SandboxState[Any],
    actor: User,
    issue: Issue,
    body: RichText,
    visibility: dict[str, Any] | None,
    properties: dict[str, Any],
) -> Comment:
    now = state.clock.now_ms()
    comment = Comment(
        id=state.new_id(),
        issue_id=issue.id,
        author=actor.name,
        update_author=actor.name,
        body=body,
        created_ms=now,
        updated_ms=now,
        visibility=visibility,
        properties=properties,
    )
    state.add_comment(issue, comment)
    return comment


def _comment_body(state: SandboxState[Any], version: int, body: dict[str, Any]) -> RichText:
    if "body" not in body or body["body"] is None:
        raise JiraApiError(400, [], {"comment": "Comment body can not be empty!"})
    reader = FieldReader(state, version=version, screen=frozenset())
    rich = reader.rich_text("comment", body["body"])
    if rich is None:
        raise JiraApiError(400, [], reader.errors)
    if not rich.text.strip():
        raise JiraApiError(400, [], {"comment": "Comment body can not be empty!"})
    return rich


def add_comment(
    state: SandboxState[Any], actor: User, issue: Issue, body: Any, version: int
) -> Comment:
    body = _body_object(body)
    rich = _comment_body(state, version, body)
    visibility = body.get("visibility")
    properties = _property_list(body.get("properties"))
    comment = _new_comment(
        state,
        actor,
        issue,
        rich,
        visibility if isinstance(visibility, dict) else None,
        properties,
    )
    state.touch(issue)
    return comment


def find_comment(issue: Issue, comment_id: str) -> Comment:
    for comment in issue.comments:
        if str(comment.id) == comment_id:
            return comment
    raise JiraApiError(404, [f"Can not find a comment for the id: {comment_id}."])


def update_comment(
    state: SandboxState[Any],
    actor: User,
    issue: Issue,
    comment: Comment,
    body: Any,
    version: int,
) -> Comment:
    body = _body_object(body)
    comment.body = _comment_body(state, version, body)
    if "visibility" in body:
        visibility = body["visibility"]
        comment.visibility = visibility if isinstance(visibility, dict) else None
    comment.update_author = actor.name
    comment.updated_ms = state.clock.now_ms()
    state.touch(issue)
    return comment


def delete_comment(state: SandboxState[Any], issue: Issue, comment: Comment) -> None:
    state.remove_comment(issue, comment)
    state.touch(issue)


def set_property(issue: Issue, key: str, value: Any) -> bool:
    """Set an issue property; True when it was created (201), False when updated (200)."""
    check_property(key, value)
    created = key not in issue.properties
    issue.properties[key] = value
    return created


def add_watcher(state: SandboxState[Any], actor: User, issue: Issue, body: Any) -> None:
    """POST watchers: the body is a JSON string naming the user (the caller when empty)."""
    if body is None or body == "":
        user: User | None = actor
    elif isinstance(body, str):
        user = state.find_user(body)
        if state.gdpr_strict and user is not None and user.account_id != body:
            user = None  # Cloud takes the accountId only
        if user is None:
            raise JiraApiError(400, [], {"watcher": f'The user "{body}" does not exist.'})
    else:
        raise JiraApiError(400, [msg.INVALID_PAYLOAD])
    assert user is not None
    if user.name not in issue.watchers:
        issue.watchers.append(user.name)


def remove_watcher(state: SandboxState[Any], issue: Issue, params: Mapping[str, str]) -> None:
    if state.gdpr_strict and "username" in params:
        raise JiraApiError(400, [msg.GDPR_QUERY])
    ref = params.get("accountId") or params.get("username")
    if not ref:
        raise JiraApiError(400, ["Either 'accountId' or 'username' must be given."])
    user = state.find_user(ref)
    if user is None:
        raise JiraApiError(404, [f'The user "{ref}" does not exist.'])
    if user.name in issue.watchers:
        issue.watchers.remove(user.name)


def link_issues(state: SandboxState[Any], actor: User, body: Any, version: int) -> IssueLink:
    body = _body_object(body)
    raw_type = body.get("type")
    type_ref = None
    if isinstance(raw_type, dict):
        type_ref = raw_type.get("id") or raw_type.get("name")
    link_type = (
        state.find_by_id_or_name(state.link_types, str(type_ref)) if type_ref is not None else None
    )
    if link_type is None:
        raise JiraApiError(404, [f"No issue link type with name '{type_ref}' found."])
    ends: list[Issue] = []
    for side in ("inwardIssue", "outwardIssue"):
        raw = body.get(side)
        ref = None
        if isinstance(raw, dict):
            ref = raw.get("key") or raw.get("id")
        issue = state.find_issue(str(ref)) if ref is not None else None
        if issue is None:
            raise JiraApiError(404, ["Issue Does Not Exist"])
        ends.append(issue)
    inward, outward = ends
    if isinstance(body.get("comment"), dict):
        add_comment(state, actor, outward, body["comment"], version)
    link = IssueLink(state.new_id(), link_type.id, inward.id, outward.id)
    state.add_link(link)
    state.touch(inward)
    state.touch(outward)
    return link
