"""One registry of inbox kinds: what the store accepts, what the worker handles and what the
demo reads back are the same kinds."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

from csp_jira_sync.delivery.kinds import INBOX_KINDS, kind_names
from csp_jira_sync.runtime.bootstrap import build_app
from csp_jira_sync.store.records import InboxKind
from csp_jira_sync.store.schema import INBOX_KINDS as STORED_KINDS
from tests.e2e.harness import settings_for


def test_every_kind_the_store_accepts_has_exactly_one_registered_handler() -> None:
    assert sorted(kind_names()) == sorted(STORED_KINDS) == sorted(get_args(InboxKind))
    assert len(set(kind_names())) == len(INBOX_KINDS)


def test_the_wired_worker_handles_every_registered_kind(tmp_path: Path) -> None:
    app = build_app(settings_for("http://127.0.0.1:9", tmp_path))
    try:
        assert sorted(app.worker.handlers) == sorted(kind_names())
        for kind in INBOX_KINDS:
            assert type(app.worker.handlers[kind.name]) is kind.handler
    finally:
        app.close()
