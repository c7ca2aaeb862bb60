"""The labels step against the sandbox, on SQLite and PostgreSQL (what the daemon labelled is
rebuilt from the store): missing CSP labels are added and a category the catalog no longer
gives the daemon's activity is removed, in one edit per issue; a person's activity and
customer choices are kept; a dry run changes nothing; a second run finds nothing to do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from csp_jira_sync.config.mappings import load_mappings
from csp_jira_sync.config.references import ref_label
from csp_jira_sync.jira.model import IssueRef
from csp_jira_sync.reconcile.labels import LabelRepairs
from csp_jira_sync.store import InboxItem, Store
from csp_jira_sync.triage.memory import remember_decision
from tests.reconcile.test_duplicates_sandbox import (
    DRY,
    NOW,
    SCOPE,
    person_gateway,
    raise_issue,
    record,
)

MAPPINGS = load_mappings(Path(__file__).resolve().parents[2] / "mappings")
EDIT = "PUT /rest/api/2/issue/{issueIdOrKey}"


def accepted(store: Store, kind: str, subject: str, customer: str, **payload: Any) -> None:
    item = InboxItem(
        kind=kind,  # type: ignore[arg-type]
        source="noc" if kind == "escalation" else "requests",
        event_id=f"{subject}-e1",
        subject=subject,
        customer=customer,
        occurred_at=NOW,
        payload={"customer": customer, **payload},
    )
    store.accept([item], now=NOW)


def remembered(store: Store, issue: IssueRef, slug: str, by: str) -> None:
    with store.transaction("test: a triage decision") as conn:
        remember_decision(conn, issue.key, slug, by, NOW)  # type: ignore[arg-type]


def labels_of(gateway: Any, issue: IssueRef) -> set[str]:
    return set(gateway.get_issue(issue.id, fields=("labels",)).labels)


def test_missing_and_wrong_csp_labels_are_repaired_and_a_persons_choice_kept(
    sandbox: Any, store: Store
) -> None:
    gateway = person_gateway(sandbox, "2", "csp-sync")
    # An escalation that lost its category label and never got its severity label.
    esc_ref = ref_label("escalation", "NOC-5")
    escalation = raise_issue(
        gateway, "[NOC-5] Acme", "csp-act-escalation-management", "csp-customer-acme", esc_ref
    )
    record(store, "escalation", "NOC-5", escalation)
    accepted(store, "escalation", "NOC-5", "acme", severity="sev2", status="open")
    # A request the daemon filed under firewall review, with the category the activity had
    # before a catalog change (today it is Configuration Management), and no customer label.
    moved_ref = ref_label("request", "REQ-1")
    moved = raise_issue(gateway, "[REQ-1]", "csp-act-firewall-review", "csp-cat-crm", moved_ref)
    record(store, "request", "REQ-1", moved)
    accepted(store, "request", "REQ-1", "globex")
    remembered(store, moved, "firewall-review", "daemon")
    # A request whose activity a person changed: their label and category choice stay.
    chosen_ref = ref_label("request", "REQ-2")
    chosen = raise_issue(
        gateway,
        "[REQ-2]",
        "csp-act-service-reviews",
        "csp-cat-crm",
        "csp-customer-initech",
        chosen_ref,
    )
    record(store, "request", "REQ-2", chosen)
    accepted(store, "request", "REQ-2", "globex")  # a person moved it to another customer
    remembered(store, chosen, "service-reviews", "human")
    # A request that is fine as it is.
    fine_ref = ref_label("request", "REQ-3")
    fine = raise_issue(
        gateway,
        "[REQ-3]",
        "csp-act-portal-training",
        "csp-cat-crm",
        "csp-customer-acme",
        fine_ref,
    )
    record(store, "request", "REQ-3", fine)
    accepted(store, "request", "REQ-3", "acme")
    remembered(store, fine, "portal-training", "daemon")
    sandbox.admin.flush_index()
    step = LabelRepairs(gateway=gateway, store=store, mappings=MAPPINGS)

    before = sandbox.admin.issues()
    dry = step.run(DRY)
    assert sorted((f.subject, f.outcome) for f in dry) == sorted(
        [
            (escalation.key, "would-repair"),
            (moved.key, "would-repair"),
            (chosen.key, "would-repair"),
        ]
    )
    assert sandbox.admin.issues() == before

    sandbox.admin.reset_stats()
    findings = step.run(SCOPE)
    assert {f.subject: f.outcome for f in findings} == {
        escalation.key: "repaired",
        moved.key: "repaired",
        chosen.key: "repaired",
    }
    assert sandbox.admin.calls(EDIT) == 3  # one edit per issue

    assert labels_of(gateway, escalation) == {
        "csp",
        "csp-act-escalation-management",
        "csp-cat-incident-problem",
        "csp-customer-acme",
        "csp-sev2",
        esc_ref,
    }
    assert labels_of(gateway, moved) == {
        "csp",
        "csp-act-firewall-review",
        "csp-cat-configuration",
        "csp-customer-globex",
        moved_ref,
    }
    assert labels_of(gateway, chosen) == {
        "csp",
        "csp-act-service-reviews",
        "csp-cat-crm",
        "csp-cat-service-level",
        "csp-customer-initech",
        chosen_ref,
    }

    after = sandbox.admin.issues()
    again = step.run(SCOPE)
    assert [f.outcome for f in again] == ["clean"]
    assert sandbox.admin.issues() == after
