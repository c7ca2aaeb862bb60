"""Escalations and requests whose Jira issue a person deleted.

Today the later events of such an escalation dead-letter with Jira's 404. This step finds every
issue the create ledger recorded (the current generation of each escalation and request) that
Jira no longer has: one label search per `BATCH` reference labels (`replace.labels_query`), and
each issue the search misses is confirmed with a read of the issue itself, since search is
eventually consistent and only a 404 proves the issue is gone. An issue that exists but that
search does not show is left to the visibility step.

Each deleted issue is raised again from its subject's own event, through `create_once` with the
same generation and reference label (so the duplicate and label steps, and the worker, see one
source item with one issue). In order, each a short transaction or an exactly-once Jira write:
the old issue is recorded in `replaced_issues` and its ledger row forgotten; the new issue is
created and recorded; an escalation's status is restored with one comment (`apply_once`); the
subject's dead letters are requeued, so the events that failed on the deleted issue land on the
new one. A crash in between leaves `replaced_issues.new_issue_key` empty, and the next run
finishes the job from there (`create_once` looks for an issue that may have landed).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa

from csp_jira_sync.classify import Classifier, classify
from csp_jira_sync.config.events import CustomerRequest, EscalationEvent
from csp_jira_sync.config.mappings import Mappings
from csp_jira_sync.config.references import event_marker, ref_label
from csp_jira_sync.customer_requests import plan as request_plan
from csp_jira_sync.delivery import journal
from csp_jira_sync.delivery.once import Defer, apply_once, create_once
from csp_jira_sync.errors import CspSyncError, JiraError, JiraPermanent
from csp_jira_sync.escalations import decide as escalation
from csp_jira_sync.jira.model import FoundIssue, IssueDraft, IssueRef
from csp_jira_sync.jira.port import Gateway, IssueSearch
from csp_jira_sync.reconcile.findings import Finding, Scope, stopped_by_jira
from csp_jira_sync.reconcile.recorded import BATCH, Recorded, batches
from csp_jira_sync.reconcile.replace import (
    labels_query,
    missed,
    replacement_draft,
    source_payload,
)
from csp_jira_sync.reconcile.synced import current_recorded
from csp_jira_sync.store import Store
from csp_jira_sync.store.schema import escalations, inbox, jira_issues, replaced_issues

log = logging.getLogger(__name__)

NAME = "deleted-issues"
KINDS = (escalation.KIND, request_plan.KIND)


class DeletedIssuesJira(Gateway, IssueSearch, Protocol):
    def get_issue(self, issue: IssueRef | str, fields: Sequence[str] = ...) -> FoundIssue: ...


def recorded_issues(store: Store) -> list[Recorded]:
    """The created issue of each escalation's current generation and of each request: the
    create ledger's rows that `synced.current_recorded` reads for every reconcile step."""
    return [
        row
        for row in current_recorded(store, KINDS)
        if row.issue is not None  # a "created" row always has its issue
    ]


def unfinished_replacements(store: Store) -> list[tuple[Recorded, datetime]]:
    """Deleted issues found by an earlier run whose replacement was never recorded."""
    query = (
        sa.select(replaced_issues, jira_issues.c.ref_label)
        .select_from(
            replaced_issues.outerjoin(
                jira_issues,
                sa.and_(
                    jira_issues.c.subject_kind == replaced_issues.c.subject_kind,
                    jira_issues.c.subject_id == replaced_issues.c.subject_id,
                    jira_issues.c.generation == replaced_issues.c.generation,
                ),
            )
        )
        .where(replaced_issues.c.new_issue_key.is_(None))
    )
    with store.transaction("reading unfinished replacements") as conn:
        return [
            (
                Recorded(
                    row.subject_kind,
                    row.subject_id,
                    row.generation,
                    row.ref_label or ref_label(row.subject_kind, row.subject_id, row.generation),
                    "created",
                    IssueRef(row.old_issue_id, row.old_issue_key),
                ),
                row.found_at,
            )
            for row in conn.execute(query)
        ]


