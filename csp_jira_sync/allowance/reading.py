"""Reading CSP worklogs from Jira, completely and cheaply: the `WorklogSource` over the gateway.

Incremental (`changes_since`): `/worklog/updated` and `/worklog/deleted` page by page, then the
changed worklogs' bodies 1,000 ids a call (`POST /worklog/list`) and the issues they are on one
JQL search per batch of issue ids. What Jira does that shapes it:
- both feeds include items stamped exactly `since` and withhold the last minute, so the next
  cursor is where the updated feed ended, read again next time (overlap); worklogs already
  handed out at that very millisecond are remembered and not fetched twice;
- a page of 1,000 items sharing one millisecond repeats forever when paged by time alone
  (tap-jira): the reader steps past that millisecond and finds the rest of its updates through
  the issues updated since then; deletions beyond such a page cannot be listed by Jira at all,
  so they are logged for a month recompute to settle;
- only reading `/worklog/updated` never notices deletions (airbyte #29796).

Full month (`month`): issues paged by JQL on `worklogDate` (widened a day each side, because
JQL dates are read in the searching user's time zone, airbyte #48492) with their embedded
worklogs; an issue's worklogs are fetched on their own only where the embedded list stopped
at Jira's 20 (pycontribs/jira #1576).

A 400 or 404 from Jira is raised, never read as "no data" (it hid missing data in airbyte's
source-jira); the gateway's retry policy decides what is worth another try.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from csp_jira_sync.allowance.facts import IssueFacts, MonthRead, Worklog, WorklogChanges
from csp_jira_sync.errors import JiraPermanent
from csp_jira_sync.jira.model import FoundIssue, IssueRef
from csp_jira_sync.jira.port import IssueSearch

log = logging.getLogger(__name__)

LIST_BATCH = 1000  # POST /worklog/list takes at most 1,000 ids
ISSUE_BATCH = 50  # ids per `id in (...)` search: Cloud reconciles at most 50 issues a call
MONTH_FIELDS = ("labels", "summary", "worklog")
ISSUE_FIELDS = ("labels", "summary")


class WorklogGateway(IssueSearch, Protocol):
    """The gateway calls the reader makes (`jira.gateway.JiraGateway` has them)."""

    def worklogs_updated(self, since_ms: int) -> dict[str, Any]: ...

    def worklogs_deleted(self, since_ms: int) -> dict[str, Any]: ...

    def worklogs_by_ids(self, ids: Sequence[int]) -> list[dict[str, Any]]: ...

    def issue_worklogs(
        self,
        issue_id: str,
        *,
        started_after_ms: int | None = None,
        started_before_ms: int | None = None,
        page_size: int = 5000,
    ) -> Iterator[dict[str, Any]]: ...

    def group_members(self, group: str, *, page_size: int = 50) -> Iterator[dict[str, Any]]: ...

    def get_issue(self, issue: IssueRef | str, fields: Sequence[str] = ...) -> FoundIssue: ...


@dataclass(frozen=True)
class FeedRead:
    """What one feed said from a cursor on: `(worklog id, updatedTime ms)` items and the time
    it was complete up to. `saturated` lists milliseconds that filled a whole page."""

    items: tuple[tuple[int, int], ...]
    until_ms: int
    saturated: tuple[int, ...]


@dataclass(frozen=True)
class Handed:
    """The worklogs an incremental pass handed out that were updated exactly at the cursor it
    returned: Jira's inclusive `since` shows them again to the pass that starts there."""

    cursor_ms: int
    updated_ids: frozenset[int]


