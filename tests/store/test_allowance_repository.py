"""The allowance ledger in the store, on SQLite and PostgreSQL: what was read, the lines, the
cursor, and enforcement claims that make each Jira action happen once across daemons."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from csp_jira_sync.allowance import repository as repo
from csp_jira_sync.allowance.counting import LedgerLine
from csp_jira_sync.allowance.facts import IssueFacts, Worklog
from csp_jira_sync.allowance.figures import usage_of
from csp_jira_sync.allowance.months import Month
from csp_jira_sync.store import Store

NOW = datetime(2026, 10, 20, 12, tzinfo=UTC)
OCT, NOV = Month(2026, 10), Month(2026, 11)
LEASE = timedelta(minutes=5)


def wl(ident: str, issue: str = "100", day: int = 5, seconds: int = 600) -> Worklog:
    started = datetime(2026, 10, day, 9, tzinfo=UTC)
    return Worklog(ident, issue, "csp.alice", "Alice", started, seconds, started)


def line(ident: str, month: Month = OCT, customer: str | None = "acme") -> LedgerLine:
    return LedgerLine(
        ident, "100", "CSP-1", "Alice", datetime(2026, 10, 5, 9, tzinfo=UTC), 600,
        customer, month, "crm", None, False,
    )  # fmt: skip


def test_worklogs_are_counted_with_their_issue_as_last_read(store: Store) -> None:
    with store.transaction("test") as conn:
        repo.save_issues(conn, [IssueFacts("100", "CSP-1", ("csp", "csp-customer-acme"), "s")])
        repo.save_worklogs(conn, [wl("1"), wl("2"), wl("3", issue="200")])
        repo.save_worklogs(conn, [wl("1", seconds=900)])  # an edit replaces the row
    with store.transaction("test") as conn:
        found = repo.worklogs_to_count(conn, ["1"], ["100"])
    assert sorted((w.id, w.seconds) for w, _ in found) == [("1", 900), ("2", 600)]
    assert found[0][1].labels == ("csp", "csp-customer-acme")
    assert found[0][0].started == datetime(2026, 10, 5, 9, tzinfo=UTC)


def test_saving_lines_reports_the_months_they_leave_and_enter(store: Store) -> None:
    with store.transaction("test") as conn:
        assert repo.save_lines(conn, [line("1"), line("2", customer=None)]) == {("acme", OCT)}
        # The worklog moved to November (its start was edited): both months are touched.
        assert repo.save_lines(conn, [line("1", NOV)]) == {("acme", OCT), ("acme", NOV)}
        assert [x.worklog_id for x in repo.lines_of(conn, customer="acme", month=NOV)] == ["1"]
        assert repo.month_range(conn) == (OCT, NOV)


def test_deleting_worklogs_removes_their_lines_and_names_the_months(store: Store) -> None:
    with store.transaction("test") as conn:
        repo.save_worklogs(conn, [wl("1"), wl("2")])
        repo.save_lines(conn, [line("1"), line("2")])
        assert repo.delete_worklogs(conn, ["1", "404"]) == {("acme", OCT)}
        assert [x.worklog_id for x in repo.lines_of(conn)] == ["2"]
        assert repo.worklogs_started_between(
            conn, datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)
        ) == {"2"}


def test_the_cursor_moves_inside_the_transaction(store: Store) -> None:
    with store.transaction("test") as conn:
        assert repo.cursor(conn) is None
        repo.move_cursor(conn, 1_790_000_000_000, NOW)
        repo.move_cursor(conn, 1_790_000_060_000, NOW)
    with store.transaction("test") as conn:
        assert repo.cursor(conn) == 1_790_000_060_000


def test_an_action_is_claimed_once_until_it_is_withdrawn(store: Store) -> None:
    with store.transaction("test") as conn:
        first = repo.claim_action(conn, "acme", OCT, "exceeded", raise_=True, now=NOW, lease=LEASE)
        # A second daemon during the first one's call: no claim.
        assert (
            repo.claim_action(conn, "acme", OCT, "exceeded", raise_=True, now=NOW, lease=LEASE)
            is None
        )
        assert first == repo.Claim(1, resumed=False)
        repo.finish_action(conn, "acme", OCT, "exceeded", raise_=True, now=NOW)
        assert repo.active_actions(conn, "acme", OCT) == {"exceeded"}
        assert (
            repo.claim_action(conn, "acme", OCT, "exceeded", raise_=True, now=NOW, lease=LEASE)
            is None
        )
        withdraw = repo.claim_action(
            conn, "acme", OCT, "exceeded", raise_=False, now=NOW, lease=LEASE
        )
        assert withdraw == repo.Claim(1, resumed=False)
        repo.finish_action(conn, "acme", OCT, "exceeded", raise_=False, now=NOW)
        assert repo.active_actions(conn, "acme", OCT) == frozenset()
        again = repo.claim_action(
            conn, "acme", OCT, "exceeded", raise_=True, now=NOW + LEASE, lease=LEASE
        )
        assert again == repo.Claim(2, resumed=False)  # a new generation: a new comment marker


def test_an_expired_claim_is_resumed_and_says_so(store: Store) -> None:
    with store.transaction("test") as conn:
        repo.claim_action(conn, "acme", OCT, "warning:0.8", raise_=True, now=NOW, lease=LEASE)
        assert (
            repo.claim_action(
                conn, "acme", OCT, "warning:0.8", raise_=True, now=NOW + LEASE / 2, lease=LEASE
            )
            is None
        )
        resumed = repo.claim_action(
            conn, "acme", OCT, "warning:0.8", raise_=True, now=NOW + 2 * LEASE, lease=LEASE
        )
        assert resumed == repo.Claim(1, resumed=True)


def test_withdrawing_what_was_never_raised_claims_nothing(store: Store) -> None:
    with store.transaction("test") as conn:
        assert (
            repo.claim_action(conn, "acme", OCT, "exceeded", raise_=False, now=NOW, lease=LEASE)
            is None
        )


def test_the_tracking_issue_is_claimed_once_and_recorded(store: Store) -> None:
    with store.transaction("test") as conn:
        assert repo.claim_tracking(conn, "acme", OCT, "csp-ref-x", NOW, previous_start=None)
        assert not repo.claim_tracking(conn, "acme", OCT, "csp-ref-x", NOW, previous_start=None)
        assert not repo.claim_tracking(
            conn, "acme", OCT, "csp-ref-x", NOW, previous_start=NOW - LEASE
        )
        assert repo.claim_tracking(conn, "acme", OCT, "csp-ref-x", NOW + LEASE, previous_start=NOW)
        repo.record_tracking(conn, "acme", OCT, "10001", "CSP-9", "d1")
        found = repo.tracking(conn, "acme", OCT)
        assert found is not None
        assert (found.state, found.issue_key, found.description_digest) == (
            "created",
            "CSP-9",
            "d1",
        )


def test_a_request_is_held_for_approval_once(store: Store) -> None:
    with store.transaction("test") as conn:
        assert repo.hold_once(conn, "500", "CSP-5", "acme", OCT, NOW)
        assert not repo.hold_once(conn, "500", "CSP-5", "acme", OCT, NOW)


def test_usage_summed_in_the_database_equals_the_lines_summed_one_by_one(store: Store) -> None:
    lines = [
        replace(line("1"), seconds=601, may_borrow=True),
        replace(line("2"), seconds=7, category="configuration"),
        replace(line("3"), category=None, excluded="not-csp-staff"),
        replace(line("4", NOV), seconds=3600),
        replace(line("5"), customer="globex"),
    ]
    with store.transaction("test") as conn:
        repo.save_lines(conn, lines)
        summed = repo.usage(conn, "acme", OCT, NOV)
    assert summed[OCT] == usage_of(
        OCT, [x for x in lines if x.customer == "acme" and x.month == OCT]
    )
    assert summed[OCT].by_category == {"crm": 601, "configuration": 7}
    assert summed[OCT].may_borrow == 601
    assert summed[NOV].used == 3600
