"""State-store fixtures on both backends (a pytest plugin: listed in tests/conftest.py).

- `database_url`: an empty database, parametrized over `sqlite` (a file in tmp_path) and
  `postgres` (a fresh schema in the server named by CSP_TEST_POSTGRES_URL, dropped afterwards;
  `scripts/with-postgres` starts a throwaway server and sets the variable).
- `store`: a migrated `Store` on that database.
- `postgres_database_url`: an empty PostgreSQL schema only.
- `sqlite_store`: a migrated store on SQLite only, for tests about something other than the
  database.

Without CSP_TEST_POSTGRES_URL the postgres cases are skipped, except under CI (env CI set),
where a missing server is a failure rather than a silently smaller test run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from csp_jira_sync.store import Store

POSTGRES_ENV = "CSP_TEST_POSTGRES_URL"

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


def postgres_url_or_skip() -> str:
    """The test server's URL; skips the test (fails it under CI) when there is none."""
    url = os.environ.get(POSTGRES_ENV)
    if url:
        return url
    message = (
        f"{POSTGRES_ENV} is not set: run the tests under scripts/with-postgres "
        "(e.g. scripts/with-postgres .venv/bin/pytest tests/store) to include PostgreSQL"
    )
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    engine = create_engine(postgres_url_or_skip(), isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    yield engine
    engine.dispose()


def fresh_postgres_schema(admin: Engine) -> Iterator[str]:
    """Create an empty schema and yield a URL whose connections use only it."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(str(admin.url.render_as_string(hide_password=False)))
    url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        directory = tmp_path_factory.mktemp("state")
        yield f"sqlite:///{directory / 'state.sqlite'}"
        return
    admin: Engine = request.getfixturevalue("postgres_admin")
    yield from fresh_postgres_schema(admin)


@pytest.fixture
def postgres_database_url(postgres_admin: Engine) -> Iterator[str]:
    """An empty PostgreSQL schema, for tests about PostgreSQL itself."""
    yield from fresh_postgres_schema(postgres_admin)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = Store.open(database_url)
    opened.migrate()
    yield opened
    opened.close()


@pytest.fixture
def sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path_factory.mktemp('state') / 'state.sqlite'}")
    opened.migrate()
    yield opened
    opened.close()
