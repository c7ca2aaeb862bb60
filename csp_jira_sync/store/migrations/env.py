"""Alembic environment: `Store.migrate()` hands over an open connection in a transaction."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from csp_jira_sync.store.schema import metadata

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("run migrations through csp_jira_sync.store.Store.migrate()")

context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
