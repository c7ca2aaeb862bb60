"""The report calls' answers to Jira configurations that refuse what they first try."""

from __future__ import annotations

import json

import pytest
import responses

from csp_jira_sync.errors import JiraPermanent
from csp_jira_sync.jira.model import IssueRef
from tests.support.stubbed_jira import API
from tests.support.stubbed_jira import stubbed_gateway as gateway

NOT_ON_SCREEN = {
    "errorMessages": [],
    "errors": {
        "summary": "Field 'summary' cannot be set. It is not on the appropriate screen, or unknown."
    },
}


@responses.activate
def test_a_summary_not_on_the_edit_screen_still_gets_the_description_written() -> None:
    responses.put(f"{API}/issue/1", status=400, json=NOT_ON_SCREEN)
    responses.put(f"{API}/issue/1", status=204)
    gateway().set_summary_and_description(
        IssueRef("1", "CSP-1"), summary="Trends", wiki="h2. Numbers", adf={}
    )
    bodies = [json.loads(c.request.body or "{}") for c in responses.calls]
    assert bodies == [
        {"fields": {"summary": "Trends", "description": "h2. Numbers"}},
        {"fields": {"description": "h2. Numbers"}},
    ]


@responses.activate
def test_a_refused_description_is_raised_not_retried_without_it() -> None:
    refused = {"errorMessages": [], "errors": {"description": "The entered text is too long."}}
    responses.put(f"{API}/issue/1", status=400, json=refused)
    with pytest.raises(JiraPermanent):
        gateway().set_summary_and_description(
            IssueRef("1", "CSP-1"), summary="Trends", wiki="x", adf={}
        )
    assert len(responses.calls) == 1


@responses.activate
def test_a_filter_jira_no_longer_shows_us_is_none_so_it_is_made_again() -> None:
    responses.get(
        f"{API}/filter/10500",
        status=400,
        json={"errorMessages": ["The selected filter is not available to you."], "errors": {}},
    )
    assert gateway().get_filter("10500") is None
