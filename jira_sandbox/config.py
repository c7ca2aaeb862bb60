"""How a sandbox is started: Cloud or Data Center, where it listens, its seed and its knobs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Mode = Literal["cloud", "datacenter"]
FaultKind = Literal["500", "502", "503", "429", "drop", "timeout"]
FAULT_KINDS: tuple[FaultKind, ...] = ("500", "502", "503", "429", "drop", "timeout")
# Without `faultKinds` the faults are server-side failures only; a 429 is asked for by name.
DEFAULT_FAULT_KINDS: tuple[FaultKind, ...] = ("500", "502", "503", "drop", "timeout")

_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:/\s*(s|sec|second|m|min|minute))?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class KnobSettings:
    """The realism knobs (all off by default); changeable at run time through `/_sandbox/knobs`.

    - `latency_ms`: added to every Jira API call before it is answered.
    - `rate_limit_per_s` / `rate_limit_burst`: a token bucket over all Jira API calls; when it is
      empty the call gets Jira Cloud's 429 with `Retry-After`, `X-RateLimit-*` and
      `RateLimit-Reason: jira-burst-based`. The burst defaults to one second's worth of calls.
    - `fault_rate`: the share of calls (0.0-1.0) that fail with one of `fault_kinds`: a 500, 502
      or 503 in Jira's error shape, a 429 as the rate limit answers it (`429`: `Retry-After: 1`
      and the `X-RateLimit-*` headers, as if a burst from elsewhere had emptied the bucket), a
      dropped connection (`drop`: the socket is closed without an answer), or a read timeout
      (`timeout`: no answer for `fault_stall_ms`). The kind is drawn uniformly from the list, so
      a kind named twice is drawn twice as often (`["500", "500", "429"]`: two 500s per 429).
      `fault_seed` makes the draw repeatable. For writes (POST, PUT, DELETE),
      `fault_after_write` is the share of injected faults that strike after the write was
      applied (the answer is lost, the change is not); never a 429, which Jira answers before
      it does anything.
    - `index_lag_ms`: a created or edited issue shows in JQL search only this long after the
      write, unless the search names it in `reconcileIssues` (Cloud's read-after-write).
    - `issue_write_limits`: Jira Cloud's per-issue write limit, as (writes, window in ms) pairs:
      a write (POST, PUT, DELETE) under `/issue/{issueIdOrKey}` that would make one issue's
      writes in any window more than allowed gets a 429 with `Retry-After` (when the oldest
      write leaves the window) and `RateLimit-Reason: jira-per-issue-on-write`; nothing else
      waits for it. Empty: off.
    """

    latency_ms: int = 0
    rate_limit_per_s: float | None = None
    rate_limit_burst: int | None = None
    fault_rate: float = 0.0
    fault_kinds: tuple[FaultKind, ...] = DEFAULT_FAULT_KINDS
    fault_stall_ms: int = 15000
    fault_seed: int | None = None
    fault_after_write: float = 0.5
    index_lag_ms: int = 0
    issue_write_limits: tuple[tuple[int, int], ...] = ()

    def problems(self) -> list[str]:
        """What is wrong with these settings, in words a user can act on."""
        found: list[str] = []
        if self.latency_ms < 0:
            found.append("latencyMs must be 0 or more")
        if self.rate_limit_per_s is not None and self.rate_limit_per_s <= 0:
            found.append("rateLimitPerSecond must be more than 0 (or null to switch it off)")
        if self.rate_limit_burst is not None and self.rate_limit_burst < 1:
            found.append("rateLimitBurst must be at least 1")
        if not 0.0 <= self.fault_rate <= 1.0:
            found.append("faultRate must be between 0.0 and 1.0")
        unknown = [kind for kind in self.fault_kinds if kind not in FAULT_KINDS]
        if unknown or not self.fault_kinds:
            found.append(f"faultKinds must be a non-empty list drawn from {list(FAULT_KINDS)}")
        if not 0.0 <= self.fault_after_write <= 1.0:
            found.append("faultAfterWrite must be between 0.0 and 1.0")
        if self.fault_stall_ms < 0:
            found.append("faultStallMs must be 0 or more")
        if self.index_lag_ms < 0:
            found.append("indexLagMs must be 0 or more")
        if any(writes < 1 or window_ms < 1 for writes, window_ms in self.issue_write_limits):
            found.append("issueWriteLimits: every limit needs writes >= 1 and windowMs >= 1")
        return found


@dataclass(frozen=True)
class SandboxConfig:
    """Everything `start_sandbox` and `create_app` need; `port=0` picks a free port."""

    mode: Mode = "cloud"
    host: str = "127.0.0.1"
    port: int = 0
    seed_path: Path | None = None
    knobs: KnobSettings = field(default_factory=KnobSettings)

    @property
    def is_cloud(self) -> bool:
        return self.mode == "cloud"


def parse_rate(text: str) -> float:
    """`"5/s"`, `"5"` or `"120/min"` -> calls per second. Raises ValueError with the reason."""
    match = _RATE.match(text)
    if not match:
        raise ValueError(f"rate limit {text!r} is not of the form N/s or N/min (e.g. 5/s)")
    value = float(match.group(1))
    unit = (match.group(2) or "s").lower()
    per_second = value / 60 if unit.startswith("m") else value
    if per_second <= 0:
        raise ValueError(f"rate limit {text!r} must be more than 0")
    return per_second
