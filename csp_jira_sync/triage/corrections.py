"""The CSPs' corrections as labelled examples (issue 11): when a person sets or changes the
activity label on an issue the daemon labelled, the request's text and their activity are kept,
with who and when, and `classify train` learns from them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from csp_jira_sync.classify.dataset import OUT_OF_SCOPE, LabelledRequest
from csp_jira_sync.config.catalog import Catalog
from csp_jira_sync.store import Store
from csp_jira_sync.store.schema import labelled_examples
from csp_jira_sync.store.upsert import upsert


def record_correction(
    conn: Connection,
    *,
    issue_key: str,
    subject: str,
    body: str,
    activity_slug: str,
    previous: str,
    decided_by: str,
    decided_at: datetime,
) -> None:
    """Keep one labelled example per issue; a later correction of the same issue replaces it."""
    values = {
        "subject": subject,
        "body": body,
        "activity_slug": activity_slug,
        "previous": previous,
        "decided_by": decided_by[:200],
        "decided_at": decided_at,
    }
    upsert(conn, labelled_examples, {"source_issue": issue_key}, values)


def corrections_for_training(store: Store, catalog: Catalog) -> tuple[LabelledRequest, ...]:
    """Every correction whose activity is still in the catalog, oldest first."""
    known = {a.slug for a in catalog.activities()} | {OUT_OF_SCOPE}
    with store.transaction("reading the CSPs' corrections for training") as conn:
        rows = conn.execute(
            sa.select(labelled_examples).order_by(
                labelled_examples.c.decided_at, labelled_examples.c.source_issue
            )
        ).all()
    return tuple(
        LabelledRequest(
            id=f"jira:{row.source_issue}",
            subject=row.subject,
            body=row.body,
            expected_activity=row.activity_slug,
            note=f"corrected by {row.decided_by} at {row.decided_at.isoformat()} "
            f"(the daemon had said {row.previous})",
        )
        for row in rows
        if row.activity_slug in known
    )
