"""Worklogs: per-issue paging, estimates, authorship, and the updated/deleted feeds with
Jira's paging (1,000 per page, `since` inclusive, the last minute withheld)."""

from __future__ import annotations

from typing import Any

from jira_sandbox.server import RunningSandbox
from jira_sandbox.timefmt import format_ms
from jira_sandbox.worklog_service import add_worklog
from tests.sandbox.sandbox_helpers import JiraHttp

T0 = 1_795_600_800_000  # 2026-11-25T10:00:00Z
MINUTE = 60_000


def _log(http: JiraHttp, key: str, **body: Any) -> dict[str, Any]:
    answer = http.post(f"issue/{key}/worklog", json={"timeSpent": "1h", **body})
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def _updated(http: JiraHttp, since: int) -> dict[str, Any]:
    body: dict[str, Any] = http.get("worklog/updated", params={"since": since}).json()
    return body


def test_worklogs_are_attributed_to_the_authenticated_user(sandbox: RunningSandbox) -> None:
    key = JiraHttp(sandbox).create()["key"]
    worklog = _log(JiraHttp(sandbox, user="csp.chen"), key, comment="Checked the firewall")
    assert worklog["author"]["displayName"] == "Chen Csp"
    assert worklog["updateAuthor"]["displayName"] == "Chen Csp"
    assert worklog["timeSpentSeconds"] == 3600


def test_v3_worklog_comments_are_adf(sandbox: RunningSandbox) -> None:
    http = JiraHttp(sandbox, version=3)
    key = http.create()["key"]
    comment = {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Patched"}]}],
    }
    created = _log(http, key, comment=comment)
    assert created["comment"] == comment
    v2 = JiraHttp(sandbox).get(f"issue/{key}/worklog/{created['id']}").json()
    assert v2["comment"] == "Patched"


def test_an_issues_worklogs_are_paged_and_filtered_by_start(sandbox: RunningSandbox) -> None:
    http = JiraHttp(sandbox)
    key = http.create()["key"]
    for day in range(3):
        _log(http, key, started=format_ms(T0 + day * 86_400_000))
    page = http.get(f"issue/{key}/worklog", params={"startAt": 1, "maxResults": 1}).json()
    assert (page["startAt"], page["maxResults"], page["total"]) == (1, 1, 3)
    after = http.get(
        f"issue/{key}/worklog", params={"startedAfter": T0, "startedBefore": T0 + 2 * 86_400_000}
    ).json()
    assert [w["started"][:10] for w in after["worklogs"]] == ["2026-11-26"]


def test_adjust_estimate_modes(sandbox: RunningSandbox) -> None:
    http = JiraHttp(sandbox)
    key = http.create(timetracking={"originalEstimate": "8h"})["key"]

    def remaining() -> int:
        tracking: dict[str, int] = http.get(f"issue/{key}").json()["fields"]["timetracking"]
        return tracking["remainingEstimateSeconds"]

    first = _log(http, key)  # auto: 8h - 1h
    assert remaining() == 7 * 3600
    http.post(f"issue/{key}/worklog", params={"adjustEstimate": "leave"}, json={"timeSpent": "1h"})
    assert remaining() == 7 * 3600
    http.post(
        f"issue/{key}/worklog",
        params={"adjustEstimate": "new", "newEstimate": "2h"},
        json={"timeSpent": "1h"},
    )
    assert remaining() == 2 * 3600
    http.post(
        f"issue/{key}/worklog",
        params={"adjustEstimate": "manual", "reduceBy": "30m"},
        json={"timeSpent": "1h"},
    )
    assert remaining() == 90 * 60
    assert http.delete(f"issue/{key}/worklog/{first['id']}").status_code == 204  # auto: +1h
    assert remaining() == 150 * 60
    missing = http.post(
        f"issue/{key}/worklog", params={"adjustEstimate": "new"}, json={"timeSpent": "1h"}
    )
    assert missing.status_code == 400 and "newEstimate" in missing.json()["errors"]


