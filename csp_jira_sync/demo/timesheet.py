"""The demo's allowance part: people log time in Jira, the allowance pass reads it back.

CSP staff and NOC engineers log worklogs over REST with their own tokens (as they would in
Jira's UI) on the demo customers' issues; one customer ends past a warning threshold, one past
its allowance, and the NOC's time is shown as excluded. Then one allowance pass runs (the
month re-read, as `serve` does every hour: the incremental feed withholds Jira's last minute)
and the ledger, the tracking issues and the labels that appeared are read back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import cycle
from typing import Any

import requests

from csp_jira_sync.allowance.enforce import EXCEEDED_LABEL, TRACKING_LABEL, WARNING_LABEL
from csp_jira_sync.allowance.ledger import allowance_summaries
from csp_jira_sync.jira.model import FoundIssue
from csp_jira_sync.runtime.bootstrap import App
from jira_sandbox.server import RunningSandbox


@dataclass(frozen=True)
class Entry:
    customer: str
    user: str
    hours: float


# Silver (10 h, warned at 75%) ends at 80%; bronze (4 h) past 100%; gold well within. The NOC's
# hours land on the same issues and are excluded ("not-csp-staff").
TIMESHEET = (
    Entry("globex", "csp.alice", 4.5),
    Entry("globex", "csp.bob", 3.5),
    Entry("globex", "noc.dave", 2),
    Entry("initech", "csp.chen", 3),
    Entry("initech", "csp.alice", 1.5),
    Entry("initech", "noc.erin", 1),
    Entry("acme", "csp.bob", 2),
)


@dataclass(frozen=True)
class Logged:
    user: str
    key: str
    customer: str
    hours: float


@dataclass
class AllowanceResult:
    worklogs: list[Logged] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)
    ledger: list[dict[str, Any]] = field(default_factory=list)
    tracking: list[dict[str, Any]] = field(default_factory=list)
    flagged: list[dict[str, Any]] = field(default_factory=list)


def _worklog_targets(issues: Sequence[FoundIssue], customer: str) -> list[str]:
    """The customer's issues that CSP time counts on: escalations first, then requests with
    a CSP activity (time on out-of-scope or untriaged issues would not count)."""
    label = f"csp-customer-{customer}"
    mine = [
        i
        for i in issues
        if label in i.labels
        and "csp-out-of-scope" not in i.labels
        and any(one.startswith("csp-act-") for one in i.labels)
    ]
    mine.sort(key=lambda i: str((i.fields.get("issuetype") or {}).get("name")) != "Incident")
    return [i.ref.key for i in mine]


def log_time(
    sandbox: RunningSandbox, issues: Sequence[FoundIssue], started: datetime
) -> list[Logged]:
    """Each timesheet entry as a worklog, logged by its user over REST."""
    logged: list[Logged] = []
    targets = {c: cycle(_worklog_targets(issues, c)) for c in {e.customer for e in TIMESHEET}}
    when = started.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    for entry in TIMESHEET:
        key = next(targets[entry.customer], None)
        if key is None:
            continue  # the customer has no CSP issue in this (short) run
        with requests.Session() as session:
            session.auth = sandbox.credentials(entry.user)
            answer = session.post(
                f"{sandbox.base_url}/rest/api/2/issue/{key}/worklog",
                json={"timeSpentSeconds": int(entry.hours * 3600), "started": when},
                timeout=10,
            )
        answer.raise_for_status()
        logged.append(Logged(entry.user, key, entry.customer, entry.hours))
    return logged


def run_allowance(
    app: App, sandbox: RunningSandbox, issues: Sequence[FoundIssue]
) -> AllowanceResult:
    now = datetime.now(UTC)
    result = AllowanceResult()
    # Started now: the current month in every customer's time zone, the month shown below.
    result.worklogs = log_time(sandbox, issues, now)
    sandbox.admin.flush_index()  # the demo's index lag is for the escalations, not for this
    result.outcomes = dict(app.allowance(full=True))
    result.ledger = allowance_summaries(app.store, app.mappings, month=None, customer=None, now=now)
    result.tracking = sandbox.admin.issues(labels=[TRACKING_LABEL])
    result.flagged = [
        issue
        for issue in sandbox.admin.issues(labels=["csp"])
        if {WARNING_LABEL, EXCEEDED_LABEL} & set(issue["labels"])
    ]
    return result
