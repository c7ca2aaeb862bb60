"""Jira's date and duration formats.

Jira writes timestamps as `2026-11-25T10:00:00.000+0000` (milliseconds, no colon in the offset)
and durations as `1w 2d 3h 4m` with a 5-day week and an 8-hour day (its defaults).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 8 * HOUR  # Jira's default working day
WEEK = 5 * DAY  # Jira's default working week

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([wdhm]?)", re.IGNORECASE)
_UNIT_SECONDS = {"w": WEEK, "d": DAY, "h": HOUR, "m": MINUTE, "": MINUTE}


def format_ms(ms: int) -> str:
    """Epoch milliseconds as Jira renders a timestamp (always UTC here)."""
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}+0000"


def parse_jira_datetime(text: str) -> int | None:
    """Parse Jira's `yyyy-MM-dd'T'HH:mm:ss.SSSZ` (offset with or without a colon) to epoch ms."""
    for pattern in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            moment = datetime.strptime(text, pattern)
        except ValueError:
            continue
        return int(moment.timestamp() * 1000)
    return None


def parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_duration(text: str) -> int | None:
    """`"3h 20m"` -> 12000 seconds; a bare number means minutes, as in Jira. None if invalid."""
    cleaned = text.strip()
    if not cleaned:
        return None
    position = 0
    total = 0.0
    for match in _DURATION_PART.finditer(cleaned):
        if cleaned[position : match.start()].strip():
            return None
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
        position = match.end()
    if cleaned[position:].strip() or position == 0:
        return None
    return int(total)


def format_duration(seconds: int) -> str:
    """12000 -> `"3h 20m"`, 28800 -> `"1d"`; Jira's pretty form."""
    if seconds <= 0:
        return "0m"
    parts: list[str] = []
    remaining = seconds
    for unit, size in (("w", WEEK), ("d", DAY), ("h", HOUR), ("m", MINUTE)):
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count}{unit}")
    return " ".join(parts) if parts else "0m"