class JiraWorklogSource:
    """`WorklogSource` over the Jira gateway, on Cloud and Data Center."""

    def __init__(self, gateway: WorklogGateway) -> None:
        self._gateway = gateway
        # What this process handed out at the last cursor, so that the overlap Jira returns
        # again is not fetched or reported twice (see `changes_since`).
        self._handed = Handed(cursor_ms=-1, updated_ids=frozenset())

    # -- incremental ---------------------------------------------------------------------

    def changes_since(self, since_ms: int) -> WorklogChanges:
        """Changes from `since_ms` (inclusive) on, and the cursor to resume from.

        The updated feed is read first, the deleted feed after it, and the next cursor is
        where the *updated* feed ended. Each feed is complete up to a minute before it was
        read, so the later deleted feed covers at least as far; moving the cursor to where the
        deleted feed ended instead could skip an update stamped between the two reads.
        Deletions past the cursor are reported again by the next pass: applying a deletion
        twice changes nothing, while remembering them here would lose them if the caller
        failed to apply this answer and asked again from the same cursor.

        Worklogs updated exactly at the cursor were handed out by the pass that returned that
        cursor, which the caller stores only once it has applied them; they are not fetched
        again by this process (after a restart they are: harmless)."""
        if since_ms < 0:
            raise ValueError(f"the worklog cursor must be epoch milliseconds >= 0, not {since_ms}")
        updated = read_feed(self._gateway.worklogs_updated, since_ms)
        deleted = read_feed(self._gateway.worklogs_deleted, since_ms)
        for moment in deleted.saturated:
            log.warning(
                "allowance.deleted_feed_saturated at_ms=%s: more than a page of deletions share "
                "this millisecond and Jira cannot list the rest; recompute the month",
                moment,
            )
        handed = self._handed if self._handed.cursor_ms == since_ms else None
        fresh_ids = list(
            dict.fromkeys(
                worklog_id
                for worklog_id, at in updated.items
                if not (handed and at == since_ms and worklog_id in handed.updated_ids)
            )
        )
        worklogs = {w.id: w for w in self._bodies(fresh_ids)}
        for moment in updated.saturated:
            for worklog in self._updated_at(moment):
                worklogs.setdefault(worklog.id, worklog)
        deleted_ids = tuple(dict.fromkeys(str(worklog_id) for worklog_id, _ in deleted.items))
        issues = self.issues_by_id({w.issue_id for w in worklogs.values()})
        next_ms = max(since_ms, updated.until_ms)
        self._handed = Handed(
            cursor_ms=next_ms,
            updated_ids=frozenset(i for i, at in updated.items if at == next_ms),
        )
        ordered = tuple(sorted(worklogs.values(), key=lambda w: (w.updated, int(w.id))))
        return WorklogChanges(
            updated=ordered,
            deleted_ids=tuple(i for i in deleted_ids if i not in worklogs),
            issues=issues,
            next_since_ms=next_ms,
        )

    def _bodies(self, ids: Sequence[int]) -> Iterator[Worklog]:
        for batch in chunks(ids, LIST_BATCH):
            for raw in self._gateway.worklogs_by_ids(batch):
                yield worklog_from(raw)

    def _updated_at(self, moment_ms: int) -> Iterator[Worklog]:
        """Every worklog whose `updated` is exactly `moment_ms`, for a millisecond that filled a
        feed page. Writing a worklog bumps its issue's `updated`, so they are all on issues
        updated at or after it (epoch milliseconds in JQL need no time zone)."""
        jql = f"updated >= {moment_ms} ORDER BY key ASC"
        for found in self._gateway.search(jql, fields=MONTH_FIELDS):
            for worklog in self._all_worklogs(found, None, None):
                if _epoch_ms(worklog.updated) == moment_ms:
                    yield worklog

    def issues_by_id(self, ids: Iterable[str]) -> tuple[IssueFacts, ...]:
        """The issues with these ids, one search per batch (read through the index lag on
        Cloud). An issue the search cannot see is read on its own: a 404 there is raised."""
        wanted = sorted(set(ids), key=int)
        found: dict[str, IssueFacts] = {}
        for batch in chunks(wanted, ISSUE_BATCH):
            jql = f"id in ({', '.join(batch)}) ORDER BY key ASC"
            reconcile = batch if self._gateway.deployment == "cloud" else ()
            for issue in self._gateway.search(
                jql, fields=ISSUE_FIELDS, reconcile=reconcile, page_size=len(batch)
            ):
                found[issue.ref.id] = facts_from(issue)
        for missing in (i for i in wanted if i not in found):
            found[missing] = facts_from(self._gateway.get_issue(missing, ISSUE_FIELDS))
        return tuple(found[i] for i in wanted)

    # -- full month ----------------------------------------------------------------------

    def month(self, start: datetime, end: datetime) -> MonthRead:
        """Every issue with a worklog started in [start, end), and those worklogs (exactly the
        period's: the search is wider, the answer is not)."""
        if start.tzinfo is None or end.tzinfo is None or end <= start:
            raise ValueError(
                "month() needs timezone-aware start < end, e.g. a customer's month in its zone; "
                f"got {start!r} .. {end!r}"
            )
        jql = month_jql(start, end)
        after_ms = _epoch_ms(start) - 1  # Jira's startedAfter is exclusive
        before_ms = _epoch_ms(end)
        issues: list[IssueFacts] = []
        worklogs: list[Worklog] = []
        for found in self._gateway.search(jql, fields=MONTH_FIELDS):
            inside = [
                w
                for w in self._all_worklogs(found, after_ms, before_ms)
                if start <= w.started < end
            ]
            if inside:
                issues.append(facts_from(found))
                worklogs.extend(inside)
        return MonthRead(issues=tuple(issues), worklogs=tuple(worklogs))

    def _all_worklogs(
        self, found: FoundIssue, after_ms: int | None, before_ms: int | None
    ) -> Iterator[Worklog]:
        embedded = found.fields.get("worklog")
        if not isinstance(embedded, dict) or "worklogs" not in embedded:
            raise JiraPermanent(
                f"Jira returned issue {found.ref.key} without its `worklog` field; the search "
                "must ask for fields=worklog (is time tracking enabled?)"
            )
        listed = embedded.get("worklogs") or []
        total = int(embedded.get("total", len(listed)))
        if total <= len(listed):
            yield from (worklog_from(raw, found.ref.id) for raw in listed)
            return
        pages = self._gateway.issue_worklogs(
            found.ref.id, started_after_ms=after_ms, started_before_ms=before_ms
        )
        yield from (worklog_from(raw, found.ref.id) for raw in pages)

    # -- people --------------------------------------------------------------------------

    def group_members(self, group: str) -> frozenset[str]:
        """The members' ids as worklogs name their authors: accountId on Cloud, key (or name)
        on Data Center."""
        return frozenset(user_id(raw) for raw in self._gateway.group_members(group))


