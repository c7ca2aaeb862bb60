"""The ids of the saved Jira filters kept per customer (issue 9).

Revision ID: 0003_saved_filters
Revises: 0002_allowance
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_saved_filters"
down_revision: str | None = "0002_allowance"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "saved_filters",
        sa.Column("scope", sa.String(60), nullable=False),
        sa.Column("purpose", sa.String(40), nullable=False),
        sa.Column("filter_id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("jql", sa.Text(), nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("scope", "purpose", name="pk_saved_filters"),
    )


def downgrade() -> None:
    op.drop_table("saved_filters")
