"""A small router that keeps each route's path template, so stats can count by template.

Templates use Jira's own parameter names (`/rest/api/2/issue/{issueIdOrKey}`), the same names
the OpenAPI contract uses.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

H = TypeVar("H", bound=Callable[..., Awaitable[object]])

_PARAM = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Route(Generic[H]):
    method: str
    template: str
    handler: H
    pattern: re.Pattern[str]

    @property
    def name(self) -> str:
        return f"{self.method} {self.template}"


@dataclass(frozen=True)
class RouteMatch(Generic[H]):
    route: Route[H]
    params: dict[str, str]


class Router(Generic[H]):
    def __init__(self) -> None:
        self._static: dict[tuple[str, str], Route[H]] = {}
        self._dynamic: list[Route[H]] = []
        self._paths: dict[str, set[str]] = {}

    def add(self, method: str, template: str, handler: H) -> None:
        regex = "^" + _PARAM.sub(
            lambda m: f"(?P<{m.group(1)}>[^/]+)", _escape_literal_parts(template)
        )
        route = Route(method, template, handler, re.compile(regex + "$"))
        if "{" in template:
            self._dynamic.append(route)
        else:
            self._static[(method, template)] = route
        self._paths.setdefault(template, set()).add(method)

    def match(self, method: str, path: str) -> tuple[RouteMatch[H] | None, set[str]]:
        """The route for `method path`, or None and the methods the path does allow."""
        static = self._static.get((method, path))
        if static is not None:
            return RouteMatch(static, {}), set()
        allowed: set[str] = set()
        if path in self._paths:
            allowed |= self._paths[path]
        for route in self._dynamic:
            found = route.pattern.match(path)
            if found is None:
                continue
            if route.method == method:
                return RouteMatch(route, found.groupdict()), set()
            allowed.add(route.method)
        return None, allowed

    def routes(self) -> list[Route[H]]:
        return [*self._static.values(), *self._dynamic]


def _escape_literal_parts(template: str) -> str:
    pieces: list[str] = []
    position = 0
    for found in _PARAM.finditer(template):
        pieces.append(re.escape(template[position : found.start()]))
        pieces.append(found.group(0))
        position = found.end()
    pieces.append(re.escape(template[position:]))
    return "".join(pieces)
