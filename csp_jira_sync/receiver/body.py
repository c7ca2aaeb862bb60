"""Reading a request body without ever holding more than the configured limit."""

from __future__ import annotations

from starlette.requests import Request

from csp_jira_sync.receiver.problems import Problem


def too_large(limit: int) -> Problem:
    return Problem(
        413,
        "too_large",
        f"the body is larger than the {limit}-byte limit (CSP_MAX_BODY_BYTES); send smaller "
        "events (a long description can be shortened; Jira keeps 32,767 characters of it).",
    )


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body (signatures are computed over it, byte for byte), or 413 as soon as it
    is known to exceed `limit`: from Content-Length before reading, or while streaming a
    chunked body."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise Problem(400, "bad_request", "the Content-Length header is not a number.")
        if int(declared) > limit:
            raise too_large(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large(limit)
    return bytes(body)
