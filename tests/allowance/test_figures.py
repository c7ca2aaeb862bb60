"""The allowance arithmetic: exact seconds, states and thresholds, carry-over and borrowing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from csp_jira_sync.allowance.counting import LedgerLine
from csp_jira_sync.allowance.figures import (
    MonthUsage,
    month_figures,
    past_the_allowance,
    usage_of,
)
from csp_jira_sync.allowance.months import Month
from csp_jira_sync.config.mappings import Borrowing, CarryOver, Package

H = 3600
OCT, NOV, DEC = Month(2026, 10), Month(2026, 11), Month(2026, 12)


def package(**options: object) -> Package:
    return Package(tier="silver", hours_per_month=10, warn_at=(0.75, 0.9), **options)


def used(month: Month, seconds: int, may_borrow: int = 0) -> MonthUsage:
    return MonthUsage(month, {"crm": seconds}, may_borrow)


@pytest.mark.parametrize(
    ("seconds", "state", "crossed"),
    [
        (0, "ok", ()),
        (7 * H, "ok", ()),
        (int(7.5 * H) - 1, "ok", ()),
        (int(7.5 * H), "warning", (0.75,)),
        (9 * H, "warning", (0.75, 0.9)),
        (10 * H - 1, "warning", (0.75, 0.9)),
        (10 * H, "exceeded", (0.75, 0.9, 1.0)),
        (12 * H, "exceeded", (0.75, 0.9, 1.0)),
    ],
)
def test_state_and_thresholds_to_the_second(
    seconds: int, state: str, crossed: tuple[float, ...]
) -> None:
    (figures,) = month_figures("globex", package(), [used(OCT, seconds)])
    assert figures.state == state
    assert figures.crossed == crossed
    assert figures.used_seconds == seconds
    assert figures.overage_seconds == max(0, seconds - 10 * H)
    assert figures.remaining_seconds == max(0, 10 * H - seconds)


def test_without_carry_over_unused_hours_are_lost() -> None:
    figures = month_figures("globex", package(), [used(OCT, 4 * H), used(NOV, 0)])
    assert figures[1].carried_in_seconds == 0
    assert figures[1].available_seconds == 10 * H


def test_unused_hours_carry_over_for_the_contracts_months_oldest_first() -> None:
    figures = month_figures(
        "globex",
        package(carry_over=CarryOver(months=1)),
        [used(OCT, 4 * H), used(NOV, 12 * H), used(DEC, 0)],
    )
    _, nov, dec = figures
    assert nov.carried_in_seconds == 6 * H  # October's unused 6 h
    assert nov.available_seconds == 16 * H
    assert nov.state == "warning"  # 12 of 16 h
    # November used October's 6 h first, then 6 of its own 10: 4 h carry into December.
    assert dec.carried_in_seconds == 4 * H


def test_carried_hours_expire_after_the_cap() -> None:
    figures = month_figures(
        "globex",
        package(carry_over=CarryOver(months=1)),
        [used(OCT, 0), used(NOV, 10 * H), used(DEC, 0)],
    )
    # October's 10 h were usable in November only; November used them and left its own 10 h.
    assert figures[1].carried_in_seconds == 10 * H
    assert figures[2].carried_in_seconds == 10 * H
    long = month_figures(
        "globex",
        package(carry_over=CarryOver(months=1)),
        [used(OCT, 0), used(NOV, 0), used(DEC, 0)],
    )
    # At most one month back: December sees November's hours, not October's.
    assert long[2].carried_in_seconds == 10 * H


def test_urgent_work_borrows_from_next_month_up_to_the_cap() -> None:
    figures = month_figures(
        "globex",
        package(borrowing=Borrowing(max_hours=3, labels=("csp-sev1",))),
        [used(OCT, 12 * H, may_borrow=5 * H), used(NOV, 0)],
    )
    oct_, nov = figures
    assert oct_.borrowed_seconds == 2 * H
    assert oct_.overage_seconds == 0
    assert oct_.state == "warning"  # borrowing covers it: not exceeded
    assert nov.repaid_seconds == 2 * H
    assert nov.available_seconds == 8 * H


def test_borrowing_covers_only_work_that_may_borrow_and_the_cap() -> None:
    (figures,) = month_figures(
        "globex",
        package(borrowing=Borrowing(max_hours=3, labels=("csp-sev1",))),
        [used(OCT, 15 * H, may_borrow=4 * H)],
    )
    assert figures.borrowed_seconds == 3 * H
    assert figures.overage_seconds == 2 * H
    assert figures.state == "exceeded"
    (routine,) = month_figures(
        "globex",
        package(borrowing=Borrowing(max_hours=3, labels=("csp-sev1",))),
        [used(OCT, 11 * H, may_borrow=0)],
    )
    assert routine.borrowed_seconds == 0
    assert routine.state == "exceeded"


def test_months_must_be_consecutive() -> None:
    with pytest.raises(ValueError, match="consecutive"):
        month_figures("globex", package(), [used(OCT, 0), used(DEC, 0)])


def line(worklog_id: str, hour: int, seconds: int, **changes: Any) -> LedgerLine:
    plain = LedgerLine(
        worklog_id=worklog_id,
        issue_id="1",
        issue_key=f"CSP-{worklog_id}",
        author="Alice",
        started=datetime(2026, 10, 5, hour, tzinfo=UTC),
        seconds=seconds,
        customer="globex",
        month=OCT,
        category="crm",
        excluded=None,
    )
    return replace(plain, **changes)


def test_usage_sums_categories_and_keeps_excluded_time_with_its_reason() -> None:
    usage = usage_of(
        OCT,
        [
            line("1", 1, 600),
            line("2", 2, 60, category="configuration"),
            line("3", 3, 900, category=None, excluded="not-csp-staff"),
            line("4", 4, 30, may_borrow=True),
        ],
    )
    assert usage.by_category == {"crm": 630, "configuration": 60}
    assert usage.excluded == {"not-csp-staff": 900}
    assert usage.may_borrow == 30


def test_the_work_past_the_allowance_is_the_latest_started() -> None:
    lines = [line("1", 1, 6 * H), line("2", 2, 3 * H), line("3", 3, 2 * H)]
    (figures,) = month_figures("globex", package(), [usage_of(OCT, lines)])
    past = past_the_allowance(figures, lines)
    assert [(x.worklog_id, s) for x, s in past] == [("3", 1 * H)]