# -- the pieces, pure ------------------------------------------------------------------------


def read_feed(fetch: Callable[[int], dict[str, Any]], since_ms: int) -> FeedRead:
    """Page one worklog feed from `since_ms` to its last page, following `nextPage`. A full
    page whose items share one millisecond would come back unchanged if asked again, so the
    next page starts a millisecond later and that millisecond is reported as saturated."""
    items: list[tuple[int, int]] = []
    saturated: list[int] = []
    since = since_ms
    until = since_ms
    while True:
        page = fetch(since)
        values = page.get("values") or []
        batch = [(int(v["worklogId"]), int(v["updatedTime"])) for v in values]
        items.extend(batch)
        until = max(until, int(page.get("until", since)))
        if page.get("lastPage", True) or not batch:
            return FeedRead(tuple(items), until, tuple(saturated))
        first_ms, last_ms = batch[0][1], batch[-1][1]
        if first_ms == last_ms:
            # A full page of one millisecond: Jira's nextPage (`since` = that millisecond) would
            # answer this very page again.
            saturated.append(last_ms)
            since = last_ms + 1
            # That millisecond is settled (its items were visible, so it is past the withheld
            # minute): the cursor may rest after it even if nothing follows, rather than
            # bring the full page back on every pass.
            until = max(until, since)
        else:
            since = max(since + 1, next_since(page, until))


def next_since(page: dict[str, Any], until: int) -> int:
    """The `since` of Jira's `nextPage` link, or the page's `until` when there is no link."""
    link = page.get("nextPage")
    if isinstance(link, str):
        values = parse_qs(urlsplit(link).query).get("since")
        if values and values[0].isdigit():
            return int(values[0])
    return until


def month_jql(start: datetime, end: datetime) -> str:
    """`worklogDate` bounds a day wider than [start, end) on each side: JQL reads dates in the
    searching user's zone, which is never more than a day from the customer's."""
    first = (start - timedelta(days=1)).date()
    after_last = (end + timedelta(days=1)).date()
    return (
        f'worklogDate >= "{first:%Y/%m/%d}" AND worklogDate < "{after_last:%Y/%m/%d}" '
        "ORDER BY key ASC"
    )


def chunks(items: Sequence[Any], size: int) -> Iterator[list[Any]]:
    for index in range(0, len(items), size):
        yield list(items[index : index + size])


def user_id(raw: dict[str, Any]) -> str:
    """Cloud's accountId; on Data Center the user key, else the name."""
    for key in ("accountId", "key", "name"):
        value = raw.get(key)
        if value:
            return str(value)
    raise JiraPermanent(f"Jira returned a user with neither accountId, key nor name: {sorted(raw)}")


def parse_jira_time(value: Any) -> datetime:
    """Jira's `2026-11-25T10:00:00.000+0000` (fromisoformat reads it since Python 3.11, some
    twenty times faster than strptime: a month read parses two per worklog)."""
    if not isinstance(value, str):
        raise JiraPermanent(f"Jira returned a worklog time that is not text: {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise JiraPermanent(f"Jira returned an unreadable worklog time: {value!r}") from None
    if parsed.tzinfo is None:
        raise JiraPermanent(f"Jira returned a worklog time without its offset: {value!r}")
    return parsed


def worklog_from(raw: dict[str, Any], issue_id: str | None = None) -> Worklog:
    author = raw.get("author") or {}
    return Worklog(
        id=str(raw["id"]),
        issue_id=str(raw.get("issueId") or issue_id or ""),
        author_account_id=user_id(author),
        author_name=str(author.get("displayName") or ""),
        started=parse_jira_time(raw.get("started")),
        seconds=int(raw["timeSpentSeconds"]),
        updated=parse_jira_time(raw.get("updated")),
    )


def facts_from(found: FoundIssue) -> IssueFacts:
    return IssueFacts(
        id=found.ref.id, key=found.ref.key, labels=found.labels, summary=found.summary
    )


def _epoch_ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)
