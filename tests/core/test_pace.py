"""The arithmetic of the Jira pace (issue 10): additive increase while Jira answers well, one
step back on NearLimit, halving and one shared pause on 429/503, the calls-per-second ceiling.
Plain values in, plain values out; the time is a number passed in."""

from __future__ import annotations

from dataclasses import replace

import pytest

from csp_jira_sync.jira import pace
from csp_jira_sync.jira.pace import GOOD, Answer, Pace, PaceConfig

CONFIG = PaceConfig(max_concurrency=8)


def admitted(p: Pace, config: PaceConfig, now: float, times: int) -> Pace:
    for _ in range(times):
        p, wait = pace.admit(p, config, now)
        assert wait == 0.0
    return p


def test_a_fresh_pace_starts_at_the_full_concurrency() -> None:
    assert pace.start(CONFIG, 0.0).limit == 8.0


@pytest.mark.parametrize(
    ("limit", "in_flight", "paused_until", "now", "expected_wait"),
    [
        (8.0, 0, 0.0, 1.0, 0.0),  # room, no pause: go
        (8.0, 7, 0.0, 1.0, 0.0),  # the last free slot
        (8.0, 8, 0.0, 1.0, None),  # full: only a finishing call makes room
        (3.7, 3, 0.0, 1.0, None),  # a fractional limit counts down: 3 slots
        (8.0, 0, 5.0, 2.0, 3.0),  # paused: wait until the pause ends
        (8.0, 0, 5.0, 5.0, 0.0),  # the pause has just ended
    ],
)
def test_admit(
    limit: float, in_flight: int, paused_until: float, now: float, expected_wait: float | None
) -> None:
    before = Pace(limit=limit, in_flight=in_flight, paused_until=paused_until)
    after, wait = pace.admit(before, CONFIG, now)
    assert wait == expected_wait
    assert after.in_flight == in_flight + (1 if wait == 0.0 else 0)


def test_the_minimum_concurrency_is_always_allowed_even_below_a_shrunk_limit() -> None:
    config = PaceConfig(max_concurrency=8, min_concurrency=2)
    _, wait = pace.admit(Pace(limit=1.0, in_flight=1), config, 0.0)
    assert wait == 0.0


def test_good_answers_grow_the_limit_by_one_per_round_up_to_the_ceiling() -> None:
    p = Pace(limit=4.0, in_flight=4)
    for _ in range(3):
        p = pace.finish(p, CONFIG, 1.0, GOOD)
    assert p.limit == 4.0  # three of a round of four
    p = pace.finish(p, CONFIG, 1.0, GOOD)
    assert p.limit == 5.0 and p.good_streak == 0
    top = Pace(limit=8.0, in_flight=1, good_streak=7)
    assert pace.finish(top, CONFIG, 1.0, GOOD).limit == 8.0


@pytest.mark.parametrize(
    ("answer", "now", "limit", "paused_until", "pauses", "paused_seconds"),
    [
        (Answer(throttled=True, retry_after=2.0), 10.0, 4.0, 12.0, 1, 2.0),
        (Answer(throttled=True, retry_after=None), 10.0, 4.0, 11.0, 1, 1.0),  # default pause
        (Answer(throttled=True, retry_after=0.0), 10.0, 4.0, 0.0, 0, 0.0),  # "now": no pause
        (Answer(near_limit=True), 10.0, 6.4, 0.0, 0, 0.0),  # a fifth down, no pause
    ],
)
def test_throttling_and_near_limit(
    answer: Answer,
    now: float,
    limit: float,
    paused_until: float,
    pauses: int,
    paused_seconds: float,
) -> None:
    after = pace.finish(Pace(limit=8.0, in_flight=1), CONFIG, now, answer)
    assert (after.limit, after.paused_until, after.pauses, after.paused_seconds) == (
        limit,
        paused_until,
        pauses,
        paused_seconds,
    )
    assert after.in_flight == 0


def test_the_answers_of_calls_in_flight_when_jira_throttled_do_not_halve_again() -> None:
    p = Pace(limit=8.0, in_flight=8)
    p = pace.finish(p, CONFIG, 10.0, Answer(throttled=True, retry_after=1.0))
    assert p.limit == 4.0 and p.stale_answers == 7
    for _ in range(7):
        p = pace.finish(p, CONFIG, 10.2, Answer(throttled=True, retry_after=1.0))
    assert p.limit == 4.0
    # One pause for all of them, counted once; its end moved by the later answers' Retry-After.
    assert p.pauses == 1 and p.paused_until == pytest.approx(11.2)
    assert p.paused_seconds == pytest.approx(1.2)
    # The next fresh 429 is news again.
    p = pace.finish(replace(p, in_flight=1), CONFIG, 12.0, Answer(throttled=True, retry_after=1))
    assert p.limit == 2.0 and p.pauses == 2


