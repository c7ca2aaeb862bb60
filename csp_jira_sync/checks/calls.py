"""The calls `check --live` makes, each made once and kept with its answer: a failed call is an
answer too (never raised), so one failure fails only the rows that needed it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from csp_jira_sync.errors import JiraError

Params = Mapping[str, str | int]


class MetaReader(Protocol):
    """The two gateway calls the checks need (`JiraGateway` has them)."""

    def read(self, path: str, params: Params | None = None) -> Any: ...

    def call_text(self, path: str, params: Params | None = None) -> str: ...


@dataclass(frozen=True)
class Answer:
    call: str
    value: Any = None
    error: JiraError | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None

    def said(self, summary: str) -> str:
        return str(self.error) if self.error is not None else summary


class Calls:
    """Each distinct call once per run; failures are answers too, never raised."""

    def __init__(self, reader: MetaReader) -> None:
        self._reader = reader
        self._seen: dict[tuple[str, tuple[tuple[str, str | int], ...]], Answer] = {}

    def get(self, path: str, params: Params | None = None) -> Answer:
        key = (path, tuple(sorted((params or {}).items())))
        if key not in self._seen:
            call = self._reader.call_text(path, params)
            try:
                self._seen[key] = Answer(call, value=self._reader.read(path, params))
            except JiraError as exc:
                self._seen[key] = Answer(call, error=exc)
        return self._seen[key]

    def paged(self, path: str, keys: Sequence[str]) -> Answer:
        """All pages of a `startAt` listing whose items are under one of `keys` (Cloud and
        Data Center name them differently), as one answer holding the items."""
        items: list[Any] = []
        while True:
            page = self.get(path, {"startAt": len(items), "maxResults": 50})
            if page.failed:
                return Answer(page.call, error=page.error)
            body = page.value if isinstance(page.value, dict) else {}
            batch: list[Any] = next((body[k] for k in keys if isinstance(body.get(k), list)), [])
            items += batch
            total = body.get("total")
            if not batch or body.get("isLast", total is None):
                break
            if total is not None and len(items) >= int(total):
                break
        return Answer(f"{self._reader.call_text(path)} (paged)", value=items)
