"""The main job through the real `serve` (receiver over HTTP, worker) against jira820, an
independent imitation of Jira Data Center 8.20 nobody here wrote, read back through its REST
API: one issue per escalation generation, its labels, its comments (each event's once), its
status and links; a customer request raised once with its comment; then the CLI on the same
store: a trend report, a Problem from three recurring escalations, `reconcile` and `sync`.

jira820 takes issue keys only (404 to an id): before the gateway addressed issues by key on
Data Center, every update, comment and transition after a create was a dead letter here.
Its gaps, each named where a test meets it:
- `update.issuelinks` on create is answered 201 and dropped (real Jira links, or refuses the
  field with a 400 the gateway answers by linking in a second call): the gateway reads a
  linked create's links back and links what is missing;
- no `/worklog/updated` (404), and a search that does not filter by `worklogDate` (all 367
  seeded issues answer it): the allowance ledger cannot be read;
- only the older create metadata (`issue/createmeta?projectKeys=`; the paged one is 404);
- no saved filters (`/filter` 404): reports are raised without their filter links;
- a JQL date in epoch milliseconds is answered 500: the triage pass cannot search."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from typer.testing import CliRunner

from csp_jira_sync.cli import app as cli
from csp_jira_sync.config.references import ref_label
from csp_jira_sync.reports.filter_specs import PROBLEM_RECORD_LABEL
from tests.cli.test_check_live_jira820 import (
    jira820,  # noqa: F401  (the fixture)
    mappings_for_jira820,
)
from tests.e2e.harness import T0, Daemon, noc_event, running_daemon

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
HEADERS = {"Authorization": "Bearer any"}
PROJECT = "JIRA820"


def settings_overrides(tmp_path: Path) -> dict[str, Any]:
    return {
        "jira_project": PROJECT,
        "jira_auth": "bearer",
        "jira_deployment": "datacenter",
        "jira_api_version": "2",
        "jira_max_attempts": 2,  # its 500 drops the kept-alive connection
        "mappings_dir": mappings_for_jira820(tmp_path),
    }


@pytest.fixture
def daemon(jira820: str, tmp_path: Path) -> Iterator[Daemon]:  # noqa: F811
    with running_daemon(jira820, tmp_path, **settings_overrides(tmp_path)) as running:
        yield running


def get(url: str, path: str, **params: Any) -> Any:
    answer = requests.get(f"{url}/rest/api/2/{path}", params=params, headers=HEADERS, timeout=10)
    answer.raise_for_status()
    return answer.json()


def labelled(url: str, label: str) -> list[dict[str, Any]]:
    """Every issue carrying `label`, read whole by key (search, then one GET each)."""
    found = get(url, "search", jql=f'labels = "{label}" ORDER BY key ASC', fields="summary")
    return [get(url, f"issue/{issue['key']}") for issue in found["issues"]]


def markers(url: str, key: str) -> list[str]:
    """The event markers of the issue's comments, sorted: a comment's last line is its marker,
    and jira820 lists comments newest first by the second they were made, so the order within
    one second is not Jira's to promise. Each event's marker must be there exactly once."""
    comments = get(url, f"issue/{key}/comment")["comments"]
    return sorted(c["body"].strip().splitlines()[-1] for c in comments)


def marker(event_id: str) -> str:
    return f"[csp-event escalation:{event_id}]"


def delivered(d: Daemon, *events: dict[str, Any]) -> None:
    for event in events:
        assert d.post(event).status_code == 202
    d.drain()
    assert d.app.store.depth().get("dead", 0) == 0


def test_an_escalation_stream_lands_once_per_generation_with_its_comments_and_statuses(
    daemon: Daemon,
    jira820: str,  # noqa: F811
) -> None:
    """Open, acknowledge, resolve, reopen inside the window, resolve, a redelivery, open past
    the window (generation 2), resolve, and one late acknowledge of generation 2."""
    esc = "NOC-820"
    at = {"escalation_id": esc}
    delivered(
        daemon,
        noc_event("s1", "open", T0, **at),
        noc_event("s2", "acknowledged", T0 + timedelta(minutes=5), **at),
        noc_event("s3", "resolved", T0 + timedelta(hours=1), **at),
        noc_event("s4", "open", T0 + timedelta(days=2), **at),
    )
    [first] = labelled(jira820, ref_label("escalation", esc, 1))
    assert first["fields"]["status"]["name"] == "Reopened"
    again = daemon.post(noc_event("s2", "acknowledged", T0 + timedelta(minutes=5), **at))
    assert again.status_code == 202 and again.json()["duplicate"] is True
    delivered(
        daemon,
        noc_event("s5", "resolved", T0 + timedelta(days=3), **at),
        noc_event("s6", "open", T0 + timedelta(days=20), **at),
        noc_event("s8", "resolved", T0 + timedelta(days=21), **at),
    )
    delivered(daemon, noc_event("s7", "acknowledged", T0 + timedelta(days=20, hours=1), **at))

    [first] = labelled(jira820, ref_label("escalation", esc, 1))
    [second] = labelled(jira820, ref_label("escalation", esc, 2))
    assert first["fields"]["issuetype"]["name"] == "Bug"
    assert first["fields"]["priority"]["name"] == "High"
    assert f"[{esc}]" in first["fields"]["summary"]
    assert set(first["fields"]["labels"]) >= {
        "csp",
        "csp-cat-incident-problem",
        "csp-act-escalation-management",
        "csp-customer-acme",
    }
    assert first["fields"]["status"]["name"] == "Done"
    assert markers(jira820, first["key"]) == [marker(e) for e in ("s2", "s3", "s4", "s5")]
    assert second["fields"]["status"]["name"] == "Done"
    assert marker("s6") in second["fields"]["description"]
    assert markers(jira820, second["key"]) == [marker("s7"), marker("s8")]
    # jira820 answers 201 to the create's `update.issuelinks` and drops them (its gap); the
    # gateway reads the new issue's links back and links generation 2 to 1 in a second call.
    [link] = second["fields"]["issuelinks"]
    assert link["type"]["name"] == "Relates"
    assert link["outwardIssue"]["key"] == first["key"]


def test_a_late_resolve_before_an_applied_reopen_deletes_its_comment_and_raises_generation_2(
    daemon: Daemon,
    jira820: str,  # noqa: F811
) -> None:
    """NOC-32239 on jira820: the open past the window first lands as a comment; the late
    resolve it follows deletes that comment by its marker, resolves the issue and requeues the
    open, which raises generation 2."""
    esc = "NOC-821"
    at = {"escalation_id": esc}
    delivered(daemon, noc_event("b1", "open", T0, **at))
    delivered(daemon, noc_event("b3", "open", T0 + timedelta(days=10), **at))
    [first] = labelled(jira820, ref_label("escalation", esc, 1))
    assert markers(jira820, first["key"]) == [marker("b3")]
    delivered(daemon, noc_event("b2", "resolved", T0 + timedelta(days=1), **at))

    [first] = labelled(jira820, ref_label("escalation", esc, 1))
    [second] = labelled(jira820, ref_label("escalation", esc, 2))
    assert first["fields"]["status"]["name"] == "Done"
    assert markers(jira820, first["key"]) == [marker("b2")]
    assert second["fields"]["status"]["name"] == "Open"
    assert marker("b3") in second["fields"]["description"]
    assert markers(jira820, second["key"]) == []


def test_a_customer_request_from_an_unknown_requester_is_one_task_with_one_comment(
    daemon: Daemon,
    jira820: str,  # noqa: F811
) -> None:
    request = {
        "id": "REQ-820",
        "customer": "acme",
        "channel": "email",
        "requester": "someone@acme.example",
        "subject": "Please train our team on the customer portal",
        "body": "We need a portal training session for five new staff.",
        "received_at": T0.isoformat(),
    }
    for _ in range(2):  # the second is a redelivery
        assert daemon.post(request, "/webhooks/requests").status_code == 202
    daemon.drain()
    assert daemon.app.store.depth().get("dead", 0) == 0
    [issue] = labelled(jira820, ref_label("request", "REQ-820"))
    assert issue["fields"]["issuetype"]["name"] == "Task"
    assert set(issue["fields"]["labels"]) >= {
        "csp",
        "csp-customer-acme",
        "csp-channel-email",
        "csp-unverified-requester",
    }
    assert any(label.startswith("csp-act-") for label in issue["fields"]["labels"])
    assert markers(jira820, issue["key"]) == ["[csp-event request:REQ-820:unverified]"]


def cli_environment(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's settings: the daemon's, on the store the `daemon` fixture used."""
    mappings = tmp_path / "mappings"
    if not mappings.exists():
        mappings_for_jira820(tmp_path)
    for key, value in {
        "CSP_JIRA_URL": url,
        "CSP_JIRA_PROJECT": PROJECT,
        "CSP_JIRA_AUTH": "bearer",
        "CSP_JIRA_TOKEN": "any",
        "CSP_JIRA_DEPLOYMENT": "datacenter",
        "CSP_JIRA_MAX_ATTEMPTS": "2",
        "CSP_MAPPINGS_DIR": str(mappings),
        "CSP_DATABASE_URL": f"sqlite:///{tmp_path / 'state.sqlite'}",
    }.items():
        monkeypatch.setenv(key, value)


