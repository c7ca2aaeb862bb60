"""Clients for the contract suite: the real `jira` package and plain `requests`, both recorded.

Every exchange these clients have with the sandbox is validated against Atlassian's contract by
the `jira_contract` recorder; a test fails at teardown if any exchange broke it.
"""

from __future__ import annotations

from typing import Any

import jira
import pytest

from tests.contract.clients import JiraHttp, jira_client
from tests.support.contract import ContractRecorder, Deployment


@pytest.fixture
def cloud_jira(sandbox: Any, jira_contract: ContractRecorder) -> jira.JIRA:
    client = jira_client(sandbox.base_url)
    jira_contract.attach(client)
    return client


@pytest.fixture
def cloud_http(sandbox: Any, jira_contract: ContractRecorder) -> JiraHttp:
    http = JiraHttp(sandbox.base_url)
    jira_contract.attach(http.session, deployment=Deployment.CLOUD)
    return http


@pytest.fixture
def anonymous_http(sandbox: Any, jira_contract: ContractRecorder) -> JiraHttp:
    http = JiraHttp(sandbox.base_url, auth=None)
    jira_contract.attach(http.session, deployment=Deployment.CLOUD)
    return http


@pytest.fixture
def dc_jira(sandbox_dc: Any, jira_contract: ContractRecorder) -> jira.JIRA:
    client = jira_client(sandbox_dc.base_url)
    jira_contract.attach(client)
    return client


@pytest.fixture
def dc_http(sandbox_dc: Any, jira_contract: ContractRecorder) -> JiraHttp:
    http = JiraHttp(sandbox_dc.base_url)
    jira_contract.attach(http.session, deployment=Deployment.DATA_CENTER)
    return http
