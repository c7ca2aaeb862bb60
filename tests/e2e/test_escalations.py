"""NOC escalations through the real receiver, worker and the Jira sandbox, end to end."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from csp_jira_sync.config.references import ref_label
from tests.e2e.harness import T0, Daemon, noc_event, running_daemon
from tests.runtime.test_delivery_metrics import scrape


@pytest.fixture(params=["cloud", "datacenter"])
def jira_sandbox(request: pytest.FixtureRequest) -> Any:
    """Every escalation test runs against Jira Cloud and Jira Data Center."""
    return request.getfixturevalue("sandbox" if request.param == "cloud" else "sandbox_dc")


@pytest.fixture
def daemon(jira_sandbox: Any, tmp_path: Path) -> Iterator[Daemon]:
    with running_daemon(jira_sandbox.base_url, tmp_path) as running:
        yield running


def comments(d: Daemon, key: str) -> list[str]:
    return [c.body for c in d.jira().comments(key)]


def test_an_escalation_becomes_one_labelled_incident_with_priority_from_severity(
    daemon: Daemon,
) -> None:
    assert daemon.post(noc_event("e1")).status_code == 202
    daemon.drain()
    [issue] = daemon.issues()
    assert issue.fields.issuetype.name == "Incident"
    assert issue.fields.priority.name == "High"
    assert "[NOC-100]" in issue.fields.summary
    assert set(issue.fields.labels) >= {
        "csp",
        "csp-cat-incident-problem",
        "csp-act-escalation-management",
        "csp-customer-acme",
        ref_label("escalation", "NOC-100", 1),
    }


def test_lifecycle_moves_the_issue_and_comments_once_per_event(daemon: Daemon) -> None:
    daemon.post(noc_event("e1"))
    daemon.post(noc_event("e2", "acknowledged", T0 + timedelta(minutes=5)))
    daemon.drain()
    [issue] = daemon.issues()
    assert issue.fields.status.name == "In Progress"
    daemon.post(noc_event("e3", "resolved", T0 + timedelta(hours=1)))
    daemon.drain()
    issue = daemon.jira().issue(issue.key)
    assert issue.fields.status.name == "Done"
    assert len(comments(daemon, issue.key)) == 2


def test_a_redelivered_event_is_answered_but_adds_no_second_comment(daemon: Daemon) -> None:
    daemon.post(noc_event("e1"))
    daemon.post(noc_event("e2", "acknowledged", T0 + timedelta(minutes=5)))
    again = daemon.post(noc_event("e2", "acknowledged", T0 + timedelta(minutes=5)))
    assert again.status_code == 202 and again.json()["duplicate"] is True
    daemon.drain()
    [issue] = daemon.issues()
    assert len(comments(daemon, issue.key)) == 1


def test_many_events_for_one_escalation_in_a_burst_give_one_issue_despite_index_lag(
    daemon: Daemon, jira_sandbox: Any
) -> None:
    jira_sandbox.admin.set_knobs(indexLagMs=2000)
    for n in range(5):
        daemon.post(noc_event(f"burst-{n}", "open", T0 + timedelta(seconds=n)))
    daemon.drain()
    jira_sandbox.admin.set_knobs(indexLagMs=0)
    assert len(daemon.issues()) == 1


def test_a_late_older_event_never_moves_the_status_back(daemon: Daemon) -> None:
    daemon.post(noc_event("e1"))
    daemon.post(noc_event("e3", "resolved", T0 + timedelta(hours=1)))
    daemon.drain()
    daemon.post(noc_event("e2", "acknowledged", T0 + timedelta(minutes=5)))
    daemon.drain()
    [issue] = daemon.issues()
    assert issue.fields.status.name == "Done"
    assert any("arrived late" in body for body in comments(daemon, issue.key))


def test_open_after_resolved_inside_the_window_reopens_the_same_issue(daemon: Daemon) -> None:
    daemon.post(noc_event("e1"))
    daemon.post(noc_event("e2", "resolved", T0 + timedelta(hours=1)))
    daemon.post(noc_event("e3", "open", T0 + timedelta(days=3)))
    daemon.drain()
    [issue] = daemon.issues()
    assert issue.fields.status.name == "To Do"


def test_open_after_the_window_raises_a_new_issue_linked_to_the_old_one(daemon: Daemon) -> None:
    daemon.post(noc_event("e1"))
    daemon.post(noc_event("e2", "resolved", T0 + timedelta(hours=1)))
    daemon.post(noc_event("e3", "open", T0 + timedelta(days=9)))
    daemon.drain()
    first, second = daemon.issues()
    assert first.fields.status.name == "Done"
    assert second.fields.status.name == "To Do"
    linked = [
        link.outwardIssue.key for link in second.fields.issuelinks if hasattr(link, "outwardIssue")
    ]
    linked += [
        link.inwardIssue.key for link in second.fields.issuelinks if hasattr(link, "inwardIssue")
    ]
    assert first.key in linked


def test_human_edits_in_jira_are_never_overwritten(daemon: Daemon) -> None:
    daemon.post(noc_event("e1"))
    daemon.drain()
    [issue] = daemon.issues()
    client = daemon.jira()
    issue.update(
        fields={
            "summary": "Edge routers: customer-facing loss (CSP wording)",
            # Jira Cloud takes users by accountId only (GDPR strict mode); Data Center by name.
            "assignee": (
                {"accountId": client.search_users(query="bob@sandbox.example")[0].accountId}
                if daemon.app.gateway.deployment == "cloud"
                else {"name": "csp.bob"}
            ),
        }
    )
    issue.update(update={"labels": [{"add": "vip-customer"}]})
    daemon.post(noc_event("e2", "acknowledged", T0 + timedelta(minutes=5)))
    daemon.drain()
    after = client.issue(issue.key)
    assert after.fields.summary == "Edge routers: customer-facing loss (CSP wording)"
    assert "vip-customer" in after.fields.labels
    assert after.fields.assignee is not None


def test_jira_down_for_a_while_loses_nothing_and_duplicates_nothing(
    daemon: Daemon, jira_sandbox: Any
) -> None:
    jira_sandbox.admin.set_knobs(faultRate=1.0, faultKinds=["503"])
    for n in range(3):
        assert (
            daemon.post(noc_event(f"down-{n}", escalation_id=f"NOC-{200 + n}")).status_code == 202
        )
    daemon.app.wake.set()
    import time

    time.sleep(1.0)
    assert daemon.app.store.depth().get("pending", 0) == 3
    jira_sandbox.admin.set_knobs(faultRate=0.0)
    daemon.drain(timeout=60)
    issues = daemon.issues()
    assert sorted(i.fields.summary.split("]")[0] for i in issues) == [
        "[NOC-200",
        "[NOC-201",
        "[NOC-202",
    ]


def test_jira_429s_are_waited_out_and_every_event_lands(daemon: Daemon, jira_sandbox: Any) -> None:
    jira_sandbox.admin.set_knobs(rateLimitPerSecond=5, rateLimitBurst=2)
    for n in range(8):
        daemon.post(noc_event(f"rl-{n}", escalation_id=f"NOC-{300 + n}"))
    daemon.drain(timeout=60)
    jira_sandbox.admin.set_knobs(rateLimitPerSecond=None)
    assert len(daemon.issues()) == 8
    assert daemon.app.store.depth().get("dead", 0) == 0


def test_a_busy_escalation_under_the_per_issue_write_limit_pauses_no_other_escalation(
    daemon: Daemon, jira_sandbox: Any
) -> None:
    jira_sandbox.admin.set_knobs(issueWriteLimits=[{"writes": 2, "windowMs": 1000}])
    daemon.post(noc_event("hot-0", escalation_id="NOC-500"))
    for n in range(1, 6):
        later = T0 + timedelta(minutes=n)
        daemon.post(noc_event(f"hot-{n}", "acknowledged", later, escalation_id="NOC-500"))
    for n in range(6):
        daemon.post(noc_event(f"calm-{n}", escalation_id=f"NOC-{510 + n}"))
    daemon.drain(timeout=60)
    jira_sandbox.admin.set_knobs(issueWriteLimits=[])
    seen = scrape(daemon.running.base_url)
    # Jira held back writes to NOC-500's issue: that issue waited, nothing else did.
    assert seen["csp_jira_issue_write_limited_total"] >= 1
    assert seen["csp_jira_rate_limit_pauses_total"] == 0
    assert seen["csp_jira_concurrency_limit"] == daemon.app.settings.jira_max_concurrency
    issues = daemon.issues()
    assert len(issues) == 7
    [hot] = [i for i in issues if i.fields.summary.startswith("[NOC-500]")]
    assert len(comments(daemon, hot.key)) == 5
    assert daemon.app.store.depth().get("dead", 0) == 0


def test_the_deployment_is_detected_from_server_info(daemon: Daemon, jira_sandbox: Any) -> None:
    daemon.post(noc_event("e1"))
    daemon.drain()
    expected = "cloud" if jira_sandbox.mode == "cloud" else "datacenter"
    assert daemon.app.gateway.deployment == expected


@pytest.mark.postgres
def test_on_postgresql_the_lifecycle_lands_once_as_on_sqlite(
    sandbox: Any, tmp_path: Path, postgres_database_url: str
) -> None:
    with running_daemon(sandbox.base_url, tmp_path, database_url=postgres_database_url) as d:
        d.post(noc_event("p1"))
        d.post(noc_event("p2", "acknowledged", T0 + timedelta(minutes=5)))
        d.post(noc_event("p2", "acknowledged", T0 + timedelta(minutes=5)))
        d.post(noc_event("p3", "resolved", T0 + timedelta(hours=1)))
        d.drain()
        [issue] = d.issues()
        assert issue.fields.status.name == "Done"
        assert len(comments(d, issue.key)) == 2
        assert d.app.store.dialect == "postgresql"


def test_on_rest_api_v3_descriptions_and_comments_go_as_adf(sandbox: Any, tmp_path: Path) -> None:
    with running_daemon(sandbox.base_url, tmp_path, jira_api_version="3") as d:
        d.post(noc_event("v1"))
        d.post(noc_event("v2", "acknowledged", T0 + timedelta(minutes=5)))
        d.drain()
        [issue] = d.issues()
        auth = ("csp.alice", "csp.alice-token")
        v3 = f"{sandbox.base_url}/rest/api/3/issue/{issue.key}"
        raw = requests.get(v3, auth=auth, timeout=10).json()
        assert raw["fields"]["description"]["type"] == "doc"
        comments = requests.get(f"{v3}/comment", auth=auth, timeout=10).json()["comments"]
        assert comments[0]["body"]["type"] == "doc"
        assert issue.fields.status.name == "In Progress"


def test_a_reopen_applied_before_the_resolve_it_follows_ends_as_the_nocs_order_does(
    daemon: Daemon,
) -> None:
    """NOC-32239: the reopen past the window is applied (as a comment on the open issue) before
    the resolve that precedes it arrives; the late resolve resolves the issue and the reopen
    raises generation 2, linked to it, as when both wait together."""
    daemon.post(noc_event("e1"))
    daemon.drain()
    daemon.post(noc_event("e3", "open", T0 + timedelta(days=10)))
    daemon.drain()
    daemon.post(noc_event("e2", "resolved", T0 + timedelta(days=1)))
    daemon.drain()
    first, second = daemon.issues()
    assert ref_label("escalation", "NOC-100", 1) in first.fields.labels
    assert ref_label("escalation", "NOC-100", 2) in second.fields.labels
    assert first.fields.status.name == "Done"
    assert second.fields.status.name == "To Do"
    first_comments = comments(daemon, first.key)
    assert len(first_comments) == 1 and "escalation:e2]" in first_comments[0]
    assert "escalation:e3]" in second.fields.description
    assert comments(daemon, second.key) == []
    linked = [
        link.outwardIssue.key for link in second.fields.issuelinks if hasattr(link, "outwardIssue")
    ]
    assert first.key in linked


def test_a_late_resolve_before_an_applied_acknowledge_resolves_the_issue(daemon: Daemon) -> None:
    daemon.post(noc_event("e1"))
    daemon.post(noc_event("e3", "acknowledged", T0 + timedelta(hours=2)))
    daemon.drain()
    daemon.post(noc_event("e2", "resolved", T0 + timedelta(hours=1)))
    daemon.drain()
    [issue] = daemon.issues()
    assert issue.fields.status.name == "Done"
    assert any("applied in the NOC's order" in body for body in comments(daemon, issue.key))


def test_a_late_reopen_before_an_applied_acknowledge_reopens_then_acknowledges(
    daemon: Daemon,
) -> None:
    """Resolved, then acknowledged two days later (a step back: a comment); the reopen inside
    the window between them arrives late. In the NOC's order the issue was reopened and then
    acknowledged: In Progress, through To Do (no transition leads from Done to In Progress)."""
    daemon.post(noc_event("e1"))
    daemon.post(noc_event("e2", "resolved", T0 + timedelta(hours=1)))
    daemon.post(noc_event("e4", "acknowledged", T0 + timedelta(days=3)))
    daemon.drain()
    [issue] = daemon.issues()
    assert issue.fields.status.name == "Done"
    daemon.post(noc_event("e3", "open", T0 + timedelta(days=2)))
    daemon.drain()
    [issue] = daemon.issues()
    assert issue.fields.status.name == "In Progress"
    assert len(comments(daemon, issue.key)) == 3
