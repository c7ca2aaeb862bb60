"""Secrets never reach logs, stored errors, answers, `/metrics` or any command's output, on the
happy path or a failing one (Jira answering 401, the database unreachable).

Every secret setting gets a distinctive value (a Jira token, both webhook secrets, the
Alertmanager token, the PagerDuty secret, a database password in the URL), and each run's whole
captured output is scanned for it and for the forms it travels in (the Basic auth header, the
base64 and raw bytes of a `whsec_` secret): stdout and stderr, every log record at DEBUG, the
exception and its traceback. Rich tables wrap long cells, so the output is also scanned with
white space and box drawing removed.

COMMANDS is the table of command runs: one line per command and situation. A new command gets
its line here (e.g. `Run("reconcile", ("reconcile", "--dry-run"))`).
"""

from __future__ import annotations

import base64
import logging
import re
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest
import requests
import sqlalchemy as sa
from pydantic import SecretStr
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from csp_jira_sync.cli import app as cli
from csp_jira_sync.store import Store
from csp_jira_sync.store.schema import inbox
from tests.e2e.harness import noc_event, running_daemon

JIRA_TOKEN = "jira-token-Qv7s2Lk9"
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"webhook-secret-current-Hx31Tz").decode()
WEBHOOK_PREVIOUS = "whsec_" + base64.b64encode(b"webhook-secret-previous-Bw55Kp").decode()
ALERTMANAGER_TOKEN = "am-token-Rj40Wc"
PAGERDUTY_SECRET = "pd-secret-Nn62Ye"
DB_PASSWORD = "db-pass-Gz84Uq"
SANDBOX_TOKEN = "csp-sync-token"  # the sandbox's own token for the sync user


def forms_of(*secrets: str, user: str = "csp-sync") -> list[str]:
    """Each secret as it could leak: as set, as a Basic auth credential, a `whsec_` secret's
    key in base64 and as raw bytes."""
    found: list[str] = []
    for secret in secrets:
        found += [secret, base64.b64encode(f"{user}:{secret}".encode()).decode()]
        if secret.startswith("whsec_"):
            key = secret.removeprefix("whsec_")
            found += [key, base64.b64decode(key).decode("latin-1")]
    return found


SECRETS = forms_of(
    JIRA_TOKEN, WEBHOOK_SECRET, WEBHOOK_PREVIOUS, ALERTMANAGER_TOKEN, PAGERDUTY_SECRET, DB_PASSWORD
)


def assert_no_secret(*captured: str, secrets: list[str] = SECRETS) -> None:
    text = "\n".join(captured)
    squashed = re.sub(r"[\s│┃║┆━─═|]+", "", text)
    for secret in secrets:
        assert secret not in text, f"a secret ({secret[:4]}...) appears in the output"
        assert secret not in squashed, f"a secret ({secret[:4]}...) appears, wrapped, in the output"


# -- every command, table-driven ---------------------------------------------------------------

Jira = Literal["sandbox", "refuses-token", "nobody"]
Database = Literal["sqlite", "postgres", "unreachable"]


@dataclass(frozen=True)
class Run:
    name: str
    args: tuple[str, ...]
    jira: Jira = "nobody"
    database: Database = "sqlite"

    def __str__(self) -> str:
        return self.name


REQUESTS_FILE = (
    '{"id": "R-1", "customer": "globex", "requester": "dan.whitfield@globex.example", '
    '"channel": "email", "received_at": "2026-05-20T08:15:00-04:00", "subject": "Backup", '
    '"body": "Please restore yesterday\'s backup."}\n'
)