def test_a_worklog_without_time_spent_is_refused(sandbox: RunningSandbox) -> None:
    http = JiraHttp(sandbox)
    key = http.create()["key"]
    answer = http.post(f"issue/{key}/worklog", json={"comment": "no time"})
    assert answer.status_code == 400
    assert answer.json()["errors"] == {"timeLogged": "You must indicate the time spent working."}


def test_updated_feed_withholds_the_last_minute_and_includes_since(
    sandbox: RunningSandbox,
) -> None:
    sandbox.admin.freeze_clock(T0)
    http = JiraHttp(sandbox)
    key = http.create()["key"]
    first = _log(http, key)
    sandbox.admin.advance_clock(30_000)
    second = _log(http, key)
    sandbox.admin.advance_clock(59_000)  # now T0 + 89 s: the first is old enough, not the second
    page = _updated(http, 0)
    assert [v["worklogId"] for v in page["values"]] == [int(first["id"])]
    assert page["lastPage"] is True
    assert page["until"] == T0
    again = _updated(http, T0)  # since is inclusive: the item stamped exactly `since` is back
    assert [v["worklogId"] for v in again["values"]] == [int(first["id"])]
    sandbox.admin.advance_clock(MINUTE)
    later = _updated(http, T0 + 1)
    assert [v["worklogId"] for v in later["values"]] == [int(second["id"])]
    assert later["nextPage"].endswith(f"/rest/api/2/worklog/updated?since={T0 + 30_000}")


def test_updated_feed_pages_1000_at_a_time(sandbox: RunningSandbox) -> None:
    state = sandbox.sandbox.state
    sandbox.admin.freeze_clock(T0)
    http = JiraHttp(sandbox)
    key = http.create()["key"]
    with state.lock:
        issue = state.issue(key)
        actor = state.users["csp-sync"]
        for _ in range(2500):
            add_worklog(state, actor, issue, {"timeSpentSeconds": 60}, {}, 2)
            sandbox.sandbox.clock.advance(1)
    sandbox.admin.advance_clock(MINUTE + 10_000)
    since = 0
    seen: list[int] = []
    pages = []
    while True:
        page = _updated(http, since)
        pages.append(len(page["values"]))
        seen += [v["worklogId"] for v in page["values"] if v["worklogId"] not in seen]
        if page["lastPage"]:
            break
        since = page["until"]
    assert pages == [1000, 1000, 502]  # each later page repeats the item stamped `since`
    assert len(seen) == 2500


def test_deleted_feed_lists_deleted_worklogs(sandbox: RunningSandbox) -> None:
    sandbox.admin.freeze_clock(T0)
    http = JiraHttp(sandbox)
    key = http.create()["key"]
    kept = _log(http, key)
    gone = _log(http, key)
    assert http.delete(f"issue/{key}/worklog/{gone['id']}").status_code == 204
    sandbox.admin.advance_clock(MINUTE)
    deleted = http.get("worklog/deleted", params={"since": 0}).json()
    assert [v["worklogId"] for v in deleted["values"]] == [int(gone["id"])]
    updated = _updated(http, 0)
    assert [v["worklogId"] for v in updated["values"]] == [int(kept["id"])]


def test_deleting_an_issue_records_its_worklogs_as_deleted(sandbox: RunningSandbox) -> None:
    sandbox.admin.freeze_clock(T0)
    http = JiraHttp(sandbox)
    key = http.create()["key"]
    worklog = _log(http, key)
    assert http.delete(f"issue/{key}").status_code == 204
    sandbox.admin.advance_clock(MINUTE)
    deleted = http.get("worklog/deleted", params={"since": 0}).json()
    assert [v["worklogId"] for v in deleted["values"]] == [int(worklog["id"])]


