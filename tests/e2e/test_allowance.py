"""The allowance ledger end to end, Cloud and Data Center: CSP and NOC users log time over REST
on labelled issues in the sandbox, `sync` reads it back with the real `JiraWorklogSource`,
counts and enforces it, and `allowance --format json` shows the result.

The daemon's clock and the sandbox's are held together at a fixed instant (the sandbox withholds
the last minute of worklog changes, so each step moves both on by two minutes)."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from csp_jira_sync.cli import app
from csp_jira_sync.runtime import bootstrap
from csp_jira_sync.runtime.bootstrap import App, build_app
from csp_jira_sync.runtime.scheduler import run_all
from csp_jira_sync.settings import load_settings
from jira_sandbox.server import RunningSandbox
from tests.e2e.harness import noc_event, running_daemon
from tests.sandbox.sandbox_helpers import JiraHttp

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 25, 10, tzinfo=UTC)  # every customer's November
STEP = timedelta(minutes=2)
ACT = "csp-act-escalation-management"
FIREWALL = "csp-act-firewall-review"
GLOBEX = "csp-customer-globex"  # silver: 10 h a month, warned at 75% and 90%, New York
INITECH = "csp-customer-initech"  # bronze: 4 h a month, Berlin
UMBRELLA = "csp-customer-umbrella"  # platinum: 40 h a month, Sydney
ESCALATIONS = "Incident / Problem Management"
CONFIGURATION = "Configuration Management"
WRITES = ("PUT", "DELETE", "POST")
READS_BY_POST = ("/search", "/worklog/list")  # POSTs that only read


@dataclass
class Ledger:
    """The daemon's CLI over one sandbox, with a clock both share."""

    running: RunningSandbox
    now: datetime
    app: App | None = None

    def as_user(self, user: str) -> JiraHttp:
        return JiraHttp(self.running, user=user)

    def issue(self, summary: str, *labels: str) -> str:
        created = self.as_user("csp.alice").create(
            summary, issuetype={"name": "Service Request"}, labels=list(labels)
        )
        return str(created["key"])

    def log(self, user: str, key: str, started: str, hours: float) -> str:
        answer = self.as_user(user).post(
            f"issue/{key}/worklog",
            json={"timeSpentSeconds": int(hours * 3600), "started": started},
        )
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])

    def sync(self) -> None:
        """What `sync` does (every job once), on an app built once per test: building one
        per pass (loading every mapping file) would be most of these tests' time."""
        self._tick()
        if self.app is None:
            self.app = build_app(load_settings(None))
        results = run_all([job for job in self.app.jobs(drain_timeout=5) if job.in_sync])
        assert all(r.ok for r in results), [r.error for r in results]
        self.running.admin.flush_index()

    def sync_command(self) -> dict[str, Any]:
        """`csp-jira-sync sync --format json` itself."""
        self._tick()
        result = CliRunner().invoke(app, ["sync", "--format", "json", "--timeout", "5"])
        assert result.exit_code == 0, result.output
        self.running.admin.flush_index()
        found: dict[str, Any] = json.loads(result.stdout)
        assert found["ok"], found
        return found

    def _tick(self) -> None:
        self.now += STEP
        self.running.admin.advance_clock(int(STEP.total_seconds() * 1000))

    def close(self) -> None:
        if self.app is not None:
            self.app.close()

    def allowance(self, customer: str, month: str) -> dict[str, Any]:
        """The customer-month as `allowance --format json` gives it (categories with time)."""
        result = CliRunner().invoke(
            app, ["allowance", "--month", month, "--customer", customer, "--format", "json"]
        )
        assert result.exit_code == 0, result.output
        (item,) = json.loads(result.stdout)
        assert isinstance(item, dict)
        item["used_by_category"] = {t: h for t, h in item["used_by_category"].items() if h}
        return item

    def labels(self, key: str) -> set[str]:
        (found,) = self.running.admin.issues(keys=[key])
        return set(found["labels"])

    def tracking(self, customer_label: str) -> dict[str, Any]:
        found = [
            i
            for i in self.running.admin.issues(labels=["csp-allowance"])
            if customer_label in i["labels"]
        ]
        assert len(found) == 1, found
        issue: dict[str, Any] = found[0]
        return issue

    def writes(self) -> dict[str, int]:
        by_route: dict[str, int] = self.running.admin.stats()["byRoute"]
        return {
            route: count
            for route, count in by_route.items()
            if route.startswith(WRITES)
            and not any(part in route for part in READS_BY_POST)
            and "/_sandbox" not in route
        }


