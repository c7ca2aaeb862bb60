"""The arithmetic of how fast the daemon calls Jira: how many calls may be in flight, when a
shared pause ends, and the optional calls-per-second ceiling. Plain functions over frozen
values with the time passed in (seconds on a monotonic clock); `jira/pacer.py` is the shell
that holds the current `Pace` behind a lock and makes the calls wait.

Jira's limit is a rate budget, not a number of connections (developer.atlassian.com, "Rate
limiting"): Cloud answers 429 with `Retry-After` / `X-RateLimit-Reset` once the budget is
spent, and says `X-RateLimit-NearLimit: true` while less than a fifth of it is left. So:

- the concurrency limit grows by one for every `limit` good answers in a row (about one step
  per round trip: additive increase), up to `max_concurrency`;
- `NearLimit` takes the limit down by a fifth, at most once per round of answers, so the
  daemon settles just under the budget instead of running into it (a step of one was too
  slow: from 16 lanes the budget was spent before the limit came down, bench_delivery.py);
- a 429 or 503 halves the limit (multiplicative decrease) and pauses *every* call until the
  time Jira named (one pause for all lanes: lanes that each wait on their own would come back
  together and spend the fresh budget at once). Answers to calls already in flight when the
  pause began do not halve the limit again;
- when Jira says how many calls are left in its bucket (`X-RateLimit-Remaining`), no call
  starts that would take more than are left, counting every call in flight as one taken:
  the refill only adds, so this alone keeps a steady stream under a burst limit without a
  429; when none are left and no call is out, one goes after `PROBE_SECONDS` to ask again;
- `max_calls_per_second`, when set, is a token bucket over call starts, holding one second's
  worth, so an operator can leave part of the budget to people and other apps;
- a 429 with `RateLimit-Reason: jira-per-issue-on-write` is Jira's per-issue write limit: it
  says one issue has had too many writes, nothing about the budget. It only frees its slot
  and is counted: the write to that issue waits out its `Retry-After` in its own lane (the
  retry policy), while every other call goes on at the same pace. Read as a budget 429, one
  busy escalation would pause every other one and halve the concurrency each time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

# A 429 or 503 that names no time: wait this long (Jira Cloud's own answers always name one).
DEFAULT_PAUSE_SECONDS = 1.0
# When Jira said its bucket is empty and no call is out to bring fresher news, one call goes
# out after this long to ask again.
PROBE_SECONDS = 0.2


@dataclass(frozen=True)
class PaceConfig:
    max_concurrency: int = 16
    min_concurrency: int = 1
    max_calls_per_second: float | None = None
    decrease_factor: float = 0.5
    near_limit_factor: float = 0.8

    def __post_init__(self) -> None:
        if self.max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        if not 1 <= self.min_concurrency <= self.max_concurrency:
            raise ValueError("min_concurrency must be between 1 and max_concurrency")
        if self.max_calls_per_second is not None and self.max_calls_per_second <= 0:
            raise ValueError("max_calls_per_second must be more than 0 (or None for no ceiling)")
        if not 0 < self.decrease_factor < 1:
            raise ValueError("decrease_factor must be between 0 and 1")
        if not 0 < self.near_limit_factor < 1:
            raise ValueError("near_limit_factor must be between 0 and 1")

    @property
    def bucket_size(self) -> float:
        """One second's worth of calls, and at least one."""
        return max(1.0, self.max_calls_per_second or 1.0)


@dataclass(frozen=True)
class Answer:
    """What one Jira answer says about the pace: throttled (429, or 503 which Jira sends when
    it sheds load), how long Jira asked to wait, and whether the budget is nearly spent."""

    throttled: bool = False
    retry_after: float | None = None
    near_limit: bool = False
    # X-RateLimit-Remaining: calls left in Jira's bucket when it answered.
    remaining: int | None = None
    # A 429 of the per-issue write limit: only writes to that one issue have to wait.
    issue_limited: bool = False


GOOD = Answer()


