"""What the reconciliation's tests share: an app on the sandbox and a store on both backends,
events delivered through the real worker, and reading back what Jira holds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from csp_jira_sync.config.events import EscalationEvent
from csp_jira_sync.runtime.bootstrap import App, build_app
from csp_jira_sync.store import InboxItem
from tests.e2e.harness import noc_event, settings_for


@pytest.fixture
def reconcile_app(sandbox: Any, tmp_path: Path, database_url: str) -> Iterator[App]:
    """The daemon's app (no receiver or worker thread) on the sandbox, SQLite or PostgreSQL."""
    app = build_app(settings_for(sandbox.base_url, tmp_path, database_url=database_url))
    yield app
    app.close()


def accept(app: App, event_id: str, status: str = "open", **extra: Any) -> None:
    event = EscalationEvent.model_validate(noc_event(event_id, status, **extra))
    [accepted] = app.store.accept([InboxItem.of_escalation(event)])
    assert not accepted.duplicate


def delete_in_jira(sandbox: Any, key: str) -> None:
    answer = requests.delete(
        f"{sandbox.base_url}/rest/api/2/issue/{key}",
        auth=("csp.alice", "csp.alice-token"),
        timeout=10,
    )
    assert answer.status_code == 204, answer.text


def issues_labelled(sandbox: Any, label: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = sandbox.admin.issues(labels=[label])
    return found
