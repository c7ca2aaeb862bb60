"""Reading a request body: JSON only (415 otherwise), never more than the configured limit."""

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


def unsupported_media_type(declared: str) -> Problem:
    return Problem(
        415,
        "unsupported_media_type",
        f"the body is declared as {declared!r}: send it as 'Content-Type: application/json' "
        "(one JSON object, UTF-8).",
    )


def check_content_type(request: Request) -> None:
    """415 for a body declared as anything but JSON in UTF-8 (a form post, text, another
    charset). A missing Content-Type is let through: some senders leave it out, and the body
    is checked as JSON anyway."""
    declared = request.headers.get("content-type")
    if declared is None:
        return
    media_type, *parameters = (part.strip().lower() for part in declared.split(";"))
    if media_type != "application/json" and not (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        raise unsupported_media_type(declared)
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip() == "charset" and value.strip().strip('"') not in {"utf-8", "utf8"}:
            raise unsupported_media_type(declared)


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
