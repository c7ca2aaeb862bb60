"""`csp-jira-sync check`: what the state store says needs a person (events held behind a dead
letter) and which daemon runs which periodic job, read through one connection."""

from __future__ import annotations

from datetime import datetime

from csp_jira_sync.errors import CspSyncError
from csp_jira_sync.store import Store

Row = tuple[str, bool, str]
HELD = "held events"
LOCKS = "job locks"


def store_rows(database_url: str, now: datetime) -> list[Row]:
    """The store's rows of `check`; a store that cannot be opened fails both, saying why."""
    try:
        store = Store.open(database_url)
        try:
            store.migrate()
            return [held_events_row(store), job_locks_row(store, now)]
        finally:
            store.close()
    except CspSyncError as exc:
        return [(HELD, False, str(exc)), (LOCKS, False, str(exc))]


def held_events_row(store: Store) -> Row:
    """Events that wait behind a dead-lettered earlier event of their escalation reach Jira
    only once someone requeues or drops it, so `check` fails while there are any."""
    try:
        held = store.held()
    except CspSyncError as exc:
        return (HELD, False, str(exc))
    if held.events == 0:
        return (HELD, True, "no event is held behind a dead letter")
    return (
        HELD,
        False,
        f"{held.events} event(s) held behind {held.dead_letters} dead letter(s): fix the cause, "
        "then `csp-jira-sync dead-letters --requeue ID` (or --drop ID)",
    )


def job_locks_row(store: Store, now: datetime) -> Row:
    """Which daemon runs which periodic job, and for how long: informational (a row that
    fails only when the store does not answer). A lease that ran out names a daemon that
    died without handing its job over; the next daemon to look takes it."""
    try:
        locks = store.job_locks.all()
    except CspSyncError as exc:
        return (LOCKS, False, str(exc))
    if not locks:
        return (LOCKS, True, "no daemon holds a periodic job (none running, or none started one)")
    parts = []
    for lock in locks:
        age = max(0.0, lock.held_for(now).total_seconds())
        if lock.live(now):
            parts.append(f"{lock.job}: {lock.holder} for {age:.0f} s")
        else:
            ran_out = (now - lock.expires_at).total_seconds()
            parts.append(
                f"{lock.job}: free ({lock.holder}'s lease ran out {ran_out:.0f} s ago; "
                "the next daemon to look takes it)"
            )
    return (LOCKS, True, "; ".join(parts))
