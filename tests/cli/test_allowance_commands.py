"""`allowance`, `allowance explain` and `finance export` over a ledger filled by the pass."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from csp_jira_sync.allowance.job import run_allowance_pass
from csp_jira_sync.cli import app
from csp_jira_sync.config.mappings import load_mappings
from csp_jira_sync.store import Store
from tests.support.worklogs import InMemoryWorklogs

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()
ACT = "csp-act-escalation-management"
FIREWALL = "csp-act-firewall-review"


@pytest.fixture
def ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'state.sqlite'}"
    monkeypatch.setenv("CSP_DATABASE_URL", url)
    monkeypatch.setenv("CSP_JIRA_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("CSP_JIRA_TOKEN", "not-used")
    jira = InMemoryWorklogs(groups={"csp-staff": {"csp.alice"}})
    escalation = jira.issue("CSP-1", "csp", ACT, "csp-customer-initech")
    firewall = jira.issue("CSP-2", "csp", FIREWALL, "csp-customer-initech")
    outside = jira.issue("CSP-3", "csp-out-of-scope", "csp-customer-initech")
    jira.log(escalation, "csp.alice", "2026-10-02T09:00:00+02:00", 2 * 3600)
    jira.log(firewall, "csp.alice", "2026-10-03T09:00:00+02:00", 3600 + 1800)
    jira.log(firewall, "csp.alice", "2026-10-31T23:30:00+01:00", 3600)  # Berlin: October
    jira.log(escalation, "noc.dave", "2026-10-04T09:00:00+02:00", 3600)
    jira.log(outside, "csp.alice", "2026-10-05T09:00:00+02:00", 900)
    store = Store.open(url)
    store.migrate()
    mappings = load_mappings(ROOT / "mappings")
    run_allowance_pass(
        store, jira, None, mappings, clock=lambda: datetime(2026, 11, 20, 12, tzinfo=UTC)
    )
    store.close()


def test_allowance_json_has_the_named_keys(ledger: None) -> None:
    result = runner.invoke(
        app, ["allowance", "--month", "2026-10", "--customer", "initech", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    (item,) = json.loads(result.stdout)
    assert item["customer"] == "initech"
    assert item["month"] == "2026-10"
    assert item["allowance_hours"] == 4
    assert item["used_hours"] == 4.5
    assert item["percent"] == 112.5
    assert item["state"] == "exceeded"
    assert item["used_by_category"]["Incident / Problem Management"] == 2
    assert item["used_by_category"]["Configuration Management"] == 2.5
    assert item["excluded_hours"] == 1.25
    assert item["excluded_by_reason"] == {"not-csp-staff": 1.0, "out-of-scope": 0.25}


def test_allowance_warns_when_the_ledger_has_never_read_jira(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Zero hours from a ledger that never read Jira (one without the worklog change feed,
    like jira820) must not pass for zero hours worked; the JSON on stdout keeps its shape."""
    monkeypatch.setenv("CSP_DATABASE_URL", f"sqlite:///{tmp_path / 'state.sqlite'}")
    result = runner.invoke(app, ["allowance", "--customer", "initech", "--format", "json"])
    assert result.exit_code == 0, result.output
    (item,) = json.loads(result.stdout)
    assert item["used_hours"] == 0
    assert "the allowance ledger has never read Jira's worklogs" in " ".join(result.stderr.split())


def test_allowance_does_not_warn_once_the_ledger_has_read_jira(ledger: None) -> None:
    result = runner.invoke(app, ["allowance", "--month", "2026-10", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "never read" not in result.stderr


def test_allowance_lists_every_customer_as_a_table_and_csv(ledger: None) -> None:
    table = runner.invoke(app, ["allowance", "--month", "2026-10"], env={"COLUMNS": "250"})
    assert table.exit_code == 0, table.output
    for alias in ("acme", "globex", "initech", "umbrella"):
        assert alias in table.stdout
    assert "exceeded" in table.stdout
    out = runner.invoke(app, ["allowance", "--month", "2026-10", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [r["customer"] for r in rows] == ["acme", "globex", "initech", "umbrella"]
    assert rows[2]["used_hours Configuration Management"] == "2.5"


def test_explain_lists_every_worklog_behind_the_figure(ledger: None) -> None:
    result = runner.invoke(
        app,
        ["allowance", "explain", "--customer", "initech", "--month", "2026-10", "--format", "json"],
    )
    assert result.exit_code == 0, result.output
    explained = json.loads(result.stdout)
    worklogs = explained["worklogs"]
    assert len(worklogs) == 5
    assert sum(w["seconds"] for w in worklogs if w["counts"]) == explained["figure"]["used_seconds"]
    reasons = {w["issue"]: w["reason"] for w in worklogs if not w["counts"]}
    assert "NOC" in reasons["CSP-1"] and "csp-out-of-scope" in reasons["CSP-3"]
    table = runner.invoke(
        app, ["allowance", "explain", "--customer", "initech", "--month", "2026-10"]
    )
    assert table.exit_code == 0 and "CSP-3" in table.stdout


def test_finance_export_is_csv_with_overage_and_its_issues(ledger: None) -> None:
    result = runner.invoke(app, ["finance", "export", "--month", "2026-10"])
    assert result.exit_code == 0, result.output
    rows = {r["customer"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert list(next(iter(rows.values()))) == [
        "customer",
        "package",
        "allowance_hours",
        "used_hours",
        "carried_over_hours",
        "borrowed_hours",
        "overage_hours",
        "overage_issues",
    ]
    assert rows["initech"]["overage_hours"] == "0.5"
    assert rows["initech"]["overage_issues"] == "CSP-2"  # the last worklog, on 31 October
    assert rows["acme"]["used_hours"] == "0.0"


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["allowance", "--month", "October"], "YYYY-MM"),
        (["allowance", "--customer", "wayne"], "unknown customer 'wayne'"),
        (["finance", "export", "--month", "2026-13"], "YYYY-MM"),
    ],
)
def test_bad_input_says_what_is_wrong(ledger: None, args: list[str], complaint: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert complaint in result.output
