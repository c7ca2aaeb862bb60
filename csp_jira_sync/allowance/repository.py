"""The allowance ledger in the store: worklogs and issues as last read from Jira, one ledger
line per worklog, the worklog cursor, and what enforcement did per customer-month.

Functions over a connection, called inside `Store.transaction(...)`, so that applying a read,
recounting the lines it touched and moving the cursor are one unit of work.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from csp_jira_sync.allowance.counting import LedgerLine
from csp_jira_sync.allowance.facts import IssueFacts, Worklog
from csp_jira_sync.allowance.figures import MonthUsage
from csp_jira_sync.allowance.months import Month
from csp_jira_sync.store.schema import (
    allowance_actions,
    allowance_held,
    allowance_issues,
    allowance_lines,
    allowance_tracking,
    allowance_worklogs,
    cursors,
)
from csp_jira_sync.store.upsert import upsert

CURSOR = "allowance.worklogs"
CustomerMonth = tuple[str, Month]


def _upsert(conn: Connection, table: sa.Table, rows: list[dict[str, Any]], key: str) -> None:
    if not rows:
        return
    insert = postgresql.insert(table) if conn.dialect.name == "postgresql" else sqlite.insert(table)
    columns = {c.name: insert.excluded[c.name] for c in table.columns if c.name != key}
    conn.execute(insert.on_conflict_do_update(index_elements=[key], set_=columns), rows)


# -- what was read from Jira ---------------------------------------------------------------


def save_issues(conn: Connection, issues: Iterable[IssueFacts]) -> None:
    rows = {
        i.id: {
            "issue_id": i.id,
            "issue_key": i.key,
            "labels": " ".join(i.labels),
            "summary": i.summary,
        }
        for i in issues
    }
    _upsert(conn, allowance_issues, list(rows.values()), "issue_id")


def save_worklogs(conn: Connection, worklogs: Iterable[Worklog]) -> None:
    rows = {
        w.id: {
            "worklog_id": w.id,
            "issue_id": w.issue_id,
            "author_id": w.author_account_id,
            "author_name": w.author_name,
            "started": w.started,
            "seconds": w.seconds,
            "updated": w.updated,
        }
        for w in worklogs
    }
    _upsert(conn, allowance_worklogs, list(rows.values()), "worklog_id")


def delete_worklogs(conn: Connection, ids: Collection[str]) -> set[CustomerMonth]:
    """Forget deleted worklogs and their lines; the customer-months they were counted in."""
    touched: set[CustomerMonth] = set()
    for chunk in _chunks(list(ids)):
        touched |= _months_of(
            conn, sa.select(allowance_lines).where(allowance_lines.c.worklog_id.in_(chunk))
        )
        conn.execute(sa.delete(allowance_lines).where(allowance_lines.c.worklog_id.in_(chunk)))
        conn.execute(
            sa.delete(allowance_worklogs).where(allowance_worklogs.c.worklog_id.in_(chunk))
        )
    return touched


def worklogs_started_between(conn: Connection, start: datetime, end: datetime) -> set[str]:
    return set(
        conn.execute(
            sa.select(allowance_worklogs.c.worklog_id).where(
                allowance_worklogs.c.started >= start, allowance_worklogs.c.started < end
            )
        ).scalars()
    )


def worklogs_to_count(
    conn: Connection, worklog_ids: Collection[str], issue_ids: Collection[str]
) -> list[tuple[Worklog, IssueFacts]]:
    """The stored worklogs named, and every stored worklog on the issues named (their labels
    may have changed), each with its issue as last read."""
    query = sa.select(allowance_worklogs, allowance_issues).join(
        allowance_issues, allowance_issues.c.issue_id == allowance_worklogs.c.issue_id
    )
    found: dict[str, tuple[Worklog, IssueFacts]] = {}
    for column, values in (
        (allowance_worklogs.c.issue_id, list(issue_ids)),
        (allowance_worklogs.c.worklog_id, None),
    ):
        if values is None:  # the worklogs named that were not on the issues named
            values = [i for i in worklog_ids if i not in found]
        for chunk in _chunks(values):
            for row in conn.execute(query.where(column.in_(chunk))):
                found[row.worklog_id] = (
                    Worklog(
                        id=row.worklog_id,
                        issue_id=row.issue_id,
                        author_account_id=row.author_id,
                        author_name=row.author_name,
                        started=row.started,
                        seconds=row.seconds,
                        updated=row.updated,
                    ),
                    IssueFacts(
                        id=row.issue_id,
                        key=row.issue_key,
                        labels=tuple(row.labels.split()),
                        summary=row.summary,
                    ),
                )
    return list(found.values())


# -- the ledger lines -------------------------------------------------------------------------


def save_lines(conn: Connection, lines: Sequence[LedgerLine]) -> set[CustomerMonth]:
    """Write the lines; the customer-months they were and now are counted in."""
    touched: set[CustomerMonth] = set()
    stored: dict[str, dict[str, Any]] = {}
    for chunk in _chunks([line.worklog_id for line in lines]):
        for row in conn.execute(
            sa.select(allowance_lines).where(allowance_lines.c.worklog_id.in_(chunk))
        ):
            stored[row.worklog_id] = dict(row._mapping)
            if row.customer is not None:
                touched.add((row.customer, Month.parse(row.month)))
    rows: list[dict[str, Any]] = [
        {
            "worklog_id": x.worklog_id,
            "issue_id": x.issue_id,
            "issue_key": x.issue_key,
            "author": x.author,
            "started": x.started,
            "seconds": x.seconds,
            "customer": x.customer,
            "month": str(x.month),
            "category": x.category,
            "excluded": x.excluded,
            "may_borrow": x.may_borrow,
        }
        for x in lines
    ]
    # An hourly month re-read recounts every worklog; only lines that changed are written.
    changed = [row for row in rows if stored.get(row["worklog_id"]) != row]
    _upsert(conn, allowance_lines, changed, "worklog_id")
    touched |= {(x.customer, x.month) for x in lines if x.customer is not None}
    return touched


def lines_of(
    conn: Connection, *, customer: str | None = None, month: Month | None = None
) -> list[LedgerLine]:
    query = sa.select(allowance_lines)
    if customer is not None:
        query = query.where(allowance_lines.c.customer == customer)
    if month is not None:
        query = query.where(allowance_lines.c.month == str(month))
    rows = conn.execute(
        query.order_by(allowance_lines.c.started, allowance_lines.c.worklog_id)
    ).all()
    return [
        LedgerLine(
            worklog_id=r.worklog_id,
            issue_id=r.issue_id,
            issue_key=r.issue_key,
            author=r.author,
            started=r.started,
            seconds=r.seconds,
            customer=r.customer,
            month=Month.parse(r.month),
            category=r.category,
            excluded=r.excluded,
            may_borrow=bool(r.may_borrow),
        )
        for r in rows
    ]


def month_range(conn: Connection) -> tuple[Month, Month] | None:
    """The first and last month the ledger has lines in."""
    low, high = conn.execute(
        sa.select(sa.func.min(allowance_lines.c.month), sa.func.max(allowance_lines.c.month))
    ).one()
    return (Month.parse(low), Month.parse(high)) if low else None


def _months_of(conn: Connection, query: sa.Select[Any]) -> set[CustomerMonth]:
    return {
        (row.customer, Month.parse(row.month))
        for row in conn.execute(query)
        if row.customer is not None
    }


def _chunks(values: list[str], size: int = 500) -> Iterable[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# -- the cursor -------------------------------------------------------------------------------


def cursor(conn: Connection) -> int | None:
    value = conn.execute(sa.select(cursors.c.value).where(cursors.c.name == CURSOR)).scalar()
    return int(value) if value is not None else None


def last_read(conn: Connection) -> datetime | None:
    """When an allowance pass last read Jira's worklog changes; None if none ever has."""
    value: datetime | None = conn.execute(
        sa.select(cursors.c.updated_at).where(cursors.c.name == CURSOR)
    ).scalar()
    return value


