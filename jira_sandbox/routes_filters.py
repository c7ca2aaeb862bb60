"""Saved filters: create, read, update, find (`/filter/search` on Cloud), the caller's
favourites, and share permissions (`/filter/{id}/permission`).

What Jira does that a client must cope with, and the sandbox therefore does too:
- a filter's name is unique per owner: a second create with the same name is a 400 naming
  `filterName`, so a client that lost the answer to a create must look before it creates again;
- the JQL is parsed and its values checked as a search would (an unknown status is a 400);
- a filter that does not exist, or is not shared with the caller, is a 400, not a 404;
- `/filter/search` matches `filterName` by words unless `isSubstringMatch=true`, pages with
  `startAt`/`maxResults`, and shows a filter's `jql`, `owner`, `description`, `favourite`,
  `sharePermissions` and `viewUrl` only when `expand` names them.
Data Center has no `/filter/search`: its clients find their filters among `/filter/favourite`
(a new filter is its owner's favourite) or keep the ids of the filters they made.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from starlette.responses import Response

from jira_sandbox import search_service
from jira_sandbox.errors import JiraApiError
from jira_sandbox.http import Call, Handler, json_response
from jira_sandbox.model import FilterShare, SavedFilter

Add = Callable[[str, str, Handler], None]

NAME_LIMIT = 255
SEARCH_PAGE_LIMIT = 100
FILTER_UNAVAILABLE = (
    "The selected filter is not available to you, perhaps it has been deleted or had its "
    "permissions changed."
)
SEARCH_EXPANDS = ("description", "favourite", "jql", "owner", "sharePermissions", "viewUrl")


# ---- rendering ------------------------------------------------------------------------------


def _share(call: Call, share: FilterShare) -> dict[str, Any]:
    rendered: dict[str, Any] = {"id": share.id, "type": share.type}
    if share.project_id is not None:
        project = call.sandbox.state.projects[share.project_id]
        rendered["project"] = call.render.project(project)
    if share.group is not None:
        group_url = f"{call.api}/group?groupname={quote(share.group)}"
        rendered["group"] = {"name": share.group, "self": group_url}
    return rendered


def _render(
    call: Call, saved: SavedFilter, *, expand: tuple[str, ...] | None = None
) -> dict[str, Any]:
    """The full filter (GET, POST, PUT) when `expand` is None; else id, name, self and the
    expanded parts (`/filter/search`)."""
    search_url = f"{call.api}/search?jql={quote(saved.jql)}"
    full: dict[str, Any] = {
        "self": f"{call.api}/filter/{saved.id}",
        "id": str(saved.id),
        "name": saved.name,
        "description": saved.description,
        "owner": call.render.user_named(saved.owner),
        "jql": saved.jql,
        "viewUrl": f"{call.base_url}/issues/?filter={saved.id}",
        "searchUrl": search_url,
        "favourite": saved.favourite,
        "sharePermissions": [_share(call, share) for share in saved.shares],
    }
    full["favouritedCount"] = 1 if saved.favourite else 0
    full["editPermissions"] = []
    if expand is None:
        return full
    shown = {"self", "id", "name", *expand}
    return {key: value for key, value in full.items() if key in shown}


# ---- validation -----------------------------------------------------------------------------


def _text(body: dict[str, Any], key: str, *, required: bool) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise JiraApiError(
                400, [], {key if key != "name" else "filterName": f"{key} is required."}
            )
        return None
    if not isinstance(value, str):
        raise JiraApiError(400, [f"The '{key}' of a filter must be a string."])
    return value


def _checked_name(call: Call, name: str, *, except_id: int | None = None) -> str:
    name = name.strip()
    if not name:
        raise JiraApiError(400, [], {"filterName": "You must specify a name for this filter."})
    if len(name) > NAME_LIMIT:
        raise JiraApiError(
            400, [], {"filterName": "The filter name must not exceed 255 characters."}
        )
    for other in call.sandbox.state.filters_by_id.values():
        same = other.name.casefold() == name.casefold() and other.owner == call.actor.name
        if same and other.id != except_id:
            raise JiraApiError(400, [], {"filterName": "Filter with same name already exists."})
    return name


def _checked_jql(call: Call, jql: str) -> str:
    query = search_service.parse(jql)
    # Values are checked as a search would check them: an unknown status is Jira's 400.
    search_service.run(call.sandbox.state, query, call.actor)
    return jql


def _visible(call: Call, saved: SavedFilter) -> bool:
    if saved.owner == call.actor.name:
        return True
    state = call.sandbox.state
    for share in saved.shares:
        if share.type in ("global", "loggedin"):
            return True
        if share.type == "group" and share.group in call.actor.groups:
            return True
        if share.type == "project" and share.project_id in state.projects:
            return True
    return False


def _filter(call: Call) -> SavedFilter:
    raw = call.params["id"]
    found = call.sandbox.state.filters_by_id.get(int(raw)) if raw.isdigit() else None
    if found is None or not _visible(call, found):
        raise JiraApiError(400, [FILTER_UNAVAILABLE])
    return found


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise JiraApiError(400, ["The request body must be a JSON object."])
    return body


# ---- routes ---------------------------------------------------------------------------------


async def create_filter(call: Call) -> Response:
    body = _object(await call.json())
    state = call.sandbox.state
    with state.lock:
        name = _checked_name(call, _text(body, "name", required=True) or "")
        jql = _checked_jql(call, _text(body, "jql", required=False) or "")
        saved = SavedFilter(
            id=state.new_id(),
            name=name,
            jql=jql,
            owner=call.actor.name,
            description=_text(body, "description", required=False) or "",
            favourite=body.get("favourite", True) is not False,
        )
        for raw_share in body.get("sharePermissions") or []:
            saved.shares.append(_new_share(call, _object(raw_share)))
        state.filters_by_id[saved.id] = saved
        return json_response(_render(call, saved))


async def get_filter(call: Call) -> Response:
    with call.sandbox.state.lock:
        return json_response(_render(call, _filter(call)))


async def update_filter(call: Call) -> Response:
    body = _object(await call.json())
    with call.sandbox.state.lock:
        saved = _filter(call)
        if saved.owner != call.actor.name:
            raise JiraApiError(400, ["Only the owner of a filter can change it."])
        name = _text(body, "name", required=True) or ""
        saved.name = _checked_name(call, name, except_id=saved.id)
        jql = _text(body, "jql", required=False)
        if jql is not None:
            saved.jql = _checked_jql(call, jql)
        description = _text(body, "description", required=False)
        if description is not None:
            saved.description = description
        if "sharePermissions" in body:
            saved.shares = [_new_share(call, _object(s)) for s in body["sharePermissions"] or []]
        return json_response(_render(call, saved))


def _words(text: str) -> list[str]:
    return [word for word in re.split(r"\W+", text.casefold()) if word]


async def search_filters(call: Call) -> Response:
    """Cloud's `/filter/search`: the filters visible to the caller, by name, paged."""
    wanted = call.query("filterName") or ""
    substring = call.query_bool("isSubstringMatch", False)
    expand = tuple(e for e in call.query_list("expand") if e in SEARCH_EXPANDS)
    start = max(0, call.query_int("startAt", 0))
    size = max(1, min(call.query_int("maxResults", 50), SEARCH_PAGE_LIMIT))
    ids = {int(raw) for raw in call.query_list("id") if raw.isdigit()}

    def matches(saved: SavedFilter) -> bool:
        if ids and saved.id not in ids:
            return False
        if not wanted:
            return True
        if substring:
            return wanted.casefold() in saved.name.casefold()
        name_words = _words(saved.name)
        return all(any(w.startswith(term) for w in name_words) for term in _words(wanted))

    with call.sandbox.state.lock:
        found = sorted(
            (
                s
                for s in call.sandbox.state.filters_by_id.values()
                if _visible(call, s) and matches(s)
            ),
            key=lambda s: (s.name.casefold(), s.id),
        )
        page = [_render(call, s, expand=expand) for s in found[start : start + size]]
    return json_response(
        {
            "self": str(call.request.url),
            "maxResults": size,
            "startAt": start,
            "total": len(found),
            "isLast": start + size >= len(found),
            "values": page,
        }
    )


