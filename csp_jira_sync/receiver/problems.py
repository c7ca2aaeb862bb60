"""How the receiver says no: one exception, one JSON shape, a reason for the metrics.

Every refusal is `{"error": "<what is wrong and what to do>"}`, plus `problems` (one entry per
invalid field) where there are several things to fix. Senders treat 4xx as final and retry
5xx, so only "try again later" situations (the store) answer 503.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from starlette.responses import JSONResponse


class Problem(Exception):
    """A refusal to answer with `status`; `reason` labels `csp_events_rejected_total`."""

    def __init__(
        self,
        status: int,
        reason: str,
        message: str,
        *,
        problems: Sequence[dict[str, str]] = (),
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message
        self.problems = list(problems)
        self.extra = extra or {}
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        body: dict[str, Any] = {"error": self.message}
        if self.problems:
            body["problems"] = self.problems
        body.update(self.extra)
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def field_path(location: Sequence[int | str], prefix: str = "") -> str:
    path = prefix
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path or "(body)"


def _message(error: ErrorDetails) -> str:
    if error["type"] == "missing":
        return "required field is missing"
    if error["type"] == "extra_forbidden":
        return "unknown field; remove it (check the spelling)"
    return error["msg"].removeprefix("Value error, ")


def field_problems(exc: ValidationError, prefix: str = "") -> list[dict[str, str]]:
    """One `{"field", "message"}` per error. Input values are left out: they may be long, and
    they are the sender's own data anyway."""
    return [
        {"field": field_path(error["loc"], prefix), "message": _message(error)}
        for error in exc.errors(include_url=False, include_input=False)
    ]


def schema_problem(what: str, problems: list[dict[str, str]]) -> Problem:
    listed = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
    return Problem(
        422,
        "schema",
        f"the body is not a valid {what}: {listed}. Fix these fields and send the event again.",
        problems=problems,
    )


def malformed_json(detail: str) -> Problem:
    return Problem(
        400,
        "malformed_json",
        f"the body is not valid JSON ({detail}); send one JSON object encoded as UTF-8.",
    )