def move_cursor(conn: Connection, since_ms: int, now: datetime) -> None:
    _upsert(conn, cursors, [{"name": CURSOR, "value": str(since_ms), "updated_at": now}], "name")


# -- the tracking issue -----------------------------------------------------------------------


@dataclass(frozen=True)
class Tracking:
    issue_id: str
    issue_key: str
    description_digest: str | None


def tracking(conn: Connection, customer: str, month: Month) -> Tracking | None:
    row = conn.execute(
        sa.select(allowance_tracking).where(
            allowance_tracking.c.customer == customer, allowance_tracking.c.month == str(month)
        )
    ).first()
    if row is None:
        return None
    return Tracking(row.issue_id, row.issue_key, row.description_digest)


def record_tracking(
    conn: Connection,
    customer: str,
    month: Month,
    issue_id: str,
    issue_key: str,
    digest: str | None,
) -> None:
    upsert(
        conn,
        allowance_tracking,
        {"customer": customer, "month": str(month)},
        {"issue_id": issue_id, "issue_key": issue_key, "description_digest": digest},
    )


def record_digest(conn: Connection, customer: str, month: Month, digest: str) -> None:
    conn.execute(
        sa.update(allowance_tracking)
        .where(allowance_tracking.c.customer == customer, allowance_tracking.c.month == str(month))
        .values(description_digest=digest)
    )


# -- enforcement actions ----------------------------------------------------------------------


@dataclass(frozen=True)
class ActionRow:
    action: str
    state: str
    generation: int
    claimed_until: datetime | None
    updated_at: datetime


def actions(conn: Connection, customer: str, month: Month) -> dict[str, ActionRow]:
    rows = conn.execute(
        sa.select(allowance_actions).where(
            allowance_actions.c.customer == customer, allowance_actions.c.month == str(month)
        )
    )
    return {
        r.action: ActionRow(r.action, r.state, r.generation, r.claimed_until, r.updated_at)
        for r in rows
    }


