"""`receiver`: the real receiver over HTTP on a fresh SQLite store (tests.receiver.server).

One uvicorn server per test session serves every test's own freshly built receiver app.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from csp_jira_sync.receiver import ReceiverServer
from csp_jira_sync.store import Store
from tests.receiver.server import RunningReceiver, Switchboard, plugged_receiver


@pytest.fixture(scope="session")
def switchboard() -> Iterator[tuple[Switchboard, str]]:
    board = Switchboard()
    with ReceiverServer(board) as server:
        yield board, server.url


@pytest.fixture
def receiver(
    switchboard: tuple[Switchboard, str], sqlite_store: Store
) -> Iterator[RunningReceiver]:
    board, url = switchboard
    with plugged_receiver(board, url, sqlite_store) as running:
        yield running