def _ledger(
    running: RunningSandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    mappings: Path = ROOT / "mappings",
) -> Ledger:
    running.admin.freeze_clock(int(T0.timestamp() * 1000))
    ledger = Ledger(running, T0)
    monkeypatch.setattr(bootstrap, "utc_now", lambda: ledger.now)
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name, value in {
        "CSP_JIRA_URL": running.base_url,
        "CSP_JIRA_USER": "csp-sync",
        "CSP_JIRA_TOKEN": "csp-sync-token",
        "CSP_JIRA_DEPLOYMENT": running.mode,
        "CSP_JIRA_SEARCH_SETTLE_SECONDS": "0",
        "CSP_JIRA_MAX_ATTEMPTS": "2",
        "CSP_DATABASE_URL": f"sqlite:///{tmp_path / 'state.sqlite'}",
        "CSP_MAPPINGS_DIR": str(mappings),
        "CSP_LOG_LEVEL": "WARNING",
    }.items():
        monkeypatch.setenv(name, value)
    return ledger


MakeLedger = Callable[..., Ledger]


@pytest.fixture
def make_ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MakeLedger]:
    made: list[Ledger] = []

    def make(running: RunningSandbox, mappings: Path = ROOT / "mappings") -> Ledger:
        made.append(_ledger(running, tmp_path, monkeypatch, mappings))
        return made[-1]

    yield make
    for ledger in made:
        ledger.close()


@pytest.fixture(params=["cloud", "datacenter"])
def ledger(
    request: pytest.FixtureRequest,
    sandbox: RunningSandbox,
    sandbox_dc: RunningSandbox,
    make_ledger: MakeLedger,
) -> Ledger:
    return make_ledger(sandbox if request.param == "cloud" else sandbox_dc)


def test_a_customers_month_from_worklogs_to_labels_and_back(ledger: Ledger) -> None:
    work = ledger.issue("Edge router escalation for Globex", "csp", ACT, GLOBEX)
    review = ledger.issue("Firewall rules review for Globex", "csp", FIREWALL, GLOBEX)
    outside = ledger.issue("Globex asks for a new VPN", "csp-out-of-scope", ACT, GLOBEX)
    # New York: 23:30 on 31 October is October, although it is November in UTC.
    ledger.log("csp.alice", work, "2026-10-31T23:30:00.000-0400", 3)
    # 01:30 on 1 November after the clocks went back (EST): November.
    bob = ledger.log("csp.bob", work, "2026-11-01T01:30:00.000-0500", 4)
    # 23:30 on 30 November is still November in New York (December in UTC).
    chen = ledger.log("csp.chen", review, "2026-11-30T23:30:00.000-0500", 3.5)
    ledger.log("noc.dave", work, "2026-11-10T09:00:00.000-0500", 2)
    ledger.log("csp.alice", outside, "2026-11-11T09:00:00.000-0500", 1)

    ledger.sync()
    october = ledger.allowance("globex", "2026-10")
    assert (october["used_hours"], october["state"]) == (3, "ok")
    november = ledger.allowance("globex", "2026-11")
    assert november["used_hours"] == 7.5
    assert november["used_by_category"] == {ESCALATIONS: 4, CONFIGURATION: 3.5}
    assert (november["percent"], november["state"]) == (75, "warning")
    assert november["excluded_hours"] == 3
    assert november["excluded_by_reason"] == {"not-csp-staff": 2, "out-of-scope": 1}
    tracking = ledger.tracking(GLOBEX)
    assert "75% warning" in tracking["comments"][0]["body"]
    assert "csp-allowance-warning" in ledger.labels(work)
    assert "csp-allowance-warning" in ledger.labels(review)

    # Nothing changed: a second sync makes no Jira write at all.
    assert ledger.writes()  # the first one did write (what the check below counts)
    ledger.running.admin.reset_stats()
    ledger.sync_command()
    assert ledger.writes() == {}

    # Bob's worklog edited up to 6.5 h: 10 h of 10, the 90% warning and the exceeded flag.
    edited = ledger.as_user("csp.bob").put(
        f"issue/{work}/worklog/{bob}", json={"timeSpentSeconds": int(6.5 * 3600)}
    )
    assert edited.status_code == 200, edited.text
    ledger.sync()
    november = ledger.allowance("globex", "2026-11")
    assert (november["used_hours"], november["state"]) == (10, "exceeded")
    assert {"csp-allowance-warning", "csp-allowance-exceeded"} <= ledger.labels(review)
    assert len(ledger.tracking(GLOBEX)["comments"]) == 3
    ledger.running.admin.reset_stats()
    ledger.sync_command()  # while flagged, only a search for issues the customer opened since
    assert ledger.writes() == {}

    # Chen's worklog deleted: back to 6.5 h, under every threshold; the labels come off.
    deleted = ledger.as_user("csp.chen").delete(f"issue/{review}/worklog/{chen}")
    assert deleted.status_code == 204, deleted.text
    ledger.sync()
    november = ledger.allowance("globex", "2026-11")
    assert (november["used_hours"], november["state"]) == (6.5, "ok")
    assert not {"csp-allowance-warning", "csp-allowance-exceeded"} & ledger.labels(work)
    comments = ledger.tracking(GLOBEX)["comments"]
    assert "back under" in comments[-1]["body"]
    assert "Used: 6.50 h" in ledger.tracking(GLOBEX)["description"]

    # A person relabels the escalation as a firewall review: the month re-read moves its hours.
    relabelled = ledger.as_user("csp.bob").put(
        f"issue/{work}", json={"update": {"labels": [{"remove": ACT}, {"add": FIREWALL}]}}
    )
    assert relabelled.status_code == 204, relabelled.text
    ledger.sync()
    november = ledger.allowance("globex", "2026-11")
    assert november["used_by_category"] == {CONFIGURATION: 6.5}


