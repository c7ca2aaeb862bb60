"""The pure decision about several issues for one source item: which is kept and why, what is
done to each other one, which comments' facts move, and that nothing is done twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from csp_jira_sync.jira.model import IssueRef
from csp_jira_sync.jira.text import plain_text, wiki_text
from csp_jira_sync.reconcile.duplicates_decide import (
    Fact,
    Group,
    Sibling,
    duplicate_marker,
    merge_comments,
    moved_marker,
    moved_refs,
    plan_duplicates,
    pointer_comment,
)

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
A = IssueRef("10001", "CSP-1")
B = IssueRef("10002", "CSP-2")
C = IssueRef("10003", "CSP-3")


def sibling(
    issue: IssueRef,
    minutes: int,
    *,
    done: bool = False,
    dup: frozenset[str] = frozenset(),
    clone: frozenset[str] = frozenset(),
    comments: tuple[Fact, ...] = (),
) -> Sibling:
    return Sibling(issue, T0 + timedelta(minutes=minutes), done, dup, clone, comments)


def group(*siblings: Sibling, ledger: IssueRef | None = None) -> Group:
    return Group("escalation NOC-1", "csp-ref-x", siblings, ledger)


@pytest.mark.parametrize(
    ("siblings", "ledger", "kept", "why"),
    [
        ((sibling(A, 0), sibling(B, 5)), None, A, "the oldest"),
        ((sibling(B, 5), sibling(A, 0)), None, A, "the oldest"),
        ((sibling(A, 0), sibling(B, 5)), A, A, "ledger records (also the oldest)"),
        ((sibling(A, 0), sibling(B, 5)), B, B, "although not the oldest"),
        # Same creation time: the lower id was created first.
        ((sibling(B, 0), sibling(A, 0)), None, A, "the oldest"),
    ],
    ids=["oldest", "oldest-listed-second", "ledger-is-oldest", "ledger-wins", "tie-by-id"],
)
def test_the_kept_issue_is_the_ledgers_else_the_oldest(
    siblings: tuple[Sibling, ...], ledger: IssueRef | None, kept: IssueRef, why: str
) -> None:
    plan = plan_duplicates(group(*siblings, ledger=ledger))
    assert plan.kept == kept
    assert why in plan.why_kept
    assert plan.record_kept == (ledger is None)


def test_a_ledger_issue_that_is_not_among_them_blocks_the_decision() -> None:
    plan = plan_duplicates(group(sibling(A, 0), sibling(B, 5), ledger=C))
    assert plan.kept is None and not plan.changes
    assert plan.blocked is not None and "CSP-3" in plan.blocked


@pytest.mark.parametrize(
    ("duplicate", "link", "close", "left_alone"),
    [
        (sibling(B, 5), True, True, False),
        (sibling(B, 5, dup=frozenset({"CSP-1"})), False, True, False),
        (sibling(B, 5, done=True), True, False, False),
        (sibling(B, 5, done=True, dup=frozenset({"CSP-1"})), False, False, False),
        (sibling(B, 5, clone=frozenset({"CSP-1"})), False, False, True),
        (
            sibling(B, 5, comments=(Fact("9", "CSP Sync", "t", pointer_comment("CSP-1", "x")),)),
            False,
            False,
            True,
        ),
    ],
    ids=[
        "fresh",
        "a-person-linked-it",
        "a-person-closed-it",
        "linked-and-closed",
        "a-persons-clone",
        "reopened-after-our-close",
    ],
)
def test_each_duplicate_gets_only_what_it_lacks(
    duplicate: Sibling, link: bool, close: bool, left_alone: bool
) -> None:
    plan = plan_duplicates(group(sibling(A, 0), duplicate, ledger=A))
    if left_alone:
        assert plan.duplicates == () and [i for i, _ in plan.left_alone] == [B]
        return
    [action] = plan.duplicates
    assert (action.issue, action.link, action.close) == (B, link, close)
    assert (action.pointer is not None) == close  # the pointer rides on our close only
    if action.pointer is not None:
        assert duplicate_marker("CSP-1") in action.pointer


def test_facts_the_kept_issue_has_are_not_moved_and_the_rest_move_once() -> None:
    kept_comments = (
        Fact("1", "CSP Sync", "t1", "NOC update: acknowledged\n[csp-event escalation:e-2]"),
        Fact("2", "Alice Csp", "t2", "Customer  informed."),
        Fact("3", "CSP Sync", "t3", "earlier move\n" + moved_marker(("CSP-2", "21"))),
    )
    dup_comments = (
        Fact("20", "CSP Sync", "t1", "NOC update: acknowledged\n[csp-event escalation:e-2]"),
        Fact("21", "Bob Csp", "t4", "Moved already."),
        Fact("22", "Bob Csp", "t5", "customer informed."),
        Fact("23", "Chen Csp", "t6", "Rebooted db-01; disk at 60%."),
        Fact("24", "Chen Csp", "t7", "   "),
    )
    plan = plan_duplicates(
        group(
            sibling(A, 0, comments=kept_comments),
            sibling(B, 5, comments=dup_comments),
            ledger=A,
        )
    )
    assert plan.moved_facts == 1
    [comment] = plan.merge_comments
    assert "Chen Csp wrote on CSP-2 at t6:\nRebooted db-01; disk at 60%." in comment
    assert moved_marker(("CSP-2", "23")) in comment
    assert "Moved already" not in comment and "informed" not in comment


def test_a_second_plan_after_the_first_was_carried_out_changes_nothing() -> None:
    fact = Fact("20", "Bob Csp", "t1", "Asked the customer for a window.")
    first = plan_duplicates(group(sibling(A, 0), sibling(B, 5, comments=(fact,)), ledger=None))
    [moved] = first.merge_comments
    [action] = first.duplicates
    assert action.pointer is not None
    after = group(
        sibling(A, 0, dup=frozenset({"CSP-2"}), comments=(Fact("1", "CSP Sync", "t2", moved),)),
        sibling(
            B,
            5,
            done=True,
            dup=frozenset({"CSP-1"}),
            comments=(fact, Fact("21", "CSP Sync", "t3", action.pointer)),
        ),
        ledger=A,
    )
    second = plan_duplicates(after)
    assert not second.changes and second.left_alone == ()


def test_many_facts_are_split_only_to_fit_jiras_comment_limit() -> None:
    big = [("CSP-2", Fact(str(i), "Bob Csp", "t", "x" * 9_000)) for i in range(5)]
    comments = merge_comments("CSP-1", "escalation NOC-1", big)
    assert len(comments) == 2
    assert all(len(c) < 32_767 for c in comments)
    assert sum(len(moved_refs(c)) for c in comments) == 5
    assert all(c.count("[csp-moved") == 1 for c in comments)  # one marker each, its last line


def test_the_markers_survive_the_way_to_jira_so_a_second_run_sees_the_first() -> None:
    """The gateway defuses any marker that is not a comment's final "[csp-<word> ...]" line
    (jira.text.plain_text, wiki_text on v2): ours must be of that shape, or the next run would
    copy and close again."""
    facts = (
        Fact("20", "Bob Csp", "t1", "Asked the customer for a window."),
        Fact("21", "Chen Csp", "t2", "Window agreed: Sunday 02:00."),
    )
    first = plan_duplicates(group(sibling(A, 0), sibling(B, 5, comments=facts), ledger=None))
    [moved] = first.merge_comments
    [action] = first.duplicates
    assert action.pointer is not None
    for as_stored in (plain_text, wiki_text):
        after = group(
            sibling(
                A,
                0,
                dup=frozenset({"CSP-2"}),
                comments=(Fact("1", "CSP Sync", "t2", as_stored(moved)),),
            ),
            sibling(
                B,
                5,
                done=True,
                dup=frozenset({"CSP-1"}),
                comments=(*facts, Fact("22", "CSP Sync", "t3", as_stored(action.pointer))),
            ),
            ledger=A,
        )
        second = plan_duplicates(after)
        assert not second.changes and second.left_alone == ()
