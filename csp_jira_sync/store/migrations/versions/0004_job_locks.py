"""Job locks: one lease row per periodic job, so that several daemons on one database run each
job on one daemon at a time (issue 10).

Revision ID: 0004_job_locks
Revises: 0003_saved_filters
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_job_locks"
down_revision: str | None = "0003_saved_filters"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "job_locks",
        sa.Column("job", sa.String(100), nullable=False),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("acquired_at", _TIME, nullable=False),
        sa.Column("renewed_at", _TIME, nullable=False),
        sa.Column("expires_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("job", name="pk_job_locks"),
    )


def downgrade() -> None:
    op.drop_table("job_locks")
