"""The HTTP receiver: verify, parse, store, answer. Nothing else, and never Jira.

Every webhook handler reads the raw body (413 past the limit), checks the sender's signature
over those exact bytes (401), parses it into validated events (400 malformed JSON, 422 with
every invalid field, unknown customer or severity), stores them through the group-commit
writer and answers 202 only after the commit. If the store cannot be written the answer is
503 with Retry-After, so the sender retries later; senders retry 5xx for hours (PagerDuty up
to 48 h) and give up on 4xx, so 4xx is only ever for input that cannot succeed as sent.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse, Response

from csp_jira_sync import __version__
from csp_jira_sync.config.events import CustomerRequest, EscalationEvent
from csp_jira_sync.config.mappings import Mappings
from csp_jira_sync.errors import ConfigError, StoreUnavailable
from csp_jira_sync.metrics import Metrics
from csp_jira_sync.receiver import pagerduty
from csp_jira_sync.receiver.alertmanager import AlertmanagerWebhook, escalations_from_alertmanager
from csp_jira_sync.receiver.body import read_body
from csp_jira_sync.receiver.intake import IntakeWriter
from csp_jira_sync.receiver.problems import Problem, field_problems, malformed_json, schema_problem
from csp_jira_sync.receiver.signatures import (
    StandardWebhooksVerifier,
    verify_bearer,
    verify_pagerduty,
)
from csp_jira_sync.settings import Settings
from csp_jira_sync.store import Accepted, InboxItem, Store

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
# Longer than the store's own busy timeout: normally the store gives up first, with a reason.
COMMIT_TIMEOUT_SECONDS = 30.0


# -- response bodies (for the OpenAPI docs; handlers build the JSON directly) -------------


class EventOutcome(BaseModel):
    event_id: str
    duplicate: bool


class AcceptedBody(BaseModel):
    accepted: bool
    duplicate: bool
    event_id: str | None
    events: list[EventOutcome] | None = None
    ignored: str | None = None


class FieldProblem(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    error: str
    problems: list[FieldProblem] | None = None
    known_customers: list[str] | None = None


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    what = {
        400: "Malformed JSON (or not UTF-8).",
        401: "Missing or invalid signature or token.",
        404: "This intake is not enabled (its secret or token is not configured).",
        413: "Body larger than CSP_MAX_BODY_BYTES.",
        422: "Invalid fields, unknown customer or unknown severity; nothing was stored.",
        503: "The event store is unavailable; retry after Retry-After seconds.",
    }
    return {code: {"model": ErrorBody, "description": what[code]} for code in codes}


def _headers(*names: str) -> list[dict[str, Any]]:
    return [
        {"name": name, "in": "header", "required": True, "schema": {"type": "string"}}
        for name in names
    ]


STANDARD_WEBHOOK_HEADERS = _headers("webhook-id", "webhook-timestamp", "webhook-signature")


# -- intake --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Intake:
    """What one delivery turned into: items to store, or an event type to ignore."""

    items: Sequence[InboxItem] = ()
    ignored: str | None = None
    event_id: str | None = None


def set_ready(app: FastAPI, ready: bool) -> None:
    """The daemon says when it is ready (migrated, worker running): `/readyz` reports it."""
    app.state.ready = ready


ReadinessProbe = Callable[[], str | None]


def add_readiness_probe(app: FastAPI, name: str, probe: ReadinessProbe) -> None:
    """Make `/readyz` also ask `probe` (e.g. whether the worker thread runs): None means fine,
    a string says what is wrong, answers 503 and appears in the body under `name`."""
    app.state.probes[name] = probe


def _decode(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise malformed_json(f"not UTF-8 at byte {exc.start}") from None


def _validate_json(model: type[EscalationEvent | CustomerRequest], text: str, what: str) -> Any:
    try:
        return model.model_validate_json(text)
    except ValidationError as exc:
        errors = exc.errors()
        if any(error["type"] == "json_invalid" for error in errors):
            raise malformed_json(errors[0]["msg"]) from None
        if errors and errors[0]["type"] == "model_type":
            raise schema_problem(
                what, [{"field": "(body)", "message": "expected a JSON object"}]
            ) from None
        raise schema_problem(what, field_problems(exc)) from None


def create_receiver(
    settings: Settings,
    mappings: Mappings,
    store: Store,
    metrics: Metrics,
    *,
    on_accepted: Callable[[], None] | None = None,
) -> FastAPI:
    """The receiver's ASGI app. Raises `ConfigError` without a webhook secret: the receiver
    will not run accepting unsigned escalations.

    `on_accepted` is called (from the intake writer thread) after each commit that stored at
    least one new event; it must be quick and thread-safe, e.g. `threading.Event.set`.
    """
    if settings.webhook_secret is None:
        raise ConfigError(
            "CSP_WEBHOOK_SECRET is not set: the receiver will not accept unsigned escalations. "
            "Set it to the Standard Webhooks secret (whsec_...) the NOC signs with."
        )
    secrets = [("CSP_WEBHOOK_SECRET", settings.webhook_secret)]
    if settings.webhook_secret_previous is not None:
        secrets.append(("CSP_WEBHOOK_SECRET_PREVIOUS", settings.webhook_secret_previous))
    signed = StandardWebhooksVerifier(secrets)
    writer = IntakeWriter(store, on_committed=on_accepted)
    limit = settings.max_body_bytes
    known_customers = sorted(mappings.customers)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        writer.start()
        try:
            yield
        finally:
            await run_in_threadpool(writer.stop)

    app = FastAPI(
        title="csp-jira-sync receiver",
        version=__version__,
        description=(
            "Intake of NOC escalations (generic NOC, Alertmanager, PagerDuty) and customer "
            "requests. An event is answered 202 only once it is durably stored; Jira is "
            "updated afterwards by the worker."
        ),
        lifespan=lifespan,
    )
    app.state.ready = False
    app.state.probes = {}
    app.state.writer = writer

    def unknown_customer(alias: str, field: str) -> Problem:
        return Problem(
            422,
            "unknown_customer",
            f"unknown customer {alias!r}: it is not in mappings/customers.yaml. Send one of "
            f"the known aliases ({', '.join(known_customers)}), or ask a CSP lead to add "
            "the customer.",
            problems=[{"field": field, "message": f"unknown customer {alias!r}"}],
            extra={"known_customers": known_customers},
        )

    def check_customers(events: Sequence[EscalationEvent], field: Callable[[int], str]) -> None:
        unknown = [
            (index, event.customer)
            for index, event in enumerate(events)
            if mappings.customer(event.customer) is None
        ]
        if len(unknown) == 1:
            raise unknown_customer(unknown[0][1], field(unknown[0][0]))
        if unknown:
            problem = unknown_customer(", ".join(sorted({a for _, a in unknown})), field(0))
            problem.problems = [
                {"field": field(i), "message": f"unknown customer {alias!r}"}
                for i, alias in unknown
            ]
            raise problem

    async def store_items(items: Sequence[InboxItem]) -> list[Accepted]:
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

    async def handle(
        request: Request,
        source: str,
        authenticate: Callable[[bytes, Request], str],
        parse: Callable[[bytes, str], Intake],
        *,
        many: bool = False,
    ) -> Response:
        metrics.received(source)
        try:
            body = await read_body(request, limit)
            text = authenticate(body, request)
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
            results = await store_items(intake.items)
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

    # -- authentication ----------------------------------------------------------------

    def standard_webhook(body: bytes, request: Request) -> str:
        text = _decode(body)
        signed.verify(text, request.headers)
        return text

    def not_enabled(what: str, setting: str) -> Problem:
        return Problem(
            404,
            "not_enabled",
            f"{what} intake is not enabled on this receiver: set {setting} to enable it.",
        )

    def alertmanager_token(body: bytes, request: Request) -> str:
        if settings.alertmanager_token is None:
            raise not_enabled("Alertmanager", "CSP_ALERTMANAGER_TOKEN")
        verify_bearer(request.headers.get("authorization"), settings.alertmanager_token)
        return ""

    def pagerduty_signature(body: bytes, request: Request) -> str:
        if settings.pagerduty_secret is None:
            raise not_enabled("PagerDuty", "CSP_PAGERDUTY_SECRET")
        verify_pagerduty(
            body, request.headers.get("x-pagerduty-signature"), settings.pagerduty_secret
        )
        return ""

    # -- parsing -----------------------------------------------------------------------

    def parse_noc(_: bytes, text: str) -> Intake:
        event: EscalationEvent = _validate_json(EscalationEvent, text, "NOC escalation event")
        if event.source != "noc":
            raise schema_problem(
                "NOC escalation event",
                [{"field": "source", "message": "must be 'noc' (or left out) on /webhooks/noc"}],
            )
        check_customers([event], lambda _: "customer")
        return Intake(items=[InboxItem.of_escalation(event)])

    def parse_request(_: bytes, text: str) -> Intake:
        request: CustomerRequest = _validate_json(CustomerRequest, text, "customer request")
        if mappings.customer(request.customer) is None:
            raise unknown_customer(request.customer, "customer")
        return Intake(items=[InboxItem.of_request(request, source="requests")])

    def parse_alertmanager(body: bytes, _: str) -> Intake:
        events = escalations_from_alertmanager(body)
        check_customers(events, lambda index: f"alerts[{index}].labels.customer")
        return Intake(items=[InboxItem.of_escalation(event) for event in events])

    def parse_pagerduty(body: bytes, _: str) -> Intake:
        webhook = pagerduty.parse(body)
        if webhook.event.event_type not in pagerduty.STATUSES:
            return Intake(ignored=webhook.event.event_type, event_id=webhook.event.id)
        event = pagerduty.escalation_from_pagerduty(webhook, mappings)
        check_customers([event], lambda _: "event.data.service.id")
        return Intake(items=[InboxItem.of_escalation(event)])

    # -- routes ------------------------------------------------------------------------

    bodies: dict[str, type[BaseModel]] = {}

    def webhook(
        path: str,
        model: type[BaseModel],
        summary: str,
        codes: Sequence[int],
        headers: list[dict[str, Any]],
    ) -> Callable[[Any], Any]:
        bodies[path] = model
        return app.post(
            path,
            status_code=202,
            response_model=AcceptedBody,
            responses=_errors(*codes),
            summary=summary,
            openapi_extra={"parameters": headers},
            tags=["intake"],
        )

    @webhook(
        "/webhooks/noc",
        EscalationEvent,
        "A NOC escalation event (Standard Webhooks signed)",
        (400, 401, 413, 422, 503),
        STANDARD_WEBHOOK_HEADERS,
    )
    async def noc(request: Request) -> Response:
        return await handle(request, "noc", standard_webhook, parse_noc)

    @webhook(
        "/webhooks/alertmanager",
        AlertmanagerWebhook,
        "An Alertmanager webhook (version 4, bearer token); each alert is one event",
        (400, 401, 404, 413, 422, 503),
        _headers("Authorization"),
    )
    async def alertmanager(request: Request) -> Response:
        return await handle(
            request, "alertmanager", alertmanager_token, parse_alertmanager, many=True
        )

    @webhook(
        "/webhooks/pagerduty",
        pagerduty.PagerDutyWebhook,
        "A PagerDuty v3 webhook (X-PagerDuty-Signature); incident lifecycle events only",
        (400, 401, 404, 413, 422, 503),
        _headers("X-PagerDuty-Signature"),
    )
    async def pagerduty_webhook(request: Request) -> Response:
        return await handle(request, "pagerduty", pagerduty_signature, parse_pagerduty)

    @webhook(
        "/webhooks/requests",
        CustomerRequest,
        "A customer request (Standard Webhooks signed)",
        (400, 401, 413, 422, 503),
        STANDARD_WEBHOOK_HEADERS,
    )
    async def requests_webhook(request: Request) -> Response:
        return await handle(request, "requests", standard_webhook, parse_request)

    @app.get("/healthz", tags=["operations"], summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["operations"],
        summary="Ready to accept events: the daemon is started and the store answers",
        responses={503: {"description": "Not ready"}},
    )
    async def readyz() -> Response:
        store_problem = await run_in_threadpool(store.unavailable_reason)
        problems = {name: probe() for name, probe in app.state.probes.items()}
        ready = bool(app.state.ready) and store_problem is None
        ready = ready and all(problem is None for problem in problems.values())
        body: dict[str, Any] = {
            "ready": ready,
            "daemon": "ready" if app.state.ready else "starting",
            "store": "ok" if store_problem is None else "unavailable",
        }
        if store_problem is not None:
            body["store_error"] = store_problem
        body.update({name: problem or "ok" for name, problem in problems.items()})
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics")
    async def metrics_endpoint() -> Response:
        try:
            metrics.set_queue_depth(await run_in_threadpool(store.depth))
            metrics.set_held(await run_in_threadpool(store.held))
        except StoreUnavailable as exc:
            log.warning("receiver.metrics_depth_unavailable error=%s", exc)
        payload, content_type = metrics.render()
        return Response(payload, media_type=content_type)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for path, model in bodies.items():
            body_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(body_schema.pop("$defs", {}))
            components[model.__name__] = body_schema
            schema["paths"][path]["post"]["requestBody"] = {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": f"#/components/schemas/{model.__name__}"}
                    }
                },
            }
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
