"""Allowance enforcement against the Jira sandbox through the gateway, Cloud and Data Center:
a customer crossing 75%, 90% and 100% and falling back; each action once; require-approval."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jira
import pytest

from csp_jira_sync.allowance import repository as repo
from csp_jira_sync.allowance.enforcement import Enforcer, marker
from csp_jira_sync.allowance.job import run_allowance_pass
from csp_jira_sync.allowance.ledger import customer_months
from csp_jira_sync.allowance.months import Month
from csp_jira_sync.config.mappings import Borrowing, CarryOver, Mappings, load_mappings
from csp_jira_sync.config.references import ref_label
from csp_jira_sync.jira.gateway import JiraGateway
from csp_jira_sync.jira.model import IssueDraft, IssueRef
from csp_jira_sync.store import Store
from tests.support.worklogs import InMemoryWorklogs

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
NOV = Month(2026, 11)
ACT = "csp-act-escalation-management"
GLOBEX = "csp-customer-globex"
CALLS: list[str] = []


@pytest.fixture(params=["cloud", "datacenter"])
def running(request: pytest.FixtureRequest, sandbox: Any, sandbox_dc: Any) -> Any:
    return sandbox if request.param == "cloud" else sandbox_dc


@pytest.fixture
def gateway(running: Any) -> Iterator[JiraGateway]:
    client = jira.JIRA(
        server=running.base_url,
        basic_auth=running.credentials(),
        get_server_info=False,
        max_retries=0,
        options={"rest_api_version": "2", "check_update": False},
    )
    yield JiraGateway(
        client,
        server=running.base_url,
        deployment=running.mode,
        observe=lambda operation, outcome, seconds: CALLS.append(operation),
    )
    client.close()  # type: ignore[no-untyped-call]


def mappings_with(overage: str = "notify") -> Mappings:
    mappings = load_mappings(ROOT / "mappings")
    silver = mappings.packages["silver"].model_copy(update={"overage": overage})
    return mappings.model_copy(update={"packages": {**mappings.packages, "silver": silver}})


class Daemon:
    """One daemon's allowance pass: its own enforcer over the shared store and Jira."""

    def __init__(
        self, store: Store, gateway: JiraGateway, source: InMemoryWorklogs, mappings: Mappings
    ) -> None:
        self.now = NOW
        self.store, self.source, self.mappings = store, source, mappings
        self.enforcer = Enforcer(
            store,
            gateway,
            mappings,
            project="CSP",
            clock=lambda: self.now,
            settle=timedelta(seconds=0),
        )

    def run(self, running: Any) -> dict[str, int]:
        running.admin.flush_index()
        done = run_allowance_pass(
            self.store, self.source, self.enforcer, self.mappings, clock=lambda: self.now
        )
        running.admin.flush_index()
        return dict(done)


def open_issue(gateway: JiraGateway, summary: str) -> IssueRef:
    return gateway.create_issue(
        IssueDraft("CSP", "Service Request", summary, "", ("csp", ACT, GLOBEX))
    )


def tracking(running: Any) -> Any:
    found = [i for i in running.admin.issues(labels=["csp-allowance"]) if GLOBEX in i["labels"]]
    assert len(found) == 1
    return found[0]


def labels_of(running: Any, key: str) -> list[str]:
    (found,) = running.admin.issues(keys=[key])
    return list(found["labels"])


def test_a_customer_crosses_each_threshold_once_and_falls_back(
    running: Any, gateway: JiraGateway, sqlite_store: Store
) -> None:
    running.reset()
    work = open_issue(gateway, "Firewall change for Globex")
    other = open_issue(gateway, "Quarterly review for Globex")
    source = InMemoryWorklogs(groups={"csp-staff": {"csp.alice"}})
    facts = source.issue(work.key, "csp", ACT, GLOBEX)
    daemon = Daemon(sqlite_store, gateway, source, mappings_with())

    source.log(facts, "csp.alice", "2026-11-03T10:00:00-05:00", int(7.5 * 3600))
    source.log(facts, "noc.dave", "2026-11-03T11:00:00-05:00", 5 * 3600)  # does not count
    assert daemon.run(running) == {
        "worklogs_updated": 2,
        "worklogs_deleted": 0,
        "tracking:created": 1,
        "warning:0.75:raised": 1,
        "labels:warning:added": 1,
        "customer_months_touched": 1,
    }
    issue = tracking(running)
    assert issue["issuetype"] == "Task"
    assert "Used: 7.50 h (75.0%)" in issue["description"]
    assert "not-csp-staff: 5.00 h" in issue["description"]
    assert len(issue["comments"]) == 1 and "75% warning" in issue["comments"][0]["body"]
    for key in (work.key, other.key):
        assert "csp-allowance-warning" in labels_of(running, key)
    assert "csp-allowance-warning" not in issue["labels"]

    late = source.log(facts, "csp.alice", "2026-11-04T10:00:00-05:00", int(2.5 * 3600))
    daemon.run(running)
    issue = tracking(running)
    assert [c["body"].split("\n")[0].split("; ")[1] for c in issue["comments"][1:]] == [
        "the 90% warning threshold is reached.",
        "the allowance is used up (overage policy: notify).",
    ]
    assert "csp-allowance-exceeded" in labels_of(running, work.key)
    assert "Used: 10.00 h (100.0%)" in issue["description"]

    # Nothing changed: nothing is done again; while the month is flagged, one search looks
    # for issues the customer opened since.
    CALLS.clear()
    assert daemon.run(running) == {
        "worklogs_updated": 0,
        "worklogs_deleted": 0,
        "customer_months_touched": 0,
    }
    assert len(tracking(running)["comments"]) == 3
    assert CALLS == ["search"]
    later = open_issue(gateway, "Another Globex request")
    assert daemon.run(running)["issues_flagged_late"] == 1
    assert {"csp-allowance-warning", "csp-allowance-exceeded"} <= set(labels_of(running, later.key))

    source.delete(late)
    daemon.run(running)
    issue = tracking(running)
    assert len(issue["comments"]) == 5
    assert all("back under" in c["body"] for c in issue["comments"][3:])
    assert "csp-allowance-exceeded" not in labels_of(running, work.key)
    assert "csp-allowance-warning" in labels_of(running, work.key)
    assert "Used: 7.50 h (75.0%)" in issue["description"]
    assert len(running.admin.issues(labels=["csp-allowance"])) == 1


