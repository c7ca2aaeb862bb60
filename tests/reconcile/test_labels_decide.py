"""The pure decision about a synced issue's CSP labels, as a table: what the issue carries, what
the daemon set, who decided the activity -> what is added and removed."""

from __future__ import annotations

from pathlib import Path

import pytest

from csp_jira_sync.config.mappings import load_mappings
from csp_jira_sync.reconcile.labels_decide import Expected, decide_labels
from csp_jira_sync.triage.decide import Memory

CATALOG = load_mappings(Path(__file__).resolve().parents[2] / "mappings").catalog
CUSTOMERS = {"csp-customer-acme", "csp-customer-globex"}
SEVERITIES = {"csp-sev1", "csp-sev2", "csp-sev3", "csp-sev4"}
ESCALATION = Expected("escalation-management", "csp-customer-acme", "csp-sev2")
FULL_ESCALATION = {
    "csp",
    "csp-act-escalation-management",
    "csp-cat-incident-problem",
    "csp-customer-acme",
    "csp-sev2",
    "csp-ref-1",
}
FIREWALL = Expected("firewall-review", "csp-customer-globex", None)
DAEMON = Memory("firewall-review", "daemon")

CASES = [
    # (id, labels, expected, memory, added, removed)
    ("complete", FULL_ESCALATION, ESCALATION, None, set(), set()),
    (
        "all-csp-labels-gone",
        {"csp-ref-1"},
        ESCALATION,
        None,
        FULL_ESCALATION - {"csp-ref-1"},
        set(),
    ),
    (
        "catalog-moved-the-activity",
        {"csp", "csp-act-firewall-review", "csp-cat-crm", "csp-customer-globex", "csp-ref-1"},
        FIREWALL,
        DAEMON,
        {"csp-cat-configuration"},
        {"csp-cat-crm"},
    ),
    (
        "a-persons-activity-in-the-memory",
        {"csp", "csp-act-sla-reporting", "csp-cat-crm", "csp-customer-globex", "csp-ref-1"},
        FIREWALL,
        Memory("sla-reporting", "human"),
        {"csp-cat-service-level"},
        set(),
    ),
    (
        "a-person-chose-no-activity",
        {"csp", "csp-cat-crm", "csp-customer-globex", "csp-ref-1"},
        FIREWALL,
        Memory("none", "human"),
        set(),
        set(),
    ),
    (
        "a-persons-activity-not-yet-remembered",
        {"csp", "csp-act-portal-training", "csp-cat-configuration", "csp-ref-1"},
        FIREWALL,
        DAEMON,
        {"csp-cat-crm", "csp-customer-globex"},
        set(),
    ),
    (
        "another-customer-chosen-by-a-person",
        FULL_ESCALATION - {"csp-customer-acme"} | {"csp-customer-globex"},
        ESCALATION,
        None,
        set(),
        set(),
    ),
    (
        "another-severity-chosen-by-a-person",
        FULL_ESCALATION - {"csp-sev2"} | {"csp-sev1"},
        ESCALATION,
        None,
        set(),
        set(),
    ),
    (
        "the-store-forgot-the-customer-and-severity",
        {"csp", "csp-act-escalation-management", "csp-cat-incident-problem", "csp-ref-1"},
        Expected("escalation-management", None, None),
        None,
        set(),
        set(),
    ),
    (
        "out-of-scope-request",
        {"csp", "csp-out-of-scope", "csp-customer-globex", "csp-ref-1"},
        Expected(None, "csp-customer-globex", None),
        Memory("out-of-scope", "daemon"),
        set(),
        set(),
    ),
]


@pytest.mark.parametrize(
    ("labels", "expected", "memory", "added", "removed"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_labels_are_repaired_without_undoing_a_persons_choice(
    labels: set[str],
    expected: Expected,
    memory: Memory | None,
    added: set[str],
    removed: set[str],
) -> None:
    repair = decide_labels(
        labels,
        expected,
        memory,
        CATALOG,
        customer_labels=CUSTOMERS,
        severity_labels=SEVERITIES,
    )
    assert (set(repair.add), set(repair.remove)) == (added, removed)
    assert repair.needed == bool(added or removed)
    assert len(repair.reasons) == len(repair.add) + len(repair.remove)
