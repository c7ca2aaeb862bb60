"""The endpoints for the people and machines that run the receiver: `/healthz` (the process is
alive), `/readyz` (ready to accept events) and `/metrics` (Prometheus)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, PlainTextResponse, Response

from csp_jira_sync.errors import StoreUnavailable
from csp_jira_sync.metrics import Metrics
from csp_jira_sync.store import Store

log = logging.getLogger(__name__)


def set_ready(app: FastAPI, ready: bool) -> None:
    """The daemon says when it is ready (migrated, worker running): `/readyz` reports it."""
    app.state.ready = ready


ReadinessProbe = Callable[[], str | None]


def add_readiness_probe(app: FastAPI, name: str, probe: ReadinessProbe) -> None:
    """Make `/readyz` also ask `probe` (e.g. whether the worker thread runs): None means fine,
    a string says what is wrong, answers 503 and appears in the body under `name`."""
    app.state.probes[name] = probe


def operations_routes(store: Store, metrics: Metrics) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Ready to accept events: the daemon is started and the store answers",
        responses={503: {"description": "Not ready"}},
    )
    async def readyz(request: Request) -> Response:
        store_problem = await run_in_threadpool(store.unavailable_reason)
        probes: dict[str, ReadinessProbe] = request.app.state.probes
        problems = {name: probe() for name, probe in probes.items()}
        daemon_ready = bool(request.app.state.ready)
        ready = daemon_ready and store_problem is None
        ready = ready and all(problem is None for problem in problems.values())
        body: dict[str, Any] = {
            "ready": ready,
            "daemon": "ready" if daemon_ready else "starting",
            "store": "ok" if store_problem is None else "unavailable",
        }
        if store_problem is not None:
            body["store_error"] = store_problem
        body.update({name: problem or "ok" for name, problem in problems.items()})
        return JSONResponse(body, status_code=200 if ready else 503)

    @router.get(
        "/metrics",
        summary="Prometheus metrics",
        # The Prometheus text exposition format, not JSON: say so in the OpenAPI document.
        response_class=PlainTextResponse,
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    )
    async def metrics_endpoint() -> Response:
        try:
            metrics.set_queue_depth(await run_in_threadpool(store.depth))
            metrics.set_held(await run_in_threadpool(store.held))
            oldest = await run_in_threadpool(store.oldest_pending)
            metrics.set_oldest_undelivered(oldest, datetime.now(UTC))
            metrics.set_job_locks(await run_in_threadpool(store.job_locks.all), datetime.now(UTC))
        except StoreUnavailable as exc:
            log.warning("receiver.metrics_depth_unavailable error=%s", exc)
        payload, content_type = metrics.render()
        return Response(payload, media_type=content_type)

    return router
