"""Issue documents and contexts for the JQL tests: plain defaults, each test states what differs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from jira_sandbox.jql import IssueDoc, JqlContext, UserRef, parse_jql

BERLIN = ZoneInfo("Europe/Berlin")
ALICE = UserRef("5b10a2844c20165700ede21g", "csp.alice", "alice@csp.example", "Alice Archer")
BOB = UserRef("5b10ac8d82e05b22cc7d4ef5", "csp.bob", "bob@csp.example", "Bob Brown")
DAVE = UserRef("70121:8a5d6f0e-noc-dave", "noc.dave", "dave@noc.example", "Dave Dunn")
# A Wednesday afternoon in Berlin (UTC+1 in November).
NOW = datetime(2026, 11, 18, 15, 30, tzinfo=BERLIN)


def issue(number: int, *, project: str = "CSP", **changes: Any) -> IssueDoc:
    base = IssueDoc(
        id=10000 + number,
        key=f"{project}-{number}",
        project_key=project,
        project_id=10000 if project == "CSP" else 10001,
        issuetype="Task",
        status="To Do",
        status_category="To Do",
        labels=(),
        summary=f"Issue number {number}",
        description="",
        comments=(),
        created=datetime(2026, 11, 2, 9, 0, tzinfo=UTC) + timedelta(minutes=number),
        updated=datetime(2026, 11, 3, 9, 0, tzinfo=UTC) + timedelta(minutes=number),
        resolutiondate=None,
        resolution=None,
        priority="Medium",
        assignee=None,
        reporter=ALICE,
    )
    return replace(base, **changes)


def context(
    now: datetime = NOW,
    timezone: tzinfo = BERLIN,
    user: UserRef | None = ALICE,
    **changes: Any,
) -> JqlContext:
    return JqlContext(now=now, timezone=timezone, current_user=user, **changes)


def keys(jql: str, docs: Iterable[IssueDoc], ctx: JqlContext | None = None) -> list[str]:
    """Keys of the issues `jql` finds, in the order search() returns them."""
    return [doc.key for doc in parse_jql(jql).search(docs, ctx or context())]


def matching(jql: str, docs: Iterable[IssueDoc], ctx: JqlContext | None = None) -> set[str]:
    """Keys of the issues `jql` finds, order aside."""
    return set(keys(jql, docs, ctx))
