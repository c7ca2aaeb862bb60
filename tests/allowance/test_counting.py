"""Which worklog counts, against which customer, month and category, and why the others do not."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from csp_jira_sync.allowance.counting import count_worklog
from csp_jira_sync.allowance.facts import IssueFacts, Worklog
from csp_jira_sync.allowance.months import Month
from csp_jira_sync.config.mappings import Borrowing, Mappings, load_mappings

ROOT = Path(__file__).resolve().parents[2]
STAFF = frozenset({"csp.alice"})
ACT = "csp-act-escalation-management"


@pytest.fixture(scope="module")
def mappings() -> Mappings:
    return load_mappings(ROOT / "mappings")


def worklog(started: str, author: str = "csp.alice", seconds: int = 3600) -> Worklog:
    moment = datetime.fromisoformat(started)
    return Worklog("w1", "10001", author, author, moment, seconds, moment)


def issue(*labels: str) -> IssueFacts:
    return IssueFacts("10001", "CSP-1", labels)


@pytest.mark.parametrize(
    ("started", "zone", "month"),
    [
        # The issue's example: 23:30 on 31 October in Chicago (CDT) is November in UTC.
        ("2026-10-31T23:30:00-05:00", "America/Chicago", "2026-10"),
        # The same instant in New York (still EDT) is 00:30 on 1 November.
        ("2026-10-31T23:30:00-05:00", "America/New_York", "2026-11"),
        ("2026-10-31T23:30:00-05:00", "Europe/London", "2026-11"),
        ("2026-10-31T22:59:59+00:00", "Europe/Berlin", "2026-10"),  # CET: 23:59:59
        ("2026-10-31T23:00:00+00:00", "Europe/Berlin", "2026-11"),  # CET: midnight
        # Sydney is 11 h ahead after DST starts there on 4 October.
        ("2026-10-31T12:59:00+00:00", "Australia/Sydney", "2026-10"),
        ("2026-10-31T13:00:00+00:00", "Australia/Sydney", "2026-11"),
        # Chicago on 1 March (CST, -06:00), before DST starts on 8 March.
        ("2026-03-01T05:59:59+00:00", "America/Chicago", "2026-02"),
        ("2026-03-01T06:00:00+00:00", "America/Chicago", "2026-03"),
        # London in March: BST starts on 29 March 2026; 31 March 23:30 BST is 22:30 UTC.
        ("2026-03-31T22:59:59+00:00", "Europe/London", "2026-03"),
        ("2026-03-31T23:00:00+00:00", "Europe/London", "2026-04"),
        # New Year in New York (EST).
        ("2027-01-01T04:59:59+00:00", "America/New_York", "2026-12"),
        ("2027-01-01T05:00:00+00:00", "America/New_York", "2027-01"),
        # A start written with another offset than the customer's own.
        ("2026-11-01T09:00:00+14:00", "Pacific/Honolulu", "2026-10"),
    ],
)
def test_the_month_is_the_calendar_month_of_started_in_the_customers_zone(
    mappings: Mappings, started: str, zone: str, month: str
) -> None:
    customer = mappings.customers["globex"].model_copy(update={"timezone": zone})
    in_zone = mappings.model_copy(update={"customers": {**mappings.customers, "globex": customer}})
    line = count_worklog(
        worklog(started),
        issue("csp", ACT, "csp-customer-globex"),
        staff=STAFF,
        mappings=in_zone,
    )
    assert line.customer == "globex"
    assert line.month == Month.parse(month)


@pytest.mark.parametrize(
    ("author", "labels", "reason"),
    [
        ("noc.dave", ("csp", ACT, "csp-customer-acme"), "not-csp-staff"),
        ("csp.alice", ("csp", ACT), "no-customer"),
        (
            "csp.alice",
            ("csp", ACT, "csp-customer-acme", "csp-customer-globex"),
            "several-customers",
        ),
        ("csp.alice", ("csp", ACT, "csp-customer-acme", "csp-out-of-scope"), "out-of-scope"),
        ("csp.alice", ("csp-out-of-scope", "csp-customer-acme"), "out-of-scope"),
        ("csp.alice", ("csp", "csp-customer-acme"), "no-activity-label"),
        ("csp.alice", ("csp", ACT, "csp-customer-acme"), None),
    ],
)
def test_which_time_counts_and_why_not(
    mappings: Mappings, author: str, labels: tuple[str, ...], reason: str | None
) -> None:
    line = count_worklog(
        worklog("2026-10-10T10:00:00+00:00", author), issue(*labels), staff=STAFF, mappings=mappings
    )
    assert line.excluded == reason
    assert line.counts is (reason is None)
    assert (line.category is None) is (reason is not None)


def test_the_category_follows_the_issues_current_labels(mappings: Mappings) -> None:
    firewall = mappings.catalog.activity("firewall-review").label
    before, after = (
        count_worklog(
            worklog("2026-10-10T10:00:00+00:00"),
            issue("csp", activity, "csp-customer-acme"),
            staff=STAFF,
            mappings=mappings,
        )
        for activity in (ACT, firewall)
    )
    assert before.category == "incident-problem"
    assert after.category == "configuration"


def test_work_may_borrow_only_on_the_labels_the_contract_names(mappings: Mappings) -> None:
    gold = mappings.packages["gold"].model_copy(
        update={"borrowing": Borrowing(max_hours=2, labels=("csp-sev1",))}
    )
    borrowing = mappings.model_copy(update={"packages": {**mappings.packages, "gold": gold}})
    urgent, routine = (
        count_worklog(
            worklog("2026-10-10T10:00:00+00:00"),
            issue("csp", ACT, "csp-customer-acme", *extra),
            staff=STAFF,
            mappings=borrowing,
        )
        for extra in (("csp-sev1",), ())
    )
    assert urgent.may_borrow is True
    assert routine.may_borrow is False


def test_a_worklog_without_an_offset_is_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="offset"):
        Month.of(datetime(2026, 10, 1), load_mappings(ROOT / "mappings").customers["acme"].zone)


@pytest.mark.parametrize("text", ["2026-13", "2026/10", "26-10", ""])
def test_a_bad_month_says_how_to_write_one(text: str) -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        Month.parse(text)


def test_months_step_across_the_year() -> None:
    assert Month(2026, 12).next() == Month(2027, 1)
    assert Month(2027, 1).previous() == Month(2026, 12)
    assert [str(m) for m in Month(2026, 11).until(Month(2027, 2))] == [
        "2026-11",
        "2026-12",
        "2027-01",
        "2027-02",
    ]
