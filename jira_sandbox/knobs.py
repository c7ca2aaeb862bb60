"""The realism knobs at run time: the current settings, the token bucket, the fault draw.

Jira Cloud's burst limit is a token bucket; when it is empty Jira answers 429 with
`Retry-After` (whole seconds), `X-RateLimit-Reset` (ISO 8601, `yyyy-MM-ddTHH:mmZ`),
`X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-NearLimit` (under 20% left) and
`RateLimit-Reason: jira-burst-based` (developer.atlassian.com, "Rate limiting"). Its per-issue
write limit is a separate count per issue, answered with `RateLimit-Reason:
jira-per-issue-on-write`: only writes to that issue have to wait.
"""

from __future__ import annotations

import dataclasses
import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from jira_sandbox.config import FAULT_KINDS, FaultKind, KnobSettings

_JSON_NAMES = {
    "latencyMs": "latency_ms",
    "rateLimitPerSecond": "rate_limit_per_s",
    "rateLimitBurst": "rate_limit_burst",
    "faultRate": "fault_rate",
    "faultKinds": "fault_kinds",
    "faultStallMs": "fault_stall_ms",
    "faultSeed": "fault_seed",
    "faultAfterWrite": "fault_after_write",
    "indexLagMs": "index_lag_ms",
    "issueWriteLimits": "issue_write_limits",
}
BURST_REASON = "jira-burst-based"
ISSUE_WRITE_REASON = "jira-per-issue-on-write"


class KnobError(ValueError):
    """A knob update that cannot be applied; the message says which value and why."""


def knobs_to_json(settings: KnobSettings) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    for json_name, attr in _JSON_NAMES.items():
        value = getattr(settings, attr)
        if attr == "fault_kinds":
            value = list(value)
        elif attr == "issue_write_limits":
            value = [{"writes": writes, "windowMs": window} for writes, window in value]
        shown[json_name] = value
    return shown


def knobs_from_json(base: KnobSettings, patch: Mapping[str, Any]) -> KnobSettings:
    """`base` with the keys of `patch` (JSON names, e.g. `indexLagMs`) applied and checked."""
    unknown = sorted(set(patch) - set(_JSON_NAMES))
    if unknown:
        raise KnobError(f"unknown knob(s) {unknown}; known knobs are {sorted(_JSON_NAMES)}")
    changes: dict[str, Any] = {}
    for json_name, value in patch.items():
        attr = _JSON_NAMES[json_name]
        changes[attr] = _coerce(json_name, attr, value)
    updated = dataclasses.replace(base, **changes)
    problems = updated.problems()
    if problems:
        raise KnobError("; ".join(problems))
    return updated


def _coerce(json_name: str, attr: str, value: Any) -> Any:
    nullable = attr in ("rate_limit_per_s", "rate_limit_burst", "fault_seed")
    if value is None:
        if nullable:
            return None
        raise KnobError(f"{json_name} cannot be null")
    if attr == "fault_kinds":
        if not isinstance(value, list) or not all(isinstance(kind, str) for kind in value):
            raise KnobError(f"faultKinds must be a list drawn from {list(FAULT_KINDS)}")
        return tuple(value)
    if attr == "issue_write_limits":
        return _issue_write_limits(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise KnobError(f"{json_name} must be a number, not {value!r}")
    if attr in ("rate_limit_per_s", "fault_rate", "fault_after_write"):
        return float(value)
    if value != int(value):
        raise KnobError(f"{json_name} must be a whole number, not {value!r}")
    return int(value)


def _issue_write_limits(value: Any) -> tuple[tuple[int, int], ...]:
    shape = 'issueWriteLimits must be a list like [{"writes": 20, "windowMs": 2000}]'
    if not isinstance(value, list):
        raise KnobError(shape)
    limits: list[tuple[int, int]] = []
    for item in value:
        if not isinstance(item, dict) or set(item) != {"writes", "windowMs"}:
            raise KnobError(shape)
        numbers = (item["writes"], item["windowMs"])
        if not all(isinstance(n, int) and not isinstance(n, bool) for n in numbers):
            raise KnobError(f"{shape}, with whole numbers")
        limits.append(numbers)
    return tuple(limits)


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    retry_after_s: int = 0
    reason: str = BURST_REASON

    def headers(self, now: datetime) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
        }
        if self.remaining < self.limit * 0.2:
            headers["X-RateLimit-NearLimit"] = "true"
        if not self.allowed:
            reset = datetime.fromtimestamp(now.timestamp() + self.retry_after_s, tz=UTC)
            headers["Retry-After"] = str(self.retry_after_s)
            headers["X-RateLimit-Reset"] = reset.strftime("%Y-%m-%dT%H:%MZ")
            headers["RateLimit-Reason"] = self.reason
        return headers


