"""Worklog endpoints: per-issue list/add/update/delete and the instance-wide change feeds; on
Cloud also worklog properties and the bulk move (the Data Center contract has neither)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.responses import Response

from jira_sandbox import issue_service, worklog_service
from jira_sandbox.errors import JiraApiError
from jira_sandbox.feed import ChangeFeed
from jira_sandbox.http import Call, Handler, json_response, no_content

Add = Callable[[str, str, Handler], None]

ISSUE_WORKLOG_PAGE_LIMIT = 5000


def _with_properties(call: Call) -> bool:
    return "properties" in call.query_list("expand")


async def list_issue_worklogs(call: Call) -> Response:
    if not call.sandbox.is_cloud:
        return await _all_issue_worklogs(call)
    with call.sandbox.state.lock:
        issue = call.issue()
        start = max(0, call.query_int("startAt", 0))
        size = max(
            0, min(call.query_int("maxResults", ISSUE_WORKLOG_PAGE_LIMIT), ISSUE_WORKLOG_PAGE_LIMIT)
        )
        after = call.query_int("startedAfter", -(2**62))
        before = call.query_int("startedBefore", 2**62)
        # "after which" / "before which": both bounds are exclusive.
        chosen = [w for w in issue.worklogs if after < w.started_ms < before]
        expand = _with_properties(call)
        page = [
            call.render.worklog(w, with_properties=expand) for w in chosen[start : start + size]
        ]
    return json_response(
        {"startAt": start, "maxResults": size, "total": len(chosen), "worklogs": page}
    )


async def _all_issue_worklogs(call: Call) -> Response:
    """Data Center 10.3's GET /issue/{id}/worklog takes no query parameters: every worklog of
    the issue in one answer (its contract lists none; startAt and friends are Cloud's)."""
    with call.sandbox.state.lock:
        issue = call.issue()
        expand = _with_properties(call)
        page = [call.render.worklog(w, with_properties=expand) for w in issue.worklogs]
    return json_response(
        {"startAt": 0, "maxResults": len(page), "total": len(page), "worklogs": page}
    )


async def add_worklog(call: Call) -> Response:
    body = await call.json()
    with call.sandbox.state.lock:
        issue = call.issue()
        worklog = worklog_service.add_worklog(
            call.sandbox.state, call.actor, issue, body, call.request.query_params, call.version
        )
        return json_response(
            call.render.worklog(worklog, with_properties=_with_properties(call)), 201
        )


async def get_worklog(call: Call) -> Response:
    with call.sandbox.state.lock:
        worklog = worklog_service.find_worklog(call.issue(), call.params["id"])
        return json_response(call.render.worklog(worklog, with_properties=_with_properties(call)))


async def update_worklog(call: Call) -> Response:
    body = await call.json()
    with call.sandbox.state.lock:
        issue = call.issue()
        worklog = worklog_service.find_worklog(issue, call.params["id"])
        worklog_service.update_worklog(
            call.sandbox.state,
            call.actor,
            issue,
            worklog,
            body,
            call.request.query_params,
            call.version,
        )
        return json_response(call.render.worklog(worklog, with_properties=_with_properties(call)))


async def delete_worklog(call: Call) -> Response:
    with call.sandbox.state.lock:
        issue = call.issue()
        worklog = worklog_service.find_worklog(issue, call.params["id"])
        worklog_service.delete_worklog(
            call.sandbox.state, issue, worklog, call.request.query_params
        )
    return no_content()


def _feed_page(call: Call, feed: ChangeFeed, path: str, with_properties: bool) -> dict[str, Any]:
    state = call.sandbox.state
    since = max(0, call.query_int("since", 0))
    page = worklog_service.read_feed(feed, since, state.clock.now_ms())
    values = []
    for time_ms, worklog_id in page.items:
        properties: list[dict[str, Any]] = []
        worklog = state.worklogs_by_id.get(worklog_id)
        if with_properties and worklog is not None:
            properties = [{"key": k, "value": v} for k, v in worklog.properties.items()]
        values.append({"worklogId": worklog_id, "updatedTime": time_ms, "properties": properties})
    return {
        "values": values,
        "since": page.since,
        "until": page.until,
        "self": f"{call.api}/{path}?since={since}",
        "nextPage": f"{call.api}/{path}?since={page.until}",
        "lastPage": page.last_page,
    }


async def updated_worklogs(call: Call) -> Response:
    state = call.sandbox.state
    with state.lock:
        body = _feed_page(call, state.worklog_updates, "worklog/updated", _with_properties(call))
    return json_response(body)


async def deleted_worklogs(call: Call) -> Response:
    state = call.sandbox.state
    with state.lock:
        body = _feed_page(call, state.worklog_deletions, "worklog/deleted", False)
    return json_response(body)


async def list_worklogs(call: Call) -> Response:
    body = await call.json()
    with call.sandbox.state.lock:
        found = worklog_service.worklogs_by_ids(call.sandbox.state, body)
        expand = _with_properties(call)
        return json_response([call.render.worklog(w, with_properties=expand) for w in found])


async def move_worklogs(call: Call) -> Response:
    body = await call.json()
    with call.sandbox.state.lock:
        worklog_service.move_worklogs(
            call.sandbox.state, call.issue(), body, call.request.query_params
        )
    return no_content()


# ---- worklog properties (Cloud) ---------------------------------------------------------------


def _missing_property(key: str) -> JiraApiError:
    return JiraApiError(404, [f"The property with key '{key}' does not exist."])


async def list_worklog_properties(call: Call) -> Response:
    with call.sandbox.state.lock:
        issue = call.issue()
        worklog = worklog_service.find_worklog(issue, call.params["worklogId"])
        base = f"{call.api}/issue/{issue.id}/worklog/{worklog.id}/properties"
        keys = [{"self": f"{base}/{key}", "key": key} for key in worklog.properties]
    return json_response({"keys": keys})


async def get_worklog_property(call: Call) -> Response:
    key = call.params["propertyKey"]
    with call.sandbox.state.lock:
        worklog = worklog_service.find_worklog(call.issue(), call.params["worklogId"])
        if key not in worklog.properties:
            raise _missing_property(key)
        return json_response({"key": key, "value": worklog.properties[key]})


async def set_worklog_property(call: Call) -> Response:
    key = call.params["propertyKey"]
    if not await call.request.body():
        raise JiraApiError(400, ["The property value must be valid JSON."])
    value = await call.json()
    with call.sandbox.state.lock:
        worklog = worklog_service.find_worklog(call.issue(), call.params["worklogId"])
        issue_service.check_property(key, value)
        # Entity properties are not worklog fields: setting one does not bump `updated`.
        created = key not in worklog.properties
        worklog.properties[key] = value
    return Response(status_code=201 if created else 200)


async def delete_worklog_property(call: Call) -> Response:
    key = call.params["propertyKey"]
    with call.sandbox.state.lock:
        worklog = worklog_service.find_worklog(call.issue(), call.params["worklogId"])
        if key not in worklog.properties:
            raise _missing_property(key)
        del worklog.properties[key]
    return no_content()


def register(add: Add, *, cloud: bool) -> None:
    add("GET", "/issue/{issueIdOrKey}/worklog", list_issue_worklogs)
    add("POST", "/issue/{issueIdOrKey}/worklog", add_worklog)
    add("GET", "/issue/{issueIdOrKey}/worklog/{id}", get_worklog)
    add("PUT", "/issue/{issueIdOrKey}/worklog/{id}", update_worklog)
    add("DELETE", "/issue/{issueIdOrKey}/worklog/{id}", delete_worklog)
    add("GET", "/worklog/updated", updated_worklogs)
    add("GET", "/worklog/deleted", deleted_worklogs)
    add("POST", "/worklog/list", list_worklogs)
    if cloud:
        add("POST", "/issue/{issueIdOrKey}/worklog/move", move_worklogs)
        properties = "/issue/{issueIdOrKey}/worklog/{worklogId}/properties"
        add("GET", properties, list_worklog_properties)
        add("GET", properties + "/{propertyKey}", get_worklog_property)
        add("PUT", properties + "/{propertyKey}", set_worklog_property)
        add("DELETE", properties + "/{propertyKey}", delete_worklog_property)