def test_a_per_issue_write_limit_answer_frees_its_slot_and_changes_nothing_else() -> None:
    before = Pace(limit=6.0, in_flight=3, good_streak=2, stale_answers=1)
    after = pace.finish(before, CONFIG, 5.0, Answer(issue_limited=True))
    assert (after.in_flight, after.issue_waits, after.stale_answers) == (2, 1, 0)
    assert (after.limit, after.good_streak, after.paused_until, after.pauses) == (6.0, 2, 0.0, 0)
    _, wait = pace.admit(after, CONFIG, 5.0)
    assert wait == 0.0


def test_the_limit_never_drops_below_the_minimum() -> None:
    p = Pace(limit=1.0, in_flight=1)
    p = pace.finish(p, CONFIG, 0.0, Answer(throttled=True, retry_after=1.0))
    assert p.limit == 1.0
    p = pace.finish(replace(p, in_flight=1), CONFIG, 2.0, Answer(near_limit=True))
    assert p.limit == 1.0


def test_a_call_that_never_reached_jira_only_frees_its_slot() -> None:
    p = pace.abandon(Pace(limit=3.0, in_flight=2, good_streak=1))
    assert (p.in_flight, p.limit, p.good_streak) == (1, 3.0, 1)


def test_the_calls_per_second_ceiling_is_a_token_bucket_of_one_second() -> None:
    config = PaceConfig(max_concurrency=100, max_calls_per_second=5)
    p = admitted(pace.start(config, 0.0), config, 0.0, 5)  # the full bucket: 5 at once
    p, wait = pace.admit(p, config, 0.0)
    assert wait == pytest.approx(0.2)  # the sixth waits for a token
    p = admitted(p, config, 0.2, 1)
    p, wait = pace.admit(p, config, 0.3)
    assert wait == pytest.approx(0.1)


def test_over_ten_seconds_the_ceiling_lets_through_rate_times_seconds_plus_the_bucket() -> None:
    config = PaceConfig(max_concurrency=100, max_calls_per_second=20)
    p = pace.start(config, 0.0)
    started = 0
    now = 0.0
    while now < 10.0:
        p, wait = pace.admit(p, config, now)
        if wait == 0.0:
            started += 1
            p = pace.finish(p, config, now, GOOD)
        else:
            assert wait is not None
            now += wait
    assert started == 20 * 10 + 20


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("max_concurrency", 0, "max_concurrency must be at least 1"),
        ("min_concurrency", 9, "min_concurrency must be between 1 and max_concurrency"),
        ("max_calls_per_second", 0.0, "max_calls_per_second must be more than 0"),
        ("decrease_factor", 1.0, "decrease_factor must be between 0 and 1"),
    ],
)
def test_a_bad_config_says_what_is_wrong(field: str, value: float, message: str) -> None:
    values: dict[str, float] = {"max_concurrency": 8, field: value}
    with pytest.raises(ValueError, match=message):
        PaceConfig(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("remaining", "in_flight", "now", "expected_wait"),
    [
        (None, 3, 1.0, 0.0),  # Jira sends no count: the limit alone decides
        (5, 3, 1.0, 0.0),  # two left after the three in flight take theirs
        (4, 4, 1.0, None),  # the calls in flight take all that are left: wait for news
        (0, 0, 1.05, 0.15),  # none left, nobody out: probe a little later
        (0, 0, 1.2, 0.0),  # ... and then one goes
    ],
)
def test_no_call_starts_that_would_take_more_than_jira_said_were_left(
    remaining: int | None, in_flight: int, now: float, expected_wait: float | None
) -> None:
    before = Pace(limit=8.0, in_flight=in_flight, remaining=remaining, remaining_at=1.0)
    _, wait = pace.admit(before, CONFIG, now)
    assert wait == (expected_wait if expected_wait is None else pytest.approx(expected_wait))


def test_each_answer_brings_the_latest_count_of_calls_left() -> None:
    p = pace.finish(Pace(limit=8.0, in_flight=2), CONFIG, 3.0, Answer(remaining=7))
    assert (p.remaining, p.remaining_at) == (7, 3.0)
    p = pace.finish(p, CONFIG, 3.5, GOOD)
    assert (p.remaining, p.remaining_at) == (7, 3.0)