def test_a_worklog_moved_to_an_out_of_scope_issue_stops_counting(
    sandbox: RunningSandbox, make_ledger: MakeLedger
) -> None:
    ledger = make_ledger(sandbox)
    work = ledger.issue("Escalation for Initech", "csp", ACT, INITECH)
    outside = ledger.issue("Initech asks for hands-on work", "csp-out-of-scope", ACT, INITECH)
    worklog = ledger.log("csp.alice", work, "2026-11-05T10:00:00.000+0100", 2)
    ledger.sync()
    assert ledger.allowance("initech", "2026-11")["used_hours"] == 2

    moved = ledger.as_user("csp.alice").post(
        f"issue/{work}/worklog/move", json={"ids": [int(worklog)], "issueIdOrKey": outside}
    )
    assert moved.status_code == 204, moved.text
    ledger.sync()
    november = ledger.allowance("initech", "2026-11")
    assert november["used_hours"] == 0
    assert november["excluded_by_reason"] == {"out-of-scope": 2}


def _mappings_with_options(tmp_path: Path) -> Path:
    """The shipped mappings, bronze with carry-over and borrowing for sev1 escalations."""
    target = tmp_path / "mappings"
    shutil.copytree(ROOT / "mappings", target)
    path = target / "packages.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for package in data["packages"]:
        if package["tier"] == "bronze":
            package["carry_over"] = {"months": 1}
            package["borrowing"] = {"max_hours": 2, "labels": ["csp-sev1"]}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return target


@pytest.mark.parametrize("mode", ["cloud", "datacenter"])
def test_carry_over_and_sev1_borrowing_across_time_zones(
    mode: str,
    sandbox: RunningSandbox,
    sandbox_dc: RunningSandbox,
    tmp_path: Path,
    make_ledger: MakeLedger,
) -> None:
    running = sandbox if mode == "cloud" else sandbox_dc
    ledger = make_ledger(running, _mappings_with_options(tmp_path))
    sev1 = ledger.issue("Initech sev1 escalation", "csp", ACT, INITECH, "csp-sev1")
    sev3 = ledger.issue("Initech sev3 escalation", "csp", ACT, INITECH, "csp-sev3")
    sydney = ledger.issue("Umbrella escalation", "csp", ACT, UMBRELLA)
    # Berlin, after its clocks went back on 25 October: 23:30 on 31 October is October.
    ledger.log("csp.alice", sev3, "2026-10-31T23:30:00.000+0100", 3)
    # 4 h of November plus the 1 h carried over, then sev1 work borrows 1.5 h of December.
    ledger.log("csp.bob", sev3, "2026-11-02T10:00:00.000+0100", 5)
    ledger.log("csp.bob", sev1, "2026-11-03T10:00:00.000+0100", 1.5)
    # sev3 work past that may not borrow: it is overage.
    ledger.log("csp.bob", sev3, "2026-11-04T10:00:00.000+0100", 0.5)
    # Sydney: 00:30 on 1 November is November there and 31 October in UTC.
    ledger.log("csp.chen", sydney, "2026-11-01T00:30:00.000+1100", 1)
    ledger.sync()

    october = ledger.allowance("initech", "2026-10")
    assert (october["used_hours"], october["remaining_hours"]) == (3, 1)
    november = ledger.allowance("initech", "2026-11")
    assert november["carried_over_hours"] == 1
    assert november["borrowed_hours"] == 1.5
    assert november["used_hours"] == 7
    assert november["overage_hours"] == 0.5
    assert november["state"] == "exceeded"
    december = ledger.allowance("initech", "2026-12")
    assert december["allowance_hours"] == 4 - 1.5
    exported = CliRunner().invoke(app, ["finance", "export", "--month", "2026-11"])
    assert exported.exit_code == 0, exported.output
    (initech,) = [
        r for r in csv.DictReader(io.StringIO(exported.stdout)) if r["customer"] == "initech"
    ]
    assert (initech["carried_over_hours"], initech["borrowed_hours"]) == ("1.0", "1.5")
    assert (initech["overage_hours"], initech["overage_issues"]) == ("0.5", sev3)
    assert ledger.allowance("umbrella", "2026-11")["used_hours"] == 1
    assert ledger.allowance("umbrella", "2026-10")["used_hours"] == 0


