"""What the allowance ledger knows of Jira: worklogs, the issues they are on, and who is CSP
staff. Plain frozen values; the reader (`reading.py`) produces them from Jira, the pure ledger
consumes them, and `WorklogSource` is the narrow interface between the two."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Worklog:
    """One worklog as Jira reports it. `started` and `updated` are timezone-aware."""

    id: str
    issue_id: str
    author_account_id: str  # Cloud accountId; on Data Center the user's key (or name)
    author_name: str  # display name, for people reading the ledger
    started: datetime
    seconds: int
    updated: datetime


@dataclass(frozen=True)
class IssueFacts:
    """The parts of an issue the ledger needs: whose it is and which CSP activity it carries
    are read from its labels at counting time, so a person's relabelling moves its hours."""

    id: str
    key: str
    labels: tuple[str, ...]
    summary: str = ""


@dataclass(frozen=True)
class WorklogChanges:
    """One incremental read: worklogs updated (or created) and ids deleted since the cursor,
    with the issues they are on, and the cursor to resume from (epoch milliseconds)."""

    updated: tuple[Worklog, ...]
    deleted_ids: tuple[str, ...]
    issues: tuple[IssueFacts, ...]
    next_since_ms: int


@dataclass(frozen=True)
class MonthRead:
    """A full read of every issue (and all its worklogs) that has time in a period."""

    issues: tuple[IssueFacts, ...]
    worklogs: tuple[Worklog, ...]


class WorklogSource(Protocol):
    """What the allowance pass asks of Jira (implemented over the gateway in `reading.py`)."""

    def changes_since(self, since_ms: int) -> WorklogChanges: ...

    def month(self, start: datetime, end: datetime) -> MonthRead: ...

    def group_members(self, group: str) -> frozenset[str]: ...
