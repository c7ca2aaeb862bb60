"""What the CLI tests share: the environment a command reads its settings from."""

from __future__ import annotations

from pathlib import Path

import pytest

from csp_jira_sync.demo.run import new_webhook_secret
from csp_jira_sync.store import Store


def daemon_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, jira_url: str, **extra: str
) -> dict[str, str]:
    """Settings for a command against `jira_url`, with a fresh SQLite store in `tmp_path`."""
    values = {
        "CSP_JIRA_URL": jira_url,
        "CSP_DATABASE_URL": f"sqlite:///{tmp_path / 'state.sqlite'}",
        "CSP_WEBHOOK_SECRET": new_webhook_secret(),
        "CSP_JIRA_TOKEN": "csp-sync-token",
        **extra,
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


@pytest.fixture
def offline_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    """The store a command reads, migrated, with a Jira nobody answers at (the commands
    under test never call it)."""
    env = daemon_env(monkeypatch, tmp_path, "http://127.0.0.1:9")
    opened = Store.open(env["CSP_DATABASE_URL"])
    opened.migrate()
    return opened
