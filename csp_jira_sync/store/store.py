"""The durable inbox: accept events, hand them to workers under a lease, record the outcome.

Each method is one short transaction and raises `StoreUnavailable` when the database cannot be
reached, so callers never claim success for something that was not written. Escalation and
request logic live with the worker; it uses `Store.engine` and the tables in `schema` directly.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    ColumnElement,
    Engine,
    Row,
    Table,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.sql.selectable import NamedFromClause

from csp_jira_sync.errors import StoreUnavailable
from csp_jira_sync.store.engine import (
    READ_ONLY,
    RECOVERABLE,
    SqliteSynchronous,
    make_engine,
    unavailable_on_failure,
    write_turn,
    writing,
)
from csp_jira_sync.store.locks import JobLocks
from csp_jira_sync.store.records import Accepted, Held, InboxItem, InboxRow
from csp_jira_sync.store.schema import INBOX_STATES, cursors, inbox
from csp_jira_sync.store.upsert import insert_for

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_ERROR_LIMIT = 4000
# Values per IN list: far below every database's limit on bound parameters.
_IN_CHUNK = 500
# Any constant will do; it only has to be the same in every process that migrates.
_MIGRATION_LOCK = 0x6373_706A_6972_61


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _clean_error(error: str) -> str:
    # Error text comes from Jira and exceptions: PostgreSQL refuses NUL, drivers refuse lone
    # surrogates, and a whole HTML error page is no use in a dead-letter list.
    safe = error.replace("\x00", "\\0").encode("utf-8", "backslashreplace").decode("utf-8")
    return safe if len(safe) <= _ERROR_LIMIT else safe[: _ERROR_LIMIT - 1] + "…"


def _row(row: Row[Any]) -> InboxRow:
    return InboxRow(**row._asdict())


def _before(first: NamedFromClause, second: NamedFromClause) -> ColumnElement[bool]:
    """`first` comes before `second` in a subject's order: `occurred_at`, then id."""
    return or_(
        first.c.occurred_at < second.c.occurred_at,
        and_(first.c.occurred_at == second.c.occurred_at, first.c.id < second.c.id),
    )


def _same_subject(first: NamedFromClause, second: NamedFromClause) -> ColumnElement[bool]:
    return and_(first.c.kind == second.c.kind, first.c.subject == second.c.subject)


# A pending row is held while an earlier event of its subject is dead-lettered: applying it
# would act on state that the dead event never set (a reopen before the open it follows).
_dead = inbox.alias("dead")
# Dead letters are few: the IN list of their subjects is built once per query, and only the
# events of those subjects are looked at row by row (measured in bench/bench_claim.py).
_dead_subjects = inbox.alias("dead_subject")
_HELD = and_(
    inbox.c.subject.in_(select(_dead_subjects.c.subject).where(_dead_subjects.c.state == "dead")),
    exists().where(_same_subject(_dead, inbox), _dead.c.state == "dead", _before(_dead, inbox)),
)
DROPPED_PREFIX = "dropped by an operator"
# Run once per event: built once, values bound at execution (see store/upsert.py).
_COMPLETE = (
    update(inbox)
    .where(inbox.c.id == bindparam("b_row_id"))
    .values(state="done", done_at=bindparam("b_done_at"), claimed_until=None)
)


