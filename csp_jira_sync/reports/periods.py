"""Report periods: an ISO week or a calendar month, in one time zone (the customer's, or
`CSP_REPORT_TIMEZONE` for the all-customer report). Pure: the clock is a parameter.

A period is the half-open interval [start, end) of local wall-clock midnights, so a week that
crosses a daylight-saving change is 167 or 169 hours long, as the customer lives it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

PeriodKind = Literal["week", "month"]

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class PeriodError(ValueError):
    """A period that cannot be read; the message says what to give instead."""


@dataclass(frozen=True)
class Bucket:
    """One bar of the chart: a day of a week report, or a 7-day block of a month report."""

    label: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    label: str  # "2026-W47" or "2026-11"
    first_day: date  # local
    last_day: date  # local, inclusive
    timezone: str

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def start(self) -> datetime:
        return _midnight(self.first_day, self.zone)

    @property
    def end(self) -> datetime:
        return _midnight(self.last_day + timedelta(days=1), self.zone)

    def contains(self, instant: datetime) -> bool:
        return self.start <= instant < self.end

    def previous(self) -> Period:
        return period_of(self.kind, self.start - timedelta(days=1), self.timezone)

    def buckets(self) -> tuple[Bucket, ...]:
        """Days (Mon..Sun) of a week; of a month, 7-day blocks from the 1st (1-7, 8-14, ...,
        29-end), so bar i of one month compares with bar i of the month before."""
        step = 1 if self.kind == "week" else 7
        out = []
        day = self.first_day
        while day <= self.last_day:
            last = min(day + timedelta(days=step - 1), self.last_day)
            label = day.strftime("%a %d") if self.kind == "week" else f"{day.day}-{last.day}"
            out.append(
                Bucket(
                    label, _midnight(day, self.zone), _midnight(last + timedelta(days=1), self.zone)
                )
            )
            day = last + timedelta(days=1)
        return tuple(out)

    def bucket_index(
        self, instant: datetime, buckets: tuple[Bucket, ...] | None = None
    ) -> int | None:
        for index, bucket in enumerate(buckets or self.buckets()):
            if bucket.start <= instant < bucket.end:
                return index
        return None

    def describe(self) -> str:
        """For people: "2026-W47 (Mon 16 Nov - Sun 22 Nov 2026, Europe/London)"."""
        first = self.first_day.strftime("%a %d %b")
        last = self.last_day.strftime("%a %d %b %Y")
        return f"{self.label} ({first} - {last}, {self.timezone})"


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    """Local midnight as a UTC instant: Python compares and subtracts datetimes that share a
    tzinfo by wall time, which would make a DST week 168 hours long."""
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (KeyError, ValueError) as exc:
        raise PeriodError(
            f"unknown time zone {timezone!r}: give an IANA name such as Europe/London"
        ) from exc


def week(year: int, number: int, timezone: str) -> Period:
    _zone(timezone)
    try:
        monday = date.fromisocalendar(year, number, 1)
    except ValueError as exc:
        raise PeriodError(f"{year}-W{number:02d} is not an ISO week of {year}") from exc
    return Period("week", f"{year}-W{number:02d}", monday, monday + timedelta(days=6), timezone)


def month(year: int, number: int, timezone: str) -> Period:
    _zone(timezone)
    if not 1 <= number <= 12:
        raise PeriodError(f"{year}-{number:02d}: a month is 01 to 12")
    first = date(year, number, 1)
    following = date(year + number // 12, number % 12 + 1, 1)
    return Period("month", f"{year}-{number:02d}", first, following - timedelta(days=1), timezone)


def period_of(kind: PeriodKind, instant: datetime, timezone: str) -> Period:
    """The period of `kind` that contains `instant`, in `timezone`."""
    local = instant.astimezone(_zone(timezone)).date()
    if kind == "week":
        iso = local.isocalendar()
        return week(iso.year, iso.week, timezone)
    return month(local.year, local.month, timezone)


def parse_period(text: str, timezone: str, kind: PeriodKind | None = None) -> Period:
    """`2026-W47` (an ISO week) or `2026-11` (a calendar month). `kind`, when given, must agree."""
    spec = text.strip().upper()
    if found := _WEEK.match(spec):
        period = week(int(found[1]), int(found[2]), timezone)
    elif found := _MONTH.match(spec):
        period = month(int(found[1]), int(found[2]), timezone)
    else:
        raise PeriodError(
            f"{text!r} is not a period: give an ISO week like 2026-W47 or a month like 2026-11"
        )
    if kind is not None and period.kind != kind:
        raise PeriodError(
            f"{text!r} is a {period.kind}, but --period {kind} was asked: "
            f"give {'2026-W47' if kind == 'week' else '2026-11'} style, or leave --period out"
        )
    return period


def last_complete(kind: PeriodKind, now: datetime, timezone: str) -> Period:
    """The report a scheduled run makes: the latest period that has ended by `now`."""
    return period_of(kind, now, timezone).previous()
