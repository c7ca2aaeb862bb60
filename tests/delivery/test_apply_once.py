"""Every branch of `apply_once` (a comment, riding on a transition where a status is wanted), on
a real SQLite store, the in-memory fake gateway and a fixed clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Connection

from csp_jira_sync.delivery import journal
from csp_jira_sync.delivery.once import apply_once
from csp_jira_sync.errors import JiraPermanent, JiraTransient
from csp_jira_sync.jira.model import IssueDraft, IssueRef
from csp_jira_sync.store import Store
from tests.support.fake_gateway import FakeClock, FakeGateway

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
KIND, EVENT = "escalation", "evt-42"
MARKER = "[csp-sync:escalation:evt-42]"
COMMENT = f"NOC acknowledged the escalation.\n{MARKER}"
DRAFT = IssueDraft(
    project="CSP", issue_type="Incident", summary="NOC-7", description="d", labels=("csp",)
)


@dataclass
class World:
    store: Store
    clock: FakeClock
    jira: FakeGateway
    issue: IssueRef
    # What the caller's `then` saw of the event's mark inside the recording commit.
    then_saw: list[str | None] = field(default_factory=list)

    def then(self, conn: Connection, issue: IssueRef) -> None:
        assert issue == self.issue
        self.then_saw.append(journal.applied_state(conn, KIND, EVENT))

    def apply(self, status: str | None) -> str:
        return apply_once(
            self.store,
            self.jira,
            kind=KIND,
            event_id=EVENT,
            marker=MARKER,
            issue=self.issue,
            comment=COMMENT,
            status=status,
            now=self.clock,
            then=self.then,
        )

    def state(self) -> str | None:
        with self.store.transaction("test: reading an event's state") as conn:
            return journal.applied_state(conn, KIND, EVENT)

    def mark(self, state: str) -> None:
        with self.store.transaction("test: an earlier attempt") as conn:
            journal.mark_event(conn, KIND, EVENT, state, self.issue.key, MARKER, T0)

    def earlier_attempt_posted(self) -> None:
        """An earlier attempt marked the event, its comment landed, and then it crashed."""
        self.mark("applying")
        self.jira.issue(self.issue).comments.append(COMMENT)

    def no_transition_to_done(self) -> None:
        self.jira.transitions["To Do"] = {"In Progress"}


@pytest.fixture
def world(sqlite_store: Store) -> World:
    clock = FakeClock(T0)
    jira = FakeGateway(clock)
    return World(sqlite_store, clock, jira, jira.add_issue(DRAFT).ref)


@dataclass(frozen=True)
class Case:
    name: str
    prepare: Callable[[World], None]
    status: str | None
    outcome: str  # what apply_once returned, or "transient" / "permanent"
    state: str | None  # the event's mark afterwards
    comments: int  # comments carrying the marker afterwards
    issue_status: str  # the issue's status afterwards
    calls: dict[str, int] = field(default_factory=dict)


CASES = [
    Case("already applied: nothing is sent", lambda w: w.mark("applied"), "In Progress",
         "already-applied", "applied", 0, "To Do"),
    Case("applying and the marker is found: not posted again", lambda w: w.earlier_attempt_posted(),
         "In Progress", "already-applied", "applied", 1, "To Do", {"comments": 1}),
    Case("applying and the marker is not found: posted now", lambda w: w.mark("applying"),
         None, "applied", "applied", 1, "To Do", {"comments": 1, "comment": 1}),
    Case("a comment without a status", lambda w: None, None, "applied", "applied", 1, "To Do",
         {"comment": 1}),
    Case("the transition moves the issue and carries the comment", lambda w: None, "In Progress",
         "applied", "applied", 1, "In Progress", {"transition": 1}),
    Case("no transition leads there: comment only", lambda w: w.no_transition_to_done(), "Done",
         "comment-only", "applied", 1, "To Do", {"transition": 1, "comment": 1}),
    Case("transient comment that did not land releases the mark",
         lambda w: w.jira.fail_next("comment", "transient-before"), None, "transient", None, 0,
         "To Do", {"comment": 1}),
    Case("transient comment that landed keeps the mark",
         lambda w: w.jira.fail_next("comment", "transient-after"), None, "transient", "applying",
         1, "To Do", {"comment": 1}),
    Case("transient transition that landed keeps the mark",
         lambda w: w.jira.fail_next("transition", "transient-after"), "In Progress", "transient",
         "applying", 1, "In Progress", {"transition": 1}),
    Case("transient transition that did not land releases the mark",
         lambda w: w.jira.fail_next("transition", "transient-before"), "In Progress", "transient",
         None, 0, "To Do", {"transition": 1}),
    Case("permanent refusal of the comment releases the mark",
         lambda w: w.jira.fail_next("comment", "permanent"), None, "permanent", None, 0, "To Do",
         {"comment": 1}),
    Case("permanent refusal of the transition releases the mark",
         lambda w: w.jira.fail_next("transition", "permanent"), "Done", "permanent", None, 0,
         "To Do", {"transition": 1}),
]  # fmt: skip


def run(world: World, status: str | None) -> str:
    try:
        return world.apply(status)
    except JiraTransient:
        return "transient"
    except JiraPermanent:
        return "permanent"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_apply_once(world: World, case: Case) -> None:
    case.prepare(world)
    world.jira.calls.clear()

    outcome = run(world, case.status)

    issue = world.jira.issue(world.issue)
    assert (outcome, world.state(), sum(MARKER in c for c in issue.comments), issue.status) == (
        case.outcome,
        case.state,
        case.comments,
        case.issue_status,
    )
    assert dict(world.jira.calls) == case.calls
    # The caller's record rides on the commit that marks the event applied, and only then.
    done = case.outcome not in ("transient", "permanent")
    assert world.then_saw == (["applied"] if done else [])


@pytest.mark.parametrize(
    ("operation", "status", "may_have_landed", "landed"),
    [
        ("comment", None, True, True),
        ("comment", None, True, False),
        ("comment", None, False, False),
        ("transition", "In Progress", True, True),
        ("transition", "In Progress", True, False),
    ],
)
def test_after_a_transient_failure_the_retry_posts_the_comment_exactly_once(
    world: World, operation: str, status: str | None, may_have_landed: bool, landed: bool
) -> None:
    kind = "transient-after" if landed else "transient-before"
    world.jira.fail_next(operation, kind, may_have_landed=may_have_landed)  # type: ignore[arg-type]
    assert run(world, status) == "transient"
    retried = run(world, status)
    issue = world.jira.issue(world.issue)
    assert retried == ("already-applied" if landed else "applied")
    assert sum(MARKER in c for c in issue.comments) == 1
    assert world.state() == "applied"
    assert issue.status == (status or "To Do")
