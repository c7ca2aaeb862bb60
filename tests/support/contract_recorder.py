"""Record and validate every exchange a `requests.Session` or `jira.JIRA` client has with Jira.

    def test_something(sandbox, jira_contract):
        client = jira.JIRA(server=sandbox.base_url, basic_auth=("csp-sync", "csp-sync-token"))
        jira_contract.attach(client)          # Cloud or DC read from the client's serverInfo
        client.create_issue(...)
        # at teardown the test fails if any exchange broke the contract

The hook never raises inside the client (that would turn a contract failure into a confusing
client error); it records, and `assert_clean` (called by the fixture at teardown) reports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import requests

from tests.support.contract_deviations import Deployment
from tests.support.contract_specs import JiraContracts
from tests.support.contract_validator import (
    ContractValidator,
    ContractViolation,
    Exchange,
    Violation,
)

Hook = Callable[..., Any]


class ContractRecorder:
    """Validates each response a session receives and keeps the outcomes in `exchanges`."""

    def __init__(self, contracts: JiraContracts) -> None:
        self.contracts = contracts
        self.exchanges: list[Exchange] = []
        self._opt_ins: set[str] = set()
        self._attached: list[tuple[requests.Session, Hook]] = []

    def attach(
        self,
        target: Any,
        *,
        deployment: Deployment | str | None = None,
        base_url: str | None = None,
    ) -> None:
        """Validate every exchange of `target`: a `requests.Session` or a `jira.JIRA` client.

        For a `jira.JIRA` client the deployment defaults to what its serverInfo says (the
        `jira` package reads it on construction); for a plain session it defaults to Cloud.
        """
        session = _session_of(target)
        if deployment is None:
            deployment = _deployment_of(target)
        if base_url is None:
            base_url = _base_url_of(target)
        validator = ContractValidator(
            self.contracts, Deployment(deployment), base_url=base_url, opt_ins=self._opt_ins
        )

        def on_response(response: requests.Response, *args: Any, **kwargs: Any) -> None:
            validator.opt_ins = frozenset(self._opt_ins)
            try:
                self.exchanges.append(validator.check(response.request, response))
            except Exception as exc:  # a harness fault must fail the test, not the client call
                self.exchanges.append(_unchecked(response, exc))

        session.hooks.setdefault("response", []).append(on_response)
        self._attached.append((session, on_response))

    def detach_all(self) -> None:
        for session, hook in self._attached:
            hooks = session.hooks.get("response", [])
            if hook in hooks:
                hooks.remove(hook)
        self._attached.clear()

    @contextmanager
    def expecting(self, *opt_ins: str) -> Iterator[None]:
        """Within the block, honour the opt-in allowances named (`"rate-limit"`, `"faults"`)."""
        added = {name for name in opt_ins if name not in self._opt_ins}
        self._opt_ins.update(added)
        try:
            yield
        finally:
            self._opt_ins.difference_update(added)

    @property
    def violations(self) -> list[Exchange]:
        return [e for e in self.exchanges if e.violations]

    def operations(self) -> set[tuple[str, str]]:
        """(METHOD, contract path template) of every exchange that matched the contract."""
        return {(e.method, e.operation) for e in self.exchanges if e.operation and not e.exempt}

    def assert_clean(self) -> None:
        """Raise `ContractViolation` listing every violation recorded so far."""
        broken = [v for e in self.exchanges for v in e.violations]
        if broken:
            raise ContractViolation(broken)

    def summary(self) -> str:
        checked = [e for e in self.exchanges if not e.exempt]
        used = sorted({key for e in checked for key in e.allowances})
        return (
            f"{len(checked)} Jira exchanges checked against the contract, "
            f"{len(self.violations)} with violations; allowed deviations used: {used or 'none'}"
        )


def _unchecked(response: requests.Response, error: Exception) -> Exchange:
    method = (response.request.method or "").upper()
    path = urlsplit(response.request.url or "").path
    problem = Violation(method, path, None, "harness", f"could not be checked: {error!r}")
    return Exchange(method, path, None, response.status_code, (problem,), (), 0.0)


def _session_of(target: Any) -> requests.Session:
    if isinstance(target, requests.Session):
        return target
    session = getattr(target, "_session", None)  # jira.JIRA keeps its ResilientSession here
    if isinstance(session, requests.Session):
        return session
    raise TypeError(
        f"cannot attach to {type(target).__name__}: not a requests.Session or jira.JIRA"
    )


def _deployment_of(target: Any) -> Deployment:
    if isinstance(target, requests.Session):
        return Deployment.CLOUD
    # jira.JIRA: "Cloud", or "Server"/"DataCenter" for Data Center (serverInfo.deploymentType).
    kind = getattr(target, "deploymentType", None)
    if kind == "Cloud":
        return Deployment.CLOUD
    if kind in ("Server", "DataCenter"):
        return Deployment.DATA_CENTER
    raise ValueError(
        f"cannot tell Cloud from Data Center: the client's deploymentType is {kind!r} "
        "(built with get_server_info=False?); pass deployment= to attach()"
    )


def _base_url_of(target: Any) -> str | None:
    options = getattr(target, "_options", None)
    if isinstance(options, dict) and isinstance(options.get("server"), str):
        return str(options["server"])
    return None
