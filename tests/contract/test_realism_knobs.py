"""The sandbox's realism knobs answer within the contract (with the statuses a test claims)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.contract.clients import JiraHttp
from tests.contract.issues import task_fields, unique_label
from tests.support.contract import ContractRecorder, Deployment, JiraContracts


def test_a_rate_limited_answer_keeps_jiras_shape_and_headers(
    sandbox: Any, cloud_http: JiraHttp, jira_contract: ContractRecorder
) -> None:
    sandbox.admin.set_knobs(rateLimitPerSecond=0.1, rateLimitBurst=1)
    with jira_contract.expecting("rate-limit"):
        statuses = [cloud_http.get("/rest/api/2/myself").status_code for _ in range(2)]
    assert statuses == [200, 429]
    limited = jira_contract.exchanges[-1]
    assert limited.status == 429
    assert limited.allowances == ("rate-limited-429",)


def test_a_429_is_a_contract_failure_unless_the_test_claims_it(
    sandbox: Any, jira_contracts: JiraContracts
) -> None:
    # Its own recorder, not the fixture's: this test shows the failure instead of having it.
    sandbox.admin.set_knobs(rateLimitPerSecond=0.1, rateLimitBurst=1)
    recorder = ContractRecorder(jira_contracts)
    http = JiraHttp(sandbox.base_url)
    recorder.attach(http.session, deployment=Deployment.CLOUD)
    http.get("/rest/api/2/myself")
    http.get("/rest/api/2/myself")
    recorder.detach_all()
    assert [e.status for e in recorder.violations] == [429]
    assert "status 429 is not a documented answer" in str(recorder.violations[0].violations[0])


def test_an_injected_server_error_is_allowed_only_when_claimed(
    sandbox: Any, cloud_http: JiraHttp, jira_contract: ContractRecorder
) -> None:
    sandbox.admin.set_knobs(faultRate=1.0, faultKinds=["503"])
    with jira_contract.expecting("faults"):
        assert cloud_http.get("/rest/api/2/myself").status_code == 503
    assert jira_contract.violations == []


def test_a_dropped_connection_reaches_the_client_and_records_nothing(
    sandbox: Any, cloud_http: JiraHttp, jira_contract: ContractRecorder
) -> None:
    sandbox.admin.set_knobs(faultRate=1.0, faultKinds=["drop"])
    with pytest.raises(requests.ConnectionError):
        cloud_http.get("/rest/api/2/myself")
    assert jira_contract.exchanges == []


def test_lagging_search_and_reconcile_issues_keep_the_contract(
    sandbox: Any, cloud_http: JiraHttp, jira_contract: ContractRecorder
) -> None:
    sandbox.admin.set_knobs(indexLagMs=60_000)
    label = unique_label("lag")
    created = cloud_http.post(
        "/rest/api/2/issue", json={"fields": task_fields("Lagging", labels=[label])}
    ).json()
    jql = f"labels = {label}"
    hidden = cloud_http.get("/rest/api/2/search/jql", params={"jql": jql}).json()
    assert hidden["issues"] == []
    reconciled = cloud_http.post(
        "/rest/api/2/search/jql",
        json={"jql": jql, "fields": ["summary"], "reconcileIssues": [int(created["id"])]},
    ).json()
    assert [i["key"] for i in reconciled["issues"]] == [created["key"]]
    assert ("POST", "/rest/api/2/search/jql") in jira_contract.operations()
