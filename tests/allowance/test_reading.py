"""Reading CSP worklogs back from Jira (`allowance.reading`), through the sandbox over HTTP, on
Cloud and Data Center: worklogs are logged over REST by CSP and NOC users, and every exchange
the reader has is held to Atlassian's contract by the `jira_contract` recorder."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import jira
import pytest

from csp_jira_sync.allowance.reading import (
    JiraWorklogSource,
    month_jql,
    parse_jira_time,
    read_feed,
)
from csp_jira_sync.errors import JiraPermanent
from csp_jira_sync.jira.gateway import JiraGateway
from jira_sandbox.server import RunningSandbox
from jira_sandbox.worklog_service import add_worklog
from tests.sandbox.sandbox_helpers import JiraHttp
from tests.support.contract import ContractRecorder, Deployment

T0 = 1_795_600_800_000  # 2026-11-25T10:00:00Z
MINUTE = 60_000
CHICAGO = ZoneInfo("America/Chicago")


@dataclass
class Reader:
    running: RunningSandbox
    gateway: JiraGateway
    source: JiraWorklogSource
    calls: Counter[str]

    def as_user(self, user: str) -> JiraHttp:
        return JiraHttp(self.running, user=user)

    def log(self, user: str, key: str, started: str, spent: str = "1h") -> dict[str, Any]:
        answer = self.as_user(user).post(
            f"issue/{key}/worklog", json={"timeSpent": spent, "started": started}
        )
        assert answer.status_code == 201, answer.text
        created: dict[str, Any] = answer.json()
        return created

    def issue(self, summary: str, labels: list[str]) -> dict[str, Any]:
        return self.as_user("csp.alice").create(summary, labels=labels)

    def settle(self) -> None:
        """Let Jira's withheld last minute pass."""
        self.running.admin.advance_clock(2 * MINUTE)


def _reader(
    running: RunningSandbox,
    deployment: Deployment,
    recorder: ContractRecorder | None,
    api_version: str = "2",
) -> Reader:
    client = jira.JIRA(
        server=running.base_url,
        basic_auth=running.credentials("csp-sync"),
        get_server_info=False,
        max_retries=0,
        options={"rest_api_version": api_version, "check_update": False},
    )
    if recorder is not None:
        recorder.attach(client, deployment=deployment)
    calls: Counter[str] = Counter()

    def observe(operation: str, outcome: str, seconds: float) -> None:
        calls[operation] += 1

    gateway = JiraGateway(
        client,
        server=running.base_url,
        api_version=api_version,
        deployment=deployment.value,
        observe=observe,
    )
    running.admin.freeze_clock(T0)
    return Reader(running, gateway, JiraWorklogSource(gateway), calls)


MakeReader = Callable[..., Reader]


@pytest.fixture(params=[Deployment.CLOUD, Deployment.DATA_CENTER], ids=["cloud", "datacenter"])
def reader(
    request: pytest.FixtureRequest,
    sandbox: RunningSandbox,
    sandbox_dc: RunningSandbox,
    jira_contract: ContractRecorder,
) -> Reader:
    deployment: Deployment = request.param
    running = sandbox if deployment is Deployment.CLOUD else sandbox_dc
    return _reader(running, deployment, jira_contract)


@pytest.fixture(params=[Deployment.CLOUD, Deployment.DATA_CENTER], ids=["cloud", "datacenter"])
def bulk_reader(
    request: pytest.FixtureRequest, sandbox: RunningSandbox, sandbox_dc: RunningSandbox
) -> Reader:
    """As `reader`, for thousands of worklogs: the contract check of every large page would
    take minutes, and the same exchanges are checked small by the tests using `reader`."""
    deployment: Deployment = request.param
    running = sandbox if deployment is Deployment.CLOUD else sandbox_dc
    return _reader(running, deployment, None)


@pytest.fixture
def cloud_reader(sandbox: RunningSandbox, jira_contract: ContractRecorder) -> Reader:
    return _reader(sandbox, Deployment.CLOUD, jira_contract)


