"""Schemathesis against the receiver's own OpenAPI document, over real HTTP, with figures.

    figures = fuzz_receiver(receiver.url, receiver.store, cases_per_operation=40)
    assert figures.server_errors == 0 and figures.rows_from_rejected == 0

Schemathesis generates each case from `/openapi.json` (schema-conforming bodies, and in the
negative mode bodies and headers that break it). A generated signature never verifies, so most
webhook cases are then signed the way the real sender signs them (Standard Webhooks, PagerDuty's
HMAC, Alertmanager's bearer token), so that the fuzzing reaches parsing and storing; the others
are sent as generated and must be refused. Half of the signed cases with a `customer` field get
a known customer, or nearly every generated event would stop at "unknown customer".

For every case: no 5xx, the answer conforms to the document (status, content type, body), and a
rejected request (any answer but 2xx) stored no row: the inbox is counted before and after.
`python -m tests.security.fuzz --cases 1000` runs it on its own and prints the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis
import requests
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup

from csp_jira_sync.metrics import Metrics
from csp_jira_sync.receiver import ReceiverServer, create_receiver, set_ready
from csp_jira_sync.store import Store
from csp_jira_sync.store.schema import inbox
from tests.receiver.server import (
    ALERTMANAGER_TOKEN,
    PAGERDUTY_SECRET,
    pagerduty_signature,
    receiver_mappings,
    receiver_settings,
    standard_webhook_headers,
)

KNOWN_CUSTOMERS = ("acme", "globex", "initech")


@dataclass
class FuzzFigures:
    """What one fuzzing run did and found."""

    cases: int = 0
    accepted: int = 0  # answered 2xx
    server_errors: int = 0  # answered 5xx (503 included: the store is up throughout)
    rows_from_rejected: int = 0  # inbox rows that appeared while a request was refused
    nonconforming: int = 0  # answers that break the OpenAPI document
    by_operation: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.server_errors or self.rows_from_rejected or self.nonconforming)

    def rows(self) -> list[tuple[str, int]]:
        return [
            ("fuzz cases", self.cases),
            ("fuzz accepted (2xx)", self.accepted),
            ("fuzz 5xx", self.server_errors),
            ("fuzz rows stored from rejected requests", self.rows_from_rejected),
            ("fuzz answers not conforming to the OpenAPI", self.nonconforming),
        ]

    def table(self) -> str:
        width = max(len(name) for name, _ in self.rows())
        return "\n".join(f"{name:<{width}}  {value:>7}" for name, value in self.rows())


def _inbox_rows(store: Store) -> int:
    with store.engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(inbox)).scalar_one())


def _signed(path: str, body: bytes, headers: dict[str, str]) -> dict[str, str]:
    """`headers` with the credentials the real sender of `path` would add to `body`."""
    headers = {k: v for k, v in headers.items() if k.lower() != "content-length"}
    if path in {"/webhooks/noc", "/webhooks/requests"}:
        for name in ("webhook-id", "webhook-timestamp", "webhook-signature"):
            headers = {k: v for k, v in headers.items() if k.lower() != name}
        # A body that is not UTF-8 cannot be signed as text: it goes unsigned, to be refused.
        with contextlib.suppress(UnicodeDecodeError):
            headers.update(standard_webhook_headers(body))
    elif path == "/webhooks/alertmanager":
        headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
        headers["Authorization"] = f"Bearer {ALERTMANAGER_TOKEN}"
    elif path == "/webhooks/pagerduty":
        headers = {k: v for k, v in headers.items() if k.lower() != "x-pagerduty-signature"}
        headers["X-PagerDuty-Signature"] = pagerduty_signature(body, PAGERDUTY_SECRET)
    return headers


def _credential_headers(operation: Any) -> list[str]:
    return [parameter.name for parameter in operation.headers]


def _with_known_customer(document: Any, pick: int) -> Any:
    if isinstance(document, dict) and isinstance(document.get("customer"), str):
        return {**document, "customer": KNOWN_CUSTOMERS[pick % len(KNOWN_CUSTOMERS)]}
    return document


def fuzz_receiver(
    url: str,
    store: Store,
    *,
    cases_per_operation: int,
    seed: int = 12,
    modes: tuple[GenerationMode, ...] = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE),
    progress: Callable[[str], None] | None = None,
) -> FuzzFigures:
    """Fuzz every operation of the receiver at `url` (its store is `store`), about
    `cases_per_operation` cases per operation and generation mode."""
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    figures = FuzzFigures()
    with requests.Session() as http:
        for result in schema.get_all_operations():
            operation = result.ok()
            for mode in modes:
                label = f"{operation.method.upper()} {operation.path} ({mode.value})"
                before = figures.cases
                _fuzz_operation(
                    http, url, store, operation, mode, cases_per_operation, seed, figures
                )
                figures.by_operation[label] = figures.cases - before
                if progress is not None:
                    progress(f"{label}: {figures.cases - before} cases")
    return figures


def _fuzz_operation(
    http: requests.Session,
    url: str,
    store: Store,
    operation: Any,
    mode: GenerationMode,
    cases: int,
    seed: int,
    figures: FuzzFigures,
) -> None:
    strategy = operation.as_strategy(generation_mode=mode)

    @hypothesis.seed(seed)
    @hypothesis.settings(
        max_examples=cases,
        deadline=None,
        database=None,
        phases=[hypothesis.Phase.generate],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @hypothesis.given(case=strategy, sign=st.integers(0, 3))
    def one(case: Any, sign: int) -> None:
        kwargs = case.as_transport_kwargs(base_url=url)
        headers: dict[str, str] = {str(k): str(v) for k, v in (kwargs.get("headers") or {}).items()}
        if "json" in kwargs:
            document = kwargs["json"]
            if sign >= 2 and mode is GenerationMode.POSITIVE:
                document = _with_known_customer(document, sign)
            body: bytes | None = json.dumps(document).encode()
            headers.setdefault("Content-Type", "application/json")
        else:
            raw = kwargs.get("data")
            body = raw.encode() if isinstance(raw, str) else raw
        # A negative case may be one whose mutation dropped the credentials header: signing
        # it would make it valid, so only cases that carry the header are signed.
        documented = {name.lower() for name in _credential_headers(operation)}
        if sign and documented and documented <= {name.lower() for name in headers}:
            headers = _signed(operation.path, body or b"", headers)
        rows_before = _inbox_rows(store)
        response = http.request(
            kwargs["method"],
            kwargs["url"],
            params=kwargs.get("params"),
            headers=headers,
            data=body,
            timeout=30,
        )
        rows_after = _inbox_rows(store)
        figures.cases += 1
        what = (
            f"{kwargs['method']} {operation.path} -> {response.status_code}: {response.text[:300]}"
        )
        if response.status_code >= 500:
            figures.server_errors += 1
            figures.failures.append("5xx: " + what)
        if response.ok:
            figures.accepted += 1
        elif rows_after != rows_before:
            figures.rows_from_rejected += rows_after - rows_before
            figures.failures.append(f"{rows_after - rows_before} row(s) from rejected: " + what)
        try:
            # A 413 refuses the data too; schemathesis's list of refusals leaves it out.
            checks = _CONFORMANCE if response.status_code != 413 else _CONFORMANCE[:3]
            case.validate_response(response, checks=checks)
        except FailureGroup as group:
            figures.nonconforming += 1
            figures.failures.append("nonconforming: " + str(group)[:3000])

    # A GET without parameters has no negative cases: hypothesis calls that unsatisfiable.
    with contextlib.suppress(hypothesis.errors.Unsatisfiable):
        one()


_CONFORMANCE = [
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.negative_data_rejection,
]


def cases_per_operation_for(url: str, cases: int) -> int:
    """Cases per operation and mode for `cases` in all: the webhooks take them (a GET without
    parameters runs out of distinct cases after a few)."""
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    webhooks = sum(result.ok().method.upper() == "POST" for result in schema.get_all_operations())
    return -(-cases // (2 * webhooks))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1000, help="at least this many in all")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--format", choices=("table", "json"), default="table")
    options = parser.parse_args()
    figures = run_standalone(options.cases, seed=options.seed)
    if options.format == "json":
        print(json.dumps(dict(figures.rows())))
    else:
        print(figures.table())
        for failure in figures.failures[:20]:
            print(failure)
    raise SystemExit(0 if figures.clean else 1)


def run_standalone(cases: int, *, seed: int = 12) -> FuzzFigures:
    """A receiver on a throwaway SQLite store, fuzzed with at least `cases` cases in all: the
    figures for `make soak`'s table."""
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(f"sqlite:///{Path(folder) / 'state.sqlite'}")
        store.migrate()
        app = create_receiver(receiver_settings(), receiver_mappings(), store, Metrics())
        set_ready(app, True)
        try:
            with ReceiverServer(app) as server:
                per = cases_per_operation_for(server.url, cases)
                return fuzz_receiver(
                    server.url, store, cases_per_operation=per, seed=seed, progress=print
                )
        finally:
            store.close()


if __name__ == "__main__":
    main()
