"""The admin API: stats by path template, reset, state dump, clock; fixtures do not leak."""

from __future__ import annotations

import requests

from jira_sandbox.server import RunningSandbox
from tests.sandbox.sandbox_helpers import JiraHttp


def test_stats_count_calls_by_method_and_path_template(sandbox: RunningSandbox) -> None:
    http = JiraHttp(sandbox)
    first = http.create()["key"]
    second = http.create()["key"]
    http.get(f"issue/{first}")
    http.get(f"issue/{second}")
    http.get("issue/CSP-404")
    stats = sandbox.admin.stats()
    assert stats["byRoute"] == {
        "GET /rest/api/2/issue/{issueIdOrKey}": 3,
        "POST /rest/api/2/issue": 2,
    }
    assert stats["byRouteStatus"]["GET /rest/api/2/issue/{issueIdOrKey}"] == {"200": 2, "404": 1}
    assert stats["byStatus"] == {"200": 2, "201": 2, "404": 1}
    assert stats["total"] == 5
    assert sandbox.admin.calls("POST /rest/api/2/issue") == 2


def test_unknown_paths_are_counted_apart(sandbox: RunningSandbox) -> None:
    assert JiraHttp(sandbox).get("nothing/here").status_code == 404
    assert sandbox.admin.stats()["byRoute"] == {"GET (no route)": 1}


def test_reset_returns_to_the_seed_and_zeroes_the_stats(sandbox: RunningSandbox) -> None:
    http = JiraHttp(sandbox)
    http.create()
    sandbox.admin.set_knobs(indexLagMs=1000)
    sandbox.admin.reset()
    assert sandbox.admin.issues() == []
    assert sandbox.admin.stats()["total"] == 0
    assert sandbox.admin.knobs()["indexLagMs"] == 0
    assert http.create()["key"] == "CSP-1"  # keys start again


def test_state_dump_shows_issues_with_their_parts(sandbox: RunningSandbox) -> None:
    http = JiraHttp(sandbox, user="noc.dave")
    key = http.create(labels=["csp", "csp-ref-1"])["key"]
    http.post(f"issue/{key}/comment", json={"body": "Escalated"})
    http.post(f"issue/{key}/worklog", json={"timeSpent": "15m"})
    (issue,) = sandbox.admin.issues(labels=["csp-ref-1"])
    assert issue["key"] == key
    assert issue["labels"] == ["csp", "csp-ref-1"]
    assert issue["reporter"] == "noc.dave"
    assert [(c["author"], c["body"]) for c in issue["comments"]] == [("noc.dave", "Escalated")]
    assert [(w["author"], w["timeSpentSeconds"]) for w in issue["worklogs"]] == [("noc.dave", 900)]
    assert sandbox.admin.issues(keys=["CSP-99"]) == []


def test_info_lists_the_seeded_users_with_their_tokens(sandbox: RunningSandbox) -> None:
    info = sandbox.admin.info()
    assert info["mode"] == "cloud"
    assert {u["name"]: u["token"] for u in info["users"]} == {
        name: f"{name}-token"
        for name in ("csp-sync", "csp.alice", "csp.bob", "csp.chen", "noc.dave", "noc.erin")
    }


def test_the_clock_can_be_frozen_and_moved(sandbox: RunningSandbox) -> None:
    sandbox.admin.freeze_clock(1_795_600_800_000)
    sandbox.admin.advance_clock(1500)
    created = JiraHttp(sandbox).create()["key"]
    (issue,) = sandbox.admin.issues(keys=[created])
    assert issue["created"] == "2026-11-25T10:00:01.500+0000"
    assert sandbox.admin.clock()["frozen"] is True


def test_admin_calls_need_no_jira_credentials(sandbox: RunningSandbox) -> None:
    assert requests.get(f"{sandbox.base_url}/_sandbox/stats", timeout=5).status_code == 200


def test_fixture_state_does_not_leak_between_tests_part_one(sandbox: RunningSandbox) -> None:
    JiraHttp(sandbox).create(labels=["csp-leak-check"])
    sandbox.admin.set_knobs(faultRate=0.5)


def test_fixture_state_does_not_leak_between_tests_part_two(sandbox: RunningSandbox) -> None:
    assert sandbox.admin.issues() == []
    assert sandbox.admin.knobs()["faultRate"] == 0.0
