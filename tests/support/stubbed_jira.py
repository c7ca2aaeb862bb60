"""The product's gateway on a Jira stubbed with `responses` (`BASE`, its REST API at `API`), for
the tests of what the gateway does with answers a sandbox does not give: one attempt, no
sleeping, Cloud, and the pacer given or none."""

from __future__ import annotations

from typing import Literal

import jira

from csp_jira_sync.jira.gateway import JiraGateway
from csp_jira_sync.jira.pacer import Pacer
from csp_jira_sync.jira.retry import RetryPolicy

BASE = "https://jira.example"
API = f"{BASE}/rest/api/2"


def stubbed_gateway(
    pacer: Pacer | None = None, deployment: Literal["auto", "cloud", "datacenter"] = "cloud"
) -> JiraGateway:
    client = jira.JIRA(server=BASE, basic_auth=("u", "t"), get_server_info=False, max_retries=0)
    return JiraGateway(
        client,
        server=BASE,
        deployment=deployment,
        policy=RetryPolicy(max_attempts=1, sleep=lambda _: None),
        pacer=pacer,
    )
