"""Date clauses: literals read in the searcher's zone, periods, epoch millis, date functions.

The clock is injected (NOW, a Wednesday afternoon in Berlin); every expected instant below is
written as Berlin wall-clock time so a reader can check it against a calendar.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from jira_sandbox.jql import JqlContext, JqlError, parse_jql
from tests.sandbox.jql_factory import BERLIN, NOW, context, issue, keys, matching

MS = timedelta(milliseconds=1)


def finds_created(jql: str, moment: datetime, ctx: JqlContext | None = None) -> bool:
    return parse_jql(jql).matches(issue(1, created=moment), ctx or context())


def berlin(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=BERLIN)


# --- literals -----------------------------------------------------------------------------


def test_a_date_literal_is_read_in_the_searchers_time_zone() -> None:
    # 00:30 on 1 November in Berlin is still 31 October in UTC (airbyte #48492).
    moment = datetime(2026, 10, 31, 23, 30, tzinfo=UTC)
    jql = 'created >= "2026-11-01"'
    assert finds_created(jql, moment, context(timezone=BERLIN))
    assert not finds_created(jql, moment, context(timezone=UTC))


@pytest.mark.parametrize(
    "literal", ['"2026-11-01 00:30"', '"2026/11/01 00:30"', '"2026/11/1 0:30"']
)
def test_date_time_literals_in_jiras_formats(literal: str) -> None:
    moment = berlin(2026, 11, 1, 0, 30)
    assert finds_created(f"created >= {literal}", moment)
    assert not finds_created(f"created > {literal}", moment)
    assert finds_created(f"created > {literal}", moment + MS)


def test_a_date_without_time_compares_as_midnight() -> None:
    # Jira's classic surprise: `<=` a day leaves out that day's issues.
    moment = berlin(2026, 11, 1, 10, 0)
    assert not finds_created('created <= "2026-11-01"', moment)
    assert finds_created('created < "2026-11-02"', moment)
    assert finds_created("created > 2026-11-01", moment)


def test_equality_with_a_date_covers_the_whole_day() -> None:
    jql = 'created = "2026-11-01"'
    assert finds_created(jql, berlin(2026, 11, 1, 0, 0))
    assert finds_created(jql, berlin(2026, 11, 2, 0, 0) - MS)
    assert not finds_created(jql, berlin(2026, 11, 2, 0, 0))
    assert not finds_created(jql, berlin(2026, 11, 1, 0, 0) - MS)
    assert finds_created('created != "2026-11-02"', berlin(2026, 11, 1, 12, 0))


def test_equality_with_a_date_time_covers_that_minute() -> None:
    jql = 'created = "2026-11-01 10:00"'
    assert finds_created(jql, berlin(2026, 11, 1, 10, 0, 59))
    assert not finds_created(jql, berlin(2026, 11, 1, 10, 1))


def test_in_takes_several_dates() -> None:
    docs = [
        issue(1, created=berlin(2026, 11, 1, 8)),
        issue(2, created=berlin(2026, 11, 2, 8)),
        issue(3, created=berlin(2026, 11, 3, 8)),
    ]
    assert matching('created in ("2026-11-01", "2026-11-03")', docs) == {"CSP-1", "CSP-3"}
    assert matching('created not in ("2026-11-01", "2026-11-03")', docs) == {"CSP-2"}


def test_a_number_against_a_date_field_is_epoch_milliseconds() -> None:
    # The time-zone-proof form the airbyte fix moved to.
    moment = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
    millis = int(moment.timestamp() * 1000)
    assert finds_created(f"created >= {millis}", moment)
    assert not finds_created(f"created >= {millis}", moment - MS)
    assert finds_created(f"created = {millis}", moment)
    assert not finds_created(f"created = {millis}", moment + MS)


@pytest.mark.parametrize(
    ("period", "delta"),
    [
        ("-7d", -timedelta(days=7)),
        ('"-1w 2d"', -timedelta(days=9)),
        ('"-1w2d"', -timedelta(days=9)),
        ("-4h", -timedelta(hours=4)),
        ("-30m", -timedelta(minutes=30)),
        ('"4w 2d"', timedelta(days=30)),
        ('"+1d"', timedelta(days=1)),
        ("2h", timedelta(hours=2)),
    ],
)
def test_a_period_is_relative_to_the_contexts_now(period: str, delta: timedelta) -> None:
    boundary = NOW + delta
    assert finds_created(f"created >= {period}", boundary)
    assert not finds_created(f"created >= {period}", boundary - MS)


def test_a_period_moves_with_the_clock_between_searches() -> None:
    query = parse_jql("updated >= -1h")
    doc = issue(1, updated=NOW - timedelta(minutes=30))
    assert query.matches(doc, context(now=NOW))
    assert not query.matches(doc, context(now=NOW + timedelta(hours=1)))


@pytest.mark.parametrize(
    "field", ["created", "createdDate", "updated", "updatedDate", "resolved", "resolutiondate"]
)
def test_every_date_field_and_alias(field: str) -> None:
    moment = berlin(2026, 11, 10, 12)
    doc = issue(1, created=moment, updated=moment, resolutiondate=moment, resolution="Done")
    assert parse_jql(f'{field} >= "2026-11-10"').matches(doc, context())
    assert not parse_jql(f'{field} < "2026-11-10"').matches(doc, context())


def test_an_unresolved_issue_has_an_empty_resolution_date() -> None:
    docs = [issue(1), issue(2, resolution="Done", resolutiondate=berlin(2026, 11, 10, 12))]
    assert matching("resolutiondate is EMPTY", docs) == {"CSP-1"}
    assert matching("resolved is not EMPTY", docs) == {"CSP-2"}
    assert matching("resolved < now()", docs) == {"CSP-2"}
    assert matching('resolved != "2026-11-01"', docs) == {"CSP-2"}


def test_the_sync_window_query_finds_updates_since_the_cursor_in_order() -> None:
    docs = [
        issue(1, updated=berlin(2026, 10, 31, 23, 59)),
        issue(2, updated=berlin(2026, 11, 1, 0, 0)),
        issue(3, updated=berlin(2026, 11, 5, 8, 0)),
        issue(4, updated=berlin(2026, 11, 2, 8, 0)),
    ]
    jql = 'project = CSP AND updated >= "2026-11-01 00:00" ORDER BY updated ASC'
    assert keys(jql, docs) == ["CSP-2", "CSP-4", "CSP-3"]


# --- functions ----------------------------------------------------------------------------

# NOW is Wednesday 18 November 2026, 15:30 in Berlin (UTC+1; summer time ended 25 October).
FUNCTION_INSTANTS = [
    ("now()", NOW),
    ("startOfDay()", berlin(2026, 11, 18)),
    ("endOfDay()", berlin(2026, 11, 19) - MS),
    ("startOfDay(-1)", berlin(2026, 11, 17)),
    ('startOfDay("+1d")', berlin(2026, 11, 19)),
    ('endOfDay("-2h")', berlin(2026, 11, 18, 22) - MS),
    ("startOfWeek()", berlin(2026, 11, 15)),  # Sunday, Jira's default (en_US) locale
    ("endOfWeek()", berlin(2026, 11, 22) - MS),
    ("startOfWeek(-1)", berlin(2026, 11, 8)),
    ("startOfMonth()", berlin(2026, 11, 1)),
    ("startOfMonth(-1)", berlin(2026, 10, 1)),  # summer time: 22:00 UTC on 30 September
    ('startOfMonth("-1M")', berlin(2026, 10, 1)),
    ("startOfMonth(-1M)", berlin(2026, 10, 1)),
    ("startOfMonth(-12)", berlin(2025, 11, 1)),
    ("endOfMonth()", berlin(2026, 12, 1) - MS),
    ("endOfMonth(-1)", berlin(2026, 11, 1) - MS),  # the 31st of October is in it
    ('endOfMonth("+1M")', berlin(2027, 1, 1) - MS),
    ('startOfMonth("+14d")', berlin(2026, 11, 15)),
    ("startOfYear()", berlin(2026, 1, 1)),
    ("startOfYear(1)", berlin(2027, 1, 1)),
    ("endOfYear()", berlin(2027, 1, 1) - MS),
    ("STARTOFDAY()", berlin(2026, 11, 18)),
]


@pytest.mark.parametrize(("function", "instant"), FUNCTION_INSTANTS)
def test_date_functions_name_an_exact_instant(function: str, instant: datetime) -> None:
    assert finds_created(f"created = {function}", instant)
    assert not finds_created(f"created = {function}", instant + MS)
    assert finds_created(f"created >= {function}", instant)
    assert not finds_created(f"created >= {function}", instant - MS)


def test_start_of_week_follows_the_contexts_first_day_of_week() -> None:
    monday_first = context(first_day_of_week=0)
    assert finds_created("created = startOfWeek()", berlin(2026, 11, 16), monday_first)
    assert finds_created("created = endOfWeek()", berlin(2026, 11, 23) - MS, monday_first)


def test_a_day_that_loses_summer_time_is_25_hours_long() -> None:
    ctx = context(now=berlin(2026, 10, 25, 12, 0))
    assert finds_created("created = startOfDay()", datetime(2026, 10, 24, 22, 0, tzinfo=UTC), ctx)
    end = datetime(2026, 10, 25, 23, 0, tzinfo=UTC) - MS
    assert finds_created("created = endOfDay()", end, ctx)


def test_date_functions_use_the_searchers_time_zone() -> None:
    # 14:30 UTC is already late evening in Tokyo: its day started 9 hours before UTC's.
    tokyo = context(timezone=ZoneInfo("Asia/Tokyo"))
    assert finds_created("created = startOfDay()", datetime(2026, 11, 17, 15, 0, tzinfo=UTC), tokyo)
    assert finds_created("created = startOfDay()", datetime(2026, 11, 17, 23, 0, tzinfo=UTC))


def test_a_naive_now_is_taken_as_wall_clock_time_in_the_contexts_zone() -> None:
    naive = context(now=datetime(2026, 11, 18, 15, 30))
    assert finds_created("created = now()", NOW, naive)
    assert finds_created("created = startOfDay()", berlin(2026, 11, 18), naive)


# --- refusals -----------------------------------------------------------------------------

FORMATS = (
    "Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', "
    "'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."
)


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        (
            'created <= "17/FAKE/09"',
            f"Date value '17/FAKE/09' for field 'created' is invalid. {FORMATS}",
        ),
        (
            'resolved >= "2026-13-01"',
            f"Date value '2026-13-01' for field 'resolved' is invalid. {FORMATS}",
        ),
        (
            'updated > "yesterday"',
            f"Date value 'yesterday' for field 'updated' is invalid. {FORMATS}",
        ),
        (
            'created > "2026-11-01 25:00"',
            f"Date value '2026-11-01 25:00' for field 'created' is invalid. {FORMATS}",
        ),
        (
            "created in (2026-11-01, -1q)",
            f"Date value '-1q' for field 'created' is invalid. {FORMATS}",
        ),
        (
            'created > startOfDay("invalid")',
            "Duration for function 'startOfDay' should have the format (+/-)n(yMwdm), "
            "e.g -1M for 1 month earlier.",
        ),
        ("created > now(1)", "Function 'now' expected '0' arguments but received '1'."),
        (
            "created > startOfMonth(1, 2)",
            "Function 'startOfMonth' expected between '0' and '1' arguments but received '2'.",
        ),
        (
            "created = currentUser()",
            "A date for the field 'created' provided by the function 'currentUser' is not valid.",
        ),
        (
            "assignee = now()",
            "A value provided by the function 'now' is invalid for the field 'assignee'.",
        ),
        ("created > lastLogin()", "Unable to find JQL function 'lastLogin()'."),
    ],
)
def test_bad_date_values_are_refused_with_jiras_message(jql: str, message: str) -> None:
    with pytest.raises(JqlError) as caught:
        parse_jql(jql)
    assert caught.value.messages == [message]
