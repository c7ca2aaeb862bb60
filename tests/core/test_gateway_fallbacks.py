"""The gateway's answers to Jira configurations that refuse what it first tries."""

from __future__ import annotations

import json
import threading
from typing import Any

import requests
import responses

from csp_jira_sync.jira.gateway import read_environment_once
from csp_jira_sync.jira.model import IssueDraft, IssueLink, IssueRef
from tests.support.stubbed_jira import API, BASE
from tests.support.stubbed_jira import stubbed_gateway as gateway


@responses.activate
def test_a_transition_whose_screen_requires_a_field_leaves_the_move_to_a_person() -> None:
    responses.get(
        f"{API}/issue/1/transitions", json={"transitions": [{"id": "41", "to": {"name": "Done"}}]}
    )
    responses.post(
        f"{API}/issue/1/transitions",
        status=400,
        json={"errorMessages": [], "errors": {"customfield_1": "Root cause is required."}},
    )
    assert gateway().transition_to(IssueRef("1", "CSP-1"), "Done", comment="resolved") is False


@responses.activate
def test_a_known_transition_id_is_reused_without_asking_again() -> None:
    responses.get(
        f"{API}/issue/1/transitions",
        json={"transitions": [{"id": "11", "to": {"name": "In Progress"}}]},
    )
    responses.post(f"{API}/issue/1/transitions", status=204)
    responses.post(f"{API}/issue/2/transitions", status=204)
    gw = gateway()
    assert gw.transition_to(IssueRef("1", "CSP-1"), "In Progress", comment="ack")
    assert gw.transition_to(IssueRef("2", "CSP-2"), "In Progress", comment="ack")
    assert [c.request.method for c in responses.calls] == ["GET", "POST", "POST"]
    body = json.loads(responses.calls[2].request.body or "{}")
    assert body == {"transition": {"id": "11"}, "update": {"comment": [{"add": {"body": "ack"}}]}}


@responses.activate
def test_links_go_in_a_second_call_where_linked_issues_is_not_on_the_create_screen() -> None:
    refused = {
        "errorMessages": [],
        "errors": {
            "issuelinks": "Field 'issuelinks' cannot be set. It is not on the appropriate screen, or unknown."
        },
    }
    responses.post(f"{API}/issue", status=400, json=refused)
    responses.post(f"{API}/issue", status=201, json={"id": "10002", "key": "CSP-2"})
    responses.post(f"{API}/issueLink", status=201)
    draft = IssueDraft(
        "CSP", "Incident", "s", "d", ("csp",), links=(IssueLink("Relates", "CSP-1"),)
    )
    assert gateway().create_issue(draft) == IssueRef("10002", "CSP-2")
    second = json.loads(responses.calls[1].request.body or "{}")
    assert "update" not in second
    link = json.loads(responses.calls[2].request.body or "{}")
    assert link["outwardIssue"] == {"key": "CSP-1"} and link["inwardIssue"] == {"key": "CSP-2"}


def test_the_environment_s_proxy_for_jira_is_read_once_at_connect(monkeypatch: Any) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "other.example")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/corporate.pem")
    session = requests.Session()
    read_environment_once(session, BASE)
    assert session.proxies["https"] == "http://proxy.example:3128"
    assert session.verify == "/etc/ssl/corporate.pem"
    assert session.trust_env is False  # later calls do not read it again


def test_no_proxy_naming_jira_leaves_its_calls_direct(monkeypatch: Any) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "jira.example")
    session = requests.Session()
    read_environment_once(session, BASE)
    assert session.proxies == {}


@responses.activate
def test_lanes_needing_the_same_status_at_once_wait_for_one_lookup_of_its_transition() -> None:
    lanes = 6
    started = threading.Semaphore(0)

    def transitions(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        # The first lookup answers only once every lane has asked for the move: lanes that
        # each looked the transition up would all be asking Jira by then.
        for _ in range(lanes):
            assert started.acquire(timeout=10)
        body = {"transitions": [{"id": "21", "to": {"name": "Acknowledged"}}]}
        return 200, {"content-type": "application/json"}, json.dumps(body)

    for n in range(1, lanes + 1):
        responses.add_callback(responses.GET, f"{API}/issue/{n}/transitions", transitions)
        responses.post(f"{API}/issue/{n}/transitions", status=204)
    gw = gateway()
    moved: list[bool] = []

    def lane(n: int) -> None:
        started.release()
        moved.append(gw.transition_to(IssueRef(str(n), f"CSP-{n}"), "Acknowledged"))

    threads = [threading.Thread(target=lane, args=(n,)) for n in range(1, lanes + 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert moved == [True] * lanes
    methods = [c.request.method for c in responses.calls]
    assert methods.count("GET") == 1 and methods.count("POST") == lanes


@responses.activate
def test_lanes_starting_together_learn_the_deployment_from_one_server_info() -> None:
    def slow_server_info(_: Any) -> tuple[int, dict[str, str], str]:
        threading.Event().wait(0.2)  # long enough for every lane to ask meanwhile
        return 200, {}, json.dumps({"deploymentType": "Server"})

    responses.add_callback(responses.GET, f"{API}/serverInfo", callback=slow_server_info)
    responses.post(f"{API}/issue/CSP-1/comment", status=201, json={})
    gw = gateway(deployment="auto")
    lanes = [
        threading.Thread(target=gw.add_comment, args=(IssueRef("1", "CSP-1"), "still down"))
        for _ in range(8)
    ]
    for lane in lanes:
        lane.start()
    for lane in lanes:
        lane.join()
    calls = [call.request.url for call in responses.calls]
    assert sum("serverInfo" in str(url) for url in calls) == 1
    assert sum("comment" in str(url) for url in calls) == 8  # by key: Data Center
