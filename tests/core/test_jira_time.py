"""Jira's timestamps as both deployments write them (`jira.model.jira_time`), read by the
triage pass and the duplicates step."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from csp_jira_sync.jira.model import jira_time


def _at(hours: int, microsecond: int = 0) -> datetime:
    return datetime(2026, 12, 2, 4, 54, 1, microsecond, tzinfo=timezone(timedelta(hours=hours)))


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2026-12-02T04:54:01.000+0000", _at(0)),
        ("2026-12-02T04:54:01.250-0500", _at(-5, 250_000)),
        ("2026-12-02T04:54:01+0100", _at(1)),
    ],
    ids=["utc", "offset-and-fraction", "no-fraction"],
)
def test_jira_times_are_read_with_their_offset(text: str, moment: datetime) -> None:
    read = jira_time(text)
    assert read is not None
    assert (read, read.utcoffset()) == (moment, moment.utcoffset())


@pytest.mark.parametrize("text", ["", "2026-12-02T04:54:01.000", "02/12/2026", "soon"])
def test_text_that_is_not_a_jira_time_is_none(text: str) -> None:
    assert jira_time(text) is None
