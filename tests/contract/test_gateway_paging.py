"""The gateway's two paging shapes against the sandbox in both modes: `startAt` pages (Data
Center's search, Cloud's filter search, group members) and Cloud's `nextPageToken` search.
Every page is read, and no call is sent past the last one (or, for a lookup, past the page
that answered it)."""

from __future__ import annotations

from typing import Any

import pytest

from csp_jira_sync.jira.model import IssueDraft
from tests.contract.issues import unique_label
from tests.contract.test_gateway_traffic import _recorded_gateway
from tests.support.contract import ContractRecorder, Deployment

BOTH_MODES = pytest.mark.parametrize(
    ("deployment", "search_route"),
    [
        (Deployment.CLOUD, "POST /rest/api/2/search/jql"),
        (Deployment.DATA_CENTER, "GET /rest/api/2/search"),
    ],
    ids=["cloud", "datacenter"],
)


@BOTH_MODES
@pytest.mark.parametrize(("issues", "pages"), [(5, 3), (4, 2)], ids=["part-page", "full-page"])
def test_search_reads_every_page_and_stops_after_the_last(
    deployment: Deployment,
    search_route: str,
    issues: int,
    pages: int,
    sandbox: Any,
    sandbox_dc: Any,
    jira_contract: ContractRecorder,
) -> None:
    running = sandbox if deployment is Deployment.CLOUD else sandbox_dc
    gateway = _recorded_gateway(running.base_url, deployment, "2", jira_contract)
    label = unique_label("paging")
    for n in range(issues):
        gateway.create_issue(IssueDraft("CSP", "Task", f"Paged {n}", "d", (label,)))
    running.admin.flush_index()
    running.admin.reset_stats()

    found = gateway.search(f"labels = {label} ORDER BY key ASC", page_size=2)

    assert [f.summary for f in found] == [f"Paged {n}" for n in range(issues)]
    assert running.admin.calls(search_route) == pages


@pytest.mark.parametrize(
    ("deployment", "filter_route", "calls"),
    [
        (Deployment.CLOUD, "GET /rest/api/2/filter/search", 2),  # 50 a page: the 51st is on two
        (Deployment.DATA_CENTER, "GET /rest/api/2/filter/favourite", 1),
    ],
    ids=["cloud", "datacenter"],
)
def test_a_filter_is_found_past_the_first_page_of_names_like_it(
    deployment: Deployment,
    filter_route: str,
    calls: int,
    sandbox: Any,
    sandbox_dc: Any,
    jira_contract: ContractRecorder,
) -> None:
    running = sandbox if deployment is Deployment.CLOUD else sandbox_dc
    gateway = _recorded_gateway(running.base_url, deployment, "2", jira_contract)
    name = f"CSP paging {unique_label()}"
    for n in range(50):  # named like it, and sorted before it
        gateway.create_filter(name=f"a{n:02d} {name}", jql="project = CSP", description="")
    wanted = gateway.create_filter(name=name, jql="project = CSP", description="")
    running.admin.reset_stats()

    assert gateway.find_filter(name.upper()) == wanted
    assert running.admin.calls(filter_route) == calls
    assert gateway.find_filter(name[:-1]) is None  # like all 51, none by that name
    assert running.admin.calls(filter_route) == 2 * calls


@pytest.mark.parametrize("deployment", [Deployment.CLOUD, Deployment.DATA_CENTER])
def test_group_members_are_read_page_by_page(
    deployment: Deployment, sandbox: Any, sandbox_dc: Any, jira_contract: ContractRecorder
) -> None:
    running = sandbox if deployment is Deployment.CLOUD else sandbox_dc
    gateway = _recorded_gateway(running.base_url, deployment, "2", jira_contract)
    everyone = list(gateway.group_members("csp-staff"))
    assert len(everyone) == 3
    running.admin.reset_stats()

    assert list(gateway.group_members("csp-staff", page_size=1)) == everyone
    assert running.admin.calls("GET /rest/api/2/group/member") == 3
