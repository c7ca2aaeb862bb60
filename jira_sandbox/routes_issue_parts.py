"""An issue's parts: comments, properties, watchers, links and attachments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.datastructures import UploadFile
from starlette.responses import Response

from jira_sandbox import errors as msg
from jira_sandbox import issue_service
from jira_sandbox.errors import JiraApiError
from jira_sandbox.http import Call, Handler, json_response, no_content
from jira_sandbox.model import Attachment
from jira_sandbox.timefmt import format_ms

Add = Callable[[str, str, Handler], None]

COMMENT_PAGE_LIMIT = 5000
ATTACHMENT_LIMIT_BYTES = 10 * 1024 * 1024


# ---- comments -------------------------------------------------------------------------------


async def list_comments(call: Call) -> Response:
    with call.sandbox.state.lock:
        issue = call.issue()
        start = max(0, call.query_int("startAt", 0))
        size = max(0, min(call.query_int("maxResults", COMMENT_PAGE_LIMIT), COMMENT_PAGE_LIMIT))
        comments = list(issue.comments)
        if call.query("orderBy") == "-created":
            comments.reverse()
        rendered = "renderedBody" in call.query_list("expand")
        page = [call.render.comment(c, rendered=rendered) for c in comments[start : start + size]]
        total = len(comments)
    return json_response({"startAt": start, "maxResults": size, "total": total, "comments": page})


async def add_comment(call: Call) -> Response:
    body = await call.json()
    with call.sandbox.state.lock:
        issue = call.issue()
        comment = issue_service.add_comment(
            call.sandbox.state, call.actor, issue, body, call.version
        )
        return json_response(call.render.comment(comment), 201)


async def get_comment(call: Call) -> Response:
    with call.sandbox.state.lock:
        comment = issue_service.find_comment(call.issue(), call.params["id"])
        return json_response(call.render.comment(comment))


async def update_comment(call: Call) -> Response:
    body = await call.json()
    with call.sandbox.state.lock:
        issue = call.issue()
        comment = issue_service.find_comment(issue, call.params["id"])
        issue_service.update_comment(
            call.sandbox.state, call.actor, issue, comment, body, call.version
        )
        return json_response(call.render.comment(comment))


async def delete_comment(call: Call) -> Response:
    with call.sandbox.state.lock:
        issue = call.issue()
        comment = issue_service.find_comment(issue, call.params["id"])
        issue_service.delete_comment(call.sandbox.state, issue, comment)
    return no_content()


# ---- properties -----------------------------------------------------------------------------


async def list_properties(call: Call) -> Response:
    with call.sandbox.state.lock:
        issue = call.issue()
        keys = [
            {"self": f"{call.api}/issue/{issue.id}/properties/{key}", "key": key}
            for key in issue.properties
        ]
    return json_response({"keys": keys})


def _missing_property(key: str) -> JiraApiError:
    return JiraApiError(404, [f"The property with key '{key}' does not exist."])


async def get_property(call: Call) -> Response:
    key = call.params["propertyKey"]
    with call.sandbox.state.lock:
        issue = call.issue()
        if key not in issue.properties:
            raise _missing_property(key)
        return json_response({"key": key, "value": issue.properties[key]})


async def set_property(call: Call) -> Response:
    key = call.params["propertyKey"]
    raw = await call.request.body()
    if not raw:
        raise JiraApiError(400, ["The property value must be valid JSON."])
    value = await call.json()
    with call.sandbox.state.lock:
        issue = call.issue()
        # Entity properties are not issue fields: setting one does not bump `updated`.
        created = issue_service.set_property(issue, key, value)
    return Response(status_code=201 if created else 200)


async def delete_property(call: Call) -> Response:
    key = call.params["propertyKey"]
    with call.sandbox.state.lock:
        issue = call.issue()
        if key not in issue.properties:
            raise _missing_property(key)
        del issue.properties[key]
    return no_content()


# ---- watchers -------------------------------------------------------------------------------


async def get_watchers(call: Call) -> Response:
    with call.sandbox.state.lock:
        return json_response(call.render.watchers(call.issue(), call.user))


async def add_watcher(call: Call) -> Response:
    body = await call.json()
    with call.sandbox.state.lock:
        issue_service.add_watcher(call.sandbox.state, call.actor, call.issue(), body)
    return no_content()


async def remove_watcher(call: Call) -> Response:
    with call.sandbox.state.lock:
        issue_service.remove_watcher(call.sandbox.state, call.issue(), call.request.query_params)
    return no_content()


# ---- links ----------------------------------------------------------------------------------


async def create_link(call: Call) -> Response:
    body = await call.json()
    with call.sandbox.state.lock:
        link = issue_service.link_issues(call.sandbox.state, call.actor, body, call.version)
    return Response(status_code=201, headers={"Location": f"{call.api}/issueLink/{link.id}"})


def _link(call: Call) -> Any:
    link_id = call.params["linkId"]
    link = call.sandbox.state.links_by_id.get(int(link_id)) if link_id.isdigit() else None
    if link is None:
        raise JiraApiError(404, [f"No issue link with id '{link_id}' exists."])
    return link


async def get_link(call: Call) -> Response:
    with call.sandbox.state.lock:
        return json_response(call.render.issue_link(_link(call)))


async def delete_link(call: Call) -> Response:
    state = call.sandbox.state
    with state.lock:
        link = _link(call)
        state.remove_link(link.id)
        for issue_id in (link.inward_issue_id, link.outward_issue_id):
            state.touch(state.issues_by_id[issue_id])
    return no_content()


# ---- attachments ----------------------------------------------------------------------------


async def add_attachments(call: Call) -> Response:
    # Jira refuses multipart uploads without this header (its XSRF protection).
    if call.request.headers.get("X-Atlassian-Token", "").lower() != "no-check":
        raise JiraApiError(403, [msg.XSRF_CHECK_FAILED])
    content_type = call.request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise JiraApiError(
            415, ["Attachments must be sent as multipart/form-data with a 'file' part."]
        )
    form = await call.request.form()
    uploads = [item for item in form.getlist("file") if isinstance(item, UploadFile)]
    if not uploads:
        raise JiraApiError(400, ["The request has no 'file' part to attach."])
    contents = [(upload, await upload.read()) for upload in uploads]
    state = call.sandbox.state
    with state.lock:
        issue = call.issue()
        for _, content in contents:
            if len(content) > ATTACHMENT_LIMIT_BYTES:
                raise JiraApiError(
                    413, ["The attachment is larger than the sandbox's 10 MB limit."]
                )
        created: list[Attachment] = []
        for upload, content in contents:
            attachment = Attachment(
                id=state.new_id(),
                issue_id=issue.id,
                filename=upload.filename or "attachment",
                mime_type=upload.content_type or "application/octet-stream",
                content=content,
                author=call.actor.name,
                created_ms=state.clock.now_ms(),
            )
            state.add_attachment(issue, attachment)
            created.append(attachment)
        state.touch(issue)
        return json_response([call.render.attachment(a) for a in created])


def _attachment(call: Call) -> Attachment:
    raw = call.params["id"]
    found = call.sandbox.state.attachments_by_id.get(int(raw)) if raw.isdigit() else None
    if found is None:
        raise JiraApiError(404, [f"The attachment with id '{raw}' does not exist."])
    return found


async def get_attachment(call: Call) -> Response:
    with call.sandbox.state.lock:
        attachment = _attachment(call)
        author = call.sandbox.state.users.get(attachment.author)
        return json_response(
            {
                "self": f"{call.api}/attachment/{attachment.id}",
                "id": attachment.id,
                "filename": attachment.filename,
                "author": call.render.user(author) if author else None,
                "created": format_ms(attachment.created_ms),
                "size": len(attachment.content),
                "mimeType": attachment.mime_type,
                "content": call.render.attachment_content_url(attachment),
                "properties": {},
            }
        )


async def attachment_content(call: Call) -> Response:
    with call.sandbox.state.lock:
        attachment = _attachment(call)
    return Response(attachment.content, media_type=attachment.mime_type)


async def delete_attachment(call: Call) -> Response:
    with call.sandbox.state.lock:
        attachment = _attachment(call)
        call.sandbox.state.remove_attachment(attachment)
    return no_content()


def register(add: Add) -> None:
    add("GET", "/issue/{issueIdOrKey}/comment", list_comments)
    add("POST", "/issue/{issueIdOrKey}/comment", add_comment)
    add("GET", "/issue/{issueIdOrKey}/comment/{id}", get_comment)
    add("PUT", "/issue/{issueIdOrKey}/comment/{id}", update_comment)
    add("DELETE", "/issue/{issueIdOrKey}/comment/{id}", delete_comment)
    add("GET", "/issue/{issueIdOrKey}/properties", list_properties)
    add("GET", "/issue/{issueIdOrKey}/properties/{propertyKey}", get_property)
    add("PUT", "/issue/{issueIdOrKey}/properties/{propertyKey}", set_property)
    add("DELETE", "/issue/{issueIdOrKey}/properties/{propertyKey}", delete_property)
    add("GET", "/issue/{issueIdOrKey}/watchers", get_watchers)
    add("POST", "/issue/{issueIdOrKey}/watchers", add_watcher)
    add("DELETE", "/issue/{issueIdOrKey}/watchers", remove_watcher)
    add("POST", "/issueLink", create_link)
    add("GET", "/issueLink/{linkId}", get_link)
    add("DELETE", "/issueLink/{linkId}", delete_link)
    add("POST", "/issue/{issueIdOrKey}/attachments", add_attachments)
    add("GET", "/attachment/{id}", get_attachment)
    add("DELETE", "/attachment/{id}", delete_attachment)
    add("GET", "/attachment/content/{id}", attachment_content)
