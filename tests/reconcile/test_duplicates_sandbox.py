"""The duplicates step against the sandbox (Cloud v2 and v3, Data Center), every call held to
Atlassian's contract: two issues raised for one escalation become one kept issue and one
duplicate linked, closed and pointing to it, with a person's comment copied over once; a second
run changes nothing; a dry run changes nothing; a duplicate a person already linked and closed
is not linked or closed again; the ledger's `creating` row is pointed at the kept issue (on
SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from csp_jira_sync.config.references import ref_label
from csp_jira_sync.delivery import journal
from csp_jira_sync.errors import JiraTransient
from csp_jira_sync.jira.gateway import JiraGateway
from csp_jira_sync.jira.model import IssueDraft, IssueLink, IssueRef
from csp_jira_sync.reconcile.duplicates import DuplicateIssues
from csp_jira_sync.reconcile.findings import Scope
from csp_jira_sync.store import Store
from tests.support.jira_target import EVERY_JIRA, JiraTarget, sandbox_gateway

NOW = datetime(2026, 12, 2, 2, 30, tzinfo=UTC)
SCOPE = Scope(since=NOW - timedelta(days=1), until=NOW + timedelta(minutes=1), dry_run=False)
DRY = Scope(since=SCOPE.since, until=SCOPE.until, dry_run=True)


def person_gateway(running: Any, api_version: str, name: str = "csp.alice") -> JiraGateway:
    """A gateway that acts as a person (their own token), for edits people make in Jira."""
    return sandbox_gateway(running, api_version, user=name)


def record(
    store: Store, kind: str, subject: str, issue: IssueRef | None, generation: int = 1
) -> str:
    """The create ledger's row for `subject`: created with `issue`, or `creating` when None."""
    label = ref_label(kind, subject, generation)
    with store.transaction("test: a ledger row") as conn:
        journal.claim_create(conn, kind, subject, generation, label, NOW, previous_start=None)
        if issue is not None:
            journal.record_created(conn, kind, subject, generation, issue, NOW)
    return label


def raise_issue(gateway: JiraGateway, summary: str, *labels: str) -> IssueRef:
    return gateway.create_issue(
        IssueDraft("CSP", "Incident", summary, "raised for the test", ("csp", *labels))
    )


def state_of(running: Any, label: str) -> list[dict[str, Any]]:
    issues: list[dict[str, Any]] = running.admin.issues(labels=[label])
    return issues


@EVERY_JIRA
def test_a_second_issue_for_one_escalation_is_linked_closed_and_its_comments_copied_once(
    jira_target: JiraTarget, sqlite_store: Store
) -> None:
    running, gateway = jira_target.running, jira_target.gateway
    alice = person_gateway(running, jira_target.api_version)
    label = ref_label("escalation", "NOC-1")
    kept = raise_issue(gateway, "[NOC-1] Acme: disk full", label)
    second = raise_issue(gateway, "[NOC-1] Acme: disk full", label)
    record(sqlite_store, "escalation", "NOC-1", kept)
    alice.add_comment(second, "Called the customer, they are freeing space on /var.")
    gateway.add_comment(kept, "NOC update: acknowledged [csp-event escalation:e-2]")
    gateway.add_comment(second, "NOC update: acknowledged [csp-event escalation:e-2]")
    running.admin.flush_index()
    step = DuplicateIssues(gateway=gateway, store=sqlite_store, clock=lambda: NOW)

    before = state_of(running, label)
    dry = step.run(DRY)
    assert [f.outcome for f in dry] == ["would-repair"]
    assert state_of(running, label) == before

    findings = step.run(SCOPE)
    assert [(f.subject, f.outcome, f.needs_person) for f in findings] == [
        ("escalation NOC-1", "repaired", False)
    ]
    assert f"keep {kept.key}" in findings[0].action

    closed = gateway.get_issue(second.id, fields=("status", "issuelinks"))
    assert closed.fields["status"]["statusCategory"]["key"] == "done"
    links = closed.fields["issuelinks"]
    assert [(link["type"]["name"], link["outwardIssue"]["key"]) for link in links] == [
        ("Duplicate", kept.key)
    ]
    pointer = [c.body for c in gateway.issue_comments(second) if "duplicate of" in c.body]
    assert len(pointer) == 1 and kept.key in pointer[0]

    kept_comments = [c.body for c in gateway.issue_comments(kept)]
    moved = [body for body in kept_comments if "Comments moved from" in body]
    assert len(moved) == 1
    assert "Alice Csp wrote on " + second.key in moved[0]
    assert "freeing space on /var" in moved[0]
    assert "csp-event escalation:e-2" not in moved[0]  # the kept issue has that update already

    after_first = state_of(running, label)
    again = step.run(SCOPE)
    assert [f.outcome for f in again] == ["clean"]
    assert state_of(running, label) == after_first


