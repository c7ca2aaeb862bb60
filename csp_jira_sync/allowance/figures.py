"""The allowance arithmetic: a customer's months, exact to the second, with carry-over,
borrowing, the state and the thresholds crossed.

Months are computed in order from the first month the ledger covers, because each month can
depend on the ones before it: unused hours carry over (oldest used first, for at most
`carry_over.months` months) and hours borrowed by urgent work come off the next month.

- available = the month's own hours (less what the previous month borrowed) + carried in
- borrowed = the part of the time past `available` that was spent on work that may borrow,
  up to `borrowing.max_hours`
- overage = the time past `available` that borrowing does not cover
- state: `exceeded` when there is overage, or usage reached 100% with nothing borrowed;
  `warning` when a `warn_at` threshold is reached; else `ok`
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Literal

from csp_jira_sync.allowance.counting import LedgerLine
from csp_jira_sync.allowance.months import Month
from csp_jira_sync.config.mappings import Package

State = Literal["ok", "warning", "exceeded"]
EXCEEDED = 1.0


@dataclass(frozen=True)
class MonthUsage:
    """What the ledger holds for one customer-month (seconds)."""

    month: Month
    by_category: Mapping[str, int] = field(default_factory=dict)
    may_borrow: int = 0  # seconds of counted time on work that may borrow
    excluded: Mapping[str, int] = field(default_factory=dict)  # reason -> seconds

    @property
    def used(self) -> int:
        return sum(self.by_category.values())


@dataclass(frozen=True)
class MonthFigures:
    customer: str
    package: str
    month: Month
    own_seconds: int  # the package's hours less what last month borrowed
    repaid_seconds: int  # what last month borrowed from this one
    carried_in_seconds: int
    used_seconds: int
    used_by_category: Mapping[str, int]
    excluded_by_reason: Mapping[str, int]
    borrowed_seconds: int
    overage_seconds: int
    state: State
    crossed: tuple[float, ...]  # warn_at fractions reached, and 1.0 when exceeded

    @property
    def available_seconds(self) -> int:
        return self.own_seconds + self.carried_in_seconds

    @property
    def remaining_seconds(self) -> int:
        return max(0, self.available_seconds - self.used_seconds)

    @property
    def unused_seconds(self) -> int:
        return self.remaining_seconds

    @property
    def percent(self) -> float:
        if self.available_seconds == 0:
            return 100.0 if self.used_seconds else 0.0
        return 100.0 * self.used_seconds / self.available_seconds

    @property
    def excluded_seconds(self) -> int:
        return sum(self.excluded_by_reason.values())


def hours_to_seconds(hours: float) -> int:
    return round(hours * 3600)


def month_figures(
    customer: str, package: Package, usages: Sequence[MonthUsage]
) -> list[MonthFigures]:
    """Figures for each month of `usages`, which must be consecutive months in order (months
    without time included, with nothing in them)."""
    for earlier, later in pairwise(usages):
        if later.month != earlier.month.next():
            raise ValueError(f"months must be consecutive: {earlier.month} then {later.month}")
    keep = package.carry_over.months if package.carry_over is not None else 0
    # Unused hours still usable: (index of the month they come from, seconds), oldest first.
    buckets: list[tuple[int, int]] = []
    debt = 0
    results: list[MonthFigures] = []
    for index, usage in enumerate(usages):
        full = hours_to_seconds(package.hours_per_month)
        own = max(0, full - debt)
        repaid = full - own
        buckets = [(origin, left) for origin, left in buckets if origin >= index - keep and left]
        carried_in = sum(left for _, left in buckets)
        used = usage.used
        to_cover = used
        consumed: list[tuple[int, int]] = []
        for origin, left in buckets:
            take = min(left, to_cover)
            to_cover -= take
            consumed.append((origin, left - take))
        buckets = consumed
        own_left = max(0, own - to_cover)
        over = max(0, to_cover - own)
        borrowed = 0
        if package.borrowing is not None and over:
            borrowed = min(over, usage.may_borrow, hours_to_seconds(package.borrowing.max_hours))
        overage = over - borrowed
        if keep:
            buckets.append((index, own_left))
        debt = borrowed
        available = own + carried_in
        crossed = tuple(t for t in package.warn_at if t < EXCEEDED and used >= t * available)
        exceeded = overage > 0 or (borrowed == 0 and available > 0 and used >= available)
        if exceeded:
            crossed = (*crossed, EXCEEDED)
        state: State = "exceeded" if exceeded else ("warning" if crossed and used else "ok")
        results.append(
            MonthFigures(
                customer=customer,
                package=package.tier,
                month=usage.month,
                own_seconds=own,
                repaid_seconds=repaid,
                carried_in_seconds=carried_in,
                used_seconds=used,
                used_by_category=dict(usage.by_category),
                excluded_by_reason=dict(usage.excluded),
                borrowed_seconds=borrowed,
                overage_seconds=overage,
                state=state,
                crossed=crossed if used else (),
            )
        )
    return results


def usage_of(month: Month, lines: Sequence[LedgerLine]) -> MonthUsage:
    """Sum one customer-month's ledger lines."""
    by_category: dict[str, int] = {}
    excluded: dict[str, int] = {}
    may_borrow = 0
    for line in lines:
        if line.excluded is not None:
            excluded[line.excluded] = excluded.get(line.excluded, 0) + line.seconds
        elif line.category is not None:
            by_category[line.category] = by_category.get(line.category, 0) + line.seconds
            may_borrow += line.seconds if line.may_borrow else 0
    return MonthUsage(month, by_category, may_borrow, excluded)


def past_the_allowance(
    figures: MonthFigures, lines: Sequence[LedgerLine]
) -> list[tuple[LedgerLine, int]]:
    """The counted worklogs, in the order they were started, whose time (or the part of it,
    in seconds) lies past the month's available hours and what borrowing covered: the work
    Finance bills under `bill-overage`."""
    limit = figures.available_seconds + figures.borrowed_seconds
    running = 0
    past: list[tuple[LedgerLine, int]] = []
    for line in sorted((x for x in lines if x.counts), key=lambda x: (x.started, x.worklog_id)):
        before = running
        running += line.seconds
        beyond = running - max(limit, before)
        if beyond > 0:
            past.append((line, beyond))
    return past
