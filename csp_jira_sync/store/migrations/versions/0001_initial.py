"""The inbox, the Jira create ledger and the worker's bookkeeping tables.

Revision ID: 0001_initial
Revises:
Create Date: 2026-05-20
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A migration is a frozen snapshot: it spells its types out instead of importing the
# application's (csp_jira_sync.store.types stores UtcDateTime as DateTime(timezone=True) and
# JsonText as Text).
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("customer", sa.String(60), nullable=False),
        sa.Column("occurred_at", _TIME, nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("received_at", _TIME, nullable=False),
        sa.Column("state", sa.String(10), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", _TIME, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claimed_until", _TIME, nullable=True),
        sa.Column("done_at", _TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_inbox"),
        sa.UniqueConstraint("kind", "event_id", name="uq_inbox_kind_event_id"),
        sa.CheckConstraint("kind IN ('escalation', 'request')", name="ck_inbox_kind"),
        sa.CheckConstraint(
            "source IN ('noc', 'alertmanager', 'pagerduty', 'requests', 'import')",
            name="ck_inbox_source",
        ),
        sa.CheckConstraint("state IN ('pending', 'done', 'dead')", name="ck_inbox_state"),
    )
    op.create_index("ix_inbox_state_next_attempt_at", "inbox", ["state", "next_attempt_at"])
    op.create_index("ix_inbox_kind_subject", "inbox", ["kind", "subject"])

    op.create_table(
        "jira_issues",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("subject_kind", sa.String(20), nullable=False),
        sa.Column("subject_id", sa.String(200), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("ref_label", sa.String(255), nullable=False),
        sa.Column("issue_id", sa.String(32), nullable=True),
        sa.Column("issue_key", sa.String(64), nullable=True),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("create_started_at", _TIME, nullable=False),
        sa.Column("created_at", _TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_jira_issues"),
        sa.UniqueConstraint("ref_label", name="uq_jira_issues_ref_label"),
        sa.UniqueConstraint(
            "subject_kind",
            "subject_id",
            "generation",
            name="uq_jira_issues_subject_kind_subject_id_generation",
        ),
        sa.CheckConstraint("state IN ('creating', 'created')", name="ck_jira_issues_state"),
    )
    op.create_index("ix_jira_issues_issue_key", "jira_issues", ["issue_key"])

    op.create_table(
        "escalations",
        sa.Column("escalation_id", sa.String(200), nullable=False),
        sa.Column("customer", sa.String(60), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("status_occurred_at", _TIME, nullable=False),
        sa.Column("resolved_at", _TIME, nullable=True),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("escalation_id", name="pk_escalations"),
    )

    op.create_table(
        "applied_events",
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("issue_key", sa.String(64), nullable=True),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("marker", sa.String(255), nullable=True),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("kind", "event_id", name="pk_applied_events"),
        sa.CheckConstraint("state IN ('applying', 'applied')", name="ck_applied_events_state"),
    )

    op.create_table(
        "cursors",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_cursors"),
    )

    op.create_table(
        "triage_labels",
        sa.Column("issue_key", sa.String(64), nullable=False),
        sa.Column("activity_slug", sa.String(100), nullable=False),
        sa.Column("decided_by", sa.String(10), nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("issue_key", name="pk_triage_labels"),
        sa.CheckConstraint("decided_by IN ('daemon', 'human')", name="ck_triage_labels_decided_by"),
    )


def downgrade() -> None:
    for table in ("triage_labels", "cursors", "applied_events", "escalations", "jira_issues"):
        op.drop_table(table)
    op.drop_index("ix_inbox_kind_subject", table_name="inbox")
    op.drop_index("ix_inbox_state_next_attempt_at", table_name="inbox")
    op.drop_table("inbox")
