"""`csp-jira-sync demo`: the main job end to end on the embedded defaults.

Starts the Jira sandbox (Cloud mode, with a realistic search-index lag) and the daemon on a
fresh SQLite file, sends a stream of signed NOC escalations (with re-deliveries and late
events), waits until the queue is drained into Jira, and shows what landed there. Then CSP
and NOC users log time on those issues and the allowance pass shows each customer's month,
one of them past a warning threshold and one past its allowance (`demo.timesheet`).
"""

from __future__ import annotations

import base64
import json
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import requests
from pydantic import SecretStr
from standardwebhooks import Webhook

from csp_jira_sync.delivery import journal
from csp_jira_sync.delivery.kinds import kind_names
from csp_jira_sync.demo.stream import StreamItem, escalation_stream
from csp_jira_sync.demo.timesheet import AllowanceResult, run_allowance
from csp_jira_sync.jira.model import FoundIssue
from csp_jira_sync.runtime.bootstrap import App, build_app
from csp_jira_sync.runtime.daemon import start_daemon
from csp_jira_sync.settings import Settings
from jira_sandbox.config import KnobSettings, SandboxConfig
from jira_sandbox.server import start_sandbox

Progress = Callable[[str, int, int], None]


@dataclass
class DemoResult:
    sent: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    issues: list[FoundIssue] = field(default_factory=list)
    jira_calls: int = 0
    queue: dict[str, int] = field(default_factory=dict)
    allowance: AllowanceResult = field(default_factory=AllowanceResult)

    @property
    def calls_per_event(self) -> float:
        return self.jira_calls / self.accepted if self.accepted else 0.0


def new_webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def signed_post(
    session: requests.Session, url: str, secret: str, payload: dict[str, Any], msg_id: str
) -> requests.Response:
    """POST `payload` signed as a Standard Webhooks sender signs it."""
    body = json.dumps(payload)
    now = datetime.now(UTC)
    signature = Webhook(secret).sign(msg_id, now, body)
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }
    return session.post(url, data=body.encode(), headers=headers, timeout=10)


DEMO_REQUESTS = Path(__file__).parent / "data" / "requests.jsonl"


def demo_requests() -> list[StreamItem]:
    """Customer requests as they arrive by email, portal and phone (some from people the
    customer never authorized, one hands-on support ask, one too vague to classify)."""
    lines = DEMO_REQUESTS.read_text(encoding="utf-8").splitlines()
    return [StreamItem(json.loads(line), redelivery=False) for line in lines if line.strip()]


def send_stream(
    base_url: str,
    secret: str,
    stream: list[StreamItem],
    result: DemoResult,
    progress: Progress,
    *,
    path: str = "/webhooks/noc",
    label: str = "sending signed escalations",
) -> None:
    with requests.Session() as session:
        for index, item in enumerate(stream, start=1):
            ident = item.payload.get("event_id", item.payload.get("id"))
            response = signed_post(
                session, f"{base_url}{path}", secret, item.payload, f"msg_{ident}"
            )
            result.sent += 1
            if response.status_code == 202:
                if response.json().get("duplicate"):
                    result.duplicates += 1
                else:
                    result.accepted += 1
            else:
                result.rejected += 1
            progress(label, index, len(stream))


READ_BACK_FIELDS = ("summary", "labels", "status", "issuetype", "created", "updated")


def read_back(app: App) -> list[FoundIssue]:
    """Every issue the daemon created, read from Jira. Search is eventually consistent, so the
    ids the daemon knows are named in `reconcileIssues` (at most 50 per search, as in Jira)."""
    with app.store.transaction("reading what landed") as conn:
        known = [
            issue.id for kind in kind_names() for _, _, issue in journal.issues_of_kind(conn, kind)
        ]
    found: dict[str, FoundIssue] = {}
    for start in range(0, len(known), 50):
        chunk = known[start : start + 50]
        jql = f"id in ({', '.join(chunk)}) ORDER BY key ASC"
        for issue in app.gateway.search(jql, fields=READ_BACK_FIELDS, reconcile=chunk):
            found[issue.ref.id] = issue
    return sorted(found.values(), key=lambda i: int(i.ref.id))


def daemon_settings(jira_url: str, database: Path, secret: str) -> Settings:
    """The daemon's settings against a sandbox: SQLite, a fresh signing secret, and a search
    settle time that fits the sandbox's index lag rather than Jira Cloud's."""
    return Settings(
        jira_url=jira_url,
        database_url=f"sqlite:///{database}",
        webhook_secret=SecretStr(secret),
        jira_search_settle_seconds=3,
    )


def run_demo(
    workdir: Path, *, escalations: int = 24, progress: Progress | None = None
) -> DemoResult:
    report: Progress = progress or (lambda _label, _done, _total: None)
    workdir.mkdir(parents=True, exist_ok=True)
    database = workdir / "demo.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    result = DemoResult()
    with start_sandbox(
        SandboxConfig(mode="cloud", knobs=KnobSettings(index_lag_ms=1500))
    ) as sandbox:
        secret = new_webhook_secret()
        settings = daemon_settings(sandbox.base_url, database, secret)
        app = build_app(settings)
        with start_daemon(app) as daemon:
            stream = escalation_stream(sorted(app.mappings.customers), escalations=escalations)
            send_stream(daemon.base_url, secret, stream, result, report)
            send_stream(
                daemon.base_url,
                secret,
                demo_requests(),
                result,
                report,
                path="/webhooks/requests",
                label="sending signed customer requests",
            )
            app.wait_until_drained(progress=partial(report, "draining into Jira"))
        result.queue = app.store.depth()
        result.jira_calls = int(sandbox.admin.stats()["total"])  # before the read-back below
        result.issues = read_back(app)
        report("people logging time, the allowance pass", 0, 1)
        result.allowance = run_allowance(app, sandbox, result.issues)
        report("people logging time, the allowance pass", 1, 1)
        app.close()
    return result