class DeletedIssuesStep:
    def __init__(
        self,
        store: Store,
        gateway: DeletedIssuesJira,
        mappings: Mappings,
        rules: Classifier,
        *,
        project: str,
        settle: timedelta,
        clock: Callable[[], datetime],
        deliver: Callable[[Sequence[int]], None] | None = None,
    ) -> None:
        self.deliver = deliver
        self.store = store
        self.gateway = gateway
        self.mappings = mappings
        self.rules = rules
        self.project = project
        self.settle = settle
        self.clock = clock

    @property
    def name(self) -> str:
        return NAME

    def run(self, scope: Scope) -> list[Finding]:
        findings: list[Finding] = []
        pending = unfinished_replacements(self.store)
        in_hand = {(entry.kind, entry.subject) for entry, _ in pending}
        deleted = [
            (entry, self.clock())
            for entry in self.deleted_issues()
            if (entry.kind, entry.subject) not in in_hand
        ]
        for entry, found_at in [*pending, *deleted]:
            subject = f"{entry.kind} {entry.subject}"
            what = f"its Jira issue {entry.created_issue.key} was deleted in Jira"
            if scope.dry_run:
                findings.append(
                    Finding(
                        NAME,
                        subject,
                        what,
                        "would-repair",
                        "would raise a new issue for it, link it in the ledger (the old key "
                        "kept) and requeue its dead-lettered events",
                    )
                )
                continue
            try:
                findings.append(self._repair(entry, found_at, subject, what))
            except JiraError as exc:
                # This one waits for a person (or the next run: `replaced_issues` remembers it);
                # the other deleted issues are still repaired.
                findings.append(
                    stopped_by_jira(NAME, subject, what, exc, doing="raising a new issue failed")
                )
        return findings

    def deleted_issues(self) -> list[Recorded]:
        gone: list[Recorded] = []
        cloud = self.gateway.deployment == "cloud"
        for batch in batches(recorded_issues(self.store), BATCH):
            found = self.gateway.search(
                labels_query(batch),
                fields=("labels",),
                reconcile=[entry.created_issue.id for entry in batch] if cloud else (),
                page_size=len(batch) * 2,
            )
            labels = {label for issue in found for label in issue.labels}
            for entry in missed(batch, labels):
                try:
                    self.gateway.get_issue(entry.created_issue.key, fields=("labels",))
                except JiraPermanent as exc:
                    if exc.status == 404:
                        gone.append(entry)
                        continue
                    raise
        return gone

    def _repair(self, entry: Recorded, found_at: datetime, subject: str, what: str) -> Finding:
        draft = self._draft(entry)
        if draft is None:
            return Finding(
                NAME,
                subject,
                f"{what}, and its events' content is no longer kept (retention)",
                "reported",
                "raise it again by hand, or drop its dead letters",
                needs_person=True,
            )
        now = self.clock()
        with self.store.transaction("recording a deleted issue") as conn:
            exists = conn.execute(
                sa.select(sa.func.count())
                .select_from(replaced_issues)
                .where(replaced_issues.c.old_issue_id == entry.created_issue.id)
            ).scalar_one()
            if not exists:
                conn.execute(
                    sa.insert(replaced_issues).values(
                        subject_kind=entry.kind,
                        subject_id=entry.subject,
                        generation=entry.generation,
                        old_issue_id=entry.created_issue.id,
                        old_issue_key=entry.created_issue.key,
                        found_at=found_at,
                    )
                )
            journal.forget_deleted(conn, entry.kind, entry.subject, entry.generation)
        try:
            created = create_once(
                self.store,
                self.gateway,
                kind=entry.kind,
                subject=entry.subject,
                generation=entry.generation,
                ref=entry.ref_label,
                draft=replacement_draft(draft, entry.created_issue.key, found_at),
                now=self.clock,
                settle=self.settle,
            )
        except Defer as exc:
            return Finding(
                NAME,
                subject,
                what,
                "reported",
                f"a new issue is being raised but not confirmed yet ({exc.reason}); the next "
                "run finishes it",
                needs_person=False,
            )
        with self.store.transaction("recording a replacement issue") as conn:
            conn.execute(
                sa.update(replaced_issues)
                .where(replaced_issues.c.old_issue_id == entry.created_issue.id)
                .values(new_issue_key=created.issue.key, replaced_at=now)
            )
        restored = self._restore_status(entry, created.issue)
        requeued = self._requeue(entry)
        action = f"raised {created.issue.key} in its place (linked in the ledger, {entry.created_issue.key} kept)"
        if restored:
            action += f"; status restored to {restored}"
        if requeued:
            action += f"; requeued {requeued} dead-lettered event(s)"
            action += self._delivered(entry)
        log.warning(
            "reconcile.issue_replaced kind=%s subject=%s old=%s new=%s requeued=%d",
            entry.kind,
            entry.subject,
            entry.created_issue.key,
            created.issue.key,
            requeued,
        )
        return Finding(NAME, subject, what, "repaired", action)

    def _payloads(self, entry: Recorded) -> list[dict[str, Any]]:
        query = (
            sa.select(inbox.c.payload)
            .where(inbox.c.kind == entry.kind, inbox.c.subject == entry.subject)
            .order_by(inbox.c.occurred_at, inbox.c.id)
        )
        with self.store.transaction("reading a subject's events") as conn:
            return [dict(payload) for payload in conn.execute(query).scalars()]

    def _draft(self, entry: Recorded) -> IssueDraft | None:
        payload = source_payload(entry.kind, self._payloads(entry))
        if payload is None:
            return None
        try:
            if entry.kind == escalation.KIND:
                event = EscalationEvent.model_validate(payload)
                customer = self.mappings.customer(event.customer)
                if customer is None:
                    return None
                return escalation.draft_for(
                    event,
                    customer,
                    self.mappings,
                    project=self.project,
                    generation=entry.generation,
                )
            request = CustomerRequest.model_validate(payload)
            customer = self.mappings.customer(request.customer)
            if customer is None:
                return None
            classification = classify(
                request.subject, request.body, self.rules, self.mappings.catalog
            )
            return request_plan.plan_request(
                request,
                customer,
                classification,
                project=self.project,
                issue_type=self.mappings.issue_types.request,
            ).draft
        except (ValueError, CspSyncError) as exc:
            log.warning("reconcile.draft_failed subject=%s reason=%s", entry.subject, exc)
            return None

    def _restore_status(self, entry: Recorded, issue: IssueRef) -> str | None:
        if entry.kind != escalation.KIND:
            return None
        with self.store.transaction("reading an escalation's status") as conn:
            status = conn.execute(
                sa.select(escalations.c.status).where(escalations.c.escalation_id == entry.subject)
            ).scalar()
        statuses = self.mappings.escalation.statuses
        target = {"acknowledged": statuses.acknowledged, "resolved": statuses.resolved}.get(
            str(status)
        )
        if target is None:
            return None
        event_id = f"reconcile:{entry.created_issue.id}"
        apply_once(
            self.store,
            self.gateway,
            kind=entry.kind,
            event_id=event_id,
            marker=event_marker(entry.kind, event_id),
            issue=issue,
            comment=f"Status restored to {target} by the nightly reconciliation: the NOC's "
            f"last word on this escalation was '{status}'.\n\n{event_marker(entry.kind, event_id)}",
            status=target,
            now=self.clock,
        )
        return target

    def _delivered(self, entry: Recorded) -> str:
        """Deliver the requeued events now (the worker's normal path) and say how it went."""
        if self.deliver is None:
            return ", which the worker delivers next"
        query = sa.select(inbox.c.id, inbox.c.state).where(
            inbox.c.kind == entry.kind, inbox.c.subject == entry.subject
        )
        with self.store.transaction("reading a subject's events") as conn:
            pending = [ident for ident, state in conn.execute(query) if state == "pending"]
        self.deliver(pending)
        with self.store.transaction("reading a subject's events") as conn:
            left = sum(1 for _, state in conn.execute(query) if state != "done")
        return ", now delivered" if not left else f"; {left} event(s) not delivered yet"

    def _requeue(self, entry: Recorded) -> int:
        query = sa.select(inbox.c.id).where(
            inbox.c.kind == entry.kind, inbox.c.subject == entry.subject, inbox.c.state == "dead"
        )
        with self.store.transaction("finding a subject's dead letters") as conn:
            ids = list(conn.execute(query).scalars())
        return self.store.requeue_dead(ids) if ids else 0


__all__ = ["DeletedIssuesStep", "recorded_issues", "unfinished_replacements"]