def test_worklog_list_fetches_by_id_up_to_1000(sandbox: RunningSandbox) -> None:
    http = JiraHttp(sandbox)
    key = http.create()["key"]
    ids = [int(_log(http, key)["id"]) for _ in range(3)]
    found = http.post("worklog/list", json={"ids": [*ids, 999_999]}).json()
    assert [int(w["id"]) for w in found] == ids
    too_many = http.post("worklog/list", json={"ids": list(range(1001))})
    assert too_many.status_code == 400
    assert "1000" in too_many.json()["errorMessages"][0]


def test_a_worklog_update_moves_it_in_the_feed(sandbox: RunningSandbox) -> None:
    sandbox.admin.freeze_clock(T0)
    http = JiraHttp(sandbox, user="csp.alice")
    key = http.create()["key"]
    worklog = _log(http, key)
    sandbox.admin.advance_clock(5 * MINUTE)
    edited = JiraHttp(sandbox, user="csp.bob").put(
        f"issue/{key}/worklog/{worklog['id']}", json={"timeSpent": "2h"}
    )
    assert edited.json()["updateAuthor"]["displayName"] == "Bob Csp"
    assert edited.json()["author"]["displayName"] == "Alice Csp"
    sandbox.admin.advance_clock(MINUTE)
    page = _updated(http, T0 + 1)
    assert page["values"] == [
        {"worklogId": int(worklog["id"]), "updatedTime": T0 + 5 * MINUTE, "properties": []}
    ]


def test_data_center_has_no_worklog_move_nor_worklog_properties(sandbox_dc: RunningSandbox) -> None:
    """Only Cloud's contract has the bulk move and worklog properties; Data Center 10.3's has
    neither, so the sandbox in DC mode does not answer them."""
    http = JiraHttp(sandbox_dc)
    source = http.create()["key"]
    target = http.create()["key"]
    worklog = _log(http, source)
    refused = http.post(
        f"issue/{source}/worklog/move", json={"ids": [int(worklog["id"])], "issueIdOrKey": target}
    )
    assert refused.status_code in (404, 405)
    assert [w["id"] for w in http.get(f"issue/{source}/worklog").json()["worklogs"]] == [
        worklog["id"]
    ]
    properties = http.get(f"issue/{source}/worklog/{worklog['id']}/properties")
    assert properties.status_code == 404


def test_moving_worklogs_checks_what_it_is_given(sandbox: RunningSandbox) -> None:
    http = JiraHttp(sandbox)
    source = http.create()["key"]
    target = http.create()["key"]
    worklog = _log(http, source)
    move = f"issue/{source}/worklog/move"
    assert http.post(move, json={"ids": [], "issueIdOrKey": target}).status_code == 400
    assert http.post(move, json={"ids": [int(worklog["id"])]}).status_code == 400
    too_many = http.post(move, json={"ids": list(range(1, 5002)), "issueIdOrKey": target})
    assert too_many.status_code == 400 and "5000" in too_many.json()["errorMessages"][0]
    same = http.post(move, json={"ids": [int(worklog["id"])], "issueIdOrKey": source})
    assert same.status_code == 400
    nowhere = http.post(move, json={"ids": [int(worklog["id"])], "issueIdOrKey": "CSP-999"})
    assert nowhere.status_code == 404
    leave = http.post(
        move,
        params={"adjustEstimate": "manual"},
        json={"ids": [int(worklog["id"])], "issueIdOrKey": target},
    )
    assert leave.status_code == 400


def test_data_center_lists_all_of_an_issues_worklogs_at_once(sandbox_dc: RunningSandbox) -> None:
    """DC 10.3's GET /issue/{id}/worklog has no query parameters: Cloud's paging and start
    filters are not there, and every worklog comes back."""
    http = JiraHttp(sandbox_dc)
    key = http.create()["key"]
    for day in range(3):
        _log(http, key, started=format_ms(T0 + day * 86_400_000))
    page = http.get(
        f"issue/{key}/worklog", params={"startAt": 1, "maxResults": 1, "startedAfter": T0}
    ).json()
    assert (page["startAt"], page["maxResults"], page["total"]) == (0, 3, 3)
    assert len(page["worklogs"]) == 3