class Store:
    """The state store. Build it with `Store.open(url)`, then `migrate()` once at start-up."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _insert(self, table: Table) -> postgresql.Insert | sqlite.Insert:
        return insert_for(self.dialect, table)

    @classmethod
    def open(
        cls,
        url: str,
        *,
        busy_timeout: float = 5.0,
        sqlite_synchronous: SqliteSynchronous = "FULL",
    ) -> Store:
        """Connect lazily to `url` (sqlite:///file or postgresql+psycopg://...).

        `busy_timeout` (seconds) bounds how long a write waits for another writer's lock
        (SQLite) or for a connection (PostgreSQL) before `StoreUnavailable`.
        """
        return cls(
            make_engine(url, busy_timeout=busy_timeout, sqlite_synchronous=sqlite_synchronous)
        )

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    @property
    def job_locks(self) -> JobLocks:
        """The periodic jobs' lease rows: which daemon runs which job (see `locks`)."""
        return JobLocks(self._engine)

    def close(self) -> None:
        self._engine.dispose()

    def migrate(self) -> None:
        """Bring the schema to the newest migration (alembic upgrade head)."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with writing(self._engine, "migrating the schema") as connection:
            if self.dialect == "postgresql":
                # Two daemons starting together must not both create the tables.
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK}
                )
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def ping(self) -> bool:
        return self.unavailable_reason() is None

    def unavailable_reason(self) -> str | None:
        """None when the database answers; else why not (never with the password)."""
        try:
            with unavailable_on_failure("pinging"), self._reader() as connection:
                connection.execute(text("SELECT 1"))
        except StoreUnavailable as exc:
            return str(exc)
        except Exception as exc:
            return f"state store unavailable while pinging: {type(exc).__name__}"
        return None

    @contextmanager
    def transaction(
        self, action: str, *, read_only: bool = False, recoverable: bool = False
    ) -> Iterator[Connection]:
        """One unit of work: a transaction that commits on success and rolls back on any error.
        A lost or unreachable database surfaces as `StoreUnavailable` naming `action`, which the
        worker and the periodic jobs wait out; nothing else outside `store/` opens one.

        `read_only`: the body only reads, so on SQLite it does not queue for the write lock.
        `recoverable`: the commit need not wait for the disk, because a power cut that loses it
        leaves what the daemon recovers from anyway (see `store/engine.py`): the record of
        what a Jira call did, whose mark was committed before the call; never a mark that
        must precede a call, nor an accepted event."""
        turn = nullcontext() if read_only else write_turn(self._engine, action)
        with turn, unavailable_on_failure(action), self._engine.connect() as connection:
            if read_only:
                connection.execution_options(**{READ_ONLY: True})
            elif recoverable:
                connection.execution_options(**{RECOVERABLE: True})
            with connection.begin():
                if recoverable and not read_only and self.dialect == "postgresql":
                    connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
                yield connection

    def _reader(self) -> Connection:
        return self._engine.connect().execution_options(**{READ_ONLY: True})

    # -- intake ------------------------------------------------------------------------------

    def accept(self, items: Sequence[InboxItem], *, now: datetime | None = None) -> list[Accepted]:
        """Store `items` in one transaction, all or nothing. An item whose (kind, event_id) is
        already stored (or repeated within `items`) is a duplicate: nothing is stored for it
        and its `Accepted` names the existing row."""
        if not items:
            return []
        received_at = now or _utcnow()
        first: dict[tuple[str, str], InboxItem] = {}
        for item in items:
            first.setdefault((item.kind, item.event_id), item)
        rows = [
            {
                "kind": item.kind,
                "source": item.source,
                "event_id": item.event_id,
                "subject": item.subject,
                "customer": item.customer,
                "occurred_at": item.occurred_at,
                "payload": item.payload,
                "received_at": received_at,
                "state": "pending",
                "attempts": 0,
                "next_attempt_at": received_at,
            }
            for item in first.values()
        ]
        statement = (
            self._insert(inbox)
            .on_conflict_do_nothing(index_elements=["kind", "event_id"])
            .returning(inbox.c.id, inbox.c.kind, inbox.c.event_id)
        )
        with writing(self._engine, "storing events") as connection:
            new = {
                (kind, event_id): ident
                for ident, kind, event_id in connection.execute(statement, rows).all()
            }
            existing = self._ids_of(connection, [key for key in first if key not in new])
        results: list[Accepted] = []
        seen: set[tuple[str, str]] = set()
        for item in items:
            key = (item.kind, item.event_id)
            if key in new and key not in seen:
                results.append(Accepted(item.event_id, new[key], duplicate=False))
            else:
                results.append(
                    Accepted(item.event_id, new.get(key) or existing[key], duplicate=True)
                )
            seen.add(key)
        return results

    @staticmethod
    def _ids_of(connection: Connection, keys: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
        found: dict[tuple[str, str], int] = {}
        by_kind: dict[str, list[str]] = {}
        for kind, event_id in keys:
            by_kind.setdefault(kind, []).append(event_id)
        for kind, event_ids in by_kind.items():
            query = select(inbox.c.id, inbox.c.event_id).where(
                inbox.c.kind == kind, inbox.c.event_id.in_(event_ids)
            )
            for ident, event_id in connection.execute(query):
                found[(kind, event_id)] = ident
        return found

    # -- the worker's side -------------------------------------------------------------------

    def claim(self, limit: int, now: datetime, lease: timedelta) -> list[InboxRow]:
        """Lease up to `limit` pending rows that are due at `now`, not leased and not held
        behind a dead letter of their subject, oldest `occurred_at` first (then id). Two
        workers never get the same row: on PostgreSQL the rows are locked FOR UPDATE SKIP
        LOCKED, on SQLite the transaction holds the write lock."""
        if limit <= 0:
            return []
        due = (
            select(inbox.c.id)
            .where(
                inbox.c.state == "pending",
                inbox.c.next_attempt_at <= now,
                or_(inbox.c.claimed_until.is_(None), inbox.c.claimed_until <= now),
                ~_HELD,
            )
            .order_by(inbox.c.occurred_at, inbox.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=inbox)
        )
        # A lease: a power cut that loses it only frees the rows again (recoverable).
        with self.transaction("claiming events", recoverable=True) as connection:
            ids = list(connection.execute(due).scalars())
            if not ids:
                return []
            connection.execute(
                update(inbox).where(inbox.c.id.in_(ids)).values(claimed_until=now + lease)
            )
            rows = connection.execute(
                select(inbox).where(inbox.c.id.in_(ids)).order_by(inbox.c.occurred_at, inbox.c.id)
            ).all()
        return [_row(row) for row in rows]

    def release_leases(self) -> int:
        """Free every lease on pending rows: for a daemon starting after its predecessor was
        killed, so the events it had claimed are not stuck until their leases run out. Only on
        SQLite, where one daemon owns the file; on PostgreSQL other daemons may hold live
        leases, and those expire on their own (returns 0)."""
        if self.dialect != "sqlite":
            return 0
        with writing(self._engine, "releasing leases") as connection:
            freed = connection.execute(
                update(inbox)
                .where(inbox.c.state == "pending", inbox.c.claimed_until.is_not(None))
                .values(claimed_until=None)
            ).rowcount
        return int(freed)

    def release_claims(self, ids: Sequence[int], claimed_until: datetime) -> int:
        """Give back rows this worker claimed (lease ending at `claimed_until`) but did not
        finish, e.g. because the store failed in the middle of a batch, so they need not wait
        out their lease. A row whose lease has since passed to another worker is left alone."""
        if not ids:
            return 0
        statement = (
            update(inbox)
            .where(
                inbox.c.id.in_(list(ids)),
                inbox.c.state == "pending",
                inbox.c.claimed_until == claimed_until,
            )
            .values(claimed_until=None)
        )
        with self.transaction("releasing claimed events", recoverable=True) as connection:
            return int(connection.execute(statement).rowcount)

    def renew_claim(
        self, inbox_id: int, claimed_until: datetime, now: datetime, lease: timedelta
    ) -> datetime | None:
        """Extend this worker's lease on one row (claimed with a lease ending at
        `claimed_until`) to `now + lease`, just before working on it: a batch can outlast its
        lease behind a slow Jira, and another daemon may then have claimed the row's lease
        since. Returns the new lease end, or None when the row is no longer this worker's
        (leased to another, or finished): then it must not be worked on."""
        until = now + lease
        statement = (
            update(inbox)
            .where(
                inbox.c.id == inbox_id,
                inbox.c.state == "pending",
                inbox.c.claimed_until == claimed_until,
            )
            .values(claimed_until=until)
        )
        with self.transaction("renewing a claim", recoverable=True) as connection:
            renewed = connection.execute(statement).rowcount
        return until if renewed else None

    @staticmethod
    def complete_in(connection: Connection, inbox_id: int, now: datetime) -> None:
        """Mark a row done inside a transaction a handler has open, so that what the handler
        recorded of its Jira call and the row's completion are one commit."""
        result = connection.execute(_COMPLETE, {"b_row_id": inbox_id, "b_done_at": now})
        if result.rowcount == 0:
            raise KeyError(f"no inbox row with id {inbox_id}")

    def complete(self, inbox_id: int, *, now: datetime | None = None) -> None:
        self._update(
            "completing an event",
            inbox_id,
            state="done",
            done_at=now or _utcnow(),
            claimed_until=None,
        )

    def retry_later(self, inbox_id: int, at: datetime, error: str) -> None:
        """Count a failed attempt and make the row due again at `at`."""
        self._update(
            "rescheduling an event",
            inbox_id,
            attempts=inbox.c.attempts + 1,
            next_attempt_at=at,
            last_error=_clean_error(error),
            claimed_until=None,
        )

    def defer(self, inbox_id: int, at: datetime, reason: str) -> None:
        """Make the row due again at `at` without counting a failure: it is waiting its turn
        (an earlier event of the same subject, a search index settling), not failing."""
        self._update(
            "deferring an event",
            inbox_id,
            next_attempt_at=at,
            last_error=_clean_error(reason),
            claimed_until=None,
        )

    def dead_letter(self, inbox_id: int, reason: str) -> None:
        """Count the failed attempt and park the row with `reason` until someone requeues it."""
        self._update(
            "dead-lettering an event",
            inbox_id,
            state="dead",
            attempts=inbox.c.attempts + 1,
            last_error=_clean_error(reason),
            claimed_until=None,
        )

    def _update(self, action: str, inbox_id: int, **values: Any) -> None:
        # The worker's outcomes of an event (done, due again, dead): a power cut that loses one
        # only has the event run again, and its handler's journal makes that run a no-op in
        # Jira (recoverable; see `transaction`).
        with self.transaction(action, recoverable=True) as connection:
            result = connection.execute(
                update(inbox).where(inbox.c.id == inbox_id).values(**values)
            )
        if result.rowcount == 0:
            raise KeyError(f"no inbox row with id {inbox_id}")

    def requeue_dead(self, ids: Sequence[int] | None = None, *, now: datetime | None = None) -> int:
        """Make dead-lettered rows (all, or those in `ids`) pending again, due now, with their
        attempt count reset. Returns how many rows were requeued; ids that are not dead are
        left alone."""
        statement = (
            update(inbox)
            .where(inbox.c.state == "dead")
            .values(
                state="pending",
                attempts=0,
                next_attempt_at=now or _utcnow(),
                claimed_until=None,
                done_at=None,
            )
        )
        if ids is not None:
            if not ids:
                return 0
            statement = statement.where(inbox.c.id.in_(list(ids)))
        with writing(self._engine, "requeueing dead letters") as connection:
            return int(connection.execute(statement).rowcount)

    def drop_dead(self, ids: Sequence[int], *, now: datetime | None = None) -> list[InboxRow]:
        """Give up on dead-lettered rows for good: they are marked done (their reason kept,
        after "dropped by an operator"), so the events they held back are applied, and a
        re-delivery of the same event is still recognised as a duplicate. Returns the rows as
        they were; ids that are not dead letters are left alone (and not returned)."""
        if not ids:
            return []
        moment = now or _utcnow()
        query = (
            select(inbox)
            .where(inbox.c.state == "dead", inbox.c.id.in_(list(ids)))
            .order_by(inbox.c.id)
            .with_for_update()
        )
        with writing(self._engine, "dropping dead letters") as connection:
            rows = [_row(row) for row in connection.execute(query)]
            for row in rows:
                connection.execute(
                    update(inbox)
                    .where(inbox.c.id == row.id)
                    .values(
                        state="done",
                        done_at=moment,
                        claimed_until=None,
                        last_error=_clean_error(f"{DROPPED_PREFIX}: {row.last_error or ''}"),
                    )
                )
        return rows

    # -- reads -------------------------------------------------------------------------------

    def dead_letters(self, limit: int = 100) -> list[InboxRow]:
        query = select(inbox).where(inbox.c.state == "dead").order_by(inbox.c.id).limit(limit)
        with unavailable_on_failure("listing dead letters"), self._reader() as connection:
            return [_row(row) for row in connection.execute(query)]

    def depth(self) -> dict[str, int]:
        """Number of inbox rows by state; every state is present."""
        query = select(inbox.c.state, func.count()).group_by(inbox.c.state)
        with unavailable_on_failure("counting the queue"), self._reader() as connection:
            counts = {state: int(count) for state, count in connection.execute(query)}
        return {state: counts.get(state, 0) for state in INBOX_STATES}

    def oldest_pending(self) -> datetime | None:
        """When the oldest event not yet delivered (pending, held included) was accepted."""
        query = select(func.min(inbox.c.received_at)).where(inbox.c.state == "pending")
        with unavailable_on_failure("reading the oldest event"), self._reader() as connection:
            found: datetime | None = connection.execute(query).scalar_one()
        return found

    def pending_for_subject(self, kind: str, subject: str) -> list[InboxRow]:
        """Pending rows of one escalation or request, leased or not, in `occurred_at` order."""
        query = (
            select(inbox)
            .where(inbox.c.kind == kind, inbox.c.subject == subject, inbox.c.state == "pending")
            .order_by(inbox.c.occurred_at, inbox.c.id)
        )
        with unavailable_on_failure("reading pending events"), self._reader() as connection:
            return [_row(row) for row in connection.execute(query)]

    def earlier_unfinished(self, row: InboxRow) -> list[InboxRow]:
        """Rows of `row`'s subject that come before it and are still pending or dead-lettered,
        in order: while there are any, `row` must wait (or, behind a dead one, be held)."""
        query = (
            select(inbox)
            .where(
                inbox.c.kind == row.kind,
                inbox.c.subject == row.subject,
                inbox.c.state.in_(("pending", "dead")),
                or_(
                    inbox.c.occurred_at < row.occurred_at,
                    and_(inbox.c.occurred_at == row.occurred_at, inbox.c.id < row.id),
                ),
            )
            .order_by(inbox.c.occurred_at, inbox.c.id)
        )
        with unavailable_on_failure("reading earlier events"), self._reader() as connection:
            return [_row(found) for found in connection.execute(query)]

    def earlier_unfinished_of(
        self, rows: Sequence[InboxRow]
    ) -> dict[tuple[str, str], list[InboxRow]]:
        """`earlier_unfinished` for several rows of different subjects (the first row of each
        lane of a batch) in one read: by (kind, subject), the rows of that subject that come
        before the given one and are still pending or dead-lettered, in order."""
        firsts = {(row.kind, row.subject): row for row in rows}
        found: dict[tuple[str, str], list[InboxRow]] = {key: [] for key in firsts}
        if not firsts:
            return found
        latest = max(row.occurred_at for row in firsts.values())
        subjects = sorted({subject for _, subject in firsts})
        with unavailable_on_failure("reading earlier events"), self._reader() as connection:
            for start in range(0, len(subjects), _IN_CHUNK):
                query = (
                    select(inbox)
                    .where(
                        inbox.c.subject.in_(subjects[start : start + _IN_CHUNK]),
                        inbox.c.state.in_(("pending", "dead")),
                        inbox.c.occurred_at <= latest,
                    )
                    .order_by(inbox.c.occurred_at, inbox.c.id)
                )
                for candidate in connection.execute(query):
                    first = firsts.get((candidate.kind, candidate.subject))
                    if first is not None and (candidate.occurred_at, candidate.id) < (
                        first.occurred_at,
                        first.id,
                    ):
                        found[(first.kind, first.subject)].append(_row(candidate))
        return found

    def held(self) -> Held:
        """Pending events held behind dead letters of their subject: how many in all, and how
        many each dead letter holds back (an event behind two dead letters counts for both)."""
        pending = inbox.alias("held")
        per_dead = (
            select(_dead.c.id, func.count(pending.c.id))
            .select_from(
                _dead.join(
                    pending,
                    and_(
                        _same_subject(_dead, pending),
                        pending.c.state == "pending",
                        _before(_dead, pending),
                    ),
                )
            )
            .where(_dead.c.state == "dead")
            .group_by(_dead.c.id)
        )
        total = select(func.count()).select_from(inbox).where(inbox.c.state == "pending", _HELD)
        with unavailable_on_failure("counting held events"), self._reader() as connection:
            by_dead = {int(ident): int(count) for ident, count in connection.execute(per_dead)}
            events = int(connection.execute(total).scalar_one())
        return Held(events=events, by_dead_letter=by_dead)

    def get(self, inbox_id: int) -> InboxRow | None:
        with unavailable_on_failure("reading an event"), self._reader() as connection:
            row = connection.execute(select(inbox).where(inbox.c.id == inbox_id)).first()
        return None if row is None else _row(row)

    # -- cursors -----------------------------------------------------------------------------

    def get_cursor(self, name: str) -> str | None:
        with unavailable_on_failure("reading a cursor"), self._reader() as connection:
            value = connection.execute(
                select(cursors.c.value).where(cursors.c.name == name)
            ).scalar()
        return cast("str | None", value)

    def set_cursor(self, name: str, value: str, *, now: datetime | None = None) -> None:
        moment = now or _utcnow()
        statement = self._insert(cursors).values(name=name, value=value, updated_at=moment)
        statement = statement.on_conflict_do_update(
            index_elements=[cursors.c.name], set_={"value": value, "updated_at": moment}
        )
        with writing(self._engine, "saving a cursor") as connection:
            connection.execute(statement)


__all__ = ["Store"]
