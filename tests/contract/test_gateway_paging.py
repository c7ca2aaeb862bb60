"""The gateway's two paging shapes against the sandbox in both modes: `startAt` pages (Data
Center's search, Cloud's filter search, group members) and Cloud's `nextPageToken` search.
Every page is read, and no call is sent past the last one (or, for a lookup, past the page
that answered it)."""

from __future__ import annotations

import pytest

from csp_jira_sync.jira.model import IssueDraft
from tests.contract.issues import unique_label
from tests.support.contract import Deployment
from tests.support.jira_target import BOTH_MODES, JiraTarget

SEARCH = {
    Deployment.CLOUD: "POST /rest/api/2/search/jql",
    Deployment.DATA_CENTER: "GET /rest/api/2/search",
}
# Cloud pages its filter search by 50; Data Center has none and reads the favourites once.
FILTERS = {
    Deployment.CLOUD: ("GET /rest/api/2/filter/search", 2),
    Deployment.DATA_CENTER: ("GET /rest/api/2/filter/favourite", 1),
}


@BOTH_MODES
@pytest.mark.parametrize(("issues", "pages"), [(5, 3), (4, 2)], ids=["part-page", "full-page"])
def test_search_reads_every_page_and_stops_after_the_last(
    jira_target: JiraTarget, issues: int, pages: int
) -> None:
    gateway, admin = jira_target.gateway, jira_target.running.admin
    label = unique_label("paging")
    for n in range(issues):
        gateway.create_issue(IssueDraft("CSP", "Task", f"Paged {n}", "d", (label,)))
    admin.flush_index()
    admin.reset_stats()

    found = gateway.search(f"labels = {label} ORDER BY key ASC", page_size=2)

    assert [f.summary for f in found] == [f"Paged {n}" for n in range(issues)]
    assert admin.calls(SEARCH[jira_target.deployment]) == pages


@BOTH_MODES
def test_a_filter_is_found_past_the_first_page_of_names_like_it(jira_target: JiraTarget) -> None:
    gateway, admin = jira_target.gateway, jira_target.running.admin
    route, calls = FILTERS[jira_target.deployment]
    name = f"CSP paging {unique_label()}"
    for n in range(50):  # named like it, and sorted before it
        gateway.create_filter(name=f"a{n:02d} {name}", jql="project = CSP", description="")
    wanted = gateway.create_filter(name=name, jql="project = CSP", description="")
    admin.reset_stats()

    assert gateway.find_filter(name.upper()) == wanted
    assert admin.calls(route) == calls
    assert gateway.find_filter(name[:-1]) is None  # like all 51, none by that name
    assert admin.calls(route) == 2 * calls


@BOTH_MODES
def test_group_members_are_read_page_by_page(jira_target: JiraTarget) -> None:
    gateway, admin = jira_target.gateway, jira_target.running.admin
    everyone = list(gateway.group_members("csp-staff"))
    assert len(everyone) == 3
    admin.reset_stats()

    assert list(gateway.group_members("csp-staff", page_size=1)) == everyone
    assert admin.calls("GET /rest/api/2/group/member") == 3
