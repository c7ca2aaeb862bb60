"""The sandbox as an ASGI app: `create_app(config)`.

Every Jira API call goes through, in order: the realism knobs (added latency, the rate limit,
injected faults), authentication, the route, and the stats (counted by path template).
`/_sandbox/...` is the admin API for tests and demos: no Jira auth, no knobs, not counted.

An injected fault happens before the call is handled; for a write (POST, PUT, DELETE) it
happens, with the probability the `faultAfterWrite` knob gives, after the write was applied: the
client then sees a failure for a write that did land, the case a sync tool must not answer
with a blind retry of a create. An injected 429 never strikes after a write: Jira rate-limits
a call before it acts on it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from jira_sandbox import errors as msg
from jira_sandbox import (
    routes_admin,
    routes_filters,
    routes_issue_parts,
    routes_issues,
    routes_meta,
    routes_search,
    routes_worklogs,
)
from jira_sandbox.auth import authenticate, authentication_required
from jira_sandbox.config import SandboxConfig
from jira_sandbox.core import Sandbox
from jira_sandbox.errors import JiraApiError
from jira_sandbox.http import Call, Handler, error_response, json_response
from jira_sandbox.knobs import RateDecision
from jira_sandbox.routing import RouteMatch, Router

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

log = logging.getLogger("jira_sandbox")

ANONYMOUS_ROUTES = frozenset({"/serverInfo"})
WRITE_METHODS = frozenset({"POST", "PUT", "DELETE"})


class SandboxApp:
    """The ASGI callable; `sandbox` is the state behind it (tests may reach in)."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.jira: Router[Handler] = Router()
        self._anonymous: set[str] = set()
        self._versions: dict[str, int] = {}
        for version in (2, 3):
            prefix = f"/rest/api/{version}"

            def add(method: str, suffix: str, handler: Handler, prefix: str = prefix) -> None:
                template = prefix + suffix
                self.jira.add(method, template, handler)
                self._versions[template] = int(prefix.rsplit("/", 1)[1])
                if suffix in ANONYMOUS_ROUTES:
                    self._anonymous.add(template)

            routes_meta.register(add)
            routes_issues.register(add)
            routes_issue_parts.register(add)
            routes_worklogs.register(add, cloud=sandbox.is_cloud)
            routes_search.register(add, cloud=sandbox.is_cloud)
            routes_filters.register(add, cloud=sandbox.is_cloud)
        # Data Center serves attachment content outside the REST API.
        download = "/secure/attachment/{id}/{filename}"
        self.jira.add("GET", download, routes_issue_parts.attachment_content)
        self._versions[download] = 2
        self.jira.add("GET", "/rest/auth/1/session", routes_meta.auth_session)
        self._versions["/rest/auth/1/session"] = 2
        self.admin = routes_admin.build_router()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        if path.startswith(routes_admin.PREFIX):
            await self._admin(scope, receive, send)
        else:
            await self._jira(scope, receive, send)

    async def _admin(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        found, allowed = self.admin.match(scope["method"], scope["path"])
        if found is None:
            response = _no_route(scope, allowed, self.sandbox.is_cloud)
        else:
            try:
                response = await found.route.handler(request, self.sandbox)
            except JiraApiError as error:
                response = error_response(error)
        await response(scope, receive, send)

    async def _jira(self, scope: Scope, receive: Receive, send: Send) -> None:
        sandbox = self.sandbox
        method: str = scope["method"]
        found, allowed = self.jira.match(method, scope["path"])
        route_name = found.route.name if found else f"{method} (no route)"
        settings = sandbox.knobs.settings
        if settings.latency_ms:
            await asyncio.sleep(settings.latency_ms / 1000)
        decision = sandbox.knobs.take_token()
        rate_headers = decision.headers(datetime.now(UTC)) if decision else {}
        if decision is not None and not decision.allowed:
            sandbox.stats.record(route_name, "429", "rateLimited")
            limited = JiraApiError(429, [msg.RATE_LIMITED], headers=rate_headers)
            await error_response(limited)(scope, receive, send)
            return
        refused = self._issue_write_refused(found, method)
        if refused is not None:
            sandbox.stats.record(route_name, "429", "issueWriteLimited")
            headers = refused.headers(datetime.now(UTC))
            await error_response(JiraApiError(429, [msg.RATE_LIMITED], headers=headers))(
                scope, receive, send
            )
            return
        fault = sandbox.knobs.draw_fault()
        # A 429 is Jira's answer before it does anything: never after the write.
        after_write = (
            fault is not None
            and fault != "429"
            and method in WRITE_METHODS
            and sandbox.knobs.fault_after_write()
        )
        if fault is not None and not after_write:
            await self._inject(fault, route_name, scope, receive, send)
            return
        response = await self._dispatch(found, allowed, scope, receive)
        if fault is not None:
            await self._inject(fault, route_name, scope, receive, send, after_write=True)
            return
        for name, value in rate_headers.items():
            response.headers[name] = value
        sandbox.stats.record(route_name, str(response.status_code))
        await response(scope, receive, send)

    def _issue_write_refused(
        self, found: RouteMatch[Handler] | None, method: str
    ) -> RateDecision | None:
        """The per-issue write limit's 429 for a write to an existing issue, else None."""
        if found is None or method not in WRITE_METHODS or "issueIdOrKey" not in found.params:
            return None
        if not self.sandbox.knobs.settings.issue_write_limits:
            return None
        with self.sandbox.state.lock:
            issue = self.sandbox.state.find_issue(found.params["issueIdOrKey"])
        if issue is None:
            return None
        return self.sandbox.knobs.take_issue_write(issue.id)

    async def _dispatch(
        self,
        found: RouteMatch[Handler] | None,
        allowed: set[str],
        scope: Scope,
        receive: Receive,
    ) -> Response:
        sandbox = self.sandbox
        if found is None:
            return _no_route(scope, allowed, sandbox.is_cloud)
        request = Request(scope, receive)
        try:
            user = authenticate(request.headers, sandbox.state, sandbox.is_cloud)
            template = found.route.template
            if user is None and template not in self._anonymous:
                raise authentication_required()
            call = Call(request, found.params, self._versions[template], user, sandbox)
            response: Response = await found.route.handler(call)
            return response
        except JiraApiError as error:
            return error_response(error)
        except Exception:  # a sandbox bug must still answer like a server, and be visible
            log.exception("sandbox_handler_failed route=%s", found.route.name)
            return json_response(
                {"errorMessages": ["Internal server error (sandbox)."], "errors": {}}, 500
            )

    async def _inject(
        self,
        fault: str,
        route_name: str,
        scope: Scope,
        receive: Receive,
        send: Send,
        *,
        after_write: bool = False,
    ) -> None:
        label = f"{fault}{'-after-write' if after_write else ''}"
        if fault in ("500", "502", "503"):
            self.sandbox.stats.record(route_name, fault, label)
            headers = {"Retry-After": "1"} if fault == "503" else {}
            error = JiraApiError(
                int(fault),
                [f"The sandbox injected a {fault} answer (fault knob)."],
                headers=headers,
            )
            await error_response(error)(scope, receive, send)
            return
        if fault == "429":
            # Jira Cloud's burst limit answer, with the headers of an emptied bucket.
            self.sandbox.stats.record(route_name, fault, label)
            limit = self.sandbox.knobs.settings.rate_limit_burst or 100
            headers = RateDecision(False, limit, 0, retry_after_s=1).headers(datetime.now(UTC))
            await error_response(JiraApiError(429, [msg.RATE_LIMITED], headers=headers))(
                scope, receive, send
            )
            return
        self.sandbox.stats.record(route_name, fault, label)
        if fault == "timeout":
            await asyncio.sleep(self.sandbox.knobs.settings.fault_stall_ms / 1000)
        await _drop_connection(scope, receive, send)


async def _drop_connection(scope: Scope, receive: Receive, send: Send) -> None:
    """Close the client's connection without an answer, as a crashed proxy would.

    uvicorn's `send` is bound to its request cycle, which holds the transport; aborting it makes
    the client see a reset connection. Under another server, fall back to starting an answer and
    breaking it off, which a client also sees as a broken connection.
    """
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is not None and hasattr(transport, "abort"):
        transport.abort()
        await asyncio.sleep(0)
        if cycle is not None and hasattr(cycle, "disconnected"):
            cycle.disconnected = True
        return
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]}
    )
    raise ConnectionAbortedError("sandbox dropped the connection (fault knob)")


def _no_route(scope: Scope, allowed: set[str], cloud: bool) -> Response:
    if allowed:
        return json_response(
            {
                "errorMessages": [
                    f"Method {scope['method']} is not allowed here; use {', '.join(sorted(allowed))}."
                ],
                "errors": {},
            },
            405,
            {"Allow": ", ".join(sorted(allowed))},
        )
    url = f"{scope.get('scheme', 'http')}://{_host(scope)}{scope['path']}"
    if not cloud:
        # What Jira Data Center's REST layer (Jersey) answers for a resource it does not have.
        return json_response({"message": f"null for uri: {url}", "status-code": 404}, 404)
    return json_response(
        {"errorMessages": [f"No REST resource at {scope['path']}."], "errors": {}}, 404
    )


def _host(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"host":
            return str(value.decode("latin-1"))
    server = scope.get("server") or ("127.0.0.1", 80)
    return f"{server[0]}:{server[1]}"


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def create_app(
    config: SandboxConfig | None = None, *, sandbox: Sandbox | None = None
) -> SandboxApp:
    """The ASGI app for `config` (or around an existing `sandbox`)."""
    if sandbox is None:
        sandbox = Sandbox(config or SandboxConfig())
    return SandboxApp(sandbox)