def _bulk_log(running: RunningSandbox, key: str, count: int, *, user: str = "csp.bob") -> None:
    """`count` worklogs written straight into the sandbox state, all in one millisecond."""
    state = running.sandbox.state
    with state.lock:
        issue = state.issue(key)
        actor = state.users[user]
        for _ in range(count):
            body = {"timeSpentSeconds": 60, "started": "2026-11-20T09:00:00.000+0000"}
            add_worklog(state, actor, issue, body, {}, 2)


# -- incremental --------------------------------------------------------------------------------


def test_an_incremental_pass_sees_new_worklogs_by_csp_and_noc_users_with_their_issues(
    reader: Reader,
) -> None:
    issue = reader.issue("Patch db01", ["csp", "acme", "csp-patching"])
    by_csp = reader.log("csp.alice", issue["key"], "2026-11-24T09:00:00.000+0000", "2h")
    by_noc = reader.log("noc.dave", issue["key"], "2026-11-24T11:00:00.000+0000", "30m")
    reader.settle()

    changes = reader.source.changes_since(0)

    assert {(w.id, w.seconds, w.author_name) for w in changes.updated} == {
        (by_csp["id"], 7200, "Alice Csp"),
        (by_noc["id"], 1800, "Dave Noc"),
    }
    assert [(i.id, i.key, i.labels) for i in changes.issues] == [
        (issue["id"], issue["key"], ("acme", "csp", "csp-patching"))  # Jira sorts labels
    ]
    started = {w.id: w.started for w in changes.updated}
    assert started[by_csp["id"]] == datetime(2026, 11, 24, 9, tzinfo=UTC)
    assert changes.deleted_ids == ()
    assert changes.next_since_ms >= T0


def test_edits_and_deletions_of_old_worklogs_are_seen_on_the_next_pass(reader: Reader) -> None:
    key = reader.issue("Backups", ["csp", "acme", "csp-backup"])["key"]
    edited = reader.log("csp.bob", key, "2026-10-03T09:00:00.000+0000", "1h")
    deleted = reader.log("csp.chen", key, "2026-10-03T10:00:00.000+0000", "1h")
    reader.settle()
    first = reader.source.changes_since(0)
    assert len(first.updated) == 2

    reader.running.admin.advance_clock(10 * MINUTE)
    bob = reader.as_user("csp.bob")
    assert (
        bob.put(f"issue/{key}/worklog/{edited['id']}", json={"timeSpent": "3h"}).status_code == 200
    )
    assert reader.as_user("csp.chen").delete(f"issue/{key}/worklog/{deleted['id']}").ok
    reader.settle()
    second = reader.source.changes_since(first.next_since_ms)

    assert [(w.id, w.seconds) for w in second.updated] == [(edited["id"], 3 * 3600)]
    assert second.deleted_ids == (deleted["id"],)
    assert second.next_since_ms > first.next_since_ms


def test_the_last_minute_is_withheld_and_picked_up_by_the_next_pass(reader: Reader) -> None:
    key = reader.issue("Firewall", ["csp", "acme", "csp-security"])["key"]
    worklog = reader.log("csp.alice", key, "2026-11-25T08:00:00.000+0000")
    reader.running.admin.advance_clock(30_000)

    early = reader.source.changes_since(0)
    assert early.updated == ()
    assert early.next_since_ms == 0  # nothing withheld is skipped over

    reader.settle()
    later = reader.source.changes_since(early.next_since_ms)
    assert [w.id for w in later.updated] == [worklog["id"]]


def test_a_steady_state_pass_with_no_change_costs_two_calls(reader: Reader) -> None:
    key = reader.issue("Monitoring", ["csp", "acme", "csp-monitoring"])["key"]
    reader.log("csp.alice", key, "2026-11-25T08:00:00.000+0000")
    reader.settle()
    first = reader.source.changes_since(0)
    assert len(first.updated) == 1
    reader.running.admin.advance_clock(10 * MINUTE)
    reader.calls.clear()

    # Jira returns the worklog stamped exactly at the cursor again (since is inclusive); the
    # reader has handed it out already and does not fetch it twice.
    again = reader.source.changes_since(first.next_since_ms)

    assert again.updated == () and again.deleted_ids == ()
    assert again.next_since_ms == first.next_since_ms
    assert sum(reader.calls.values()) == 2
    assert reader.calls == Counter({"worklog_feed": 2})