COMMANDS = [
    Run("check", ("check",)),
    Run("check json", ("check", "--format", "json")),
    Run("check on postgres", ("check",), database="postgres"),
    Run("check, database unreachable", ("check",), database="unreachable"),
    Run("check --live", ("check", "--live"), jira="sandbox"),
    Run("check --live, Jira 401", ("check", "--live", "--format", "json"), jira="refuses-token"),
    Run("check --live, Jira down", ("check", "--live"), jira="nobody"),
    Run("sync, Jira 401", ("sync", "--timeout", "2"), jira="refuses-token"),
    Run("sync on postgres", ("sync", "--timeout", "2", "--format", "json"), "sandbox", "postgres"),
    Run("sync, database unreachable", ("sync", "--timeout", "2"), database="unreachable"),
    Run("dead-letters", ("dead-letters",)),
    Run("dead-letters json on postgres", ("dead-letters", "--format", "json"), database="postgres"),
    Run("dead-letters, database unreachable", ("dead-letters",), database="unreachable"),
    Run("allowance", ("allowance", "--month", "2026-11")),
    Run("allowance json, postgres", ("allowance", "--format", "json"), database="postgres"),
    Run("allowance, database unreachable", ("allowance",), database="unreachable"),
    Run("allowance explain", ("allowance", "explain", "--customer", "acme", "--month", "2026-11")),
    Run("finance export", ("finance", "export", "--month", "2026-11")),
    Run(
        "finance export, database unreachable",
        ("finance", "export", "--month", "2026-11"),
        database="unreachable",
    ),
    Run("report trends, Jira 401", ("report", "trends", "--for", "2026-11"), jira="refuses-token"),
    Run("classify", ("classify", "--subject", "Disk full", "--body", "Please extend /data")),
    Run("import-requests", ("import-requests", "{requests}")),
    Run(
        "import-requests, database unreachable",
        ("import-requests", "{requests}"),
        database="unreachable",
    ),
    Run("reconcile --dry-run", ("reconcile", "--dry-run"), jira="sandbox"),
    Run("reconcile json on postgres", ("reconcile", "--format", "json"), "sandbox", "postgres"),
    Run("reconcile, Jira 401", ("reconcile", "--format", "json"), jira="refuses-token"),
    Run("reconcile, database unreachable", ("reconcile",), database="unreachable"),
]


def _marks(run: Run) -> list[pytest.MarkDecorator]:
    return [pytest.mark.postgres] if run.database == "postgres" else []


