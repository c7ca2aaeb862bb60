"""The Problem pass in the sandbox (Cloud v2, Cloud v3, Data Center): a recurring problem that
reaches the threshold becomes one Problem, labelled and linked to its escalations; re-runs add
nothing, and a later recurrence is linked once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from csp_jira_sync.config.mappings import Mappings, load_mappings
from csp_jira_sync.jira.gateway import JiraGateway
from csp_jira_sync.jira.model import IssueDraft
from csp_jira_sync.reports.problem_decide import Occurrence, RecurringGroup
from csp_jira_sync.reports.problems import ProblemPass
from csp_jira_sync.store import Store
from tests.support.jira_target import EVERY_JIRA, JiraTarget

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
MAPPINGS_DIR = Path(__file__).resolve().parents[2] / "mappings"


def _escalation(gateway: JiraGateway, n: int) -> Occurrence:
    issue = gateway.create_issue(
        IssueDraft("CSP", "Incident", f"Disk full on db-01 ({n})", "d", ("csp",))
    )
    return Occurrence(f"NOC-{n}", issue.key, NOW - timedelta(days=20 - n))


def _group(occurrences: list[Occurrence]) -> RecurringGroup:
    return RecurringGroup(
        "fp-disk-full-db01", "acme", "incident-problem", "Disk full on db-01", tuple(occurrences)
    )


@EVERY_JIRA
def test_a_recurring_problem_becomes_one_problem_linked_to_each_escalation_once(
    jira_target: JiraTarget, sqlite_store: Store
) -> None:
    gateway = jira_target.gateway
    mappings: Mappings = load_mappings(MAPPINGS_DIR)
    problems = ProblemPass(
        sqlite_store, gateway, mappings, project="CSP", now=lambda: NOW, settle=timedelta(60)
    )
    two = [_escalation(gateway, 1), _escalation(gateway, 2)]
    assert [o.note for o in problems.run([_group(two)])] == ["below threshold"]

    three = [*two, _escalation(gateway, 3)]
    first = problems.run([_group(three)])[0]
    assert first.note == "created"
    assert first.issue is not None
    assert [o.note for o in problems.run([_group(three)])] == ["unchanged"]

    four = [*three, _escalation(gateway, 4)]
    later = problems.run([_group(four)])[0]
    assert (later.note, later.issue, later.linked) == ("linked", first.issue, (four[3].issue_key,))

    raw = gateway.read(f"issue/{first.issue.key}", {"fields": "issuetype,labels,issuelinks"})
    fields = raw["fields"]
    assert fields["issuetype"]["name"] == "Problem"
    assert {
        "csp",
        "csp-problem-record",
        "csp-customer-acme",
        "csp-problem-fp-disk-full-db01",
    } <= set(fields["labels"])
    category = mappings.catalog.category("incident-problem").label
    assert category in fields["labels"]
    linked = sorted(
        (link.get("outwardIssue") or link.get("inwardIssue"))["key"]
        for link in fields["issuelinks"]
    )
    assert linked == sorted(o.issue_key for o in four)
    assert len(gateway.find_by_label("csp-problem-record")) == 1
