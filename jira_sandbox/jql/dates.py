"""Date values in JQL: literals, periods, epoch milliseconds, and calendar arithmetic.

A date operand resolves, under a context, to a half-open range [start, end):
- relational operators compare against `start` (so `created <= "2026-11-01"` means before
  midnight of that day, the classic Jira surprise);
- =, !=, IN use the whole range at the literal's implied precision, as Jira's
  convertToDateRangeWithImpliedPrecision does: a day for "2026-11-01", a minute for
  "2026-11-01 10:00", one millisecond for epoch milliseconds, periods and functions.
Literals without an offset are wall-clock times in the searcher's time zone, not UTC: tools that
assumed UTC skipped records (airbyte #48492).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

ONE_MS = timedelta(milliseconds=1)

_LITERAL = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?")
_EPOCH_MS = re.compile(r"-?\d+")
_PERIOD = re.compile(r"([-+]?)\s*((?:\d+\s*[wdhWDHm]\s*)+)")
_PERIOD_PART = re.compile(r"(\d+)\s*([wdhWDHm])")
_PERIOD_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}


@dataclass(frozen=True, slots=True)
class WallClock:
    """A literal like "2026-11-01" or "2026/11/01 10:00", read in the searcher's time zone."""

    year: int
    month: int
    day: int
    hour: int
    minute: int
    whole_day: bool

    def bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        start = datetime(self.year, self.month, self.day, self.hour, self.minute)
        end = start + (timedelta(days=1) if self.whole_day else timedelta(minutes=1))
        return start.replace(tzinfo=tz), end.replace(tzinfo=tz)


@dataclass(frozen=True, slots=True)
class EpochMillis:
    millis: int

    def bounds(self) -> tuple[datetime, datetime]:
        start = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=self.millis)
        return start, start + ONE_MS


@dataclass(frozen=True, slots=True)
class Period:
    """A time relative to now: "-7d", "-1w 2d", "4h" (positive is the future)."""

    delta: timedelta

    def bounds(self, now: datetime) -> tuple[datetime, datetime]:
        start = now.astimezone(UTC) + self.delta
        return start, start + ONE_MS


DateLiteral = WallClock | EpochMillis | Period


def parse_date_literal(text: str) -> DateLiteral | None:
    """The date a JQL literal names, or None if Jira would call it invalid."""
    text = text.strip()
    if match := _LITERAL.fullmatch(text):
        year, month, day = (int(match.group(i)) for i in (1, 2, 3))
        hour = int(match.group(4) or 0)
        minute = int(match.group(5) or 0)
        try:
            date(year, month, day)
        except ValueError:
            return None
        if hour > 23 or minute > 59:
            return None
        return WallClock(year, month, day, hour, minute, whole_day=match.group(4) is None)
    if _EPOCH_MS.fullmatch(text):
        return EpochMillis(int(text))
    if match := _PERIOD.fullmatch(text):
        sign = -1 if match.group(1) == "-" else 1
        parts: dict[str, int] = {}
        for amount, unit in _PERIOD_PART.findall(match.group(2)):
            name = _PERIOD_UNITS[unit if unit == "m" else unit.lower()]
            parts[name] = parts.get(name, 0) + int(amount)
        return Period(sign * timedelta(**parts))
    return None


# --- calendar arithmetic on wall-clock (naive, local) datetimes ------------------------------


def add_months(moment: datetime, months: int) -> datetime:
    """`moment` moved by whole months, the day clamped to the target month's length."""
    index = moment.year * 12 + (moment.month - 1) + months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def shift(moment: datetime, amount: int, unit: str) -> datetime:
    """Wall-clock shift by calendar units y, M, w, d (a day stays a day across DST)."""
    if unit == "y":
        return add_months(moment, 12 * amount)
    if unit == "M":
        return add_months(moment, amount)
    if unit == "w":
        return moment + timedelta(weeks=amount)
    if unit == "d":
        return moment + timedelta(days=amount)
    raise ValueError(f"not a calendar unit: {unit!r}")


def period_start(moment: datetime, unit: str, first_day_of_week: int) -> datetime:
    """Start of the day, week, month or year (unit d, w, M, y) containing wall-clock `moment`."""
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "d":
        return midnight
    if unit == "w":
        return midnight - timedelta(days=(midnight.weekday() - first_day_of_week) % 7)
    if unit == "M":
        return midnight.replace(day=1)
    if unit == "y":
        return midnight.replace(month=1, day=1)
    raise ValueError(f"not a period unit: {unit!r}")


def local_wall_clock(moment: datetime, tz: tzinfo) -> datetime:
    """The naive wall-clock time `moment` shows in `tz`."""
    return moment.astimezone(tz).replace(tzinfo=None)
