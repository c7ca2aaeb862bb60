"""The saved-filter table on both backends: one row per customer and purpose, overwritten."""

from __future__ import annotations

from datetime import UTC, datetime

from csp_jira_sync.store import Store
from csp_jira_sync.store.saved_filters import (
    KnownFilter,
    forget_filter,
    known_filter,
    remember_filter,
)

T0 = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


def test_a_filter_is_remembered_overwritten_and_forgotten(store: Store) -> None:
    first = KnownFilter("acme", "open-escalations", "10500", "CSP Acme: open", 'labels = "a"')
    moved = KnownFilter("acme", "open-escalations", "10777", "CSP Acme: open", 'labels = "b"')
    other = KnownFilter("globex", "open-escalations", "10600", "CSP Globex: open", "x")
    with store.transaction("test: remembering filters") as conn:
        assert known_filter(conn, "acme", "open-escalations") is None
        remember_filter(conn, first, T0)
        remember_filter(conn, other, T0)
        remember_filter(conn, moved, T0)
    with store.transaction("test: reading filters") as conn:
        assert known_filter(conn, "acme", "open-escalations") == moved
        assert known_filter(conn, "globex", "open-escalations") == other
        assert known_filter(conn, "acme", "month-work") is None
        forget_filter(conn, "acme", "open-escalations")
        assert known_filter(conn, "acme", "open-escalations") is None
