"""An in-memory `WorklogSource` for allowance tests: worklogs logged, edited, moved and deleted
by hand, with a change feed that behaves like Jira's (`since` inclusive)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from csp_jira_sync.allowance.facts import IssueFacts, MonthRead, Worklog, WorklogChanges


@dataclass
class InMemoryWorklogs:
    groups: dict[str, set[str]] = field(default_factory=dict)
    issues: dict[str, IssueFacts] = field(default_factory=dict)
    worklogs: dict[str, Worklog] = field(default_factory=dict)
    changed_ms: dict[str, int] = field(default_factory=dict)
    deleted_ms: dict[str, int] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    now_ms: int = 1_795_000_000_000  # 2026-11-18, after a new ledger starts reading
    _next_id: int = 1

    def tick(self) -> int:
        self.now_ms += 1000
        return self.now_ms

    def issue(self, key: str, *labels: str) -> IssueFacts:
        found = IssueFacts(id=str(10000 + len(self.issues)), key=key, labels=labels)
        self.issues[found.id] = found
        return found

    def relabel(self, issue: IssueFacts, *labels: str) -> IssueFacts:
        """A person changes the labels: no worklog changes, so only a month read sees it."""
        changed = replace(issue, labels=labels)
        self.issues[issue.id] = changed
        return changed

    def log(self, issue: IssueFacts, author: str, started: str, seconds: int) -> Worklog:
        ident = str(self._next_id)
        self._next_id += 1
        moment = datetime.fromisoformat(started)
        worklog = Worklog(ident, issue.id, author, author.title(), moment, seconds, moment)
        self.worklogs[ident] = worklog
        self.changed_ms[ident] = self.tick()
        return worklog

    def edit(self, worklog: Worklog, **changes: object) -> Worklog:
        edited = replace(self.worklogs[worklog.id], **changes)  # type: ignore[arg-type]
        self.worklogs[worklog.id] = edited
        self.changed_ms[worklog.id] = self.tick()
        return edited

    def delete(self, worklog: Worklog) -> None:
        del self.worklogs[worklog.id]
        self.changed_ms.pop(worklog.id, None)
        self.deleted_ms[worklog.id] = self.tick()

    # -- WorklogSource ---------------------------------------------------------------------

    def changes_since(self, since_ms: int) -> WorklogChanges:
        self.calls.append("changes_since")
        updated = tuple(
            self.worklogs[i] for i, ms in sorted(self.changed_ms.items()) if ms >= since_ms
        )
        deleted = tuple(i for i, ms in sorted(self.deleted_ms.items()) if ms >= since_ms)
        issue_ids = {w.issue_id for w in updated}
        return WorklogChanges(
            updated=updated,
            deleted_ids=deleted,
            issues=tuple(self.issues[i] for i in sorted(issue_ids)),
            next_since_ms=self.now_ms + 1,
        )

    def month(self, start: datetime, end: datetime) -> MonthRead:
        self.calls.append("month")
        inside = [w for w in self.worklogs.values() if start <= w.started < end]
        issue_ids = {w.issue_id for w in inside}
        return MonthRead(
            issues=tuple(self.issues[i] for i in sorted(issue_ids)),
            worklogs=tuple(w for w in self.worklogs.values() if w.issue_id in issue_ids),
        )

    def group_members(self, group: str) -> frozenset[str]:
        self.calls.append("group_members")
        return frozenset(self.groups.get(group, set()))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


HOUR = timedelta(hours=1)