def test_a_second_daemon_does_nothing_twice(
    running: Any, gateway: JiraGateway, sqlite_store: Store
) -> None:
    running.reset()
    open_issue(gateway, "Globex request")
    source = InMemoryWorklogs(groups={"csp-staff": {"csp.alice"}})
    facts = source.issue("CSP-1", "csp", ACT, GLOBEX)
    source.log(facts, "csp.alice", "2026-11-03T10:00:00-05:00", 10 * 3600)
    first = Daemon(sqlite_store, gateway, source, mappings_with())
    second = Daemon(sqlite_store, gateway, source, mappings_with())
    first.run(running)
    # The second daemon sees the same customer-month touched (e.g. it read the same feed).
    with sqlite_store.transaction("test") as conn:
        repo.move_cursor(conn, 0, NOW)
    done = second.run(running)
    assert not [name for name in done if ":" in name]
    assert len(tracking(running)["comments"]) == 3


def test_a_comment_that_landed_before_a_crash_is_not_posted_again(
    running: Any, gateway: JiraGateway, sqlite_store: Store
) -> None:
    running.reset()
    source = InMemoryWorklogs(groups={"csp-staff": {"csp.alice"}})
    facts = source.issue("CSP-1", "csp", ACT, GLOBEX)
    source.log(facts, "csp.alice", "2026-11-03T10:00:00-05:00", 3 * 3600)
    daemon = Daemon(sqlite_store, gateway, source, mappings_with())
    daemon.run(running)  # the tracking issue, no threshold yet
    issue = tracking(running)
    ref = IssueRef(issue["id"], issue["key"])
    # A daemon claimed the 75% warning, posted it, and died before recording it.
    with sqlite_store.transaction("test") as conn:
        repo.claim_action(
            conn, "globex", NOV, "warning:0.75", raise_=True, now=NOW, lease=timedelta(minutes=5)
        )
    gateway.add_comment(
        ref, "posted before the crash\n\n" + marker("globex", NOV, "warning:0.75", 1, True)
    )
    source.log(facts, "csp.alice", "2026-11-04T10:00:00-05:00", 5 * 3600)
    daemon.now = NOW + timedelta(minutes=10)  # the dead daemon's lease has run out
    daemon.run(running)
    bodies = [c["body"] for c in tracking(running)["comments"]]
    assert sum("warning:0.75:1:raise" in b for b in bodies) == 1
    with sqlite_store.transaction("test") as conn:
        assert "warning:0.75" in repo.active_actions(conn, "globex", NOV)


def test_require_approval_holds_new_requests_until_a_lead_approves(
    running: Any, gateway: JiraGateway, sqlite_store: Store
) -> None:
    running.reset()
    source = InMemoryWorklogs(groups={"csp-staff": {"csp.alice"}})
    facts = source.issue("CSP-1", "csp", ACT, GLOBEX)
    source.log(facts, "csp.alice", "2026-11-03T10:00:00-05:00", 11 * 3600)
    daemon = Daemon(sqlite_store, gateway, source, mappings_with("require-approval"))
    done = daemon.run(running)
    assert done["approval:hold"] == 1
    request = open_issue(gateway, "New Globex request after the allowance ran out")
    assert daemon.run(running)["requests_held"] == 1
    (held,) = running.admin.issues(keys=[request.key])
    assert held["status"] == "Awaiting approval"
    assert "waits for a CSP lead" in held["comments"][-1]["body"]
    assert gateway.transition_to(request, "In Progress")  # a CSP lead approves
    running.admin.flush_index()
    assert daemon.run(running).get("requests_held", 0) == 0
    (approved,) = running.admin.issues(keys=[request.key])
    assert approved["status"] == "In Progress"


