"""The sandbox's notion of "now", which tests can freeze or move.

Jira behaviours that depend on time (the worklog feeds withhold the last minute, the search
index catches up after a lag, `created`/`updated` stamps) all read this clock, so a test can
advance it instead of sleeping. Rate limiting and added latency use real monotonic time instead:
they model the network, not Jira's data.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime


class SandboxClock:
    """Wall-clock milliseconds with an optional offset or a frozen instant."""

    def __init__(self, source: Callable[[], float] = time.time) -> None:
        self._source = source
        self._lock = threading.Lock()
        self._offset_ms = 0
        self._frozen_ms: int | None = None

    def now_ms(self) -> int:
        with self._lock:
            if self._frozen_ms is not None:
                return self._frozen_ms
            return int(self._source() * 1000) + self._offset_ms

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.now_ms() / 1000, tz=UTC)

    def advance(self, ms: int) -> None:
        """Move time forward (or back, with a negative value) by `ms` milliseconds."""
        with self._lock:
            if self._frozen_ms is not None:
                self._frozen_ms += ms
            else:
                self._offset_ms += ms

    def freeze(self, at_ms: int | None = None) -> None:
        """Stop the clock at `at_ms` (default: the current instant)."""
        current = self.now_ms()
        with self._lock:
            self._frozen_ms = current if at_ms is None else at_ms

    def unfreeze(self) -> None:
        """Let time run again from the frozen instant (keeping the offset it implies)."""
        with self._lock:
            if self._frozen_ms is not None:
                self._offset_ms = self._frozen_ms - int(self._source() * 1000)
                self._frozen_ms = None

    def reset(self) -> None:
        with self._lock:
            self._offset_ms = 0
            self._frozen_ms = None

    def describe(self) -> dict[str, int | bool | None]:
        with self._lock:
            frozen = self._frozen_ms
            offset = self._offset_ms
        return {"nowMs": self.now_ms(), "frozen": frozen is not None, "offsetMs": offset}
