"""Labelled examples: the activity a CSP set or changed in Jira on an issue the daemon labelled,
with the request's text, who and when, for training the classifier (issue 11).

Revision ID: 0005_labelled_examples
Revises: 0004_job_locks
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_labelled_examples"
down_revision: str | None = "0004_job_locks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "labelled_examples",
        sa.Column("source_issue", sa.String(64), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("activity_slug", sa.String(100), nullable=False),
        sa.Column("previous", sa.String(100), nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source_issue", name="pk_labelled_examples"),
    )


def downgrade() -> None:
    op.drop_table("labelled_examples")