def test_a_new_reader_at_a_stored_cursor_reads_the_overlap_again(reader: Reader) -> None:
    """After a restart the overlap at the cursor is fetched again: harmless, never a gap."""
    key = reader.issue("Network", ["csp", "acme", "csp-network"])["key"]
    worklog = reader.log("csp.alice", key, "2026-11-25T08:00:00.000+0000")
    reader.settle()
    cursor = reader.source.changes_since(0).next_since_ms

    restarted = JiraWorklogSource(reader.gateway)
    assert [w.id for w in restarted.changes_since(cursor).updated] == [worklog["id"]]


def test_a_feed_page_full_of_one_millisecond_does_not_stall_the_cursor(bulk_reader: Reader) -> None:
    """1,500 worklogs on three issues share one `updated` millisecond (tap-jira stalled here):
    the reader steps past it and still returns every one of them."""
    reader = bulk_reader
    keys = [reader.issue(f"Bulk {n}", ["csp", "acme", "csp-patching"])["key"] for n in range(3)]
    for key in keys:
        _bulk_log(reader.running, key, 500)
    reader.settle()

    changes = reader.source.changes_since(0)

    assert len(changes.updated) == 1500
    assert len({w.id for w in changes.updated}) == 1500
    assert {i.key for i in changes.issues} == set(keys)
    assert changes.next_since_ms > T0
    # The first 1,000 came through /worklog/list in one call, the other 500 through the
    # issues updated since that millisecond; the full page was not asked for twice.
    assert reader.calls["worklog_list"] == 1
    assert reader.calls["worklog_feed"] == 3  # updated: the full page, then past it; deleted


def test_deletions_beyond_a_full_page_in_one_millisecond_are_reported_not_stalled(
    bulk_reader: Reader, caplog: pytest.LogCaptureFixture
) -> None:
    reader = bulk_reader
    key = reader.issue("Deleted with its worklogs", ["csp", "acme"])["key"]
    _bulk_log(reader.running, key, 1200)
    reader.settle()
    cursor = reader.source.changes_since(0).next_since_ms
    assert reader.as_user("csp-sync").delete(f"issue/{key}").status_code == 204
    reader.settle()

    with caplog.at_level(logging.WARNING):
        changes = reader.source.changes_since(cursor)

    assert len(changes.deleted_ids) == 1000  # all Jira can list for that millisecond
    assert changes.next_since_ms == cursor  # nothing was updated since; the pass returned
    assert "allowance.deleted_feed_saturated" in caplog.text


def test_a_moved_worklog_is_read_on_its_new_issue(cloud_reader: Reader) -> None:
    first = cloud_reader.issue("Wrong issue", ["csp", "acme", "csp-patching"])
    second = cloud_reader.issue("Right issue", ["csp", "globex", "csp-patching"])
    worklog = cloud_reader.log("csp.alice", first["key"], "2026-11-20T09:00:00.000+0000")
    cloud_reader.settle()
    cursor = cloud_reader.source.changes_since(0).next_since_ms
    cloud_reader.running.admin.advance_clock(5 * MINUTE)

    moved = cloud_reader.as_user("csp.alice").post(
        f"issue/{first['key']}/worklog/move",
        json={"ids": [int(worklog["id"])], "issueIdOrKey": second["key"]},
    )
    assert moved.status_code == 204, moved.text
    cloud_reader.settle()
    changes = cloud_reader.source.changes_since(cursor)

    assert [(w.id, w.issue_id) for w in changes.updated] == [(worklog["id"], second["id"])]
    assert [i.labels for i in changes.issues] == [("csp", "csp-patching", "globex")]