def test_a_worklog_redated_into_last_month_and_an_issue_given_to_another_customer(
    sandbox_dc: RunningSandbox, make_ledger: MakeLedger
) -> None:
    ledger = make_ledger(sandbox_dc)
    work = ledger.issue("Escalation for Initech", "csp", ACT, INITECH)
    other = ledger.issue("Escalation filed under Initech by mistake", "csp", ACT, INITECH)
    redated = ledger.log("csp.alice", work, "2026-11-05T10:00:00.000+0100", 3)
    ledger.log("csp.bob", other, "2026-11-06T10:00:00.000+0100", 1)
    ledger.sync()
    assert ledger.allowance("initech", "2026-11")["state"] == "exceeded"
    assert "csp-allowance-exceeded" in ledger.labels(work)

    # The worklog belonged to October: November falls back, and its flags come off.
    moved = ledger.as_user("csp.alice").put(
        f"issue/{work}/worklog/{redated}", json={"started": "2026-10-30T10:00:00.000+0100"}
    )
    assert moved.status_code == 200, moved.text
    ledger.sync()
    assert ledger.allowance("initech", "2026-10")["used_hours"] == 3
    november = ledger.allowance("initech", "2026-11")
    assert (november["used_hours"], november["state"]) == (1, "ok")
    assert not {"csp-allowance-warning", "csp-allowance-exceeded"} & ledger.labels(work)

    # A person moves the other issue to Umbrella: its hour goes with it.
    given = ledger.as_user("csp.bob").put(
        f"issue/{other}",
        json={"update": {"labels": [{"remove": INITECH}, {"add": UMBRELLA}]}},
    )
    assert given.status_code == 204, given.text
    ledger.sync()
    assert ledger.allowance("initech", "2026-11")["used_hours"] == 0
    assert ledger.allowance("umbrella", "2026-11")["used_hours"] == 1


def test_a_sev1_escalations_time_borrows_and_a_sev3s_is_overage(
    sandbox: RunningSandbox, tmp_path: Path, make_ledger: MakeLedger
) -> None:
    """The severity label the daemon puts on an escalation is what borrowing goes by."""
    mappings = _mappings_with_options(tmp_path)
    with running_daemon(sandbox.base_url, tmp_path, mappings_dir=mappings) as daemon:
        for severity in ("sev1", "sev3"):
            event = noc_event(f"ev-{severity}", escalation_id=f"NOC-{severity}", customer="initech")
            event["severity"] = severity
            assert daemon.post(event).status_code == 202
        daemon.drain()
    ledger = make_ledger(sandbox, mappings)
    keys = {
        label: issue["key"]
        for issue in sandbox.admin.issues(labels=[INITECH])
        for label in issue["labels"]
        if label in ("csp-sev1", "csp-sev3")
    }
    ledger.log("csp.alice", keys["csp-sev3"], "2026-11-02T10:00:00.000+0100", 4)
    ledger.log("csp.bob", keys["csp-sev1"], "2026-11-03T10:00:00.000+0100", 1)
    ledger.log("csp.chen", keys["csp-sev3"], "2026-11-04T10:00:00.000+0100", 0.5)
    ledger.sync()
    november = ledger.allowance("initech", "2026-11")
    assert (november["borrowed_hours"], november["overage_hours"]) == (1, 0.5)
