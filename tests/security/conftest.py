"""The security tests drive the real receiver over HTTP, as tests/receiver does."""

from __future__ import annotations

import sqlalchemy as sa

from csp_jira_sync.store import Store
from csp_jira_sync.store.schema import inbox
from tests.receiver.conftest import receiver, switchboard

__all__ = ["inbox_rows", "receiver", "switchboard"]


def inbox_rows(store: Store) -> int:
    with store.engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(inbox)).scalar_one())
