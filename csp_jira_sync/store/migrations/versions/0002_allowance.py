"""The allowance ledger: worklogs and issues as last read, ledger lines, enforcement actions.

Revision ID: 0002_allowance
Revises: 0001_initial
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_allowance"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "allowance_issues",
        sa.Column("issue_id", sa.String(32), nullable=False),
        sa.Column("issue_key", sa.String(64), nullable=False),
        sa.Column("labels", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("issue_id", name="pk_allowance_issues"),
    )
    op.create_table(
        "allowance_worklogs",
        sa.Column("worklog_id", sa.String(32), nullable=False),
        sa.Column("issue_id", sa.String(32), nullable=False),
        sa.Column("author_id", sa.String(200), nullable=False),
        sa.Column("author_name", sa.String(200), nullable=False),
        sa.Column("started", _TIME, nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("updated", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("worklog_id", name="pk_allowance_worklogs"),
    )
    op.create_index("ix_allowance_worklogs_issue_id", "allowance_worklogs", ["issue_id"])
    op.create_index("ix_allowance_worklogs_started", "allowance_worklogs", ["started"])
    op.create_table(
        "allowance_lines",
        sa.Column("worklog_id", sa.String(32), nullable=False),
        sa.Column("issue_id", sa.String(32), nullable=False),
        sa.Column("issue_key", sa.String(64), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("started", _TIME, nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("customer", sa.String(60), nullable=True),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("category", sa.String(100), nullable=True),
        sa.Column("excluded", sa.String(30), nullable=True),
        sa.Column("may_borrow", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("worklog_id", name="pk_allowance_lines"),
    )
    op.create_index("ix_allowance_lines_customer_month", "allowance_lines", ["customer", "month"])
    op.create_index("ix_allowance_lines_month", "allowance_lines", ["month"])
    op.create_table(
        "allowance_tracking",
        sa.Column("customer", sa.String(60), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("ref_label", sa.String(255), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("issue_id", sa.String(32), nullable=True),
        sa.Column("issue_key", sa.String(64), nullable=True),
        sa.Column("description_digest", sa.String(64), nullable=True),
        sa.Column("create_started_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("customer", "month", name="pk_allowance_tracking"),
        sa.UniqueConstraint("ref_label", name="uq_allowance_tracking_ref_label"),
        sa.CheckConstraint("state IN ('creating', 'created')", name="ck_allowance_tracking_state"),
    )
    op.create_table(
        "allowance_actions",
        sa.Column("customer", sa.String(60), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("claimed_until", _TIME, nullable=True),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("customer", "month", "action", name="pk_allowance_actions"),
        sa.CheckConstraint(
            "state IN ('raising', 'active', 'withdrawing', 'withdrawn')",
            name="ck_allowance_actions_state",
        ),
    )
    op.create_table(
        "allowance_held",
        sa.Column("issue_id", sa.String(32), nullable=False),
        sa.Column("issue_key", sa.String(64), nullable=False),
        sa.Column("customer", sa.String(60), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("held_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("issue_id", name="pk_allowance_held"),
    )


def downgrade() -> None:
    for table in (
        "allowance_held",
        "allowance_actions",
        "allowance_tracking",
        "allowance_lines",
        "allowance_worklogs",
        "allowance_issues",
    ):
        op.drop_table(table)