class TokenBucket:
    """`rate` tokens per second, holding at most `burst`; one call takes one token."""

    def __init__(
        self, rate: float, burst: int, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._monotonic = monotonic
        self._tokens = float(burst)
        self._stamp = monotonic()

    def take(self) -> RateDecision:
        now = self._monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return RateDecision(True, self.burst, int(self._tokens))
        wait = (1.0 - self._tokens) / self.rate
        return RateDecision(False, self.burst, 0, max(1, math.ceil(wait)))


class IssueWriteLimiter:
    """Jira Cloud's per-issue write limit: at most `writes` writes to one issue in any
    `window_ms`, for each (writes, window_ms) pair; a refused write is not counted."""

    def __init__(
        self,
        limits: tuple[tuple[int, int], ...],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = limits
        self._monotonic = monotonic
        self._longest = max(window for _, window in limits) / 1000
        self._writes: dict[int, deque[float]] = {}

    def take(self, issue_id: int) -> RateDecision | None:
        """None when the write may go ahead (it is then counted), else the 429's decision."""
        now = self._monotonic()
        stamps = self._writes.setdefault(issue_id, deque())
        while stamps and stamps[0] <= now - self._longest:
            stamps.popleft()
        for writes, window_ms in self.limits:
            inside = [stamp for stamp in stamps if stamp > now - window_ms / 1000]
            if len(inside) >= writes:
                # Possible again once enough of the oldest writes have left the window.
                frees_at = inside[len(inside) - writes] + window_ms / 1000
                wait = max(1, math.ceil(frees_at - now))
                return RateDecision(False, writes, 0, wait, reason=ISSUE_WRITE_REASON)
        stamps.append(now)
        return None


class RuntimeKnobs:
    """The knobs a running sandbox applies; thread-safe, replaced whole on update."""

    def __init__(self, initial: KnobSettings) -> None:
        self._initial = initial
        self._lock = threading.Lock()
        self._settings = initial
        self._bucket: TokenBucket | None = None
        self._issue_writes: IssueWriteLimiter | None = None
        self._random = random.Random()
        self._apply(initial)

    @property
    def settings(self) -> KnobSettings:
        return self._settings

    def update(self, patch: Mapping[str, Any]) -> KnobSettings:
        with self._lock:
            updated = knobs_from_json(self._settings, patch)
            self._apply(updated)
            return updated

    def replace(self, settings: KnobSettings) -> None:
        problems = settings.problems()
        if problems:
            raise KnobError("; ".join(problems))
        with self._lock:
            self._apply(settings)

    def reset(self) -> None:
        with self._lock:
            self._apply(self._initial)

    def _apply(self, settings: KnobSettings) -> None:
        previous = getattr(self, "_settings", None)
        self._settings = settings
        if settings.rate_limit_per_s is None:
            self._bucket = None
        elif (
            self._bucket is None
            or previous is None
            or previous.rate_limit_per_s != settings.rate_limit_per_s
            or previous.rate_limit_burst != settings.rate_limit_burst
        ):
            burst = settings.rate_limit_burst or max(1, math.ceil(settings.rate_limit_per_s))
            self._bucket = TokenBucket(settings.rate_limit_per_s, burst)
        if not settings.issue_write_limits:
            self._issue_writes = None
        elif self._issue_writes is None or self._issue_writes.limits != settings.issue_write_limits:
            self._issue_writes = IssueWriteLimiter(settings.issue_write_limits)
        self._random = random.Random(settings.fault_seed)

    def take_token(self) -> RateDecision | None:
        """None when rate limiting is off."""
        with self._lock:
            return self._bucket.take() if self._bucket is not None else None

    def take_issue_write(self, issue_id: int) -> RateDecision | None:
        """None when the per-issue write limit is off or lets this write to `issue_id` go."""
        with self._lock:
            return self._issue_writes.take(issue_id) if self._issue_writes is not None else None

    def draw_fault(self) -> FaultKind | None:
        with self._lock:
            settings = self._settings
            if settings.fault_rate <= 0.0:
                return None
            if self._random.random() >= settings.fault_rate:
                return None
            return self._random.choice(settings.fault_kinds)

    def fault_after_write(self) -> bool:
        """Whether an injected fault on a write strikes after the write was applied."""
        with self._lock:
            return self._random.random() < self._settings.fault_after_write