def active_actions(conn: Connection, customer: str, month: Month) -> frozenset[str]:
    """Actions in force: done (`active`) or being withdrawn but not yet confirmed."""
    return frozenset(
        a
        for a, row in actions(conn, customer, month).items()
        if row.state in ("active", "withdrawing")
    )


def months_with_actions_in_force(conn: Connection, names: Collection[str]) -> set[CustomerMonth]:
    rows = conn.execute(
        sa.select(allowance_actions.c.customer, allowance_actions.c.month).where(
            allowance_actions.c.state.in_(("active", "raising", "withdrawing")),
            allowance_actions.c.action.in_(list(names)),
        )
    )
    return {(r.customer, Month.parse(r.month)) for r in rows}


@dataclass(frozen=True)
class Claim:
    generation: int
    resumed: bool  # an earlier claim expired: its Jira call may have landed


def claim_action(
    conn: Connection,
    customer: str,
    month: Month,
    action: str,
    *,
    raise_: bool,
    now: datetime,
    lease: timedelta,
) -> Claim | None:
    """Claim raising (or withdrawing) `action` before the Jira call. None when it is already
    done, or another daemon holds a live claim. Raising after a withdrawal starts a new
    generation, so its comment carries a new marker."""
    going, done = ("raising", "active") if raise_ else ("withdrawing", "withdrawn")
    row = actions(conn, customer, month).get(action)
    if row is None:
        if not raise_:
            return None
        try:
            with conn.begin_nested():
                conn.execute(
                    sa.insert(allowance_actions).values(
                        customer=customer,
                        month=str(month),
                        action=action,
                        state=going,
                        generation=1,
                        claimed_until=now + lease,
                        updated_at=now,
                    )
                )
        except sa.exc.IntegrityError:
            return None
        return Claim(1, resumed=False)
    if row.state == done:
        return None
    resumed = row.state == going
    if resumed and row.claimed_until is not None and row.claimed_until > now:
        return None  # another daemon is doing it right now
    generation = row.generation + (1 if raise_ and row.state == "withdrawn" else 0)
    updated = conn.execute(
        sa.update(allowance_actions)
        .where(
            allowance_actions.c.customer == customer,
            allowance_actions.c.month == str(month),
            allowance_actions.c.action == action,
            allowance_actions.c.state == row.state,
            allowance_actions.c.updated_at == row.updated_at,
        )
        .values(state=going, generation=generation, claimed_until=now + lease, updated_at=now)
    )
    if not updated.rowcount:
        return None
    return Claim(generation, resumed=resumed)


def finish_action(
    conn: Connection, customer: str, month: Month, action: str, *, raise_: bool, now: datetime
) -> None:
    conn.execute(
        sa.update(allowance_actions)
        .where(
            allowance_actions.c.customer == customer,
            allowance_actions.c.month == str(month),
            allowance_actions.c.action == action,
        )
        .values(state="active" if raise_ else "withdrawn", claimed_until=None, updated_at=now)
    )


def hold_once(
    conn: Connection, issue_id: str, issue_key: str, customer: str, month: Month, now: datetime
) -> bool:
    """Record that a new request is put on hold for approval; False if it was already (a
    lead who approved it must not see it held again)."""
    try:
        with conn.begin_nested():
            conn.execute(
                sa.insert(allowance_held).values(
                    issue_id=issue_id,
                    issue_key=issue_key,
                    customer=customer,
                    month=str(month),
                    held_at=now,
                )
            )
    except sa.exc.IntegrityError:
        return False
    return True


def action_since(conn: Connection, customer: str, month: Month, action: str) -> datetime | None:
    """When `action` came into force, if it is in force."""
    row = actions(conn, customer, month).get(action)
    return row.updated_at if row is not None and row.state == "active" else None


def usage(conn: Connection, customer: str, first: Month, last: Month) -> dict[Month, MonthUsage]:
    """A customer's months summed in the database (the figures need no line one by one)."""
    lines = allowance_lines.c
    rows = conn.execute(
        sa.select(
            lines.month,
            lines.category,
            lines.excluded,
            lines.may_borrow,
            sa.func.sum(lines.seconds).label("seconds"),
        )
        .where(lines.customer == customer, lines.month >= str(first), lines.month <= str(last))
        .group_by(lines.month, lines.category, lines.excluded, lines.may_borrow)
    )
    sums: dict[Month, tuple[dict[str, int], int, dict[str, int]]] = {}
    for row in rows:
        by_category, may_borrow, excluded = sums.setdefault(Month.parse(row.month), ({}, 0, {}))
        seconds = int(row.seconds)
        if row.excluded is not None:
            excluded[row.excluded] = excluded.get(row.excluded, 0) + seconds
        elif row.category is not None:
            by_category[row.category] = by_category.get(row.category, 0) + seconds
            if row.may_borrow:
                may_borrow += seconds
        sums[Month.parse(row.month)] = (by_category, may_borrow, excluded)
    return {m: MonthUsage(m, c, b, e) for m, (c, b, e) in sums.items()}
