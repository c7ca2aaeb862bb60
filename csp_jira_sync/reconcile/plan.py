"""The reconciliation's pure decisions: which window a run looks at, when the nightly run is
due, and what its exit code says. Plain functions over values; the clock is a parameter.

- Window: `--month` is that calendar month (UTC); `--since` runs from that moment; otherwise
  from where the last successful run started, and on the very first run from the start of the
  previous month (UTC): the allowance ledger's own re-read covers this month and last, so a first
  run looks at the same two months and no further.
- Schedule: `CSP_RECONCILE_CRON` is read in UTC (the daemon's time zone, the same for every
  customer). A run is due once the latest cron time has passed that the last run did not cover;
  a daemon with no record of any run waits for the next cron time rather than running at start.
- Exit codes: see `ExitCode`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum

from croniter import CroniterBadCronError, croniter

from csp_jira_sync.reconcile.findings import Finding


class ExitCode(IntEnum):
    CLEAN = 0  # nothing found, or everything found was repaired (or would be, on a dry run)
    NEEDS_PERSON = 1  # some finding needs a person (a failed step is one); the findings say which
    CANNOT_RUN = 2  # bad arguments or settings, or the store does not answer: nothing was done
    ALREADY_RUNNING = 3  # another reconciliation holds the lock; the message names its daemon


def exit_code(findings: Iterable[Finding]) -> ExitCode:
    return (
        ExitCode.NEEDS_PERSON
        if any(finding.needs_person for finding in findings)
        else ExitCode.CLEAN
    )


@dataclass(frozen=True)
class Window:
    since: datetime
    until: datetime
    why: str  # for people: "since the last successful run", "first run: ..."


def month_bounds(text: str) -> tuple[datetime, datetime]:
    """`YYYY-MM` as [first instant, first instant of the next month) in UTC."""
    try:
        start = datetime.strptime(text, "%Y-%m").replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(
            f"--month {text!r} is not a month: give it as YYYY-MM, e.g. 2026-11"
        ) from None
    end = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return start, end


def first_run_since(now: datetime) -> datetime:
    """Where a first run starts: the first instant of the previous month, UTC."""
    start = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return (
        start.replace(year=start.year - 1, month=12)
        if start.month == 1
        else start.replace(month=start.month - 1)
    )


def window(
    now: datetime,
    *,
    since: datetime | None = None,
    month: str | None = None,
    last_success: datetime | None = None,
) -> Window:
    """The window a run looks at (see the module docstring). Raises ValueError for arguments
    that contradict each other or lie in the future, saying what to give instead."""
    if since is not None and month is not None:
        raise ValueError("give --since or --month, not both")
    if month is not None:
        start, end = month_bounds(month)
        if start > now:
            raise ValueError(
                f"--month {month} has not begun yet; give this month or an earlier one"
            )
        return Window(start, min(end, now), f"the month {month}")
    if since is not None:
        moment = since if since.tzinfo is not None else since.replace(tzinfo=UTC)
        if moment > now:
            raise ValueError(f"--since {moment.isoformat()} is in the future; give an earlier date")
        return Window(moment, now, f"since {moment.isoformat()} (--since)")
    if last_success is not None:
        return Window(last_success, now, "since the last successful run")
    start = first_run_since(now)
    return Window(start, now, "first run: from the start of last month (UTC)")


def check_cron(expression: str) -> str:
    """`expression` if it is a five-field cron expression, else ValueError saying so."""
    if len(expression.split()) != 5:
        raise ValueError(
            f"{expression!r} is not a cron expression of five fields (minute hour day month "
            "weekday), e.g. '30 2 * * *' for 02:30 UTC every day"
        )
    try:
        croniter(expression)
    except (CroniterBadCronError, ValueError, KeyError) as exc:
        raise ValueError(f"{expression!r} is not a valid cron expression: {exc}") from None
    return expression


def latest_slot(expression: str, now: datetime) -> datetime:
    """The most recent cron time at or before `now` (UTC)."""
    moment = now.astimezone(UTC)
    if croniter.match(expression, moment.replace(second=0, microsecond=0)):
        return moment.replace(second=0, microsecond=0)
    found: datetime = croniter(expression, moment).get_prev(datetime)
    return found.astimezone(UTC)


def next_slot(expression: str, now: datetime) -> datetime:
    found: datetime = croniter(expression, now.astimezone(UTC)).get_next(datetime)
    return found.astimezone(UTC)


def due_slot(
    expression: str, now: datetime, *, last_slot: datetime | None, started_at: datetime
) -> datetime | None:
    """The cron time a run is due for now, or None. `last_slot` is the cron time the last run
    (by any daemon) was for; without one, the time the daemon started stands in for it, so a
    new deployment waits for its first cron time instead of reconciling at start-up. A run
    missed while every daemon was down is caught up once (for the latest missed time only)."""
    slot = latest_slot(expression, now)
    baseline = last_slot if last_slot is not None else started_at
    return slot if slot > baseline else None


__all__ = [
    "ExitCode",
    "Window",
    "check_cron",
    "due_slot",
    "exit_code",
    "first_run_since",
    "latest_slot",
    "month_bounds",
    "next_slot",
    "window",
]