def test_a_relabelled_issue_comes_back_with_its_new_labels(reader: Reader) -> None:
    key = reader.issue("Relabel me", ["csp", "acme", "csp-patching"])["key"]
    reader.log("csp.alice", key, "2026-11-20T09:00:00.000+0000")
    changed = reader.as_user("csp.bob").put(
        f"issue/{key}", json={"update": {"labels": [{"remove": "csp-patching"}, {"add": "csp-dr"}]}}
    )
    assert changed.status_code == 204
    reader.settle()
    [issue] = reader.source.changes_since(0).issues
    assert issue.labels == ("acme", "csp", "csp-dr")


def test_an_issue_jira_will_not_show_is_an_error_not_missing_data(reader: Reader) -> None:
    with pytest.raises(JiraPermanent):
        reader.source.issues_by_id(["999999"])


def test_the_reader_keeps_the_cloud_v3_contract(
    sandbox: RunningSandbox, jira_contract: ContractRecorder
) -> None:
    reader = _reader(sandbox, Deployment.CLOUD, jira_contract, api_version="3")
    key = reader.issue("On v3", ["csp", "acme", "csp-patching"])["key"]
    for day in range(1, 23):
        reader.log("csp.alice", key, f"2026-11-{day:02d}T09:00:00.000+0000", "10m")
    reader.settle()
    assert len(reader.source.changes_since(0).updated) == 22
    november = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    assert len(reader.source.month(*november).worklogs) == 22
    assert len(reader.source.group_members("noc-engineers")) == 2
    assert {
        ("GET", "/rest/api/3/worklog/updated"),
        ("POST", "/rest/api/3/worklog/list"),
        ("POST", "/rest/api/3/search/jql"),
        ("GET", "/rest/api/3/issue/{issueIdOrKey}/worklog"),
        ("GET", "/rest/api/3/group/member"),
    } <= jira_contract.operations()


# -- full month ---------------------------------------------------------------------------------


def test_a_month_read_takes_embedded_worklogs_and_fetches_only_incomplete_issues(
    reader: Reader,
) -> None:
    small = reader.issue("Few worklogs", ["csp", "acme", "csp-patching"])["key"]
    big = reader.issue("Many worklogs", ["csp", "acme", "csp-backup"])["key"]
    outside = reader.issue("Only December", ["csp", "acme"])["key"]
    for day in (3, 4, 5):
        reader.log("csp.alice", small, f"2026-11-{day:02d}T09:00:00.000+0000")
    for n in range(25):  # more than the 20 Jira embeds
        reader.log("noc.erin", big, f"2026-11-{1 + n:02d}T12:00:00.000+0000", "15m")
    reader.log("csp.bob", big, "2026-12-02T12:00:00.000+0000")  # next month: left out
    reader.log("csp.bob", outside, "2026-12-02T12:00:00.000+0000")
    reader.calls.clear()

    read = reader.source.month(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))

    assert {i.key for i in read.issues} == {small, big}
    per_issue = Counter(w.issue_id for w in read.worklogs)
    keys = {i.id: i.key for i in read.issues}
    assert {keys[i]: n for i, n in per_issue.items()} == {small: 3, big: 25}
    assert reader.calls == Counter({"search": 1, "worklog_issue": 1})


def test_the_month_is_the_customers_month_in_its_time_zone(reader: Reader) -> None:
    key = reader.issue("Late night in Chicago", ["csp", "acme", "csp-patching"])["key"]
    halloween = reader.log("csp.alice", key, "2026-10-31T23:30:00.000-0500")  # 04:30Z Nov 1
    first_of_nov = reader.log("csp.alice", key, "2026-11-01T00:30:00.000-0500")
    october = (datetime(2026, 10, 1, tzinfo=CHICAGO), datetime(2026, 11, 1, tzinfo=CHICAGO))
    november = (datetime(2026, 11, 1, tzinfo=CHICAGO), datetime(2026, 12, 1, tzinfo=CHICAGO))

    assert [w.id for w in reader.source.month(*october).worklogs] == [halloween["id"]]
    assert [w.id for w in reader.source.month(*november).worklogs] == [first_of_nov["id"]]


