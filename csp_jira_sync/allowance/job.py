"""The allowance pass: read what changed in Jira's worklogs, recount the ledger lines it
touches, recompute those customer-months, and enforce.

Two reads land in one ledger: the incremental read (`WorklogSource.changes_since`, upserts
and deletions since the cursor, which moves in the same transaction as the lines), and the
full read of a month (`WorklogSource.month`), which replaces every stored worklog started in
it: that is also what sees an issue relabelled by a person, which changes no worklog.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Connection

from csp_jira_sync.allowance import repository as repo
from csp_jira_sync.allowance.counting import Rules, count_worklog
from csp_jira_sync.allowance.enforce import EXCEEDED_LABEL, WARNING_LABEL
from csp_jira_sync.allowance.enforcement import Enforcer
from csp_jira_sync.allowance.facts import IssueFacts, Worklog, WorklogSource
from csp_jira_sync.allowance.ledger import customer_months
from csp_jira_sync.allowance.months import Month
from csp_jira_sync.config.mappings import Mappings
from csp_jira_sync.errors import JiraError
from csp_jira_sync.store import Store

log = logging.getLogger(__name__)

# Actions that only apply while a month is the customer's current one: they come off after.
CURRENT_ONLY = ("labels:warning", "labels:exceeded", "approval")
# Time zones run from UTC-12 to UTC+14: a month read covers every customer's month.
_EARLIEST, _LATEST = timedelta(hours=14), timedelta(hours=12)


def month_period(month: Month) -> tuple[datetime, datetime]:
    """The UTC period that holds `month` in every time zone."""
    return (
        month.start(UTC) - _EARLIEST,
        month.next().start(UTC) + _LATEST,
    )


class Staff:
    """Who counts as CSP staff, read from Jira once per pass and only when needed."""

    def __init__(self, source: WorklogSource, mappings: Mappings) -> None:
        self._source = source
        self._mappings = mappings
        self._members: frozenset[str] | None = None

    def members(self) -> frozenset[str]:
        if self._members is None:
            group = self._mappings.allowance.staff_group
            found = self._source.group_members(group) if group else frozenset()
            self._members = found | frozenset(self._mappings.allowance.staff_users)
        return self._members


def _recount(
    conn: Connection,
    mappings: Mappings,
    staff: Staff,
    read_issues: Sequence[IssueFacts],
    read_worklogs: Sequence[Worklog],
    *,
    issues_complete: bool,
) -> set[repo.CustomerMonth]:
    """Count the worklogs just read, with their issues as just read, and the stored worklogs
    on those issues (their labels may have changed), unless the read holds all of them."""
    issues = {i.id: i for i in read_issues}
    pairs = {w.id: (w, issues[w.issue_id]) for w in read_worklogs if w.issue_id in issues}
    unpaired = [w.id for w in read_worklogs if w.issue_id not in issues]
    for worklog, issue in repo.worklogs_to_count(
        conn, unpaired, () if issues_complete else list(issues)
    ):
        pairs.setdefault(worklog.id, (worklog, issues.get(issue.id, issue)))
    missing = {w.id for w in read_worklogs} - set(pairs)
    if missing:
        # The reader must hand over the issue of every worklog it reads; without its labels a
        # worklog cannot be counted, so it waits for the next month read instead of guessing.
        log.warning(
            "allowance.issue_missing worklogs=%d example=%s", len(missing), sorted(missing)[0]
        )
    if not pairs:
        return set()
    members = staff.members()
    rules = Rules.of(mappings)
    lines = [count_worklog(w, i, staff=members, rules=rules) for w, i in pairs.values()]
    return repo.save_lines(conn, lines)


def _store_read(
    conn: Connection, issues: Sequence[IssueFacts], worklogs: Sequence[Worklog]
) -> None:
    repo.save_issues(conn, issues)
    repo.save_worklogs(conn, worklogs)


def initial_since(now: datetime) -> int:
    """Where a new ledger starts reading: the start of last month (in any time zone)."""
    start, _ = month_period(Month.of(now, UTC).previous())
    return int(start.timestamp() * 1000)


def run_allowance_pass(
    store: Store,
    source: WorklogSource,
    enforcer: Enforcer | None,
    mappings: Mappings,
    *,
    clock: Callable[[], datetime],
    read_months: Collection[Month] = (),
) -> Counter[str]:
    """One pass; `read_months` are read in full (replacing what the ledger holds for them).
    Without an enforcer only the ledger is brought up to date."""
    outcome: Counter[str] = Counter()
    staff = Staff(source, mappings)
    touched: set[repo.CustomerMonth] = set()
    with store.transaction("reading the worklog cursor") as conn:
        since = repo.cursor(conn)
    changes = source.changes_since(since if since is not None else initial_since(clock()))
    with store.transaction("applying worklog changes") as conn:
        if changes.updated or changes.deleted_ids or changes.issues:
            _store_read(conn, changes.issues, changes.updated)
            touched |= repo.delete_worklogs(conn, changes.deleted_ids)
            touched |= _recount(
                conn, mappings, staff, changes.issues, changes.updated, issues_complete=False
            )
        repo.move_cursor(conn, changes.next_since_ms, clock())
    outcome["worklogs_updated"] += len(changes.updated)
    outcome["worklogs_deleted"] += len(changes.deleted_ids)
    for month in sorted(read_months):
        start, end = month_period(month)
        read = source.month(start, end)
        with store.transaction("replacing a month of worklogs") as conn:
            _store_read(conn, read.issues, read.worklogs)
            gone = repo.worklogs_started_between(conn, start, end) - {w.id for w in read.worklogs}
            touched |= repo.delete_worklogs(conn, gone)
            # A month read hands over every worklog of every issue it names.
            touched |= _recount(
                conn, mappings, staff, read.issues, read.worklogs, issues_complete=True
            )
        outcome["months_read"] += 1
        outcome["worklogs_read"] += len(read.worklogs)
    if enforcer is not None:
        outcome.update(enforce(store, enforcer, mappings, touched, clock=clock))
    outcome["customer_months_touched"] += len(touched)
    return outcome


def enforce(
    store: Store,
    enforcer: Enforcer,
    mappings: Mappings,
    touched: Collection[repo.CustomerMonth],
    *,
    clock: Callable[[], datetime],
) -> Counter[str]:
    """Enforce the touched customer-months, the months after them that carry-over and
    borrowing make depend on them, and months whose current-month-only actions must end."""
    now = clock()
    done: Counter[str] = Counter()
    with store.transaction("finding allowance actions in force") as conn:
        in_force = repo.months_with_actions_in_force(conn, CURRENT_ONLY)
    targets: dict[str, set[Month]] = {}
    for alias, month in {*touched, *in_force}:
        customer = mappings.customers.get(alias)
        if customer is None:
            continue
        current = Month.of(now, customer.zone)
        months = targets.setdefault(alias, set())
        if (alias, month) in in_force and (alias, month) not in touched and month == current:
            months.add(month)  # still current: holding new requests is the only thing to do
            continue
        package = mappings.package_of(customer)
        if package.carry_over is not None or package.borrowing is not None:
            months.update(month.until(max(month, current)))
        else:
            months.add(month)
    for alias, months in sorted(targets.items()):
        customer = mappings.customers[alias]
        current = Month.of(now, customer.zone)
        with store.transaction("computing allowance figures") as conn:
            figures = customer_months(conn, mappings, customer, max(months))
        for figure in figures:
            if figure.month not in months:
                continue
            try:
                names = enforcer.enforce(customer, figure, current=figure.month == current)
            except JiraError as exc:
                # The ledger is already current; the next full month read (or change) touches
                # this customer-month again and enforcement picks up where it stopped.
                log.warning(
                    "allowance.enforce_failed customer=%s month=%s error=%s",
                    alias,
                    figure.month,
                    exc,
                )
                done["enforcement_failed"] += 1
                continue
            for name in names:
                done[name] += 1
        if current in months:
            with store.transaction("reading the flags in force") as conn:
                raised = {
                    label: at
                    for key, label in (
                        ("labels:warning", WARNING_LABEL),
                        ("labels:exceeded", EXCEEDED_LABEL),
                    )
                    if (at := repo.action_since(conn, alias, current, key)) is not None
                }
                hold_since = repo.action_since(conn, alias, current, "approval")
            done.update(
                enforcer.catch_up(
                    customer,
                    current,
                    flags=sorted(raised),
                    flags_since=min(raised.values(), default=None),
                    hold_since=hold_since,
                )
            )
    return done