def test_labels_and_the_hold_come_off_when_the_month_ends(
    running: Any, gateway: JiraGateway, sqlite_store: Store
) -> None:
    running.reset()
    work = open_issue(gateway, "Globex request")
    source = InMemoryWorklogs(groups={"csp-staff": {"csp.alice"}})
    facts = source.issue(work.key, "csp", ACT, GLOBEX)
    source.log(facts, "csp.alice", "2026-11-03T10:00:00-05:00", 10 * 3600)
    daemon = Daemon(sqlite_store, gateway, source, mappings_with("require-approval"))
    daemon.run(running)
    assert {"csp-allowance-warning", "csp-allowance-exceeded"} <= set(labels_of(running, work.key))
    # 1 December 00:30 in New York: November is over for Globex.
    daemon.now = datetime(2026, 12, 1, 5, 30, tzinfo=UTC)
    done = daemon.run(running)
    assert done["labels:warning:removed"] == 1
    assert done["labels:exceeded:removed"] == 1
    assert done["approval:released"] == 1
    assert not {"csp-allowance-warning", "csp-allowance-exceeded"} & set(
        labels_of(running, work.key)
    )
    # November's comments stay: the month was exceeded, and the tracking issue says so.
    assert len(tracking(running)["comments"]) == 3
    assert daemon.run(running) == {
        "worklogs_updated": 0,
        "worklogs_deleted": 0,
        "customer_months_touched": 0,
    }


def test_borrowing_keeps_urgent_work_out_of_exceeded_and_shrinks_next_month(
    running: Any, gateway: JiraGateway, sqlite_store: Store
) -> None:
    running.reset()
    mappings = mappings_with()
    silver = mappings.packages["silver"].model_copy(
        update={
            "borrowing": Borrowing(max_hours=3, labels=("csp-sev1",)),
            "carry_over": CarryOver(months=1),
        }
    )
    mappings = mappings.model_copy(update={"packages": {**mappings.packages, "silver": silver}})
    source = InMemoryWorklogs(groups={"csp-staff": {"csp.alice"}})
    urgent = source.issue("CSP-1", "csp", ACT, GLOBEX, "csp-sev1")
    source.log(urgent, "csp.alice", "2026-10-03T10:00:00-04:00", 12 * 3600)
    daemon = Daemon(sqlite_store, gateway, source, mappings)
    daemon.run(running)
    with sqlite_store.transaction("test") as conn:
        october, november = customer_months(conn, mappings, mappings.customers["globex"], NOV)
    assert (october.borrowed_seconds, october.overage_seconds, october.state) == (
        2 * 3600,
        0,
        "warning",
    )
    assert november.available_seconds == 8 * 3600  # 10 h less the 2 h October borrowed
    october_issue = [
        i for i in running.admin.issues(labels=["csp-allowance"]) if "2026-10" in i["summary"]
    ]
    assert "Borrowed from next month: 2.00 h" in october_issue[0]["description"]
    assert not any("used up" in c["body"] for c in october_issue[0]["comments"])


def test_a_tracking_issue_created_before_a_crash_is_found_not_doubled(
    running: Any, gateway: JiraGateway, sqlite_store: Store
) -> None:
    running.reset()
    ref = ref_label("allowance", f"globex:{NOV}")
    # A daemon claimed the create, Jira created the issue, and the daemon died unanswered.
    with sqlite_store.transaction("test") as conn:
        repo.claim_tracking(conn, "globex", NOV, ref, NOW, previous_start=None)
    landed = gateway.create_issue(
        IssueDraft("CSP", "Task", "CSP allowance 2026-11: Globex Retail Inc", "old", (ref,))
    )
    source = InMemoryWorklogs(groups={"csp-staff": {"csp.alice"}})
    facts = source.issue("CSP-1", "csp", ACT, GLOBEX)
    source.log(facts, "csp.alice", "2026-11-03T10:00:00-05:00", 3600)
    Daemon(sqlite_store, gateway, source, mappings_with()).run(running)
    (issue,) = running.admin.issues(labels=[ref])
    assert issue["key"] == landed.key
    assert "Used: 1.00 h (10.0%)" in issue["description"]
    with sqlite_store.transaction("test") as conn:
        found = repo.tracking(conn, "globex", NOV)
    assert found is not None and found.issue_key == landed.key


def test_a_refused_enforcement_keeps_the_ledger_and_the_pass_going(
    running: Any, gateway: JiraGateway, sqlite_store: Store
) -> None:
    running.reset()
    mappings = mappings_with()
    broken = mappings.model_copy(
        update={"issue_types": mappings.issue_types.model_copy(update={"allowance": "Epic Saga"})}
    )
    source = InMemoryWorklogs(groups={"csp-staff": {"csp.alice"}})
    facts = source.issue("CSP-1", "csp", ACT, GLOBEX)
    source.log(facts, "csp.alice", "2026-11-03T10:00:00-05:00", 3600)
    done = Daemon(sqlite_store, gateway, source, broken).run(running)
    assert done["enforcement_failed"] == 1
    with sqlite_store.transaction("test") as conn:
        assert repo.tracking(conn, "globex", NOV) is None  # refused: nothing left claimed
        assert len(repo.lines_of(conn, customer="globex", month=NOV)) == 1
