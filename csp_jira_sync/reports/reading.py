"""Reading the facts of the trend report (the shell around `trends.py`): every escalation the
daemon created, from the store (the NOC's events in the inbox, the issues in the create
ledger), and what Jira says of those issues now, one `id in (...)` search per 50 issues; and
the CSP hours on incidents from the allowance ledger (issue 8).

Jira is asked by issue id, not key: the id survives a move to another project (jiralert #159),
and on Cloud the same ids are passed as `reconcileIssues` so the index lag of a just-created or
just-edited issue does not hide it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from csp_jira_sync.allowance.reading import parse_jira_time
from csp_jira_sync.config.catalog import Catalog
from csp_jira_sync.errors import JiraPermanent
from csp_jira_sync.escalations.decide import KIND
from csp_jira_sync.jira.model import FoundIssue
from csp_jira_sync.jira.port import IssueSearch
from csp_jira_sync.reports.facts import EscalationFacts, EventFact, JiraFacts
from csp_jira_sync.store import Store
from csp_jira_sync.store.schema import allowance_lines, inbox, jira_issues

ISSUE_BATCH = 50  # ids per search: Cloud reconciles at most 50 issues a call
SUBJECT_BATCH = 500  # subjects per IN (...) in SQL, well under every driver's parameter limit
FIELDS = ("status", "resolutiondate", "labels")


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _event(row: Any) -> EventFact:
    payload = row.payload
    return EventFact(
        event_id=row.event_id,
        occurred_at=row.occurred_at,
        status=str(payload.get("status", "")),
        severity=str(payload.get("severity", "")),
        service=str(payload.get("service") or ""),
        datacenter=str(payload.get("datacenter") or ""),
        title=str(payload.get("title") or ""),
        fingerprint=payload.get("fingerprint") or None,
    )


def _stored(
    store: Store, since: datetime, until: datetime, customers: Sequence[str] | None
) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
    """The events and ledger rows of every escalation with an event in [since, until)."""
    subject_query = (
        sa.select(inbox.c.subject)
        .distinct()
        .where(inbox.c.kind == KIND, inbox.c.occurred_at >= since, inbox.c.occurred_at < until)
    )
    if customers is not None:
        subject_query = subject_query.where(inbox.c.customer.in_(list(customers)))
    events: dict[str, list[Any]] = defaultdict(list)
    issues: dict[str, list[Any]] = defaultdict(list)
    with store.transaction("reading escalations for a trend report") as conn:
        subjects = sorted(str(s) for s in conn.execute(subject_query).scalars())
        for batch in _chunks(subjects, SUBJECT_BATCH):
            for row in conn.execute(
                sa.select(jira_issues)
                .where(
                    jira_issues.c.subject_kind == KIND,
                    jira_issues.c.state == "created",
                    jira_issues.c.subject_id.in_(batch),
                )
                .order_by(jira_issues.c.generation)
            ):
                issues[row.subject_id].append(row)
            for row in conn.execute(
                sa.select(inbox).where(inbox.c.kind == KIND, inbox.c.subject.in_(batch))
            ):
                events[row.subject].append(row)
    return events, issues


def _jira_facts(found: FoundIssue, catalog: Catalog) -> JiraFacts:
    status = found.fields.get("status") or {}
    category = (status.get("statusCategory") or {}).get("key") if isinstance(status, dict) else None
    resolved = found.fields.get("resolutiondate")
    try:
        resolved_at = parse_jira_time(resolved) if resolved else None
    except JiraPermanent:
        resolved_at = None
    titles = {c.label: c.title for c in catalog.categories}
    labelled = [titles[label] for label in found.labels if label in titles]
    return JiraFacts(
        key=found.ref.key,
        status=found.status,
        done=category == "done",
        resolved_at=resolved_at,
        category=labelled[0] if labelled else None,
    )


def read_facts(
    store: Store,
    gateway: IssueSearch,
    catalog: Catalog,
    since: datetime,
    until: datetime,
    *,
    customers: Sequence[str] | None = None,
) -> list[EscalationFacts]:
    """Every escalation the daemon raised in Jira that had an event in [since, until), with all
    its events, as the store and Jira know it now. `customers` narrows to those aliases."""
    events, issues = _stored(store, since, until, customers)
    created = [s for s in sorted(events) if issues.get(s)]
    newest = {s: issues[s][-1] for s in created}
    # Ids come from Jira's create answers, always digits; anything else never reaches JQL.
    ids = [str(row.issue_id) for row in newest.values() if str(row.issue_id).isdigit()]
    found: dict[str, JiraFacts] = {}
    for batch in _chunks(ids, ISSUE_BATCH):
        jql = f"id in ({', '.join(batch)}) ORDER BY key ASC"
        reconcile = batch if gateway.deployment == "cloud" else ()
        for issue in gateway.search(jql, fields=FIELDS, reconcile=reconcile, page_size=len(batch)):
            found[issue.ref.id] = _jira_facts(issue, catalog)
    out = []
    for subject in created:
        rows = issues[subject]
        jira = found.get(str(rows[-1].issue_id))
        keys = [str(r.issue_key) for r in rows]
        if jira is not None:
            keys[-1] = jira.key  # moved issues show under their new key
        out.append(
            EscalationFacts(
                escalation_id=subject,
                customer=str(events[subject][0].customer),
                events=tuple(_event(row) for row in events[subject]),
                issue_keys=tuple(keys),
                jira=jira,
            )
        )
    return out


def incident_hours(store: Store, customers: Sequence[str], start: datetime, end: datetime) -> float:
    """CSP hours on incidents: the time the allowance ledger counts (not excluded: CSP staff,
    one customer, a CSP activity label) on worklogs started in [start, end) on the issues the
    daemon raised for escalations, for `customers`. As fresh as the ledger's last pass."""
    query = (
        sa.select(sa.func.coalesce(sa.func.sum(allowance_lines.c.seconds), 0))
        .select_from(
            allowance_lines.join(
                jira_issues,
                sa.and_(
                    jira_issues.c.issue_id == allowance_lines.c.issue_id,
                    jira_issues.c.subject_kind == KIND,
                    jira_issues.c.state == "created",
                ),
            )
        )
        .where(
            allowance_lines.c.excluded.is_(None),
            allowance_lines.c.customer.in_(list(customers)),
            allowance_lines.c.started >= start,
            allowance_lines.c.started < end,
        )
    )
    with store.transaction("reading CSP hours on incidents for a trend report") as conn:
        seconds = conn.execute(query).scalar_one()
    return int(seconds) / 3600