def test_a_duplicate_a_person_already_linked_and_closed_is_not_linked_or_closed_again(
    sandbox: Any, sqlite_store: Store
) -> None:
    gateway = person_gateway(sandbox, "2", "csp-sync")
    alice = person_gateway(sandbox, "2")
    label = ref_label("request", "REQ-9")
    kept = raise_issue(gateway, "[REQ-9] Globex: add a contact", label)
    second = raise_issue(gateway, "[REQ-9] Globex: add a contact", label)
    record(sqlite_store, "request", "REQ-9", kept)
    alice.link(second, IssueLink("Duplicate", kept.key))
    assert alice.close_issue(second, comment="Same as the other one.") == "Done"
    sandbox.admin.flush_index()

    findings = DuplicateIssues(gateway=gateway, store=sqlite_store, clock=lambda: NOW).run(SCOPE)

    issue = gateway.get_issue(second.id, fields=("issuelinks",))
    assert len(issue.fields["issuelinks"]) == 1
    comments = [c.body for c in gateway.issue_comments(second)]
    assert comments == ["Same as the other one."]
    copied = [c.body for c in gateway.issue_comments(kept)]
    assert len(copied) == 1 and "Same as the other one." in copied[0]
    assert [f.outcome for f in findings] == ["repaired"]
    assert "link " not in findings[0].action and "close " not in findings[0].action


def test_a_clone_a_person_made_is_left_alone(sandbox: Any, sqlite_store: Store) -> None:
    gateway = person_gateway(sandbox, "2", "csp-sync")
    label = ref_label("request", "REQ-10")
    kept = raise_issue(gateway, "[REQ-10] Acme: firewall review", label)
    clone = raise_issue(gateway, "CLONE - [REQ-10] Acme: firewall review", label)
    person_gateway(sandbox, "2").link(clone, IssueLink("Cloners", kept.key))
    record(sqlite_store, "request", "REQ-10", kept)
    sandbox.admin.flush_index()

    findings = DuplicateIssues(gateway=gateway, store=sqlite_store, clock=lambda: NOW).run(SCOPE)

    assert [(f.outcome, f.needs_person) for f in findings] == [("reported", False)]
    assert f"leave {clone.key} alone" in findings[0].action
    assert gateway.get_issue(clone.id, fields=("status",)).status == "To Do"


def test_an_unknown_create_outcome_keeps_the_oldest_and_the_ledger_points_at_it(
    sandbox_dc: Any, store: Store
) -> None:
    """Data Center: no `reconcileIssues`; the ledger only knew a create had started."""
    gateway = person_gateway(sandbox_dc, "2", "csp-sync")
    label = record(store, "escalation", "NOC-77", None)
    oldest = raise_issue(gateway, "[NOC-77] Initech: link down", label)
    sandbox_dc.admin.advance_clock(60_000)
    newer = raise_issue(gateway, "[NOC-77] Initech: link down", label)
    sandbox_dc.admin.flush_index()

    findings = DuplicateIssues(gateway=gateway, store=store, clock=lambda: NOW).run(SCOPE)

    assert [f.outcome for f in findings] == ["repaired"]
    assert "the oldest" in findings[0].action
    with store.transaction("test: reading the ledger") as conn:
        assert journal.issue_for(conn, "escalation", "NOC-77", 1) == oldest
    assert gateway.get_issue(newer.id, fields=("status",)).status == "Done"
    assert (
        DuplicateIssues(gateway=gateway, store=store, clock=lambda: NOW).run(SCOPE)[0].outcome
        == "clean"
    )


