"""A client for the sandbox's admin API (`/_sandbox/...`), for tests, benchmarks and the demo."""

from __future__ import annotations

from typing import Any

import requests


class SandboxAdminError(RuntimeError):
    """The admin API refused a call; the message carries its answer."""


class SandboxAdmin:
    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session = requests.Session()

    def _call(
        self, method: str, path: str, body: dict[str, Any] | None = None, **params: Any
    ) -> Any:
        response = self._session.request(
            method,
            f"{self.base_url}/_sandbox/{path}",
            json=body,
            params=params or None,
            timeout=self.timeout,
        )
        if response.status_code >= 400:
            raise SandboxAdminError(
                f"{method} /_sandbox/{path} answered {response.status_code}: {response.text}"
            )
        return response.json() if response.content else None

    def info(self) -> dict[str, Any]:
        found: dict[str, Any] = self._call("GET", "info")
        return found

    def stats(self) -> dict[str, Any]:
        """`{"total", "byRoute", "byStatus", "byRouteStatus", "injected"}`."""
        found: dict[str, Any] = self._call("GET", "stats")
        return found

    def calls(self, route: str) -> int:
        """How many calls `route` (e.g. `"POST /rest/api/2/issue"`) has answered."""
        by_route: dict[str, int] = self.stats()["byRoute"]
        return by_route.get(route, 0)

    def reset_stats(self) -> None:
        self._call("DELETE", "stats")

    def reset(self) -> None:
        """Back to the seed: issues, stats, knobs and clock."""
        self._call("POST", "reset")

    def state(
        self, *, keys: list[str] | None = None, labels: list[str] | None = None
    ) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if keys:
            params["key"] = keys
        if labels:
            params["label"] = labels
        found: dict[str, Any] = self._call("GET", "state", **params)
        return found

    def issues(self, **filters: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.state(**filters)["issues"]
        return found

    def knobs(self) -> dict[str, Any]:
        found: dict[str, Any] = self._call("GET", "knobs")
        return found

    def set_knobs(self, **knobs: Any) -> dict[str, Any]:
        """Change knobs by their JSON names, e.g. `set_knobs(indexLagMs=500, faultRate=0.1)`."""
        found: dict[str, Any] = self._call("PUT", "knobs", knobs)
        return found

    def clock(self) -> dict[str, Any]:
        found: dict[str, Any] = self._call("GET", "clock")
        return found

    def advance_clock(self, ms: int) -> dict[str, Any]:
        found: dict[str, Any] = self._call("PUT", "clock", {"advanceMs": ms})
        return found

    def freeze_clock(self, at_ms: int | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"freeze": True} if at_ms is None else {"freezeAtMs": at_ms}
        found: dict[str, Any] = self._call("PUT", "clock", body)
        return found

    def unfreeze_clock(self) -> dict[str, Any]:
        found: dict[str, Any] = self._call("PUT", "clock", {"freeze": False})
        return found

    def flush_index(self) -> None:
        self._call("POST", "index/flush")

    def close(self) -> None:
        self._session.close()
