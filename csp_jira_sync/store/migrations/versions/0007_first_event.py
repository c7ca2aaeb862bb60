"""The create ledger remembers which event raised each issue (issue 12): a late event replayed
in the NOC's order may move the events after a generation boundary to a new issue, but never
the one whose marker is in the issue's description. Rows from before this are left empty.

Revision ID: 0007_first_event
Revises: 0006_reconcile
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_first_event"
down_revision: str | None = "0006_reconcile"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jira_issues") as batch:
        batch.add_column(sa.Column("first_event_id", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jira_issues") as batch:
        batch.drop_column("first_event_id")
