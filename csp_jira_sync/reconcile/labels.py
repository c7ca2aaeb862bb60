"""The labels step: synced issues missing their CSP labels, or carrying wrong ones the daemon
set, are repaired in one edit each (`update.labels` add and remove operations, so labels
people add in between are kept); what to repair is decided in `labels_decide.py`.

Which issues: the ledger's created issues whose create started or finished in the scope (run
with an earlier `--since` after a catalog change to look at older ones). One label search per
50 of them reads their labels; an issue the decision finds wanting is read again by id before
the edit (search results can be stale) and decided again on what it carries now.

What the daemon set is rebuilt from the store: a request's activity from the triage memory
(the daemon's decision, or a person's), its customer from its inbox row; an escalation's
activity from the mappings, its customer from its inbox rows or its state, its severity from
the earliest event applied to this issue.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from csp_jira_sync.config.mappings import Mappings
from csp_jira_sync.errors import JiraError, JiraPermanent
from csp_jira_sync.escalations.decide import severity_label
from csp_jira_sync.jira.model import IssueRef
from csp_jira_sync.jira.port import ReconcileGateway
from csp_jira_sync.reconcile.findings import Finding, Scope, clean, stopped_by_jira
from csp_jira_sync.reconcile.labels_decide import Expected, LabelRepair, decide_labels
from csp_jira_sync.reconcile.recorded import Recorded, batches
from csp_jira_sync.reconcile.synced import (
    SOURCE_KINDS,
    find_by_reference,
    recorded_in_scope,
)
from csp_jira_sync.store import Store
from csp_jira_sync.store.schema import applied_events, escalations, inbox
from csp_jira_sync.triage.decide import Memory
from csp_jira_sync.triage.memory import recall

log = logging.getLogger(__name__)

NAME = "labels"


class LabelRepairs:
    """`LabelRepairs(gateway=gateway, store=store, mappings=mappings)`."""

    def __init__(
        self,
        *,
        gateway: ReconcileGateway,
        store: Store,
        mappings: Mappings,
        kinds: Sequence[str] = SOURCE_KINDS,
    ) -> None:
        self.gateway = gateway
        self.store = store
        self.mappings = mappings
        self.kinds = tuple(kinds)
        self.customer_labels = frozenset(c.label for c in mappings.customers.values())
        self.severity_labels = frozenset(
            severity_label(s) for s in mappings.escalation.severity_priority
        )

    @property
    def name(self) -> str:
        return NAME

    def run(self, scope: Scope) -> list[Finding]:
        recorded = [
            entry
            for entry in recorded_in_scope(self.store, scope.since, scope.until, self.kinds)
            if entry.state == "created" and entry.issue is not None
        ]
        findings: list[Finding] = []
        for batch in batches(recorded):
            found = find_by_reference(self.gateway, batch, fields=("labels",))
            for entry in batch:
                assert entry.issue is not None
                issue_id = entry.issue.id
                current = next(
                    (i for i in found.get(entry.ref_label, []) if i.ref.id == issue_id), None
                )
                if current is None:
                    continue  # not found: the deleted-issues and visibility steps look at it
                try:
                    finding = self._check(entry, entry.issue, current.labels, scope)
                except JiraError as exc:
                    finding = stopped_by_jira(
                        NAME,
                        entry.issue.key,
                        f"its labels could not be repaired ({entry.source})",
                        exc,
                    )
                if finding is not None:
                    findings.append(finding)
        return findings or [
            clean(NAME, f"{len(recorded)} synced issue(s) in scope carry their CSP labels")
        ]

    def _decide(self, entry: Recorded, issue: IssueRef, labels: Sequence[str]) -> LabelRepair:
        with self.store.transaction("reading what the daemon labelled") as conn:
            expected = self._expected(conn, entry, issue)
            memory = recall(conn, issue.key)
        return decide_labels(
            labels,
            expected,
            memory,
            self.mappings.catalog,
            customer_labels=self.customer_labels,
            severity_labels=self.severity_labels,
        )

    def _check(
        self, entry: Recorded, issue: IssueRef, labels: Sequence[str], scope: Scope
    ) -> Finding | None:
        repair = self._decide(entry, issue, labels)
        if not repair.needed:
            return None
        try:  # search results can be stale: decide again on what the issue carries now
            fresh = self.gateway.get_issue(issue, fields=("labels",))
        except JiraPermanent as exc:
            if exc.status in (403, 404):
                return None  # gone or hidden: the visibility step reports it
            raise
        if entry.ref_label not in fresh.labels:
            return None
        repair = self._decide(entry, issue, fresh.labels)
        if not repair.needed:
            return None
        changes = ", ".join([*(f"+{x}" for x in repair.add), *(f"-{x}" for x in repair.remove)])
        found = f"{entry.source}: " + "; ".join(repair.reasons)
        if scope.dry_run:
            return Finding(NAME, issue.key, found, "would-repair", f"would edit labels: {changes}")
        self.gateway.edit_labels(issue, add=repair.add, remove=repair.remove)
        log.info("reconcile.labels issue=%s changes=%s", issue.key, changes)
        return Finding(NAME, issue.key, found, "repaired", f"edited labels: {changes}")

    # -- what the daemon set, from the store -------------------------------------------------

    def _expected(self, conn: Connection, entry: Recorded, issue: IssueRef) -> Expected:
        if entry.kind == "escalation":
            return Expected(
                activity=self.mappings.escalation_activity.slug,
                customer_label=self._customer_label(self._escalation_customer(conn, entry)),
                severity_label=self._escalation_severity(conn, entry, issue),
            )
        memory = recall(conn, issue.key)
        customer = conn.execute(
            sa.select(inbox.c.customer)
            .where(inbox.c.kind == entry.kind, inbox.c.subject == entry.subject)
            .limit(1)
        ).scalar()
        return Expected(
            activity=_daemons_activity(memory),
            customer_label=self._customer_label(customer),
            severity_label=None,
        )

    def _customer_label(self, alias: object) -> str | None:
        customer = self.mappings.customers.get(str(alias)) if alias else None
        return customer.label if customer is not None else None

    @staticmethod
    def _escalation_customer(conn: Connection, entry: Recorded) -> str | None:
        found = conn.execute(
            sa.select(escalations.c.customer).where(escalations.c.escalation_id == entry.subject)
        ).scalar()
        if found is None:  # not applied yet: the customer its events were accepted for
            found = conn.execute(
                sa.select(inbox.c.customer)
                .where(inbox.c.kind == entry.kind, inbox.c.subject == entry.subject)
                .limit(1)
            ).scalar()
        return None if found is None else str(found)

    @staticmethod
    def _escalation_severity(conn: Connection, entry: Recorded, issue: IssueRef) -> str | None:
        """The severity of the earliest event applied to this issue (the create's event; a
        later generation's issue starts with its own `open`); for the first generation, the
        escalation's earliest event when the applied-event records are purged."""
        applied_here = (
            sa.select(inbox.c.payload)
            .join(
                applied_events,
                sa.and_(
                    applied_events.c.kind == inbox.c.kind,
                    applied_events.c.event_id == inbox.c.event_id,
                ),
            )
            .where(
                inbox.c.kind == entry.kind,
                inbox.c.subject == entry.subject,
                applied_events.c.issue_key == issue.key,
            )
            .order_by(inbox.c.occurred_at, inbox.c.id)
            .limit(1)
        )
        payload = conn.execute(applied_here).scalar()
        if payload is None and entry.generation == 1:
            payload = conn.execute(
                sa.select(inbox.c.payload)
                .where(inbox.c.kind == entry.kind, inbox.c.subject == entry.subject)
                .order_by(inbox.c.occurred_at, inbox.c.id)
                .limit(1)
            ).scalar()
        severity = payload.get("severity") if isinstance(payload, dict) else None
        return severity_label(str(severity)) if severity else None


def _daemons_activity(memory: Memory | None) -> str | None:
    """The activity the daemon decided for a request (its triage memory); a person's decision
    is read by `decide_labels` from the memory itself."""
    if memory is None or memory.decided_by != "daemon":
        return None
    return memory.activity_slug
