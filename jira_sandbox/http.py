"""What a route handler sees of a call (`Call`), and Jira-shaped responses."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from jira_sandbox import errors as msg
from jira_sandbox.core import Sandbox
from jira_sandbox.errors import JiraApiError
from jira_sandbox.model import Issue, User
from jira_sandbox.render import Renderer

JSON_TYPE = "application/json;charset=UTF-8"


def json_response(
    data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(body, status_code=status, headers=dict(headers or {}), media_type=JSON_TYPE)


def no_content(headers: Mapping[str, str] | None = None) -> Response:
    return Response(status_code=204, headers=dict(headers or {}))


def error_response(error: JiraApiError) -> Response:
    return json_response(error.body(), error.status, error.headers)


@dataclass
class Call:
    request: Request
    params: dict[str, str]
    version: int
    user: User | None
    sandbox: Sandbox

    def __post_init__(self) -> None:
        self.base_url = str(self.request.base_url).rstrip("/")
        self.render = Renderer(
            self.sandbox.state, self.sandbox.config.mode, self.base_url, self.version
        )

    @property
    def api(self) -> str:
        return self.render.api

    @property
    def actor(self) -> User:
        if self.user is None:  # routes that need a user are never reached anonymously
            raise JiraApiError(401, [msg.NOT_AUTHENTICATED])
        return self.user

    def query(self, name: str) -> str | None:
        return self.request.query_params.get(name)

    def query_list(self, name: str) -> list[str]:
        """A list parameter given repeated (`fields=a&fields=b`) or comma-separated."""
        return [
            item.strip()
            for raw in self.request.query_params.getlist(name)
            for item in raw.split(",")
            if item.strip()
        ]

    def query_int(self, name: str, default: int) -> int:
        raw = self.query(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise JiraApiError(
                400, [f"The value '{raw}' of parameter '{name}' is not a whole number."]
            ) from None

    def query_bool(self, name: str, default: bool) -> bool:
        raw = self.query(name)
        if raw is None:
            return default
        return raw.lower() == "true"

    async def json(self) -> Any:
        raw = await self.request.body()
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise JiraApiError(400, [msg.INVALID_PAYLOAD]) from None

    def issue(self, param: str = "issueIdOrKey") -> Issue:
        """The issue the path names (Jira's 404 if there is none); hold the state lock."""
        return self.sandbox.state.issue(self.params[param])


Handler = Callable[[Call], Awaitable[Response]]
