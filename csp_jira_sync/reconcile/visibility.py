"""The visibility step: source items whose Jira issue is deleted, or no longer visible to the
daemon's Jira user, are reported for a person. Read-only: it changes nothing in Jira or the
store, on a dry run or not.

Which issues: the created issue of every source item's newest generation (deletions change
nothing in the store, so no window of time finds them), whose source item still exists in the
store (an escalation's state or events, a request's inbox row). One label search per 50; each
issue the search missed is read by id, and `visibility_decide.classify_missing` says why.

Issues Jira answers 404 for are left to the deleted-issues step, which raises them again, unless
this step is built with `report_deleted=True` (for a run without that step).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import sqlalchemy as sa

from csp_jira_sync.errors import JiraPermanent
from csp_jira_sync.jira.port import ReconcileGateway
from csp_jira_sync.reconcile.findings import Finding, Scope, clean
from csp_jira_sync.reconcile.recorded import Recorded, batches
from csp_jira_sync.reconcile.synced import (
    SOURCE_KINDS,
    current_recorded,
    find_by_reference,
)
from csp_jira_sync.reconcile.visibility_decide import (
    Missing,
    ReadOutcome,
    classify_missing,
    missed_by_search,
)
from csp_jira_sync.store import Store
from csp_jira_sync.store.schema import escalations, inbox

log = logging.getLogger(__name__)

NAME = "visibility"

_SAY: dict[str, tuple[str, str]] = {
    "deleted": (
        "Jira answers 404 for it: deleted, or hidden from the daemon's Jira user",
        "raise it again (the deleted-issues step does) or restore it; check the user's "
        "Browse permission and the issue's security level",
    ),
    "forbidden": (
        "Jira answers 403: the daemon's Jira user may no longer see it",
        "give the daemon's user Browse permission on the issue's project and security level "
        "again; its later events dead-letter until then",
    ),
    "unlabelled": (
        "it no longer carries its reference label, so nothing that looks for the source "
        "item's issue by label finds it",
        "put the reference label back on it",
    ),
    "unindexed": (
        "it exists, but Jira's search does not show it (the index lags behind)",
        "none: looked at again on the next run",
    ),
}


class IssueVisibility:
    """`IssueVisibility(gateway=gateway, store=store)`."""

    def __init__(
        self,
        *,
        gateway: ReconcileGateway,
        store: Store,
        kinds: Sequence[str] = SOURCE_KINDS,
        report_deleted: bool = False,
    ) -> None:
        self.gateway = gateway
        self.store = store
        self.kinds = tuple(kinds)
        self.report_deleted = report_deleted

    @property
    def name(self) -> str:
        return NAME

    def run(self, scope: Scope) -> list[Finding]:
        known = self._with_source(current_recorded(self.store, self.kinds))
        missing: list[Missing[Recorded]] = []
        for batch in batches(known):
            found = find_by_reference(self.gateway, batch, fields=())
            found_ids = {issue.ref.id for issues in found.values() for issue in issues}
            reads = {
                entry.issue.id: self._read(entry)
                for entry in missed_by_search(batch, found_ids)
                if entry.issue is not None
            }
            missing.extend(classify_missing(batch, found_ids, reads))
        findings: list[Finding] = []
        left_to_repair = 0
        for item in missing:
            if item.why == "deleted" and not self.report_deleted:
                left_to_repair += 1
                continue
            entry = item.known
            assert entry.issue is not None
            what, action = _SAY[item.why]
            log.info(
                "reconcile.visibility issue=%s source=%s why=%s",
                entry.issue.key,
                entry.source,
                item.why,
            )
            findings.append(
                Finding(
                    NAME,
                    entry.issue.key,
                    f"{entry.source}: {what}",
                    "reported",
                    action,
                    needs_person=item.needs_person,
                )
            )
        if not findings:
            deleted = (
                f"; {left_to_repair} deleted, left to the deleted-issues step"
                if left_to_repair
                else ""
            )
            visible = f"{len(known)} issue(s) of source items the store still has are visible"
            findings.append(clean(NAME, visible + deleted))
        return findings

    def _read(self, entry: Recorded) -> ReadOutcome:
        assert entry.issue is not None
        try:
            issue = self.gateway.get_issue(entry.issue, fields=("labels",))
        except JiraPermanent as exc:
            if exc.status == 404:
                return "not-found"
            if exc.status == 403:
                return "forbidden"
            raise
        return "found" if entry.ref_label in issue.labels else "found-without-label"

    def _with_source(self, known: list[Recorded]) -> list[Recorded]:
        """Those whose source item the store still has (retention may have purged a
        request's inbox row; an escalation keeps its state row)."""
        with self.store.transaction("reading which source items still exist") as conn:
            live_escalations = set(conn.execute(sa.select(escalations.c.escalation_id)).scalars())
            in_inbox = {
                (str(kind), str(subject))
                for kind, subject in conn.execute(
                    sa.select(inbox.c.kind, inbox.c.subject)
                    .where(inbox.c.kind.in_(self.kinds))
                    .distinct()
                )
            }
        return [
            entry
            for entry in known
            if (entry.kind, entry.subject) in in_inbox
            or (entry.kind == "escalation" and entry.subject in live_escalations)
        ]
