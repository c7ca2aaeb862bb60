"""One webhook delivery, for any sender: refuse a body not declared as JSON (415), read the
raw body (413 past the limit), verify it (401), parse it (400, 422), store it through the
group-commit writer and answer 202 only after the commit. If the store cannot be written the
answer is 503 with Retry-After: senders retry 5xx for hours (PagerDuty up to 48 h) and give up
on 4xx, so 4xx is only ever for input that cannot succeed as sent."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from csp_jira_sync.errors import StoreUnavailable
from csp_jira_sync.metrics import Metrics
from csp_jira_sync.receiver.body import check_content_type, read_body
from csp_jira_sync.receiver.intake import IntakeWriter
from csp_jira_sync.receiver.problems import Problem
from csp_jira_sync.receiver.sender import Sender
from csp_jira_sync.store import Accepted, InboxItem

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
# Longer than the store's own busy timeout: normally the store gives up first, with a reason.
COMMIT_TIMEOUT_SECONDS = 30.0


async def store_items(writer: IntakeWriter, items: Sequence[InboxItem]) -> list[Accepted]:
    try:
        return await writer.submit(items, COMMIT_TIMEOUT_SECONDS)
    except StoreUnavailable as exc:
        log.warning("receiver.store_unavailable error=%s", exc)
        raise Problem(
            503,
            "store_unavailable",
            "the event store is unavailable, so nothing was stored; send the same event "
            f"again after {RETRY_AFTER_SECONDS} seconds.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        ) from None


def webhook_endpoint(
    sender: Sender, writer: IntakeWriter, metrics: Metrics, limit: int
) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint that takes `sender`'s deliveries."""
    source, verify, parse, many = sender.source, sender.verify, sender.parse, sender.many

    async def endpoint(request: Request) -> Response:
        metrics.received(source)
        try:
            check_content_type(request)
            body = await read_body(request, limit)
            text = verify(body, request.headers)
            intake = parse(body, text)
            if intake.ignored is not None:
                metrics.ignored(source, intake.ignored)
                log.info("receiver.ignored source=%s type=%s", source, intake.ignored)
                return JSONResponse(
                    {
                        "accepted": True,
                        "duplicate": False,
                        "event_id": intake.event_id,
                        "ignored": intake.ignored,
                    },
                    status_code=202,
                )
            results = await store_items(writer, intake.items)
        except ClientDisconnect:
            metrics.rejected(source, "disconnected")
            return Response(status_code=400)  # nobody is left to read it
        except Problem as problem:
            metrics.rejected(source, problem.reason)
            log.info(
                "receiver.rejected source=%s status=%d reason=%s",
                source,
                problem.status,
                problem.reason,
            )
            return problem.response()
        except Exception:
            # A bug, not bad input: say so, and make sure the sender tries again later.
            log.exception("receiver.internal_error source=%s", source)
            metrics.rejected(source, "internal_error")
            return Problem(
                500,
                "internal_error",
                "the receiver failed while storing the event, so it was not accepted; send it "
                "again later (the failure is logged for the operators).",
            ).response()
        new = sum(not r.duplicate for r in results)
        metrics.accepted(source, new)
        metrics.duplicate(source, len(results) - new)
        answer: dict[str, Any] = {
            "accepted": True,
            "duplicate": all(r.duplicate for r in results),
            "event_id": results[0].event_id if len(results) == 1 else None,
        }
        if many:
            answer["events"] = [{"event_id": r.event_id, "duplicate": r.duplicate} for r in results]
        return JSONResponse(answer, status_code=202)

    endpoint.__name__ = sender.name
    return endpoint
