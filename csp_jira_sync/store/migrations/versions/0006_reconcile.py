"""The nightly reconciliation's memory (issue 12): issues a person deleted in Jira and the issue
raised in their place, and the subjects whose old events retention has thinned.

Revision ID: 0006_reconcile
Revises: 0005_labelled_examples
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_reconcile"
down_revision: str | None = "0005_labelled_examples"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "replaced_issues",
        sa.Column("subject_kind", sa.String(20), nullable=False),
        sa.Column("subject_id", sa.String(200), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("old_issue_id", sa.String(32), nullable=False),
        sa.Column("old_issue_key", sa.String(64), nullable=False),
        sa.Column("new_issue_key", sa.String(64), nullable=True),
        sa.Column("found_at", _TIME, nullable=False),
        sa.Column("replaced_at", _TIME, nullable=True),
        sa.PrimaryKeyConstraint("old_issue_id", name="pk_replaced_issues"),
    )
    op.create_index(
        "ix_replaced_issues_subject_kind_subject_id",
        "replaced_issues",
        ["subject_kind", "subject_id"],
    )
    op.create_table(
        "purged_subjects",
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("purged_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("kind", "subject", name="pk_purged_subjects"),
    )


def downgrade() -> None:
    op.drop_table("purged_subjects")
    op.drop_index("ix_replaced_issues_subject_kind_subject_id", table_name="replaced_issues")
    op.drop_table("replaced_issues")
