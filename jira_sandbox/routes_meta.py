"""Server, user and catalog endpoints: serverInfo, myself, field, project, issuetype, priority,
status, statuscategory, resolution, issueLinkType, user, user/search, group/member."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.responses import Response

from jira_sandbox import errors as msg
from jira_sandbox.errors import JiraApiError
from jira_sandbox.fielddefs import all_field_defs
from jira_sandbox.fields import FieldReader
from jira_sandbox.http import Call, Handler, json_response
from jira_sandbox.model import User
from jira_sandbox.timefmt import format_ms

Add = Callable[[str, str, Handler], None]

CLOUD_BUILD = 100282
DC_BUILD = 10030024


async def server_info(call: Call) -> Response:
    sandbox = call.sandbox
    identity = sandbox.seed.server
    cloud = sandbox.is_cloud
    version = identity.cloud_version if cloud else identity.data_center_version
    numbers = [int(part) for part in version.split("-")[0].split(".") if part.isdigit()]
    return json_response(
        {
            "baseUrl": call.base_url,
            "displayUrl": call.base_url,
            "version": version,
            "versionNumbers": numbers,
            # Jira Data Center reports itself as "Server"; the jira package only tells "Cloud"
            # from the rest.
            "deploymentType": "Cloud" if cloud else "Server",
            "buildNumber": CLOUD_BUILD if cloud else DC_BUILD,
            "buildDate": "2025-12-01T00:00:00.000+0000",
            "serverTime": format_ms(sandbox.clock.now_ms()),
            "scmInfo": "csp-jira-sync-sandbox",
            "serverTitle": identity.title,
            "serverTimeZone": "Etc/UTC",
        }
    )


async def auth_session(call: Call) -> Response:
    """`/rest/auth/1/session`: the jira package reads it when built with `validate=True`."""
    user = call.actor
    return json_response(
        {
            "self": f"{call.base_url}/rest/api/latest/user?username={user.name}",
            "name": user.name,
            "loginInfo": {"failedLoginCount": 0, "loginCount": 1},
        }
    )


async def myself(call: Call) -> Response:
    return json_response(call.render.user(call.actor, full=True))


async def fields(call: Call) -> Response:
    defs = all_field_defs(call.sandbox.seed.custom_fields)
    return json_response([spec.to_json() for spec in defs])


def _project(call: Call) -> Any:
    ref = call.params["projectIdOrKey"]
    project = call.sandbox.state.find_project(ref)
    if project is None:
        raise JiraApiError(404, [f"No project could be found with key '{ref}'."])
    return project


async def projects(call: Call) -> Response:
    expand = set(call.query_list("expand"))
    found = []
    for project in call.sandbox.state.projects.values():
        item = call.render.project(project)
        item["expand"] = "description,lead,issueTypes,url,projectKeys,permissions,insight"
        if "issueTypes" in expand:
            item["issueTypes"] = call.render.project(project, full=True)["issueTypes"]
        if "lead" in expand:
            item["lead"] = call.render.user_named(project.lead)
        found.append(item)
    return json_response(found)


async def project(call: Call) -> Response:
    return json_response(call.render.project(_project(call), full=True))


async def project_components(call: Call) -> Response:
    return json_response([call.render.component(c) for c in _project(call).components])


async def project_statuses(call: Call) -> Response:
    """The statuses each issue type of the project can reach (one workflow for all types)."""
    state = call.sandbox.state
    statuses = [call.render.status(s) for s in state.statuses.values()]
    return json_response(
        [
            {
                "id": type_id,
                "name": state.issue_types[type_id].name,
                "self": f"{call.api}/issueType/{type_id}",
                "subtask": False,
                "statuses": statuses,
            }
            for type_id in _project(call).issue_type_ids
        ]
    )


async def issue_types(call: Call) -> Response:
    types = call.sandbox.state.issue_types.values()
    return json_response([call.render.issue_type(t) for t in types])


async def issue_type(call: Call) -> Response:
    found = call.sandbox.state.issue_types.get(call.params["id"])
    if found is None:
        raise JiraApiError(404, [f"The issue type with id '{call.params['id']}' does not exist."])
    return json_response(call.render.issue_type(found))


async def priorities(call: Call) -> Response:
    found = call.sandbox.state.priorities.values()
    return json_response([call.render.priority(p) for p in found])


async def priority(call: Call) -> Response:
    found = call.sandbox.state.priorities.get(call.params["id"])
    if found is None:
        raise JiraApiError(404, [f"The priority with id '{call.params['id']}' does not exist."])
    return json_response(call.render.priority(found))


async def statuses(call: Call) -> Response:
    return json_response([call.render.status(s) for s in call.sandbox.state.statuses.values()])


async def status(call: Call) -> Response:
    state = call.sandbox.state
    found = state.find_by_id_or_name(state.statuses, call.params["idOrName"])
    if found is None:
        raise JiraApiError(
            404, [f"The status with id or name '{call.params['idOrName']}' does not exist."]
        )
    return json_response(call.render.status(found))


async def status_categories(call: Call) -> Response:
    categories = {s.category.id: s.category for s in call.sandbox.state.statuses.values()}
    return json_response([call.render.status_category(c) for _, c in sorted(categories.items())])


async def resolutions(call: Call) -> Response:
    found = call.sandbox.state.resolutions.values()
    return json_response([call.render.resolution(r) for r in found])


async def resolution(call: Call) -> Response:
    found = call.sandbox.state.resolutions.get(call.params["id"])
    if found is None:
        raise JiraApiError(404, [f"The resolution with id '{call.params['id']}' does not exist."])
    return json_response(call.render.resolution(found))


async def link_types(call: Call) -> Response:
    found = call.sandbox.state.link_types.values()
    return json_response({"issueLinkTypes": [call.render.link_type(lt) for lt in found]})


async def link_type(call: Call) -> Response:
    found = call.sandbox.state.link_types.get(call.params["issueLinkTypeId"])
    if found is None:
        raise JiraApiError(
            404, [f"No issue link type with id '{call.params['issueLinkTypeId']}' found."]
        )
    return json_response(call.render.link_type(found))


def _page(call: Call, items: list[User]) -> tuple[list[User], int, int]:
    start = max(0, call.query_int("startAt", 0))
    size = max(0, min(call.query_int("maxResults", 50), 1000))
    return items[start : start + size], start, size


async def user_search(call: Call) -> Response:
    state = call.sandbox.state
    if call.sandbox.state.gdpr_strict and call.query("username") is not None:
        raise JiraApiError(400, [msg.GDPR_QUERY])
    account_id = call.query("accountId")
    username = call.query("username")
    query = call.query("query")
    if account_id is None and username is None and query is None:
        raise JiraApiError(400, ["One of 'query', 'username' or 'accountId' must be given."])
    users: list[User] = list(state.users.values())
    if account_id is not None:
        users = [u for u in users if u.account_id == account_id]
    needle = (username if username is not None else query or "").lower()
    if needle and needle != ".":
        users = [
            u
            for u in users
            if any(
                part.lower().startswith(needle) or needle in part.lower()
                for part in (u.name, u.display_name, u.email, u.account_id)
            )
        ]
    page, _, _ = _page(call, users)
    return json_response([call.render.user(u) for u in page])


async def user(call: Call) -> Response:
    if call.sandbox.state.gdpr_strict and (call.query("username") or call.query("key")):
        raise JiraApiError(400, [msg.GDPR_QUERY])
    ref = call.query("accountId") or call.query("username") or call.query("key")
    if not ref:
        raise JiraApiError(400, ["One of 'accountId', 'username' or 'key' must be given."])
    found = call.sandbox.state.find_user(ref)
    if found is None:
        raise JiraApiError(404, [f"The user '{ref}' does not exist."])
    return json_response(call.render.user(found, full=True))


async def group_members(call: Call) -> Response:
    group = call.query("groupname") or call.query("groupId")
    if not group:
        raise JiraApiError(400, ["Either 'groupname' or 'groupId' must be given."])
    include_inactive = call.query_bool("includeInactiveUsers", False)
    members = [
        u
        for u in call.sandbox.state.users.values()
        if group in u.groups and (u.active or include_inactive)
    ]
    known_groups = {g for u in call.sandbox.state.users.values() for g in u.groups}
    if group not in known_groups:
        raise JiraApiError(404, [f"The group '{group}' does not exist."])
    page, start, size = _page(call, members)
    is_last = start + len(page) >= len(members)
    body: dict[str, Any] = {
        "self": f"{call.api}/group/member?groupname={group}&startAt={start}&maxResults={size}",
        "maxResults": size,
        "startAt": start,
        "total": len(members),
        "isLast": is_last,
        "values": [call.render.user(u) for u in page],
    }
    if not is_last:
        body["nextPage"] = (
            f"{call.api}/group/member?groupname={group}&startAt={start + size}&maxResults={size}"
        )
    return json_response(body)


def _page_body(call: Call, items: list[Any], cloud_key: str) -> dict[str, Any]:
    start = max(0, call.query_int("startAt", 0))
    size = max(0, min(call.query_int("maxResults", 50), 200))
    page = items[start : start + size]
    body: dict[str, Any] = {"maxResults": size, "startAt": start, "total": len(items)}
    if call.sandbox.is_cloud:
        body[cloud_key] = page
    else:  # Data Center's createmeta pages are `values` with `isLast`
        body["values"] = page
        body["isLast"] = start + len(page) >= len(items)
    return body


async def createmeta_issue_types(call: Call) -> Response:
    project = _project(call)
    types = [
        call.render.issue_type(call.sandbox.state.issue_types[t]) for t in project.issue_type_ids
    ]
    return json_response(_page_body(call, types, "issueTypes"))


_REQUIRED_ON_CREATE = frozenset({"project", "issuetype", "summary", "reporter"})
_MULTI_VALUE = frozenset({"labels", "components"})


async def createmeta_fields(call: Call) -> Response:
    state = call.sandbox.state
    project = _project(call)
    type_id = call.params["issueTypeId"]
    if type_id not in project.issue_type_ids:
        raise JiraApiError(
            400, [f"The issue type with id '{type_id}' is not in project {project.key}."]
        )
    screen = FieldReader.create_screen(state)
    allowed: dict[str, list[Any]] = {
        "project": [call.render.project(project)],
        "issuetype": [call.render.issue_type(state.issue_types[type_id])],
        "priority": [call.render.priority(p) for p in state.priorities.values()],
        "components": [call.render.component(c) for c in project.components],
    }
    found = []
    for spec in all_field_defs(call.sandbox.seed.custom_fields):
        if spec.id not in screen or spec.schema is None:
            continue
        item: dict[str, Any] = {
            "required": spec.id in _REQUIRED_ON_CREATE,
            "schema": spec.schema,
            "name": spec.name,
            "fieldId": spec.id,
            "key": spec.id,
            "hasDefaultValue": spec.id in ("priority", "reporter"),
            "operations": ["add", "set", "remove"] if spec.id in _MULTI_VALUE else ["set"],
        }
        if spec.id in allowed:
            item["allowedValues"] = allowed[spec.id]
        found.append(item)
    return json_response(_page_body(call, found, "fields"))


def register(add: Add) -> None:
    add("GET", "/issue/createmeta/{projectIdOrKey}/issuetypes", createmeta_issue_types)
    add("GET", "/issue/createmeta/{projectIdOrKey}/issuetypes/{issueTypeId}", createmeta_fields)
    add("GET", "/serverInfo", server_info)
    add("GET", "/myself", myself)
    add("GET", "/field", fields)
    add("GET", "/project", projects)
    add("GET", "/project/{projectIdOrKey}", project)
    add("GET", "/project/{projectIdOrKey}/components", project_components)
    add("GET", "/project/{projectIdOrKey}/statuses", project_statuses)
    add("GET", "/issuetype", issue_types)
    add("GET", "/issuetype/{id}", issue_type)
    add("GET", "/priority", priorities)
    add("GET", "/priority/{id}", priority)
    add("GET", "/status", statuses)
    add("GET", "/status/{idOrName}", status)
    add("GET", "/statuscategory", status_categories)
    add("GET", "/resolution", resolutions)
    add("GET", "/resolution/{id}", resolution)
    add("GET", "/issueLinkType", link_types)
    add("GET", "/issueLinkType/{issueLinkTypeId}", link_type)
    add("GET", "/user", user)
    add("GET", "/user/search", user_search)
    add("GET", "/group/member", group_members)
