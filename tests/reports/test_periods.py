"""Report periods: ISO weeks and calendar months as the report's time zone lives them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from csp_jira_sync.reports.periods import PeriodError, last_complete, parse_period, period_of

NY = "America/New_York"


def test_an_iso_week_starts_at_local_monday_midnight() -> None:
    week = parse_period("2026-W47", NY)
    assert week.kind == "week"
    assert week.start == datetime(2026, 11, 16, 5, tzinfo=UTC)
    assert week.end == datetime(2026, 11, 23, 5, tzinfo=UTC)
    assert week.previous().label == "2026-W46"
    assert [b.label for b in week.buckets()] == [
        "Mon 16",
        "Tue 17",
        "Wed 18",
        "Thu 19",
        "Fri 20",
        "Sat 21",
        "Sun 22",
    ]


def test_the_week_boundary_is_the_report_zones_midnight_not_utcs() -> None:
    week = parse_period("2026-W47", NY)
    assert not week.contains(datetime(2026, 11, 16, 4, 59, tzinfo=UTC))  # Sunday 23:59 in NY
    assert week.contains(datetime(2026, 11, 16, 5, 0, tzinfo=UTC))
    assert week.contains(datetime(2026, 11, 23, 4, 59, tzinfo=UTC))
    assert not week.contains(datetime(2026, 11, 23, 5, 0, tzinfo=UTC))


def test_a_week_across_the_daylight_saving_change_has_169_hours() -> None:
    week = parse_period("2026-W44", NY)  # clocks go back on Sunday 1 November
    assert week.end - week.start == timedelta(hours=169)


def test_a_month_and_its_seven_day_blocks() -> None:
    month = parse_period("2026-11", NY)
    assert month.kind == "month"
    assert month.start == datetime(2026, 11, 1, 4, tzinfo=UTC)  # still EDT at midnight
    assert month.end == datetime(2026, 12, 1, 5, tzinfo=UTC)
    assert [b.label for b in month.buckets()] == ["1-7", "8-14", "15-21", "22-28", "29-30"]
    assert month.previous().label == "2026-10"
    assert parse_period("2026-01", "UTC").previous().label == "2025-12"


def test_iso_week_1_can_start_in_the_previous_year() -> None:
    week = parse_period("2026-W01", "UTC")
    assert week.first_day.isoformat() == "2025-12-29"
    assert week.previous().label == "2025-W52"


def test_the_scheduled_report_is_the_last_complete_period() -> None:
    now = datetime(2026, 11, 23, 6, tzinfo=UTC)  # Monday 01:00 in New York
    assert last_complete("week", now, NY).label == "2026-W47"
    assert last_complete("month", now, NY).label == "2026-10"
    assert period_of("week", datetime(2026, 11, 23, 4, tzinfo=UTC), NY).label == "2026-W47"


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        ("2026/47", None, "is not a period: give an ISO week like 2026-W47 or a month like"),
        ("last week", None, "is not a period"),
        ("2026-13", None, "a month is 01 to 12"),
        ("2026-W54", None, "is not an ISO week of 2026"),
        ("2026-W47", "month", "is a week, but --period month was asked"),
        ("2026-11", "week", "is a month, but --period week was asked"),
    ],
)
def test_a_malformed_period_says_what_to_give(text: str, kind: str | None, message: str) -> None:
    with pytest.raises(PeriodError, match=message):
        parse_period(text, "UTC", kind)  # type: ignore[arg-type]


def test_an_unknown_time_zone_is_named() -> None:
    with pytest.raises(PeriodError, match="unknown time zone 'Mars/Olympus'"):
        parse_period("2026-W47", "Mars/Olympus")
