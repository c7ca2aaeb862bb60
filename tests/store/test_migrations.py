"""The schema comes from the Alembic migrations shipped in the package, on both backends."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from csp_jira_sync.errors import ConfigError
from csp_jira_sync.store import Store
from csp_jira_sync.store.schema import metadata
from csp_jira_sync.store.store import MIGRATIONS

TABLES = {
    "inbox",
    "jira_issues",
    "escalations",
    "applied_events",
    "cursors",
    "triage_labels",
    "saved_filters",
}


def _head() -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def test_migrate_from_an_empty_database_creates_every_table_at_head(database_url: str) -> None:
    store = Store.open(database_url)
    try:
        assert not TABLES & set(inspect(store.engine).get_table_names())
        store.migrate()
        assert set(inspect(store.engine).get_table_names()) >= TABLES
        with store.engine.connect() as connection:
            assert MigrationContext.configure(connection).get_current_revision() == _head()
    finally:
        store.close()


def test_migrated_schema_matches_the_table_definitions_in_schema_py(store: Store) -> None:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_migrate_twice_changes_nothing_and_keeps_data(store: Store) -> None:
    store.set_cursor("jira-triage", "2026-05-20T09:00:00Z")
    store.migrate()
    assert store.get_cursor("jira-triage") == "2026-05-20T09:00:00Z"


def test_inbox_has_the_unique_key_and_the_claim_index(store: Store) -> None:
    inspector = inspect(store.engine)
    uniques = {tuple(u["column_names"]) for u in inspector.get_unique_constraints("inbox")}
    indexes = {tuple(i["column_names"]) for i in inspector.get_indexes("inbox")}
    assert ("kind", "event_id") in uniques
    assert ("state", "next_attempt_at") in indexes
    ledger_uniques = {
        tuple(u["column_names"]) for u in inspector.get_unique_constraints("jira_issues")
    }
    assert {("ref_label",), ("subject_kind", "subject_id", "generation")} <= ledger_uniques


def test_sqlite_store_creates_the_parent_directory_and_runs_in_durable_wal_mode(
    tmp_path: Path,
) -> None:
    path = tmp_path / "not" / "yet" / "there" / "state.sqlite"
    store = Store.open(f"sqlite:///{path}", busy_timeout=3.5)
    try:
        store.migrate()
        assert path.exists()
        with store.engine.connect() as connection:
            pragma = {
                name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            }
        assert pragma == {
            "journal_mode": "wal",
            "synchronous": 2,  # FULL: a 202 also survives a power cut
            "foreign_keys": 1,
            "busy_timeout": 3500,
        }
    finally:
        store.close()
    # WAL is a property of the file: any other reader sees it.
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone() == ("wal",)


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("not a url", "not a database URL"),
        ("sqlite://", "in-memory"),
        ("sqlite:///:memory:", "in-memory"),
        ("mysql://user:hunter2@db/csp", "unsupported database"),
        ("postgresql://user:hunter2@db/csp", "psycopg 3"),
    ],
)
def test_unusable_database_urls_are_config_errors_that_never_show_the_password(
    url: str, complaint: str
) -> None:
    with pytest.raises(ConfigError, match=complaint) as caught:
        Store.open(url)
    assert "hunter2" not in str(caught.value)
