"""Reading the report's facts from the store (both backends) and Jira (a recording fake here;
the sandbox in tests/cli/test_report_trends.py), and CSP hours from the allowance ledger."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from csp_jira_sync.allowance import repository
from csp_jira_sync.allowance.counting import LedgerLine
from csp_jira_sync.allowance.months import Month
from csp_jira_sync.config.events import EscalationEvent
from csp_jira_sync.config.mappings import load_mappings
from csp_jira_sync.delivery import journal
from csp_jira_sync.jira.model import FoundIssue, IssueRef
from csp_jira_sync.reports.reading import incident_hours, read_facts
from csp_jira_sync.settings import Settings
from csp_jira_sync.store import InboxItem, Store

CATALOG = load_mappings(Settings().mappings_dir).catalog
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def item(
    escalation: str, n: int, when: datetime, status: str, customer: str = "globex"
) -> InboxItem:
    return InboxItem.of_escalation(
        EscalationEvent(
            event_id=f"{escalation}-{n}",
            escalation_id=escalation,
            customer=customer,
            title="Disk full",
            severity="sev2",
            status=status,
            service="db",
            datacenter="nyc1",
            occurred_at=when,
            fingerprint="fp-1" if escalation == "ESC-1" else None,
        )
    )


def raise_issue(store: Store, escalation: str, generation: int, issue_id: str, key: str) -> None:
    with store.transaction("test: an issue the daemon raised") as conn:
        ref = f"ref-{escalation}-{generation}"
        journal.claim_create(
            conn, "escalation", escalation, generation, ref, NOW, previous_start=None
        )
        journal.record_created(
            conn, "escalation", escalation, generation, IssueRef(issue_id, key), NOW
        )


class FakeJira:
    def __init__(self, deployment: str, issues: dict[str, dict[str, Any]]) -> None:
        self.deployment = deployment
        self.issues = issues
        self.searches: list[tuple[str, tuple[str, ...]]] = []

    def search(
        self,
        jql: str,
        *,
        fields: Sequence[str] = (),
        reconcile: Sequence[str] = (),
        page_size: int = 50,
    ) -> Iterator[FoundIssue]:
        self.searches.append((jql, tuple(reconcile)))
        for ident, raw in self.issues.items():
            if ident in jql:
                yield FoundIssue(
                    IssueRef(ident, raw["key"]),
                    tuple(raw["labels"]),
                    raw["status"]["name"],
                    "",
                    "",
                    "",
                    "",
                    {
                        "status": raw["status"],
                        "resolutiondate": raw.get("resolved"),
                        "labels": raw["labels"],
                    },
                )


DONE = {"name": "Done", "statusCategory": {"key": "done"}}
OPEN = {"name": "To Do", "statusCategory": {"key": "new"}}


def seed(store: Store) -> None:
    store.accept(
        [
            item("ESC-1", 1, at(16), "open"),
            item("ESC-1", 2, at(16, 13), "resolved"),
            item("ESC-1", 3, at(28), "open"),  # after the window: still one of its events
            item("ESC-2", 1, at(17), "open", customer="acme"),
            item("ESC-3", 1, at(18), "open"),  # never raised in Jira (dead letter): left out
            item("ESC-4", 1, at(2), "open"),  # outside the window
        ]
    )
    raise_issue(store, "ESC-1", 1, "10001", "CSP-1")
    raise_issue(store, "ESC-1", 2, "10005", "CSP-5")
    raise_issue(store, "ESC-2", 1, "10002", "CSP-2")
    raise_issue(store, "ESC-4", 1, "10004", "CSP-4")


def test_facts_join_the_inbox_the_create_ledger_and_what_jira_says_now(store: Store) -> None:
    seed(store)
    jira = FakeJira(
        "cloud",
        {
            "10005": {
                "key": "OPS-9",
                "labels": ["csp", "csp-cat-incident-problem"],
                "status": DONE,
                "resolved": "2026-11-28T14:00:00.000+0000",
            },
            "10002": {"key": "CSP-2", "labels": ["csp"], "status": OPEN},
        },
    )
    facts = {f.escalation_id: f for f in read_facts(store, jira, CATALOG, at(10), at(25))}
    assert sorted(facts) == ["ESC-1", "ESC-2"]
    one = facts["ESC-1"]
    assert [e.status for e in one.ordered] == ["open", "resolved", "open"]
    assert one.first.fingerprint == "fp-1" and one.first.occurred_at == at(16)
    # The newest generation's issue, under the key it has now (moved to OPS).
    assert one.issue_keys == ("CSP-1", "OPS-9")
    assert one.jira is not None
    assert (one.jira.done, one.jira.category) == (True, "Incident / Problem Management")
    assert one.jira.resolved_at == datetime(2026, 11, 28, 14, tzinfo=UTC)
    two = facts["ESC-2"]
    assert two.customer == "acme" and two.jira is not None
    assert (two.jira.done, two.jira.category, two.jira.resolved_at) == (False, None, None)
    [(jql, reconcile)] = jira.searches
    assert jql == "id in (10005, 10002) ORDER BY key ASC" and reconcile == ("10005", "10002")


def test_facts_narrow_to_customers_and_data_center_searches_do_not_reconcile(store: Store) -> None:
    seed(store)
    jira = FakeJira("datacenter", {})
    facts = read_facts(store, jira, CATALOG, at(10), at(25), customers=["acme"])
    assert [(f.escalation_id, f.jira) for f in facts] == [("ESC-2", None)]
    assert jira.searches == [("id in (10002) ORDER BY key ASC", ())]


def line(ident: str, issue_id: str, started: datetime, seconds: int, **extra: Any) -> LedgerLine:
    values: dict[str, Any] = {
        "worklog_id": ident,
        "issue_id": issue_id,
        "issue_key": f"K-{issue_id}",
        "author": "csp",
        "started": started,
        "seconds": seconds,
        "customer": "globex",
        "month": Month(2026, 11),
        "category": "incident-problem",
        "excluded": None,
        **extra,
    }
    return LedgerLine(**values)


def test_csp_hours_on_incidents_are_the_ledgers_counted_time_on_escalation_issues(
    store: Store,
) -> None:
    seed(store)
    with store.transaction("test: ledger lines") as conn:
        repository.save_lines(
            conn,
            [
                line("1", "10001", at(16), 3600),
                line("2", "10005", at(20), 1800),  # a later generation of the same escalation
                line("3", "10001", at(17), 900, excluded="not-csp-staff"),
                line("4", "99999", at(17), 7200),  # not an escalation's issue
                line("5", "10001", at(26), 600),  # outside the period
                line("6", "10002", at(17), 600, customer="acme"),
            ],
        )
    assert incident_hours(store, ["globex"], at(10), at(25)) == 1.5
    assert incident_hours(store, ["globex", "acme"], at(10), at(25)) == 1.5 + 600 / 3600
    assert incident_hours(store, ["initech"], at(10), at(25)) == 0.0
