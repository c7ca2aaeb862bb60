"""Calendar months, counted in a customer's time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, tzinfo

_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """`YYYY-MM`; anything else is a ValueError that says what was expected."""
        found = _PATTERN.match(text.strip())
        if not found or not 1 <= int(found.group(2)) <= 12:
            raise ValueError(f"{text!r} is not a month; write it as YYYY-MM, e.g. 2026-10")
        return cls(int(found.group(1)), int(found.group(2)))

    @classmethod
    def of(cls, moment: datetime, zone: tzinfo) -> Month:
        """The calendar month `moment` falls in, as a clock in `zone` shows it."""
        if moment.tzinfo is None:
            raise ValueError("a worklog's start must carry its offset")
        local = moment.astimezone(zone)
        return cls(local.year, local.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def start(self, zone: tzinfo) -> datetime:
        """Midnight on the first day, in `zone` (aware)."""
        return datetime(self.year, self.month, 1, tzinfo=zone)

    def until(self, last: Month) -> list[Month]:
        """This month and every month up to `last`, in order (empty when `last` is earlier)."""
        months: list[Month] = []
        current = self
        while current <= last:
            months.append(current)
            current = current.next()
        return months
