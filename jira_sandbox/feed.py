"""Time-ordered change feeds behind `/worklog/updated` and `/worklog/deleted`.

Each entry is `(time_ms, id)`; an id re-recorded later supersedes its earlier entry. Reads walk
the feed from `since` (inclusive, as Jira's is) up to a cutoff, oldest first, in O(log n) to
find the start. Writes append; the list is re-sorted lazily only if a write arrived out of
order (a test moved the clock back) and compacted when superseded entries pile up.
"""

from __future__ import annotations

import bisect


class ChangeFeed:
    def __init__(self) -> None:
        self._entries: list[tuple[int, int]] = []
        self._current: dict[int, int] = {}
        self._stale = 0
        self._unsorted = False

    def __len__(self) -> int:
        return len(self._current)

    def record(self, item_id: int, time_ms: int) -> None:
        if item_id in self._current:
            self._stale += 1
        self._current[item_id] = time_ms
        if self._entries and (time_ms, item_id) < self._entries[-1]:
            self._unsorted = True
        self._entries.append((time_ms, item_id))

    def forget(self, item_id: int) -> None:
        if self._current.pop(item_id, None) is not None:
            self._stale += 1

    def bulk_load(self, items: list[tuple[int, int]]) -> None:
        """Add many `(item_id, time_ms)` at once (benchmarks, seeds): one sort instead of many."""
        for item_id, time_ms in items:
            if item_id in self._current:
                self._stale += 1
            self._current[item_id] = time_ms
            self._entries.append((time_ms, item_id))
        self._unsorted = True

    def page(self, since_ms: int, cutoff_ms: int, limit: int) -> tuple[list[tuple[int, int]], bool]:
        """Up to `limit` live `(time_ms, id)` with since <= time <= cutoff, and whether more follow."""
        self._tidy()
        entries = self._entries
        current = self._current
        start = bisect.bisect_left(entries, (since_ms, -1))
        found: list[tuple[int, int]] = []
        for index in range(start, len(entries)):
            time_ms, item_id = entries[index]
            if time_ms > cutoff_ms:
                return found, False
            if current.get(item_id) != time_ms:
                continue
            if len(found) == limit:
                return found, True
            found.append((time_ms, item_id))
        return found, False

    def _tidy(self) -> None:
        if self._stale > 1024 and self._stale * 2 > len(self._entries):
            self._entries = [(t, i) for t, i in self._entries if self._current.get(i) == t]
            self._stale = 0
            self._unsorted = True
        if self._unsorted:
            self._entries.sort()
            self._unsorted = False