@pytest.mark.parametrize(
    "run", [pytest.param(run, id=run.name, marks=_marks(run)) for run in COMMANDS]
)
def test_no_command_shows_a_secret_in_its_output_logs_or_errors(
    run: Run,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    if run.database == "postgres":
        url = make_url(request.getfixturevalue("postgres_database_url"))
        database_url = url.set(password=DB_PASSWORD).render_as_string(hide_password=False)
    elif run.database == "unreachable":
        database_url = f"postgresql+psycopg://csp:{DB_PASSWORD}@127.0.0.1:9/csp"
    else:
        database_url = f"sqlite:///{tmp_path / 'state.sqlite'}"
    jira_url, token = "http://127.0.0.1:9", JIRA_TOKEN
    if run.jira != "nobody":
        jira_url = request.getfixturevalue("sandbox").base_url
        token = SANDBOX_TOKEN if run.jira == "sandbox" else JIRA_TOKEN
    (tmp_path / "requests.jsonl").write_text(REQUESTS_FILE)
    env = {
        "CSP_JIRA_URL": jira_url,
        "CSP_JIRA_TOKEN": token,
        "CSP_DATABASE_URL": database_url,
        "CSP_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "CSP_WEBHOOK_SECRET_PREVIOUS": WEBHOOK_PREVIOUS,
        "CSP_ALERTMANAGER_TOKEN": ALERTMANAGER_TOKEN,
        "CSP_PAGERDUTY_SECRET": PAGERDUTY_SECRET,
        "CSP_LOG_LEVEL": "DEBUG",
        "CSP_JIRA_MAX_ATTEMPTS": "1",
        "CSP_JIRA_TIMEOUT_SECONDS": "3",
        "COLUMNS": "100",
    }
    args = [arg.replace("{requests}", str(tmp_path / "requests.jsonl")) for arg in run.args]
    result = CliRunner().invoke(cli, args, env=env)
    captured = [result.output, caplog.text]
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        captured += [repr(result.exception), "".join(traceback.format_exception(result.exception))]
    secrets = SECRETS + (forms_of(SANDBOX_TOKEN) if run.jira == "sandbox" else [])
    assert_no_secret(*captured, secrets=secrets)
    # The run did what it was meant to: it ran, or it failed for the reason arranged.
    assert result.output or caplog.text
    if run.database == "unreachable":
        assert result.exit_code != 0
    if run.jira == "refuses-token":
        assert "401" in "\n".join(captured), "Jira's refusal was not reached"


def test_the_command_table_covers_every_command() -> None:
    ran = {run.args[0] for run in COMMANDS}
    offered = {command.name for command in cli.registered_commands if command.name} | {
        group.name for group in cli.registered_groups if group.name
    }
    # serve runs in the daemon test below; demo and sandbox start a sandbox of their own and
    # print its sandbox-only tokens on purpose (jira_sandbox/default_seed.yaml).
    assert offered - ran <= {"serve", "demo", "sandbox"}, offered - ran


# -- serve: the daemon, its answers and /metrics ---------------------------------------------


def stored_errors(store: Store, timeout: float = 10.0) -> list[str]:
    """The inbox's stored errors, as soon as there are any (none after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    stored: list[str] = []
    while time.monotonic() < deadline and not stored:
        with store.engine.connect() as conn:
            stored = [e for e in conn.execute(sa.select(inbox.c.last_error)).scalars() if e]
        time.sleep(0.05)
    return stored


def test_a_rejected_token_is_retried_and_appears_in_no_log_or_stored_error(
    sandbox: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    token = "wrong-token-Zq81x"
    secrets = [token, base64.b64encode(f"csp-sync:{token}".encode()).decode()]
    caplog.set_level(logging.DEBUG)
    with running_daemon(sandbox.base_url, tmp_path, jira_token=SecretStr(token)) as daemon:
        secrets.append(daemon.secret)
        assert daemon.post(noc_event("s1")).status_code == 202
        stored = stored_errors(daemon.app.store)
        assert any("401" in error for error in stored), stored
        assert daemon.app.store.depth().get("dead", 0) == 0  # a bad token dead-letters nothing
    everything = caplog.text + "\n".join(stored)
    for secret in secrets:
        assert secret not in everything


def test_serve_shows_no_secret_in_answers_metrics_or_logs_when_jira_refuses_its_token(
    sandbox: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    overrides = {
        "jira_token": SecretStr(JIRA_TOKEN),
        "webhook_secret": SecretStr(WEBHOOK_SECRET),
        "webhook_secret_previous": SecretStr(WEBHOOK_PREVIOUS),
        "alertmanager_token": SecretStr(ALERTMANAGER_TOKEN),
        "pagerduty_secret": SecretStr(PAGERDUTY_SECRET),
        "log_level": "DEBUG",
    }
    answers: list[str] = []
    with running_daemon(sandbox.base_url, tmp_path, **overrides) as daemon:
        base = daemon.running.base_url
        assert daemon.post(noc_event("s1")).status_code == 202
        refused = [
            requests.post(f"{base}/webhooks/noc", json=noc_event("s2"), timeout=10),
            requests.post(
                f"{base}/webhooks/alertmanager",
                json={},
                headers={"Authorization": "Bearer wrong"},
                timeout=10,
            ),
            requests.post(
                f"{base}/webhooks/pagerduty",
                json={},
                headers={"X-PagerDuty-Signature": "v1=00"},
                timeout=10,
            ),
        ]
        assert [r.status_code for r in refused] == [401, 401, 401]
        stored = stored_errors(daemon.app.store)
        assert any("401" in error for error in stored), stored
        for path in ("/metrics", "/readyz", "/healthz", "/openapi.json"):
            answers.append(requests.get(base + path, timeout=10).text)
        answers += [r.text + str(r.headers) for r in refused]
    assert_no_secret(caplog.text, *stored, *answers)


def test_serve_on_postgres_shows_no_database_password_when_the_database_goes_away(
    sandbox: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The password is in the URL; connection errors quote the URL's host and port, not it."""
    caplog.set_level(logging.DEBUG)
    unreachable = f"postgresql+psycopg://csp:{DB_PASSWORD}@127.0.0.1:9/csp"
    # Whatever it raises is scanned.
    with (
        pytest.raises(Exception) as raised,
        running_daemon(sandbox.base_url, tmp_path, database_url=unreachable),
    ):
        pass
    assert_no_secret(
        caplog.text, repr(raised.value), "".join(traceback.format_exception(raised.value))
    )


def test_the_scan_finds_a_secret_even_where_a_table_wrapped_it() -> None:
    wrapped = f"│ token │ {JIRA_TOKEN[:8]}  │\n│       │ {JIRA_TOKEN[8:]} │"
    with pytest.raises(AssertionError, match="wrapped"):
        assert_no_secret(wrapped)
    basic = base64.b64encode(f"csp-sync:{JIRA_TOKEN}".encode()).decode()
    with pytest.raises(AssertionError):
        assert_no_secret(f"Authorization: Basic {basic}")