async def favourite_filters(call: Call) -> Response:
    with call.sandbox.state.lock:
        mine = [
            s
            for s in call.sandbox.state.filters_by_id.values()
            if s.owner == call.actor.name and s.favourite
        ]
        return json_response([_render(call, s) for s in sorted(mine, key=lambda s: s.id)])


def _new_share(call: Call, body: dict[str, Any]) -> FilterShare:
    state = call.sandbox.state
    kind = body.get("type")
    share_id = state.new_id()
    if kind == "project":
        project_ref = body.get("projectId") or (body.get("project") or {}).get("id")
        project = state.find_project(str(project_ref)) if project_ref else None
        if project is None:
            raise JiraApiError(400, [], {"projectId": "Project with that id does not exist."})
        return FilterShare(share_id, "project", project_id=project.id)
    if kind == "group":
        group = body.get("groupname") or (body.get("group") or {}).get("name")
        known = {g for user in state.users.values() for g in user.groups}
        if not group or group not in known:
            raise JiraApiError(400, [], {"groupname": f"Group '{group}' does not exist."})
        return FilterShare(share_id, "group", group=str(group))
    if kind in ("authenticated", "loggedin"):
        return FilterShare(share_id, "loggedin")
    if kind == "global":
        return FilterShare(share_id, "global")
    raise JiraApiError(
        400,
        [],
        {"type": f"Share type {kind!r} is not one of project, group, authenticated, global."},
    )


async def list_permissions(call: Call) -> Response:
    with call.sandbox.state.lock:
        saved = _filter(call)
        return json_response([_share(call, share) for share in saved.shares])


async def add_permission(call: Call) -> Response:
    body = _object(await call.json())
    with call.sandbox.state.lock:
        saved = _filter(call)
        if saved.owner != call.actor.name:
            raise JiraApiError(400, ["Only the owner of a filter can share it."])
        share = _new_share(call, body)
        duplicate = any(
            (s.type, s.project_id, s.group) == (share.type, share.project_id, share.group)
            for s in saved.shares
        )
        if duplicate:
            raise JiraApiError(400, ["The filter is already shared this way."])
        saved.shares.append(share)
        # Both deployments answer with every share permission the filter now has.
        return json_response([_share(call, s) for s in saved.shares], 201)


def register(add: Add, *, cloud: bool) -> None:
    add("POST", "/filter", create_filter)
    add("GET", "/filter/{id}", get_filter)
    add("PUT", "/filter/{id}", update_filter)
    add("GET", "/filter/{id}/permission", list_permissions)
    add("POST", "/filter/{id}/permission", add_permission)
    add("GET", "/filter/favourite", favourite_filters)
    if cloud:
        add("GET", "/filter/search", search_filters)
