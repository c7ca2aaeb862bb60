"""The gateway's close of a duplicate: the transition is chosen by the target status's category
(names differ per workflow), the comment rides in the same call, and a workflow that offers no
such transition, or whose screen wants a field, leaves the close to a person."""

from __future__ import annotations

import json

import responses

from csp_jira_sync.jira.model import IssueRef
from tests.support.stubbed_jira import API
from tests.support.stubbed_jira import stubbed_gateway as gateway

ISSUE = IssueRef("7", "CSP-7")


def status(name: str, category: str) -> dict[str, object]:
    return {"name": name, "statusCategory": {"key": category}}


@responses.activate
def test_the_close_takes_the_transition_into_the_done_category_with_the_comment() -> None:
    responses.get(
        f"{API}/issue/7/transitions",
        json={
            "transitions": [
                {"id": "11", "to": status("In Progress", "indeterminate")},
                {"id": "71", "to": status("Closed as duplicate", "done")},
            ]
        },
    )
    responses.post(f"{API}/issue/7/transitions", status=204)
    assert gateway().close_issue(ISSUE, comment="see CSP-1") == "Closed as duplicate"
    body = json.loads(responses.calls[1].request.body or "{}")
    assert body == {
        "transition": {"id": "71"},
        "update": {"comment": [{"add": {"body": "see CSP-1"}}]},
    }


@responses.activate
def test_no_transition_into_the_done_category_is_none() -> None:
    responses.get(
        f"{API}/issue/7/transitions",
        json={"transitions": [{"id": "51", "to": status("To Do", "new")}]},
    )
    assert gateway().close_issue(ISSUE, comment="see CSP-1") is None
    assert [c.request.method for c in responses.calls] == ["GET"]


@responses.activate
def test_a_close_whose_screen_wants_a_field_is_none() -> None:
    responses.get(
        f"{API}/issue/7/transitions",
        json={"transitions": [{"id": "41", "to": status("Done", "done")}]},
    )
    responses.post(
        f"{API}/issue/7/transitions",
        status=400,
        json={"errorMessages": [], "errors": {"customfield_1": "Root cause is required."}},
    )
    assert gateway().close_issue(ISSUE, comment="see CSP-1") is None