def test_a_trend_report_is_raised_once_as_a_task_with_its_figures_and_files(
    daemon: Daemon,
    jira820: str,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """jira820 has only the older create metadata (`issue/createmeta?projectKeys=`): before the
    gateway fell back to it, every report was refused ("createmeta: Jira answered 404") while
    `check --live` passed. It has no saved filters (`/filter` 404, a gap): the report is raised
    without their links."""
    esc = "NOC-822"
    at = {"escalation_id": esc, "customer": "globex"}
    delivered(
        daemon,
        noc_event("r1", "open", T0, **at),
        noc_event("r2", "resolved", T0 + timedelta(hours=2), **at),
    )
    [escalation] = labelled(jira820, ref_label("escalation", esc, 1))
    cli_environment(jira820, tmp_path, monkeypatch)
    command = ["report", "trends", "--period", "month", "--for", "2026-11", "--customer", "globex"]
    for _ in range(2):  # the second run updates the same report
        result = CliRunner().invoke(cli, [*command, "--format", "json"])
        assert result.exit_code == 0, result.output
        [report] = json.loads(result.stdout)["reports"]
        assert report["escalations"]["issues"] == [escalation["key"]]
    [issue] = labelled(jira820, "csp-report-globex-2026-11")
    assert report["report"]["issue"] == issue["key"]
    assert issue["fields"]["issuetype"]["name"] == "Task"
    assert "1 escalations" in issue["fields"]["summary"]
    assert sorted(a["filename"] for a in issue["fields"]["attachment"]) == [
        "trends-globex-2026-11.csv",
        "trends-globex-2026-11.png",
    ]


def test_three_recurring_escalations_raise_one_problem_linked_to_each(
    daemon: Daemon,
    jira820: str,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`problems.yaml`: three escalations of one recurring problem within 30 days raise one
    Problem (here a Bug), linked to each; a second pass raises and links nothing more."""
    at = {"customer": "initech", "title": "Disk full on backup node", "service": "storage"}
    delivered(
        daemon,
        *(
            noc_event(f"p{n}", "open", T0 + timedelta(days=n), escalation_id=f"NOC-83{n}", **at)
            for n in range(3)
        ),
    )
    escalations = {
        labelled(jira820, ref_label("escalation", f"NOC-83{n}", 1))[0]["key"] for n in range(3)
    }
    cli_environment(jira820, tmp_path, monkeypatch)
    outcomes = []
    for _ in range(2):
        synced = json.loads(CliRunner().invoke(cli, ["sync", "--format", "json"]).stdout)
        outcomes.append(synced["jobs"]["problems"]["outcomes"])  # sync exits 1: triage, allowance
    assert outcomes == [{"created": 1}, {"unchanged": 1}]
    [problem] = labelled(jira820, PROBLEM_RECORD_LABEL)
    assert problem["fields"]["issuetype"]["name"] == "Bug"
    linked = [
        link.get("outwardIssue", link.get("inwardIssue"))["key"]
        for link in problem["fields"]["issuelinks"]
    ]
    assert sorted(linked) == sorted(escalations)


def test_reconcile_finds_the_served_issues_in_order_and_names_the_allowance_step_it_cannot_run(
    daemon: Daemon,
    jira820: str,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The nightly reconciliation after serve delivered an escalation and a request: nothing
    deleted, duplicated, unlabelled or hidden; its allowance step cannot read the ledger (no
    worklog change feed) and says so as the one thing that needs a person (exit 1)."""
    delivered(daemon, noc_event("c1", "open", T0, escalation_id="NOC-823"))
    cli_environment(jira820, tmp_path, monkeypatch)
    result = CliRunner().invoke(cli, ["reconcile", "--format", "json"])
    outcome = json.loads(result.stdout)
    assert result.exit_code == 1
    failed = {step["step"]: step["error"] for step in outcome["steps"] if not step["ok"]}
    assert list(failed) == ["allowance"]
    assert "this Jira has no worklog change feed" in failed["allowance"]
    assert [f["step"] for f in outcome["findings"] if f["needs_person"]] == ["allowance"]
    assert "1 issue(s) of source items the store still has are visible" in [
        step["summary"] for step in outcome["steps"]
    ]


def test_sync_names_the_jobs_jira820_cannot_serve_and_still_works_off_the_queue(
    jira820: str,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its gaps: no worklog change feed (`/worklog/updated` 404) for the allowance ledger, and
    a 500 for the triage pass's epoch-millisecond JQL. `sync` says so job by job, exits 1, and
    the queue still goes into Jira; `allowance` warns that its zero hours were never read."""
    cli_environment(jira820, tmp_path, monkeypatch)
    result = CliRunner().invoke(cli, ["sync", "--format", "json"])
    outcome = json.loads(result.stdout)
    assert result.exit_code == 1
    assert set(outcome["failed"]) == {"triage", "allowance", "allowance-recompute"}
    assert "500" in outcome["jobs"]["triage"]["error"]
    for job in ("allowance", "allowance-recompute"):
        assert (
            "GET /rest/api/2/worklog/updated: this Jira has no worklog change feed"
            in (outcome["jobs"][job]["error"])
        )
    assert outcome["jobs"]["queue"]["ok"]
    figures = CliRunner().invoke(cli, ["allowance", "--customer", "acme", "--format", "json"])
    assert figures.exit_code == 0
    assert "the allowance ledger has never read Jira's worklogs" in " ".join(figures.stderr.split())
