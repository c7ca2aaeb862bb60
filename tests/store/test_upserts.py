"""The worker's bookkeeping writes (applied events, escalation state, triage memory) are single
INSERT ... ON CONFLICT DO UPDATE statements: the first write inserts, a later one updates, and
two workers writing the same key at once both succeed instead of one failing on the key."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection

from csp_jira_sync.delivery import journal
from csp_jira_sync.escalations.decide import EscalationState
from csp_jira_sync.store import Store
from csp_jira_sync.store.schema import applied_events, escalations, triage_labels
from csp_jira_sync.triage import memory
from tests.store.helpers import T0


@dataclass(frozen=True)
class Upsert:
    """One bookkeeping write: `write(conn, version)` and `read(conn)` of what it wrote."""

    name: str
    write: Callable[[Connection, int], None]
    read: Callable[[Connection], Any]
    expected: Callable[[int], Any]


def _mark(conn: Connection, version: int) -> None:
    state = "applying" if version == 1 else "applied"
    journal.mark_event(
        conn, "escalation", "evt-1", state, f"CSP-{version}", "m", T0 + timedelta(minutes=version)
    )


def _read_mark(conn: Connection) -> Any:
    return conn.execute(sa.select(applied_events.c.state, applied_events.c.issue_key)).all()


def _save(conn: Connection, version: int) -> None:
    state = EscalationState(
        escalation_id="NOC-1",
        customer="acme",
        generation=version,
        status="open" if version == 1 else "resolved",
        status_occurred_at=T0 + timedelta(minutes=version),
        resolved_at=None,
    )
    journal.save_escalation(conn, state, T0 + timedelta(minutes=version))


def _read_save(conn: Connection) -> Any:
    return conn.execute(sa.select(escalations.c.generation, escalations.c.status)).all()


def _remember(conn: Connection, version: int) -> None:
    decided_by = "daemon" if version == 1 else "human"
    memory.remember_decision(conn, "CSP-7", f"activity-{version}", decided_by, T0)


def _read_remember(conn: Connection) -> Any:
    return conn.execute(sa.select(triage_labels.c.activity_slug, triage_labels.c.decided_by)).all()


UPSERTS = [
    Upsert(
        "applied event",
        _mark,
        _read_mark,
        lambda v: [("applying" if v == 1 else "applied", f"CSP-{v}")],
    ),
    Upsert(
        "escalation state",
        _save,
        _read_save,
        lambda v: [(v, "open" if v == 1 else "resolved")],
    ),
    Upsert(
        "triage memory",
        _remember,
        _read_remember,
        lambda v: [(f"activity-{v}", "daemon" if v == 1 else "human")],
    ),
]


@pytest.mark.parametrize("upsert", UPSERTS, ids=lambda u: u.name)
def test_the_first_write_inserts_and_a_later_one_updates_the_same_row(
    store: Store, upsert: Upsert
) -> None:
    with store.transaction("first write") as conn:
        upsert.write(conn, 1)
    with store.transaction("reading") as conn:
        assert upsert.read(conn) == upsert.expected(1)
    with store.transaction("second write") as conn:
        upsert.write(conn, 2)
    with store.transaction("reading") as conn:
        assert upsert.read(conn) == upsert.expected(2)


def _wait_until_blocked(admin: Engine, pid: int) -> None:
    deadline = time.monotonic() + 10
    query = text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid")
    while time.monotonic() < deadline:
        with admin.connect() as connection:
            if connection.execute(query, {"pid": pid}).scalar() == "Lock":
                return
        time.sleep(0.01)
    raise AssertionError("the second writer never waited on the first one's key")


@pytest.mark.postgres
@pytest.mark.parametrize("upsert", UPSERTS, ids=lambda u: u.name)
def test_two_workers_writing_the_same_new_key_at_once_both_succeed_on_postgresql(
    postgres_admin: Engine, postgres_database_url: str, upsert: Upsert
) -> None:
    # The race of update-then-insert: both transactions find no row to update, both insert,
    # and the second fails on the key once the first commits. Here the second writer is made
    # to wait on the first one's uncommitted row before the first commits.
    store = Store.open(postgres_database_url)
    store.migrate()
    try:
        second_pid: list[int] = []
        second_error: list[BaseException] = []

        def second_writer() -> None:
            try:
                with store.transaction("second writer") as conn:
                    second_pid.append(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
                    upsert.write(conn, 2)
            except BaseException as exc:
                second_error.append(exc)

        with store.engine.connect() as first:
            with first.begin():
                upsert.write(first, 1)
                thread = threading.Thread(target=second_writer)
                thread.start()
                while not second_pid and thread.is_alive():
                    time.sleep(0.005)
                _wait_until_blocked(postgres_admin, second_pid[0])
            thread.join(timeout=10)
        assert not thread.is_alive()
        assert second_error == []
        with store.transaction("reading") as conn:
            assert upsert.read(conn) == upsert.expected(2)
    finally:
        store.close()
