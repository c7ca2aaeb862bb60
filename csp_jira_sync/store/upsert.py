"""Insert-or-update as one statement (INSERT ... ON CONFLICT DO UPDATE) on both dialects.

An UPDATE that finds no row followed by an INSERT races once several workers share a
PostgreSQL store: both see no row, both insert, and one fails on the key. ON CONFLICT settles
it inside the database, waiting on the other transaction's key when there is one.

The statement is built once per table and set of columns and its values are bound at
execution: building it anew on every call (and SQLAlchemy working out its cache key) cost more
CPU than running it, and the worker upserts twice per event (bench/bench_delivery.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection


def insert_for(dialect: str, table: Table) -> postgresql.Insert | sqlite.Insert:
    # Both dialects spell "insert unless the key exists" the same way (ON CONFLICT).
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise ValueError(f"no single-statement upsert for the {dialect!r} database")


def upsert(
    conn: Connection, table: Table, key: Mapping[str, Any], values: Mapping[str, Any]
) -> None:
    """Insert `key` + `values` into `table`, or set `values` on the row `key` names (its
    primary key or a unique constraint's columns). The values are plain values, not SQL."""
    statement = _upsert_statement(conn.dialect.name, table, tuple(key), tuple(values))
    conn.execute(statement, {**key, **values})


@lru_cache(maxsize=128)
def _upsert_statement(
    dialect: str, table: Table, key: tuple[str, ...], columns: tuple[str, ...]
) -> postgresql.Insert | sqlite.Insert:
    insert = insert_for(dialect, table)
    # `excluded` is the row the INSERT proposed: the same values, bound once.
    return insert.on_conflict_do_update(
        index_elements=list(key), set_={name: insert.excluded[name] for name in columns}
    )
