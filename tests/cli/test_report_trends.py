"""`report trends` end to end: NOC events through the daemon into the Jira sandbox, one issue
resolved by hand in Jira, then the numbers read back from the store and Jira together."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from csp_jira_sync.allowance import repository
from csp_jira_sync.allowance.counting import LedgerLine
from csp_jira_sync.allowance.months import Month
from csp_jira_sync.cli import app
from csp_jira_sync.config.events import EscalationEvent
from csp_jira_sync.delivery.journal import issue_for
from csp_jira_sync.errors import JiraPermanent
from csp_jira_sync.jira.gateway import JiraGateway, connect
from csp_jira_sync.jira.model import IssueDraft, IssueRef
from csp_jira_sync.reports.periods import last_complete
from csp_jira_sync.settings import Settings
from csp_jira_sync.store import InboxItem, Store

runner = CliRunner()


def event(
    n: int, escalation: str, when: str, status: str, severity: str, **extra: Any
) -> InboxItem:
    fields: dict[str, Any] = {
        "event_id": f"{escalation}-{n}",
        "escalation_id": escalation,
        "customer": "globex",
        "title": "Disk full on db-07",
        "severity": severity,
        "status": status,
        "service": "db",
        "datacenter": "nyc1",
        "occurred_at": f"{when}:00+00:00",
        **extra,
    }
    return InboxItem.of_escalation(EscalationEvent.model_validate(fields))


WEB = {"service": "web", "datacenter": "", "title": "5xx spike", "fingerprint": "fp-web-5xx"}
EVENTS = [
    # Monday 00:00 in New York: W47; reopened inside the window on Tuesday.
    event(1, "ESC-A", "2026-11-16T05:00", "open", "sev1"),
    event(2, "ESC-A", "2026-11-16T05:10", "acknowledged", "sev1"),
    event(3, "ESC-A", "2026-11-16T07:00", "resolved", "sev1"),
    event(4, "ESC-A", "2026-11-17T10:00", "open", "sev3"),
    event(5, "ESC-A", "2026-11-17T12:00", "resolved", "sev3"),
    # Sunday 23:30 in New York (W46 there), but Monday in UTC (W47 for the all-customer report).
    event(1, "ESC-B", "2026-11-16T04:30", "open", "sev2"),
    # Acknowledged by the NOC, resolved by a person in Jira.
    event(1, "ESC-C", "2026-11-18T15:00", "open", "sev2", **WEB),
    event(2, "ESC-C", "2026-11-18T15:30", "acknowledged", "sev2", **WEB),
    event(1, "ESC-D", "2026-11-20T09:00", "open", "sev3", **WEB),
    event(1, "ESC-E", "2026-11-18T12:00", "open", "sev4", customer="acme"),
]


def ledger_line(worklog: str, issue: IssueRef, started: str, seconds: int) -> LedgerLine:
    return LedgerLine(
        worklog_id=worklog,
        issue_id=issue.id,
        issue_key=issue.key,
        author="csp-engineer",
        started=datetime.fromisoformat(started).replace(tzinfo=UTC),
        seconds=seconds,
        customer="globex",
        month=Month(2026, 11),
        category="incident-problem",
        excluded=None,
    )


@pytest.fixture
def env(sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "CSP_JIRA_URL": sandbox.base_url,
        "CSP_DATABASE_URL": f"sqlite:///{tmp_path / 'state.sqlite'}",
        "CSP_JIRA_TOKEN": "csp-sync-token",
        "CSP_REPORT_TIMEZONE": "UTC",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


JIRAS = pytest.mark.parametrize(
    "raised",
    [("sandbox", "2"), ("sandbox", "3"), ("sandbox_dc", "2")],
    ids=["cloud-v2", "cloud-v3", "datacenter"],
    indirect=True,
)


@pytest.fixture
def raised(
    env: dict[str, str], request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """The events raised in Jira by the daemon, and ESC-C resolved by hand on 20 Nov 15:00,
    on Cloud REST v2 unless a test asks for v3 or Data Center (`JIRAS`)."""
    name, version = getattr(request, "param", ("sandbox", "2"))
    sandbox = request.getfixturevalue(name)
    monkeypatch.setenv("CSP_JIRA_URL", sandbox.base_url)
    monkeypatch.setenv("CSP_JIRA_API_VERSION", version)
    store = Store.open(env["CSP_DATABASE_URL"])
    store.migrate()
    store.accept(EVENTS)
    synced = runner.invoke(app, ["sync", "--format", "json"])
    assert synced.exit_code == 0, synced.output
    keys = {}
    with store.transaction("test: the issues raised") as conn:
        for escalation in ("ESC-A", "ESC-B", "ESC-C", "ESC-D", "ESC-E"):
            ref = issue_for(conn, "escalation", escalation, 1)
            assert ref is not None
            keys[escalation] = ref
        # CSP work the allowance ledger counted: on ESC-A in W47, on ESC-B on Monday 04:40
        # UTC (Sunday in New York: last week for globex, this week for the UTC report).
        repository.save_lines(
            conn,
            [
                ledger_line("w1", keys["ESC-A"], "2026-11-17T09:00", 5400),
                ledger_line("w2", keys["ESC-B"], "2026-11-16T04:40", 1800),
            ],
        )
    store.close()
    sandbox.admin.freeze_clock(int(datetime(2026, 11, 20, 15, tzinfo=UTC).timestamp() * 1000))
    try:
        assert connect(Settings()).transition_to(keys["ESC-C"], "Done")
    finally:
        sandbox.admin.unfreeze_clock()
    return {name: ref.key for name, ref in keys.items()}


@JIRAS
def test_one_customers_week_is_counted_in_its_zone_and_as_jira_says(raised: dict[str, str]) -> None:
    result = runner.invoke(
        app,
        [
            "report",
            "trends",
            "--for",
            "2026-W47",
            "--customer",
            "globex",
            "--dry-run",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    output = json.loads(result.stdout)
    assert output["dry_run"] is True
    [numbers] = output["reports"]
    assert (numbers["scope"], numbers["period"], numbers["timezone"]) == (
        "globex",
        "2026-W47",
        "America/New_York",
    )
    assert output["reports"][0]["escalations"] == {
        "this_period": 3,
        "previous": 1,
        "change": 2,
        "issues": [raised["ESC-A"], raised["ESC-C"], raised["ESC-D"]],
    }
    severity = {k: (v["this_period"], v["previous"]) for k, v in numbers["by_severity"].items()}
    assert severity == {"sev1": (1, 0), "sev2": (1, 1), "sev3": (1, 0), "sev4": (0, 0)}
    service = {k: (v["this_period"], v["previous"]) for k, v in numbers["by_service"].items()}
    assert service == {"db": (1, 1), "web": (2, 0)}
    assert {k: v["this_period"] for k, v in numbers["by_category"].items()} == {
        "Incident / Problem Management": 3
    }
    assert numbers["time_to_acknowledge"] == {
        "measured": 2,
        "mean_seconds": 1200.0,
        "p90_seconds": 1800.0,
    }
    # ESC-A as the NOC resolved it (31 h); ESC-C as resolved by hand in Jira (48 h).
    assert numbers["time_to_resolve"] == {
        "measured": 2,
        "mean_seconds": 39.5 * 3600,
        "p90_seconds": 48 * 3600.0,
    }
    assert [(r["escalation_id"], r["reopened_at"]) for r in numbers["reopened"]] == [
        ("ESC-A", ["2026-11-17T10:00:00+00:00"])
    ]
    # ESC-B (last week) and ESC-A share no fingerprint but customer, service and title.
    assert [(g["key"], g["escalation_ids"], g["issues"]) for g in numbers["recurring"]] == [
        ("title:db:disk full on db #", ["ESC-B", "ESC-A"], [raised["ESC-B"], raised["ESC-A"]]),
        ("fingerprint:fp-web-5xx", ["ESC-C", "ESC-D"], [raised["ESC-C"], raised["ESC-D"]]),
    ]
    assert numbers["csp_hours"] == 1.5
    report = numbers["report"]
    assert report["labels"][:3] == [
        "csp-report-globex-2026-w47",
        "csp-report",
        "csp-report-2026-w47",
    ]
    assert [a["filename"] for a in report["attachments"]] == [
        "trends-globex-2026-W47.png",
        "trends-globex-2026-W47.csv",
    ]
    assert report["issue"] is None


def test_without_a_customer_the_all_customer_report_uses_the_report_zone(
    raised: dict[str, str],
) -> None:
    result = runner.invoke(
        app,
        [
            "report",
            "trends",
            "--period",
            "week",
            "--for",
            "2026-W47",
            "--dry-run",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    reports = {r["scope"]: r for r in json.loads(result.stdout)["reports"]}
    assert set(reports) == {"all", "acme", "globex", "initech", "umbrella"}
    # ESC-B is Monday 04:30 UTC: this week in UTC, last week in New York.
    assert reports["all"]["timezone"] == "UTC"
    assert reports["all"]["escalations"]["this_period"] == 5
    assert (reports["all"]["csp_hours"], reports["globex"]["csp_hours"]) == (2.0, 1.5)
    assert reports["globex"]["escalations"]["this_period"] == 3
    assert reports["acme"]["escalations"]["issues"] == [raised["ESC-E"]]
    assert reports["initech"]["escalations"]["this_period"] == 0


def test_the_table_shows_the_numbers_and_what_would_be_raised(raised: dict[str, str]) -> None:
    result = runner.invoke(
        app, ["report", "trends", "--for", "2026-W47", "--customer", "GLOBEX", "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert "escalations" in result.stdout and "severity: sev1" in result.stdout
    assert "reopened: 1 (ESC-A)" in result.stdout
    assert "recurring: fp-web-5xx (globex, web): ESC-C, ESC-D" in result.stdout
    assert (
        "report would raise: CSP trend report 2026-W47: Globex Retail Inc: 3 escalations"
        in result.stdout
    )
    assert "CSP hours on incidents: 1.50 h" in result.stdout
    assert "Dry run: nothing was written to Jira." in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--for", "2026-W99"], "2026-W99 is not an ISO week of 2026"),
        (["--for", "last week"], "give an ISO week like 2026-W47 or a month like 2026-11"),
        (["--for", "2026-11", "--period", "week"], "is a month, but --period week was asked"),
        (["--customer", "nobody"], "unknown customer 'nobody': give an alias from customers.yaml"),
    ],
)
def test_bad_input_gets_a_clear_error(env: dict[str, str], args: list[str], message: str) -> None:
    result = runner.invoke(app, ["report", "trends", "--dry-run", *args])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())


@JIRAS
def test_a_report_raised_twice_is_one_issue_with_one_chart_and_one_csv(
    raised: dict[str, str], request: pytest.FixtureRequest
) -> None:
    sandbox = request.getfixturevalue(request.node.callspec.params["raised"][0])
    args = ["report", "trends", "--for", "2026-W47", "--customer", "globex", "--format", "json"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    [raised_report] = json.loads(first.stdout)["reports"]
    key = raised_report["report"]["issue"]
    assert key is not None
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["reports"][0]["report"]["issue"] == key
    reference = raised_report["report"]["labels"][0]
    [issue] = sandbox.admin.issues(labels=[reference])  # re-running never raised a second
    assert issue["key"] == key
    names = sorted(a["filename"] for a in issue["attachments"])
    assert [n.rsplit(".", 1)[1] for n in names] == ["csv", "png"]  # replaced, not added


def test_a_report_jira_refuses_exits_1_naming_it(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Against jira820 every report was refused and the command still exited 0; a report Jira
    refuses is now a failure of the command, in every format."""

    def refuse(self: JiraGateway, draft: IssueDraft) -> IssueRef:
        raise JiraPermanent("create: Jira answered 400: Issue type is required", status=400)

    monkeypatch.setattr(JiraGateway, "create_issue", refuse)
    args = ["report", "trends", "--for", "2026-W47", "--customer", "globex"]
    for fmt in ("table", "json"):
        result = runner.invoke(app, [*args, "--format", fmt])
        assert result.exit_code == 1, result.output
        assert "Jira refused 1 report(s)" in result.stderr
    [report] = json.loads(result.stdout)["reports"]
    assert report["report"]["issue"] is None


def test_without_for_the_report_is_the_last_complete_period(env: dict[str, str]) -> None:
    result = runner.invoke(
        app,
        [
            "report",
            "trends",
            "--period",
            "month",
            "--customer",
            "umbrella",
            "--dry-run",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    [numbers] = json.loads(result.stdout)["reports"]
    expected = last_complete("month", datetime.now(UTC), "Australia/Sydney")
    assert (numbers["period"], numbers["timezone"]) == (expected.label, "Australia/Sydney")
    assert numbers["escalations"]["this_period"] == 0


def test_starting_the_cli_does_not_import_matplotlib() -> None:
    # matplotlib takes seconds to import on a busy machine; `serve` must not wait for it.
    import subprocess
    import sys

    probe = "import sys, csp_jira_sync.cli; print('matplotlib' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