@dataclass(frozen=True)
class Pace:
    limit: float
    in_flight: int = 0
    paused_until: float = 0.0
    tokens: float = 0.0
    tokens_at: float = 0.0
    good_streak: int = 0
    # Answers still to come from calls started before the last step back; they say nothing
    # about the new limit (the "once per round" rule for NearLimit and throttling).
    stale_answers: int = 0
    pauses: int = 0
    paused_seconds: float = 0.0
    # The last X-RateLimit-Remaining Jira sent, and when (None: Jira sends none).
    remaining: int | None = None
    remaining_at: float = 0.0
    # 429s of the per-issue write limit (no pause, no step back: see the module's notes).
    issue_waits: int = 0


def start(config: PaceConfig, now: float) -> Pace:
    """A fresh pace: the full concurrency (Jira says soon enough if that is too much) and a
    full token bucket."""
    return Pace(limit=float(config.max_concurrency), tokens=config.bucket_size, tokens_at=now)


def _refill(pace: Pace, config: PaceConfig, now: float) -> Pace:
    if config.max_calls_per_second is None:
        return pace
    elapsed = max(0.0, now - pace.tokens_at)
    tokens = min(config.bucket_size, pace.tokens + elapsed * config.max_calls_per_second)
    return replace(pace, tokens=tokens, tokens_at=now)


def admit(pace: Pace, config: PaceConfig, now: float) -> tuple[Pace, float | None]:
    """Whether a call may start at `now`. Returns the new pace and `0.0` when it may (it is
    then counted in flight and has taken its token); else the unchanged pace and how many
    seconds to wait before asking again, or None when only a finishing call can make room."""
    if now < pace.paused_until:
        return pace, pace.paused_until - now
    if pace.in_flight >= max(config.min_concurrency, math.floor(pace.limit)):
        return pace, None
    if pace.remaining is not None and pace.remaining - pace.in_flight < 1:
        # Every call in flight will still take one of the calls Jira said were left.
        if pace.in_flight > 0:
            return pace, None
        if now < pace.remaining_at + PROBE_SECONDS:
            return pace, pace.remaining_at + PROBE_SECONDS - now
    pace = _refill(pace, config, now)
    if config.max_calls_per_second is not None:
        # A hair of slack, so that float rounding never makes a caller wait 1e-12 s forever.
        if pace.tokens < 1.0 - 1e-9:
            return pace, (1.0 - pace.tokens) / config.max_calls_per_second
        pace = replace(pace, tokens=max(0.0, pace.tokens - 1.0))
    return replace(pace, in_flight=pace.in_flight + 1), 0.0


def _step_back(pace: Pace, config: PaceConfig, limit: float) -> Pace:
    return replace(
        pace,
        limit=max(float(config.min_concurrency), limit),
        good_streak=0,
        stale_answers=pace.in_flight,
    )


def finish(pace: Pace, config: PaceConfig, now: float, answer: Answer) -> Pace:
    """Account for the answer of a call that `admit` let start."""
    pace = replace(pace, in_flight=max(0, pace.in_flight - 1))
    if answer.remaining is not None:
        pace = replace(pace, remaining=answer.remaining, remaining_at=now)
    stale = pace.stale_answers > 0
    if stale:
        pace = replace(pace, stale_answers=pace.stale_answers - 1)
    if answer.issue_limited:
        return replace(pace, issue_waits=pace.issue_waits + 1)
    if answer.throttled:
        wait = DEFAULT_PAUSE_SECONDS if answer.retry_after is None else answer.retry_after
        until = now + max(0.0, wait)
        if until > pace.paused_until and until > now:
            # Only the stretch that is new counts, so overlapping 429s are not added up.
            new_seconds = until - max(now, pace.paused_until)
            fresh = now >= pace.paused_until
            pace = replace(
                pace,
                paused_until=until,
                pauses=pace.pauses + (1 if fresh else 0),
                paused_seconds=pace.paused_seconds + new_seconds,
            )
        if not stale:
            pace = _step_back(pace, config, pace.limit * config.decrease_factor)
        return pace
    if answer.near_limit:
        if not stale:
            pace = _step_back(pace, config, pace.limit * config.near_limit_factor)
        return pace
    streak = pace.good_streak + 1
    if streak >= math.floor(pace.limit):
        return replace(
            pace, limit=min(float(config.max_concurrency), pace.limit + 1.0), good_streak=0
        )
    return replace(pace, good_streak=streak)


def abandon(pace: Pace) -> Pace:
    """A call that `admit` let start but that never reached Jira (it raised before sending)."""
    return replace(pace, in_flight=max(0, pace.in_flight - 1))
