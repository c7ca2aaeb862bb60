"""Worklogs: add, update and delete with adjustEstimate, per-issue pages, and the change feeds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import jira

from tests.contract.clients import JiraHttp
from tests.contract.issues import new_issue
from tests.support.contract import ContractRecorder

STARTED = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def _estimated_issue(client: jira.JIRA) -> str:
    return new_issue(client, "Estimated work", timetracking={"originalEstimate": "8h"}).key


def test_worklog_added_through_the_jira_package_reads_back(
    cloud_jira: jira.JIRA, jira_contract: ContractRecorder
) -> None:
    key = _estimated_issue(cloud_jira)
    # timeSpentSeconds as a string and `started` as +0000, as jira 3.10.5 sends them.
    worklog = cloud_jira.add_worklog(
        key,
        timeSpentSeconds="3600",
        adjustEstimate="auto",
        comment="Checked the disks",
        started=STARTED,
    )
    assert worklog.timeSpentSeconds == 3600
    assert worklog.author.displayName == "CSP Sync (integration)"
    assert [w.id for w in cloud_jira.worklogs(key)] == [worklog.id]
    remaining = cloud_jira.issue(key, fields="timetracking").fields.timetracking
    assert remaining.remainingEstimateSeconds == 7 * 3600
    used = {e.allowances for e in jira_contract.exchanges if e.method == "POST"}
    assert ("timeSpentSeconds-string",) in used


def test_worklog_update_and_delete_adjust_the_estimate(
    cloud_jira: jira.JIRA, cloud_http: JiraHttp, jira_contract: ContractRecorder
) -> None:
    key = _estimated_issue(cloud_jira)
    worklog = cloud_jira.add_worklog(key, timeSpent="1h", started=STARTED)
    updated = cloud_http.put(
        f"/rest/api/2/issue/{key}/worklog/{worklog.id}",
        params={"adjustEstimate": "auto"},
        json={"timeSpentSeconds": 7200, "comment": "Took longer"},
    )
    assert updated.status_code == 200
    assert updated.json()["timeSpentSeconds"] == 7200
    assert (
        cloud_jira.issue(key, fields="timetracking").fields.timetracking.remainingEstimateSeconds
        == 6 * 3600
    )

    deleted = cloud_http.delete(
        f"/rest/api/2/issue/{key}/worklog/{worklog.id}",
        params={"adjustEstimate": "new", "newEstimate": "5h"},
    )
    assert deleted.status_code == 204
    assert cloud_jira.worklogs(key) == []
    assert (
        cloud_jira.issue(key, fields="timetracking").fields.timetracking.remainingEstimateSeconds
        == 5 * 3600
    )
    assert {
        ("PUT", "/rest/api/2/issue/{issueIdOrKey}/worklog/{id}"),
        ("DELETE", "/rest/api/2/issue/{issueIdOrKey}/worklog/{id}"),
    } <= jira_contract.operations()


def test_worklogs_of_an_issue_are_paged_and_filtered_by_start(
    cloud_jira: jira.JIRA, cloud_http: JiraHttp
) -> None:
    key = new_issue(cloud_jira).key
    for day in (1, 2, 3):
        cloud_jira.add_worklog(key, timeSpent="30m", started=STARTED.replace(day=day))
    page = cloud_http.get(
        f"/rest/api/2/issue/{key}/worklog", params={"startAt": 1, "maxResults": 1}
    ).json()
    assert (page["startAt"], page["maxResults"], page["total"]) == (1, 1, 3)
    assert len(page["worklogs"]) == 1
    # A minute past the second worklog's start, clear of the boundary.
    after = int(STARTED.replace(day=2, minute=1).timestamp() * 1000)
    later = cloud_http.get(
        f"/rest/api/2/issue/{key}/worklog", params={"startedAfter": after}
    ).json()
    assert [w["started"][:10] for w in later["worklogs"]] == ["2026-11-03"]


def test_worklog_change_feeds_and_bulk_read(
    cloud_jira: jira.JIRA, cloud_http: JiraHttp, sandbox: Any, jira_contract: ContractRecorder
) -> None:
    key = new_issue(cloud_jira).key
    kept = cloud_jira.add_worklog(key, timeSpent="1h", started=STARTED)
    gone = cloud_jira.add_worklog(key, timeSpent="2h", started=STARTED)
    gone.delete()

    # Jira withholds the last minute of changes from both feeds.
    withheld = cloud_http.get("/rest/api/2/worklog/updated", params={"since": 0}).json()
    assert int(kept.id) not in [v["worklogId"] for v in withheld["values"]]
    sandbox.admin.advance_clock(120_000)

    updated = cloud_http.get("/rest/api/2/worklog/updated", params={"since": 0}).json()
    assert updated["lastPage"] is True
    assert int(kept.id) in [v["worklogId"] for v in updated["values"]]
    deleted = cloud_http.get("/rest/api/2/worklog/deleted", params={"since": 0}).json()
    assert deleted["lastPage"] is True
    assert [v["worklogId"] for v in deleted["values"]] == [int(gone.id)]

    listed = cloud_http.post("/rest/api/2/worklog/list", json={"ids": [int(kept.id)]}).json()
    assert [(w["id"], w["timeSpentSeconds"]) for w in listed] == [(kept.id, 3600)]
    assert {
        ("GET", "/rest/api/2/worklog/updated"),
        ("GET", "/rest/api/2/worklog/deleted"),
        ("POST", "/rest/api/2/worklog/list"),
    } <= jira_contract.operations()


def test_worklog_list_refuses_more_than_a_thousand_ids(cloud_http: JiraHttp) -> None:
    response = cloud_http.post("/rest/api/2/worklog/list", json={"ids": list(range(1, 1002))})
    assert response.status_code == 400
    assert response.json()["errorMessages"]


def test_data_center_worklogs(dc_jira: jira.JIRA, dc_http: JiraHttp) -> None:
    key = new_issue(dc_jira).key
    worklog = dc_jira.add_worklog(key, timeSpent="45m", started=STARTED)
    assert [w.timeSpentSeconds for w in dc_jira.worklogs(key)] == [2700]
    assert dc_http.get("/rest/api/2/worklog/updated", params={"since": 0}).status_code == 200
    assert worklog.id


def test_worklogs_move_to_another_issue_on_cloud(
    cloud_jira: jira.JIRA, cloud_http: JiraHttp, sandbox: Any, jira_contract: ContractRecorder
) -> None:
    source = _estimated_issue(cloud_jira)
    target = _estimated_issue(cloud_jira)
    worklog = cloud_jira.add_worklog(source, timeSpent="2h", started=STARTED)
    sandbox.admin.freeze_clock()
    sandbox.admin.advance_clock(5 * 60_000)

    moved = cloud_http.post(
        f"/rest/api/2/issue/{source}/worklog/move",
        json={"ids": [int(worklog.id)], "issueIdOrKey": target},
    )
    assert moved.status_code == 204, moved.text
    assert cloud_jira.worklogs(source) == []
    [arrived] = cloud_jira.worklogs(target)
    assert (arrived.id, arrived.issueId) == (worklog.id, cloud_jira.issue(target).id)
    # adjustEstimate=auto (the default): the hours go back to the source's estimate.
    remaining = {
        key: cloud_jira.issue(key, fields="timetracking").fields.timetracking
        for key in (source, target)
    }
    assert remaining[source].remainingEstimateSeconds == 8 * 3600
    assert remaining[target].remainingEstimateSeconds == 6 * 3600
    # The move is a change of the worklog: it is in /worklog/updated again, at the move.
    sandbox.admin.advance_clock(2 * 60_000)
    since = int(datetime.fromisoformat(arrived.updated.replace("+0000", "+00:00")).timestamp())
    feed = cloud_http.get("/rest/api/2/worklog/updated", params={"since": since * 1000}).json()
    assert int(worklog.id) in [v["worklogId"] for v in feed["values"]]

    not_there = cloud_http.post(
        f"/rest/api/2/issue/{source}/worklog/move",
        json={"ids": [int(worklog.id)], "issueIdOrKey": target},
    )
    assert not_there.status_code == 404
    assert ("POST", "/rest/api/2/issue/{issueIdOrKey}/worklog/move") in jira_contract.operations()


def test_worklog_properties_on_cloud(cloud_jira: jira.JIRA, cloud_http: JiraHttp) -> None:
    key = new_issue(cloud_jira).key
    worklog = cloud_jira.add_worklog(key, timeSpent="1h", started=STARTED)
    base = f"/rest/api/2/issue/{key}/worklog/{worklog.id}/properties"

    assert cloud_http.put(f"{base}/csp.ledger", json={"counted": True}).status_code == 201
    assert cloud_http.put(f"{base}/csp.ledger", json={"counted": False}).status_code == 200
    assert cloud_http.get(base).json()["keys"][0]["key"] == "csp.ledger"
    assert cloud_http.get(f"{base}/csp.ledger").json() == {
        "key": "csp.ledger",
        "value": {"counted": False},
    }
    listed = cloud_http.post(
        "/rest/api/2/worklog/list",
        params={"expand": "properties"},
        json={"ids": [int(worklog.id)]},
    ).json()
    assert listed[0]["properties"] == [{"key": "csp.ledger", "value": {"counted": False}}]
    assert cloud_http.delete(f"{base}/csp.ledger").status_code == 204
    assert cloud_http.get(f"{base}/csp.ledger").status_code == 404


def test_the_embedded_worklog_list_stops_at_twenty_with_its_total(
    cloud_jira: jira.JIRA, cloud_http: JiraHttp, dc_jira: jira.JIRA, dc_http: JiraHttp
) -> None:
    for client, http in ((cloud_jira, cloud_http), (dc_jira, dc_http)):
        key = new_issue(client).key
        for day in range(1, 23):
            client.add_worklog(key, timeSpent="10m", started=STARTED.replace(day=day))
        embedded = http.get(f"/rest/api/2/issue/{key}", params={"fields": "worklog"}).json()
        worklog = embedded["fields"]["worklog"]
        assert (worklog["startAt"], worklog["maxResults"], worklog["total"]) == (0, 20, 22)
        assert len(worklog["worklogs"]) == 20


def test_issues_are_searched_by_worklog_date_on_both_deployments(
    cloud_jira: jira.JIRA, cloud_http: JiraHttp, dc_jira: jira.JIRA, dc_http: JiraHttp
) -> None:
    cloud_key = new_issue(cloud_jira).key
    cloud_jira.add_worklog(cloud_key, timeSpent="1h", started=STARTED)
    dc_key = new_issue(dc_jira).key
    dc_jira.add_worklog(dc_key, timeSpent="1h", started=STARTED)
    jql = 'worklogDate >= "2026/11/24" AND worklogDate < "2026/11/27"'

    found = cloud_http.post(
        "/rest/api/2/search/jql",
        json={"jql": jql, "fields": ["labels", "summary", "worklog"], "reconcileIssues": []},
    ).json()
    assert [i["key"] for i in found["issues"]] == [cloud_key]
    assert found["issues"][0]["fields"]["worklog"]["total"] == 1
    dc_found = dc_http.get(
        "/rest/api/2/search", params={"jql": jql, "fields": "labels,summary,worklog"}
    ).json()
    assert [i["key"] for i in dc_found["issues"]] == [dc_key]
