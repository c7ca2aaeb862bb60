"""The HTTP receiver: verify, parse, store, answer. Nothing else, and never Jira.

`create_receiver` assembles the app from a route table: one `Sender` per webhook (built in
`senders/`, each answered by `accept.webhook_endpoint`) and the operations endpoints
(`operations.py`). An event is answered 202 only once it is durably stored.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from csp_jira_sync import __version__
from csp_jira_sync.config.mappings import Mappings
from csp_jira_sync.errors import ConfigError
from csp_jira_sync.metrics import Metrics
from csp_jira_sync.receiver.accept import webhook_endpoint
from csp_jira_sync.receiver.customers import KnownCustomers
from csp_jira_sync.receiver.intake import IntakeWriter
from csp_jira_sync.receiver.openapi import (
    AcceptedBody,
    document_request_bodies,
    error_responses,
    header_parameters,
)
from csp_jira_sync.receiver.operations import operations_routes
from csp_jira_sync.receiver.sender import Sender
from csp_jira_sync.receiver.senders import alertmanager, noc, pagerduty, requests
from csp_jira_sync.receiver.signatures import StandardWebhooksVerifier
from csp_jira_sync.settings import Settings
from csp_jira_sync.store import Store

__all__ = ["create_receiver", "senders_for"]


def senders_for(settings: Settings, mappings: Mappings) -> list[Sender]:
    """The route table of intake: every sender the receiver takes deliveries from. Raises
    `ConfigError` without a webhook secret: the receiver will not run accepting unsigned
    escalations."""
    if settings.webhook_secret is None:
        raise ConfigError(
            "CSP_WEBHOOK_SECRET is not set: the receiver will not accept unsigned escalations. "
            "Set it to the Standard Webhooks secret (whsec_...) the NOC signs with."
        )
    secrets = [("CSP_WEBHOOK_SECRET", settings.webhook_secret)]
    if settings.webhook_secret_previous is not None:
        secrets.append(("CSP_WEBHOOK_SECRET_PREVIOUS", settings.webhook_secret_previous))
    signed = StandardWebhooksVerifier(secrets)
    customers = KnownCustomers(mappings)
    return [
        noc.sender(signed, customers),
        alertmanager.sender(settings.alertmanager_token, customers),
        pagerduty.sender(settings.pagerduty_secret, customers),
        requests.sender(signed, customers),
    ]


def create_receiver(
    settings: Settings,
    mappings: Mappings,
    store: Store,
    metrics: Metrics,
    *,
    on_accepted: Callable[[], None] | None = None,
) -> FastAPI:
    """The receiver's ASGI app. Raises `ConfigError` without a webhook secret.

    `on_accepted` is called (from the intake writer thread) after each commit that stored at
    least one new event; it must be quick and thread-safe, e.g. `threading.Event.set`.
    """
    senders = senders_for(settings, mappings)
    writer = IntakeWriter(store, on_committed=on_accepted)

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
    for sender in senders:
        app.add_api_route(
            sender.path,
            webhook_endpoint(sender, writer, metrics, settings.max_body_bytes),
            methods=["POST"],
            name=sender.name,
            status_code=202,
            response_model=AcceptedBody,
            responses=error_responses(sender.codes),
            summary=sender.summary,
            openapi_extra={"parameters": header_parameters(sender.headers)},
            tags=["intake"],
        )
    app.include_router(operations_routes(store, metrics))
    document_request_bodies(app, {sender.path: sender.body for sender in senders})
    return app
