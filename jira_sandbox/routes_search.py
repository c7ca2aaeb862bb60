"""Search endpoints, per deployment mode.

Cloud: `/search/jql` (GET and POST; `nextPageToken`, `isLast`, no `total`; `fields` defaults
to `id`; bounded queries only; `reconcileIssues`) and `/search/approximate-count`; the removed
`/search` answers 410 with Jira's migration message (jiralert #203, pycontribs #2367).
Data Center: `/search` with `startAt`/`maxResults`/`total`; `/search/jql` does not exist (404).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from jira_sandbox import errors as msg
from jira_sandbox import search_service
from jira_sandbox.errors import JiraApiError
from jira_sandbox.http import Call, Handler, json_response
from jira_sandbox.model import Issue
from jira_sandbox.render import FieldSelection, select_fields

Add = Callable[[str, str, Handler], None]

CLOUD_MAX_RESULTS = 5000  # when only id/key are asked for
CLOUD_MAX_RESULTS_WITH_FIELDS = 100  # Jira returns fewer per page when fields are asked for
RECONCILE_LIMIT = 50
DC_MAX_RESULTS = 1000
CLOUD_POST_KEYS = frozenset(
    {
        "jql",
        "nextPageToken",
        "maxResults",
        "fields",
        "expand",
        "properties",
        "fieldsByKeys",
        "failFast",
        "reconcileIssues",
    }
)
DC_POST_KEYS = frozenset(
    {"jql", "startAt", "maxResults", "fields", "expand", "properties", "validateQuery"}
)


@dataclass
class SearchRequest:
    jql: str
    max_results: int | None
    fields: list[str]
    expand: list[str]
    properties: list[str]
    next_page_token: str | None = None
    reconcile: list[int] | None = None
    start_at: int = 0
    validate: str = "strict"


def _strings(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return [part.strip() for item in value for part in item.split(",") if part.strip()]
    raise JiraApiError(400, [f"'{name}' must be a string or a list of strings."])


def _integer(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise JiraApiError(400, [msg.INVALID_PAYLOAD])
    return value


def _rendered(
    call: Call,
    page: list[Issue],
    selection: FieldSelection,
    expand: set[str],
    properties: Iterable[str],
) -> list[dict[str, Any]]:
    """One page of issues as search answers them (`names` and `schema` expand the page, not
    each issue)."""
    return [
        call.render.issue(
            issue,
            selection,
            expand=frozenset(expand - {"names", "schema"}),
            properties=properties,
            viewer=call.user,
        )
        for issue in page
    ]


async def _read_request(call: Call, allowed_keys: frozenset[str]) -> SearchRequest:
    if call.request.method == "POST":
        body = await call.json()
        if body is None:
            body = {}
        if not isinstance(body, dict) or set(body) - allowed_keys:
            raise JiraApiError(400, [msg.INVALID_PAYLOAD])
        jql = body.get("jql") or ""
        if not isinstance(jql, str):
            raise JiraApiError(400, [msg.INVALID_PAYLOAD])
        reconcile = body.get("reconcileIssues")
        if reconcile is not None and (
            not isinstance(reconcile, list)
            or not all(isinstance(i, int) and not isinstance(i, bool) for i in reconcile)
        ):
            raise JiraApiError(400, [msg.INVALID_PAYLOAD])
        token = body.get("nextPageToken")
        validate = body.get("validateQuery", "strict")
        return SearchRequest(
            jql=jql,
            max_results=_integer(body.get("maxResults"), "maxResults"),
            fields=_strings(body.get("fields"), "fields"),
            expand=_strings(body.get("expand"), "expand"),
            properties=_strings(body.get("properties"), "properties"),
            next_page_token=token if isinstance(token, str) else None,
            reconcile=reconcile,
            start_at=_integer(body.get("startAt"), "startAt") or 0,
            validate=str(validate).lower(),
        )
    raw_max = call.query("maxResults")
    reconcile_raw = call.query_list("reconcileIssues")
    try:
        reconcile_ids = [int(item) for item in reconcile_raw]
    except ValueError:
        raise JiraApiError(400, ["reconcileIssues must list numeric issue ids."]) from None
    return SearchRequest(
        jql=call.query("jql") or "",
        max_results=call.query_int("maxResults", 50) if raw_max is not None else None,
        fields=call.query_list("fields"),
        expand=call.query_list("expand"),
        properties=call.query_list("properties"),
        next_page_token=call.query("nextPageToken"),
        reconcile=reconcile_ids,
        start_at=call.query_int("startAt", 0),
        validate=(call.query("validateQuery") or "strict").lower(),
    )


def _token(offset: int, jql: str) -> str:
    payload = json.dumps({"o": offset, "q": _fingerprint(jql)}).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def _fingerprint(jql: str) -> str:
    return hashlib.sha256(jql.encode()).hexdigest()[:12]


def _offset_from_token(token: str | None, jql: str) -> int:
    if not token:
        return 0
    try:
        padded = token + "=" * (-len(token) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        offset = payload["o"]
        same_query = payload["q"] == _fingerprint(jql)
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise JiraApiError(
            400, ["The nextPageToken is not valid. Start the search again without it."]
        ) from None
    if not isinstance(offset, int) or offset < 0 or not same_query:
        raise JiraApiError(
            400, ["The nextPageToken does not belong to this query. Start the search again."]
        )
    return offset


def _top_level_expand(call: Call, body: dict[str, Any], expand: set[str], ids: list[str]) -> None:
    if "names" in expand:
        body["names"] = call.render.names(ids)
    if "schema" in expand:
        body["schema"] = call.render.schemas(ids)


def _selected_ids(call: Call, selection: FieldSelection) -> list[str]:
    return [fid for fid in call.render.field_defs if fid in selection.fields]


async def search_jql(call: Call) -> Response:
    request = await _read_request(call, CLOUD_POST_KEYS)
    query = search_service.parse(request.jql)
    if not query.is_bounded:
        raise JiraApiError(400, [msg.UNBOUNDED_JQL])
    if len(query.order_by) > search_service.MAX_ORDER_FIELDS:
        raise JiraApiError(400, ["The ORDER BY clause can contain a maximum of 7 fields."])
    reconcile = request.reconcile or []
    if len(reconcile) > RECONCILE_LIMIT:
        raise JiraApiError(400, [f"reconcileIssues accepts at most {RECONCILE_LIMIT} issue ids."])
    requested = 50 if request.max_results is None else request.max_results
    if not 1 <= requested <= CLOUD_MAX_RESULTS:
        raise JiraApiError(
            400, [f"maxResults must be between 1 and {CLOUD_MAX_RESULTS}; it was {requested}."]
        )
    selection = select_fields(request.fields, call.render.field_defs, "id")
    page_size = min(
        requested,
        CLOUD_MAX_RESULTS if selection.id_only else CLOUD_MAX_RESULTS_WITH_FIELDS,
    )
    offset = _offset_from_token(request.next_page_token, request.jql)
    expand = set(request.expand)
    with call.sandbox.state.lock:
        outcome = search_service.run(call.sandbox.state, query, call.user, reconcile=reconcile)
        page = outcome.issues[offset : offset + page_size]
        issues = _rendered(call, page, selection, expand, request.properties)
        more = offset + page_size < len(outcome.issues)
    body: dict[str, Any] = {"issues": issues}
    if more:
        body["nextPageToken"] = _token(offset + page_size, request.jql)
    body["isLast"] = not more
    _top_level_expand(call, body, expand, _selected_ids(call, selection))
    return json_response(body)


async def approximate_count(call: Call) -> Response:
    body = await call.json()
    if (
        not isinstance(body, dict)
        or set(body) - {"jql"}
        or not isinstance(body.get("jql", ""), str)
    ):
        raise JiraApiError(400, [msg.INVALID_PAYLOAD])
    query = search_service.parse(body.get("jql") or "")
    if not query.is_bounded:
        raise JiraApiError(400, [msg.UNBOUNDED_JQL])
    with call.sandbox.state.lock:
        outcome = search_service.run(call.sandbox.state, query, call.user)
    return json_response({"count": len(outcome.issues)})


async def removed_search(call: Call) -> Response:
    raise JiraApiError(410, [msg.REMOVED_SEARCH_API])


async def search_dc(call: Call) -> Response:
    request = await _read_request(call, DC_POST_KEYS)
    query = search_service.parse(request.jql)
    requested = 50 if request.max_results is None else request.max_results
    if requested < 0:
        raise JiraApiError(400, ["maxResults must not be negative."])
    page_size = min(requested, DC_MAX_RESULTS)
    start = max(0, request.start_at)
    selection = select_fields(request.fields, call.render.field_defs, "*navigable")
    expand = set(request.expand)
    strict = request.validate not in ("false", "warn", "none")
    with call.sandbox.state.lock:
        outcome = search_service.run(call.sandbox.state, query, call.user, strict=strict)
        page = outcome.issues[start : start + page_size]
        issues = _rendered(call, page, selection, expand, request.properties)
    body: dict[str, Any] = {
        "expand": "schema,names",
        "startAt": start,
        "maxResults": page_size,
        "total": len(outcome.issues),
        "issues": issues,
    }
    if outcome.warnings:
        body["warningMessages"] = outcome.warnings
    _top_level_expand(call, body, expand, _selected_ids(call, selection))
    return json_response(body)


def register(add: Add, *, cloud: bool) -> None:
    if cloud:
        add("GET", "/search/jql", search_jql)
        add("POST", "/search/jql", search_jql)
        add("POST", "/search/approximate-count", approximate_count)
        add("GET", "/search", removed_search)
        add("POST", "/search", removed_search)
    else:
        add("GET", "/search", search_dc)
        add("POST", "/search", search_dc)