def test_on_cloud_a_duplicate_the_index_has_not_caught_up_with_waits_for_the_next_run(
    sandbox: Any, sqlite_store: Store
) -> None:
    """The ledger's issue is seen through the lag (`reconcileIssues`); an unknown second
    issue is not, so nothing is decided until the index shows it."""
    gateway = person_gateway(sandbox, "2", "csp-sync")
    sandbox.admin.set_knobs(indexLagMs=600_000)
    label = ref_label("escalation", "NOC-31")
    kept = raise_issue(gateway, "[NOC-31] Acme", label)
    second = raise_issue(gateway, "[NOC-31] Acme", label)
    record(sqlite_store, "escalation", "NOC-31", kept)
    step = DuplicateIssues(gateway=gateway, store=sqlite_store, clock=lambda: NOW)

    assert [f.outcome for f in step.run(SCOPE)] == ["clean"]

    sandbox.admin.flush_index()
    assert [f.outcome for f in step.run(SCOPE)] == ["repaired"]
    assert gateway.get_issue(second.id, fields=("status",)).status == "Done"


def test_on_data_center_the_ledgers_issue_the_search_missed_is_read_by_id_and_kept(
    sandbox_dc: Any, sqlite_store: Store
) -> None:
    """No `reconcileIssues` on Data Center: the older duplicate is indexed, the ledger's newer
    issue is not yet; the ledger's is read by id, kept, and the older one closed into it."""
    gateway = person_gateway(sandbox_dc, "2", "csp-sync")
    label = ref_label("escalation", "NOC-32")
    older = raise_issue(gateway, "[NOC-32] Acme", label)
    sandbox_dc.admin.flush_index()
    sandbox_dc.admin.set_knobs(indexLagMs=600_000)
    sandbox_dc.admin.advance_clock(60_000)
    ledgers = raise_issue(gateway, "[NOC-32] Acme", label)
    record(sqlite_store, "escalation", "NOC-32", ledgers)

    findings = DuplicateIssues(gateway=gateway, store=sqlite_store, clock=lambda: NOW).run(SCOPE)

    assert [f.outcome for f in findings] == ["repaired"]
    assert f"keep {ledgers.key}" in findings[0].action
    assert "although not the oldest" in findings[0].action
    assert gateway.get_issue(older.id, fields=("status",)).status == "Done"
    assert gateway.get_issue(ledgers.id, fields=("status",)).status == "To Do"


def test_a_run_stopped_half_way_is_finished_by_the_next_without_copying_anything_twice(
    sandbox: Any, sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Jira fails the close after the facts were copied: the next run links and closes, and
    finds the copied facts by their markers."""
    gateway = person_gateway(sandbox, "2", "csp-sync")
    label = ref_label("escalation", "NOC-40")
    kept = raise_issue(gateway, "[NOC-40] Acme", label)
    second = raise_issue(gateway, "[NOC-40] Acme", label)
    record(sqlite_store, "escalation", "NOC-40", kept)
    person_gateway(sandbox, "2").add_comment(second, "Waiting for the customer's window.")
    sandbox.admin.flush_index()
    step = DuplicateIssues(gateway=gateway, store=sqlite_store, clock=lambda: NOW)

    def unavailable(issue: IssueRef, *, comment: str | None) -> str | None:
        raise JiraTransient("Jira answered 503", may_have_landed=False)

    with monkeypatch.context() as patched:
        patched.setattr(gateway, "close_issue", unavailable)
        stopped = step.run(SCOPE)
    assert [(f.outcome, f.needs_person) for f in stopped] == [("reported", True)]
    assert "503" in stopped[0].action

    assert [f.outcome for f in step.run(SCOPE)] == ["repaired"]
    assert gateway.get_issue(second.id, fields=("status",)).status == "Done"
    copied = [c.body for c in gateway.issue_comments(kept) if "Waiting for" in c.body]
    assert len(copied) == 1
    assert [f.outcome for f in step.run(SCOPE)] == ["clean"]