def test_an_issue_with_more_than_a_thousand_worklogs_is_read_whole(bulk_reader: Reader) -> None:
    reader = bulk_reader
    key = reader.issue("Long-running migration", ["csp", "acme", "csp-migration"])["key"]
    _bulk_log(reader.running, key, 1200)
    read = reader.source.month(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    assert len(read.worklogs) == 1200
    assert len({w.id for w in read.worklogs}) == 1200
    assert sum(w.seconds for w in read.worklogs) == 1200 * 60


def test_a_month_read_needs_an_aware_period(reader: Reader) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        reader.source.month(datetime(2026, 11, 1), datetime(2026, 12, 1))


def test_month_jql_widens_the_dates_a_day_each_side() -> None:
    start = datetime(2026, 11, 1, tzinfo=CHICAGO)
    assert month_jql(start, start + timedelta(days=30)) == (
        'worklogDate >= "2026/10/31" AND worklogDate < "2026/12/02" ORDER BY key ASC'
    )


# -- people -------------------------------------------------------------------------------------


def test_group_members_are_read_as_worklogs_name_their_authors(reader: Reader) -> None:
    staff = reader.source.group_members("csp-staff")
    key = reader.issue("Who logged this", ["csp", "acme"])["key"]
    reader.log("csp.alice", key, "2026-11-20T09:00:00.000+0000")
    reader.log("noc.dave", key, "2026-11-20T10:00:00.000+0000")
    read = reader.source.month(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    counted = {w.author_name for w in read.worklogs if w.author_account_id in staff}
    assert len(staff) == 3
    assert counted == {"Alice Csp"}


def test_deactivated_staff_stay_members_so_their_time_still_counts(reader: Reader) -> None:
    """A CSP who left mid-month is deactivated in Jira; the hours they logged still count."""
    state = reader.running.sandbox.state
    chen = state.users["csp.chen"]
    with state.lock:  # the sandbox's reset keeps its users: put Chen back afterwards
        state.users["csp.chen"] = replace(chen, active=False)
    try:
        staff = reader.source.group_members("csp-staff")
    finally:
        with state.lock:
            state.users["csp.chen"] = chen
    assert len(staff) == 3


def test_group_members_are_paged(reader: Reader) -> None:
    gateway = reader.gateway
    names = [m["displayName"] for m in gateway.group_members("csp-staff", page_size=2)]
    assert sorted(names) == ["Alice Csp", "Bob Csp", "Chen Csp"]
    assert reader.calls["group_members"] == 2


def test_an_unknown_group_is_an_error_not_an_empty_group(reader: Reader) -> None:
    with pytest.raises(JiraPermanent, match="404"):
        reader.source.group_members("csp-staf")


# -- the feed walk, against scripted pages ------------------------------------------------------


def test_read_feed_follows_next_page_and_steps_past_a_saturated_millisecond() -> None:
    """Pages of two items stand for Jira's 1,000: the second is full of millisecond 5, so its
    nextPage (since=5) would answer it again; the walk goes on from 6 instead."""
    link = "https://j/rest/api/2/worklog/updated?since=5"
    pages = {
        0: {"values": [{"worklogId": 1, "updatedTime": 3}, {"worklogId": 2, "updatedTime": 5}],
            "until": 5, "lastPage": False, "nextPage": link},
        5: {"values": [{"worklogId": 2, "updatedTime": 5}, {"worklogId": 3, "updatedTime": 5}],
            "until": 5, "lastPage": False, "nextPage": link},
        6: {"values": [{"worklogId": 4, "updatedTime": 9}], "until": 9, "lastPage": True},
    }  # fmt: skip
    asked: list[int] = []

    def fetch(since: int) -> dict[str, Any]:
        asked.append(since)
        return pages[since]

    read = read_feed(fetch, 0)
    assert asked == [0, 5, 6]
    assert read.saturated == (5,)
    assert read.until_ms == 9
    assert [i for i, _ in read.items] == [1, 2, 2, 3, 4]


def test_after_a_saturated_millisecond_the_cursor_rests_past_it() -> None:
    """Nothing after the full page (an empty last page says `until` 0, say): the feed still
    ends a millisecond past it, so the next pass does not ask for the full page again."""
    link = "https://j/rest/api/2/worklog/updated?since=5"
    pages = {
        5: {"values": [{"worklogId": 2, "updatedTime": 5}, {"worklogId": 3, "updatedTime": 5}],
            "until": 5, "lastPage": False, "nextPage": link},
        6: {"values": [], "until": 0, "lastPage": True},
    }  # fmt: skip
    read = read_feed(lambda since: pages[since], 5)
    assert read.saturated == (5,)
    assert read.until_ms == 6


def test_jira_times_keep_their_offset_and_a_time_without_one_is_refused() -> None:
    assert parse_jira_time("2026-10-31T23:30:00.000-0500") == datetime(
        2026, 11, 1, 4, 30, tzinfo=UTC
    )
    assert parse_jira_time("2026-10-31T23:30:00.000-0500").utcoffset() == timedelta(hours=-5)
    with pytest.raises(JiraPermanent, match="without its offset"):
        parse_jira_time("2026-10-31T23:30:00.000")
    with pytest.raises(JiraPermanent, match="unreadable"):
        parse_jira_time("31/10/2026")


class ScriptedFeeds:
    """Just the two feeds, as Jira answers them at one moment: for the cursor rule."""

    deployment = "cloud"

    def __init__(self, updated: list[tuple[int, int]], deleted: list[tuple[int, int]]) -> None:
        self.feeds = {"updated": updated, "deleted": deleted}

    def _page(self, name: str, since: int) -> dict[str, Any]:
        items = [(i, at) for i, at in self.feeds[name] if at >= since]
        return {
            "values": [{"worklogId": i, "updatedTime": at} for i, at in items],
            "until": items[-1][1] if items else since,
            "lastPage": True,
        }

    def worklogs_updated(self, since_ms: int) -> dict[str, Any]:
        return self._page("updated", since_ms)

    def worklogs_deleted(self, since_ms: int) -> dict[str, Any]:
        return self._page("deleted", since_ms)

    def worklogs_by_ids(self, ids: Any) -> list[dict[str, Any]]:
        return []  # every one of them deleted since: no body, no issue to look up


def test_the_cursor_follows_the_updated_feed_and_deletions_past_it_come_again() -> None:
    """The deleted feed is read after the updated feed, so it may reach further; a cursor
    moved to its end could skip an update stamped between the two reads."""
    feeds = ScriptedFeeds(updated=[(1, 100)], deleted=[(7, 150), (8, 200)])
    source = JiraWorklogSource(feeds)  # type: ignore[arg-type]

    first = source.changes_since(50)
    assert first.next_since_ms == 100
    assert first.deleted_ids == ("7", "8")
    # Reported again: applying a deletion twice changes nothing, and a caller that failed to
    # apply the first answer asks again from the same cursor.
    again = source.changes_since(first.next_since_ms)
    assert again.deleted_ids == ("7", "8")
    assert again.next_since_ms == 100


def test_issues_are_read_through_the_cloud_index_lag(cloud_reader: Reader) -> None:
    """Search trails writes on Cloud: an issue created a moment ago is not found by JQL yet.
    The issues of changed worklogs are asked for with reconcileIssues, so it is found in the
    same search, without a call of its own."""
    cloud_reader.running.admin.set_knobs(indexLagMs=30 * MINUTE)
    key = cloud_reader.issue("Just created", ["csp", "acme", "csp-patching"])["key"]
    cloud_reader.log("csp.alice", key, "2026-11-20T09:00:00.000+0000")
    cloud_reader.settle()
    assert cloud_reader.as_user("csp-sync").jql(f"key = {key}") == []

    [issue] = cloud_reader.source.changes_since(0).issues

    assert (issue.key, issue.labels) == (key, ("acme", "csp", "csp-patching"))
    assert cloud_reader.calls["get"] == 0
    assert cloud_reader.calls["search"] == 1
