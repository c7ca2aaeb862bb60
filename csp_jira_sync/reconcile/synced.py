"""The issues the daemon raised for source items, as its create ledger records them and as
Jira's search finds them by reference label: what the duplicate, label and visibility steps
look at.

A reference label (`csp-ref-...`, `config/references.py`) is the one thing every issue raised
for a source item carries whoever raised it, so the steps search by it, one query per
`BATCH` labels. Search is eventually consistent: on Cloud the ledger's issue ids go along as
`reconcileIssues` so a fresh issue is seen through the index lag; Data Center and jira820 have
no such parameter, so the steps read a missed ledger issue by id instead (a key or id query
would do, but one that no longer exists makes Jira refuse the whole query).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from csp_jira_sync.jira.model import FoundIssue, IssueRef
from csp_jira_sync.jira.port import ReconcileGateway
from csp_jira_sync.reconcile.recorded import BATCH, Recorded, batches
from csp_jira_sync.store import Store
from csp_jira_sync.store.schema import jira_issues

SOURCE_KINDS = ("escalation", "request")


def _recorded(row: sa.Row[tuple[object, ...]]) -> Recorded:
    m = row._mapping
    issue = IssueRef(str(m["issue_id"]), str(m["issue_key"])) if m["issue_id"] else None
    return Recorded(
        kind=str(m["subject_kind"]),
        subject=str(m["subject_id"]),
        generation=int(m["generation"]),
        ref_label=str(m["ref_label"]),
        state=str(m["state"]),
        issue=issue,
    )


def recorded_in_scope(
    store: Store, since: datetime, until: datetime, kinds: Sequence[str] = SOURCE_KINDS
) -> list[Recorded]:
    """Ledger rows whose create was started or finished within [since, until], and every row
    whose create outcome is still unknown (that is where a second issue may have appeared)."""
    t = jira_issues
    started = sa.and_(t.c.create_started_at >= since, t.c.create_started_at <= until)
    finished = sa.and_(t.c.created_at >= since, t.c.created_at <= until)
    query = (
        sa.select(t)
        .where(t.c.subject_kind.in_(kinds), sa.or_(started, finished, t.c.state == "creating"))
        .order_by(t.c.id)
    )
    with store.transaction("reading the create ledger for reconciliation") as conn:
        return [_recorded(row) for row in conn.execute(query)]


def current_recorded(store: Store, kinds: Sequence[str] = SOURCE_KINDS) -> list[Recorded]:
    """The created issue of each source item's newest generation (older generations' issues
    are history: a reopened escalation's first issue may well be closed or archived)."""
    t = jira_issues
    newest = (
        sa.select(t.c.subject_kind, t.c.subject_id, sa.func.max(t.c.generation).label("g"))
        .where(t.c.subject_kind.in_(kinds))
        .group_by(t.c.subject_kind, t.c.subject_id)
        .subquery()
    )
    query = (
        sa.select(t)
        .join(
            newest,
            sa.and_(
                newest.c.subject_kind == t.c.subject_kind,
                newest.c.subject_id == t.c.subject_id,
                newest.c.g == t.c.generation,
            ),
        )
        .where(t.c.state == "created")
        .order_by(t.c.id)
    )
    with store.transaction("reading the create ledger for reconciliation") as conn:
        return [_recorded(row) for row in conn.execute(query)]


def labels_query(batch: Sequence[Recorded]) -> str:
    """Reference labels are `csp-ref-` and hex digits (`ref_label`), so quoting is enough."""
    labels = ", ".join(f'"{entry.ref_label}"' for entry in dict.fromkeys(batch))
    return f"labels in ({labels}) ORDER BY created ASC"


def find_by_reference(
    gateway: ReconcileGateway, batch: Sequence[Recorded], fields: Sequence[str]
) -> dict[str, list[FoundIssue]]:
    """The issues carrying each of the batch's reference labels (oldest first), from one
    search (more pages only when a batch has more than twice its size in issues)."""
    wanted = {entry.ref_label for entry in batch}
    reconcile = (
        [entry.issue.id for entry in batch if entry.issue is not None]
        if gateway.deployment == "cloud"
        else []
    )
    found: dict[str, list[FoundIssue]] = {label: [] for label in wanted}
    for issue in gateway.search(
        labels_query(batch),
        fields=tuple(dict.fromkeys(("labels", "created", *fields))),
        reconcile=reconcile,
        page_size=max(len(batch) * 2, 10),
    ):
        for label in issue.labels:
            if label in wanted:
                found[label].append(issue)
    return found


__all__ = [
    "BATCH",
    "SOURCE_KINDS",
    "Recorded",
    "batches",
    "current_recorded",
    "find_by_reference",
    "labels_query",
    "recorded_in_scope",
]
