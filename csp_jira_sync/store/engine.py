"""Building the SQLAlchemy engine for SQLite or PostgreSQL, and turning driver failures into
`StoreUnavailable`.

SQLite durability, measured on this kind of machine (see bench/bench_intake.py): WAL with
`synchronous=NORMAL` does not fsync on commit, so a committed row survives a SIGKILL of the
process but not a power cut; `synchronous=FULL` fsyncs the WAL on every commit (about 0.3 ms
here) and survives both. A 202 is a promise the sender will not resend, so FULL is the
default; the receiver's group commit spreads one fsync over every request in a batch.

A transaction may say it need not wait for the disk (`RECOVERABLE`): on SQLite it commits
with `synchronous=NORMAL` (the WAL is written, not fsynced), on PostgreSQL with
`synchronous_commit=off`. Both logs are written in order, so a power cut (never a crash of the
process) can lose such a commit only together with every commit after it, and the next commit
that does wait for the disk makes it durable too. It is for records the daemon rebuilds on its
own (what a Jira call it marked beforehand did; a lease; a due time), never for a promise (an
accepted event) or the mark that must be on disk before a Jira call is sent. One fsync costs
about 3 ms on the project's machine and each is taken under SQLite's one write lock: with every
commit waiting for it, the worker's lanes queued behind each other's fsyncs (bench_delivery.py).

Every SQLite transaction starts with BEGIN IMMEDIATE (read-only work excepted, see
`READ_ONLY`): a deferred transaction that reads and then writes fails at once with
SQLITE_BUSY when another writer got in between, and the busy timeout cannot help it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import URL, Connection, make_url

from csp_jira_sync.errors import ConfigError, StoreUnavailable
from csp_jira_sync.store import writers

SqliteSynchronous = Literal["FULL", "NORMAL"]

# Execution option: this connection only reads, so on SQLite it may start a deferred
# transaction that does not queue behind writers.
READ_ONLY = "csp_read_only"
# Execution option: this transaction's commit need not wait for the disk (see above).
RECOVERABLE = "csp_recoverable"
# Where a pooled SQLite connection remembers the synchronous level it was last set to.
_SYNCHRONOUS_NOW = "csp_synchronous"


def safe_url(url: URL | str) -> str:
    """The URL as it may be shown: never with its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except exc.ArgumentError:
        return "<unparsable database URL>"


def make_engine(url: str, *, busy_timeout: float, sqlite_synchronous: SqliteSynchronous) -> Engine:
    try:
        parsed = make_url(url)
    except exc.ArgumentError:
        raise ConfigError(
            "CSP_DATABASE_URL is not a database URL; use sqlite:///path/to/file.sqlite or "
            "postgresql+psycopg://user:password@host:5432/dbname"
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed, busy_timeout, sqlite_synchronous)
    if backend == "postgresql":
        return _postgresql_engine(parsed, busy_timeout)
    raise ConfigError(
        f"CSP_DATABASE_URL {safe_url(parsed)}: unsupported database {backend!r}; "
        "use sqlite:/// or postgresql+psycopg://"
    )


def _sqlite_engine(url: URL, busy_timeout: float, synchronous: SqliteSynchronous) -> Engine:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file::memory:"):
        raise ConfigError(
            "CSP_DATABASE_URL names an in-memory SQLite database, which loses every accepted "
            "event when the process stops; give a file, e.g. sqlite:///var/csp-jira-sync.sqlite"
        )
    Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": busy_timeout},
        pool_size=8,
        max_overflow=8,
    )
    busy_ms = int(busy_timeout * 1000)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Take over BEGIN from the sqlite3 module (it would skip it before SELECTs).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        options = connection.get_execution_options()
        if options.get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
            return
        wanted = "NORMAL" if options.get(RECOVERABLE) else synchronous
        info = connection.connection.info
        if info.get(_SYNCHRONOUS_NOW, synchronous) != wanted:
            # Outside a transaction: SQLite ignores a change of level inside one.
            connection.exec_driver_sql(f"PRAGMA synchronous={wanted}")
            info[_SYNCHRONOUS_NOW] = wanted
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    writers.attach(engine, busy_timeout)
    return engine


def _postgresql_engine(url: URL, busy_timeout: float) -> Engine:
    if url.drivername != "postgresql+psycopg":
        raise ConfigError(
            f"CSP_DATABASE_URL {safe_url(url)}: use the psycopg 3 driver, "
            "postgresql+psycopg://user:password@host:5432/dbname"
        )
    return create_engine(
        url,
        pool_pre_ping=True,  # a restarted server leaves dead connections in the pool
        pool_size=8,
        max_overflow=8,
        pool_timeout=max(busy_timeout, 1.0),
        connect_args={"connect_timeout": max(1, round(busy_timeout))},
    )


def write_turn(engine: Engine, action: str) -> AbstractContextManager[None]:
    """Wait for this writer's turn at `engine`'s SQLite file (see `writers.py`); at once on
    PostgreSQL. Taken before the connection, so that queued writers hold none of the pool's."""
    queue = writers.writers_of(engine)
    return nullcontext() if queue is None else queue.turn(action)


@contextmanager
def writing(engine: Engine, action: str) -> Iterator[Connection]:
    """`engine.begin()` in this writer's turn, failures as `StoreUnavailable`."""
    with write_turn(engine, action), unavailable_on_failure(action), engine.begin() as connection:
        yield connection


def _reason(error: exc.DBAPIError) -> str:
    # str(error) carries the SQL and its parameters (event payloads): show the driver's
    # first line only.
    original = str(error.orig).strip().splitlines()
    return original[0] if original else type(error.orig).__name__


@contextmanager
def unavailable_on_failure(action: str) -> Iterator[None]:
    """Re-raise connection and operational failures as `StoreUnavailable`."""
    try:
        yield
    except (exc.OperationalError, exc.InterfaceError) as error:
        raise StoreUnavailable(
            f"state store unavailable while {action}: {_reason(error)}"
        ) from error
    except exc.DBAPIError as error:
        if error.connection_invalidated:
            raise StoreUnavailable(
                f"state store connection lost while {action}: {_reason(error)}"
            ) from error
        raise
    except (exc.DisconnectionError, exc.TimeoutError) as error:
        raise StoreUnavailable(f"state store unavailable while {action}: {error}") from error
