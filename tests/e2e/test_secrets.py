"""Secrets never reach logs, stored errors or output, even when Jira refuses them."""

from __future__ import annotations

import base64
import logging
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from csp_jira_sync.store.schema import inbox
from tests.e2e.harness import noc_event, running_daemon


def test_a_rejected_token_is_retried_and_appears_in_no_log_or_stored_error(
    sandbox: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    token = "wrong-token-Zq81x"
    secrets = [token, base64.b64encode(f"csp-sync:{token}".encode()).decode()]
    caplog.set_level(logging.DEBUG)
    with running_daemon(sandbox.base_url, tmp_path, jira_token=SecretStr(token)) as daemon:
        secrets.append(daemon.secret)
        assert daemon.post(noc_event("s1")).status_code == 202
        deadline = time.monotonic() + 10
        stored: list[str] = []
        while time.monotonic() < deadline and not stored:
            with daemon.app.store.engine.connect() as conn:
                stored = [e for e in conn.execute(sa.select(inbox.c.last_error)).scalars() if e]
            time.sleep(0.05)
        assert any("401" in error for error in stored), stored
        assert daemon.app.store.depth().get("dead", 0) == 0  # a bad token dead-letters nothing
    everything = caplog.text + "\n".join(stored)
    for secret in secrets:
        assert secret not in everything
