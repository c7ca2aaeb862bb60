"""The sandbox's pure parts: durations, ADF, the worklog change feed, the token bucket,
field selection, knob checking and the lagging search index."""

from __future__ import annotations

import pytest

from jira_sandbox.adf import adf_problem, adf_to_text, text_to_adf
from jira_sandbox.config import KnobSettings, parse_rate
from jira_sandbox.feed import ChangeFeed
from jira_sandbox.fielddefs import SYSTEM_FIELDS
from jira_sandbox.knobs import IssueWriteLimiter, KnobError, TokenBucket, knobs_from_json
from jira_sandbox.render import select_fields
from jira_sandbox.search_index import SearchIndex
from jira_sandbox.timefmt import format_duration, format_ms, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("3h 20m", 12000), ("1d", 28800), ("1w", 144000), ("45", 2700), ("1.5h", 5400)],
)
def test_durations_are_read_with_jiras_8_hour_day_and_5_day_week(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "3x", "h"])
def test_a_duration_jira_cannot_read_is_refused(text: str) -> None:
    assert parse_duration(text) is None


def test_durations_are_written_the_way_jira_writes_them() -> None:
    assert format_duration(12000) == "3h 20m"
    assert format_duration(28800 + 3600) == "1d 1h"


def test_timestamps_have_milliseconds_and_no_colon_in_the_offset() -> None:
    assert format_ms(1_795_600_800_123) == "2026-11-25T10:00:00.123+0000"


def test_plain_text_survives_a_round_trip_through_adf() -> None:
    text = "First paragraph\nwith a second line\n\nSecond paragraph"
    document = text_to_adf(text)
    assert adf_problem(document) is None
    assert adf_to_text(document) == text


def test_a_string_or_a_malformed_document_is_not_adf() -> None:
    assert adf_problem("plain") is not None
    assert adf_problem({"type": "doc", "version": 1, "content": [{"text": "no type"}]})


def test_feed_pages_oldest_first_from_since_inclusive_up_to_the_cutoff() -> None:
    feed = ChangeFeed()
    for worklog_id, time_ms in [(1, 100), (2, 200), (3, 200), (4, 300), (5, 400)]:
        feed.record(worklog_id, time_ms)
    items, more = feed.page(200, 300, 10)
    assert items == [(200, 2), (200, 3), (300, 4)]
    assert not more
    first, more = feed.page(0, 1000, 2)
    assert first == [(100, 1), (200, 2)]
    assert more


def test_a_re_recorded_item_appears_once_at_its_latest_time() -> None:
    feed = ChangeFeed()
    feed.record(1, 100)
    feed.record(2, 150)
    feed.record(1, 500)
    feed.forget(2)
    assert feed.page(0, 1000, 10) == ([(500, 1)], False)


def test_token_bucket_refuses_when_empty_and_says_when_to_retry() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=2.0, burst=2, monotonic=lambda: now[0])
    assert bucket.take().allowed
    assert bucket.take().allowed
    refused = bucket.take()
    assert not refused.allowed
    assert refused.retry_after_s == 1
    now[0] += 0.5
    assert bucket.take().allowed


def test_the_per_issue_write_limit_counts_each_issue_in_every_window() -> None:
    now = [0.0]
    limiter = IssueWriteLimiter(((2, 1000), (3, 10_000)), monotonic=lambda: now[0])
    assert limiter.take(1) is None
    assert limiter.take(1) is None
    refused = limiter.take(1)
    assert refused is not None and not refused.allowed
    assert refused.reason == "jira-per-issue-on-write"
    assert refused.retry_after_s == 1
    assert limiter.take(2) is None  # another issue is not held back
    now[0] = 1.5
    assert limiter.take(1) is None  # the 1 s window has room again: the third write
    now[0] = 2.0
    longer = limiter.take(1)
    assert longer is not None and longer.limit == 3
    assert longer.retry_after_s == 8  # the first write leaves the 10 s window at 10.0
    now[0] = 10.0
    assert limiter.take(1) is None


def test_rates_are_read_per_second_or_per_minute() -> None:
    assert parse_rate("5/s") == 5.0
    assert parse_rate("120/min") == 2.0
    with pytest.raises(ValueError, match="N/s"):
        parse_rate("fast")


def test_knob_updates_are_checked_and_name_the_wrong_value() -> None:
    updated = knobs_from_json(KnobSettings(), {"indexLagMs": 250, "faultKinds": ["503"]})
    assert updated.index_lag_ms == 250
    assert updated.fault_kinds == ("503",)
    with pytest.raises(KnobError, match="faultRate"):
        knobs_from_json(KnobSettings(), {"faultRate": 2})
    with pytest.raises(KnobError, match="unknown knob"):
        knobs_from_json(KnobSettings(), {"lagMs": 1})
    limits = knobs_from_json(
        KnobSettings(), {"issueWriteLimits": [{"writes": 20, "windowMs": 2000}]}
    )
    assert limits.issue_write_limits == ((20, 2000),)
    with pytest.raises(KnobError, match="issueWriteLimits must be a list like"):
        knobs_from_json(KnobSettings(), {"issueWriteLimits": [[20, 2000]]})
    with pytest.raises(KnobError, match="writes >= 1"):
        knobs_from_json(KnobSettings(), {"issueWriteLimits": [{"writes": 0, "windowMs": 2000}]})


def test_field_selection_follows_jiras_fields_parameter() -> None:
    defs = {spec.id: spec for spec in SYSTEM_FIELDS}
    assert select_fields(["summary,labels"], defs, "*all").fields == {"summary", "labels"}
    navigable_minus = select_fields(["-description"], defs, "*all").fields
    assert "description" not in navigable_minus and "summary" in navigable_minus
    assert "comment" not in navigable_minus  # comments are not navigable
    assert select_fields([], defs, "id").id_only
    assert "comment" in select_fields(["*all"], defs, "id").fields


def test_search_index_shows_writes_only_after_the_lag() -> None:
    now = [1000]
    index: SearchIndex[tuple[str, ...]] = SearchIndex(lambda: now[0], lambda: 500, lambda d: d)
    index.put(1, ("csp",))
    assert index.view() == {}
    assert index.view({1: ("csp",)}) == {1: ("csp",)}  # a reconciled issue is read fresh
    now[0] += 500
    assert index.view() == {1: ("csp",)}
    assert index.ids_with_label("csp") == {1}
