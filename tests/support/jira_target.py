"""The product's Jira gateway on a running sandbox, for the tests that drive it there.

A test that should run on several Jiras takes the `jira_target` fixture (a plugin of
tests/conftest.py) and names them with `on_jira(...)`, `EVERY_JIRA` or `BOTH_MODES`; only the
sandbox of each named deployment is started and reset for it.
"""

from __future__ import annotations

from dataclasses import dataclass

import jira
import pytest

from csp_jira_sync.jira.gateway import JiraGateway
from jira_sandbox.server import RunningSandbox
from tests.support.contract import ContractRecorder, Deployment

TARGETS: dict[str, tuple[Deployment, str]] = {
    "cloud-v2": (Deployment.CLOUD, "2"),
    "cloud-v3": (Deployment.CLOUD, "3"),
    "datacenter-v2": (Deployment.DATA_CENTER, "2"),
}


@dataclass(frozen=True)
class JiraTarget:
    """One deployment and REST API version of the sandbox, and the daemon's gateway on it with
    every exchange recorded against Atlassian's contract."""

    deployment: Deployment
    api_version: str
    running: RunningSandbox
    gateway: JiraGateway


def on_jira(*names: str) -> pytest.MarkDecorator:
    """Run the test once on each named target of `TARGETS`, through `jira_target`."""
    unknown = set(names) - set(TARGETS)
    assert not unknown, f"no such Jira target: {sorted(unknown)}"
    return pytest.mark.parametrize("jira_target", names, indirect=True)


EVERY_JIRA = on_jira("cloud-v2", "cloud-v3", "datacenter-v2")
BOTH_MODES = on_jira("cloud-v2", "datacenter-v2")


def sandbox_gateway(
    running: RunningSandbox,
    api_version: str = "2",
    *,
    user: str = "csp-sync",
    recorder: ContractRecorder | None = None,
) -> JiraGateway:
    """A gateway on `running` as `user` (the daemon's account, or a person's for the edits
    people make in Jira), built as `connect()` builds it: serverInfo not read, the deployment
    given. Its exchanges are held to the contract when a `recorder` is given."""
    deployment = Deployment(running.mode)
    client = jira.JIRA(
        server=running.base_url,
        basic_auth=running.credentials(user),
        get_server_info=False,
        max_retries=0,
        options={"rest_api_version": api_version, "check_update": False},
    )
    if recorder is not None:
        recorder.attach(client, deployment=deployment)
    return JiraGateway(
        client, server=running.base_url, api_version=api_version, deployment=deployment.value
    )


@pytest.fixture
def jira_target(request: pytest.FixtureRequest, jira_contract: ContractRecorder) -> JiraTarget:
    """The daemon's gateway on the sandbox of the target the test is parametrised with
    (`on_jira`), every exchange held to the contract. Only that deployment's sandbox is
    started and reset for the test."""
    deployment, api_version = TARGETS[request.param]
    running: RunningSandbox = request.getfixturevalue(
        "sandbox" if deployment is Deployment.CLOUD else "sandbox_dc"
    )
    gateway = sandbox_gateway(running, api_version, recorder=jira_contract)
    return JiraTarget(deployment, api_version, running, gateway)
