"""Counts of the Jira API calls a sandbox answered, for tests and benchmarks.

Calls are counted by method and path *template* (`POST /rest/api/2/issue`,
`GET /rest/api/2/issue/{issueIdOrKey}`) and by status; admin calls are not counted.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from typing import Any


class RequestStats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_route: Counter[str] = Counter()
        self._by_status: Counter[str] = Counter()
        self._by_route_status: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self._injected: Counter[str] = Counter()

    def record(self, route: str, outcome: str, injected: str | None = None) -> None:
        """`outcome` is the status code, or `drop`/`timeout` when no answer was given."""
        with self._lock:
            self._by_route[route] += 1
            self._by_status[outcome] += 1
            self._by_route_status[route][outcome] += 1
            if injected:
                self._injected[injected] += 1

    def reset(self) -> None:
        with self._lock:
            self._by_route.clear()
            self._by_status.clear()
            self._by_route_status.clear()
            self._injected.clear()

    def count(self, route: str) -> int:
        with self._lock:
            return self._by_route[route]

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": sum(self._by_route.values()),
                "byRoute": dict(sorted(self._by_route.items())),
                "byStatus": dict(sorted(self._by_status.items())),
                "byRouteStatus": {
                    route: dict(sorted(counts.items()))
                    for route, counts in sorted(self._by_route_status.items())
                },
                "injected": dict(sorted(self._injected.items())),
            }
