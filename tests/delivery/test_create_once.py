"""Every branch of `create_once`, on a real SQLite store, the in-memory fake gateway and a clock
the test moves: no timing, no sandbox. Each row names the situation an earlier attempt (or
another worker) left behind and what this attempt must do about it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Connection

from csp_jira_sync.delivery import journal
from csp_jira_sync.delivery.once import Created, Defer, create_once
from csp_jira_sync.errors import JiraPermanent, JiraTransient
from csp_jira_sync.jira.model import IssueDraft, IssueRef
from csp_jira_sync.store import Store
from tests.support.fake_gateway import FakeClock, FakeGateway

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SETTLE = timedelta(seconds=60)
KIND, SUBJECT, GENERATION, REF = "escalation", "NOC-7", 1, "csp-ref-escalation-noc-7-1"
DRAFT = IssueDraft(
    project="CSP", issue_type="Incident", summary="NOC-7: disk full", description="d", labels=(REF,)
)


@dataclass
class World:
    store: Store
    clock: FakeClock
    jira: FakeGateway
    # What the caller's `then` saw of the ledger inside the recording commit, when it ran.
    then_saw: list[str | None] = field(default_factory=list)

    def then(self, conn: Connection, issue: IssueRef) -> None:
        entry = journal.ledger_entry(conn, KIND, SUBJECT, GENERATION)
        self.then_saw.append(entry.state if entry and entry.issue == issue else None)

    def attempt(self) -> Created:
        return create_once(
            self.store,
            self.jira,
            kind=KIND,
            subject=SUBJECT,
            generation=GENERATION,
            ref=REF,
            draft=DRAFT,
            now=self.clock,
            settle=SETTLE,
            then=self.then,
        )

    def ledger(self) -> journal.LedgerEntry | None:
        with self.store.transaction("test: reading the ledger") as conn:
            return journal.ledger_entry(conn, KIND, SUBJECT, GENERATION)

    def crashed_after_claim(self, *, landed: bool) -> None:
        """An earlier attempt claimed the create at T0 and died before recording the answer."""
        with self.store.transaction("test: an earlier claim") as conn:
            journal.claim_create(conn, KIND, SUBJECT, GENERATION, REF, T0, previous_start=None)
        if landed:
            self.jira.add_issue(DRAFT)

    def recorded(self) -> None:
        issue = self.jira.add_issue(DRAFT)
        with self.store.transaction("test: an earlier create") as conn:
            journal.claim_create(conn, KIND, SUBJECT, GENERATION, REF, T0, previous_start=None)
            journal.record_created(conn, KIND, SUBJECT, GENERATION, issue.ref, T0)

    def another_worker_takes_over_while_we_search(self) -> None:
        def take_over() -> None:
            with self.store.transaction("test: the other worker's claim") as conn:
                assert journal.claim_create(
                    conn, KIND, SUBJECT, GENERATION, REF, self.clock(), previous_start=T0
                )

        self.jira.on_next("search", take_over)


@pytest.fixture
def world(sqlite_store: Store) -> World:
    clock = FakeClock(T0)
    return World(sqlite_store, clock, FakeGateway(clock))


@dataclass(frozen=True)
class Case:
    name: str
    prepare: Callable[[World], None]
    at: timedelta  # when this attempt runs, after T0
    outcome: str  # "new", "recovered", "defer", "transient", "permanent"
    ledger: str | None  # the ledger row's state afterwards (None: no row)
    issues: int  # issues in Jira afterwards
    calls: dict[str, int] = field(default_factory=dict)  # gateway calls this attempt made
    lag: timedelta = timedelta(0)


CASES = [
    Case("first attempt creates", lambda w: None, timedelta(0), "new", "created", 1,
         {"create": 1}),
    Case("a recorded create is returned without asking Jira", lambda w: w.recorded(),
         timedelta(seconds=1), "recovered", "created", 1),
    Case("found after a crash, before the settle time", lambda w: w.crashed_after_claim(landed=True),
         timedelta(seconds=5), "recovered", "created", 1, {"search": 1}),
    Case("found after a crash, after the settle time", lambda w: w.crashed_after_claim(landed=True),
         timedelta(minutes=5), "recovered", "created", 1, {"search": 1}),
    Case("a search miss before the settle time is not trusted",
         lambda w: w.crashed_after_claim(landed=False), timedelta(seconds=10), "defer",
         "creating", 0, {"search": 1}),
    Case("a fresh issue hidden by the index lag is not created twice",
         lambda w: w.crashed_after_claim(landed=True), timedelta(seconds=10), "defer",
         "creating", 1, {"search": 1}, lag=timedelta(seconds=30)),
    Case("a search miss after the settle time is trusted: create",
         lambda w: w.crashed_after_claim(landed=False), SETTLE + timedelta(seconds=1), "new",
         "created", 1, {"search": 1, "create": 1}),
    Case("claimed by another worker: leave it to them",
         lambda w: (w.crashed_after_claim(landed=False),
                    w.another_worker_takes_over_while_we_search()),
         SETTLE + timedelta(seconds=1), "defer", "creating", 0, {"search": 1}),
    Case("transient that did not land releases the claim",
         lambda w: w.jira.fail_next("create", "transient-before"), timedelta(0), "transient",
         None, 0, {"create": 1}),
    Case("transient that landed keeps the claim",
         lambda w: w.jira.fail_next("create", "transient-after"), timedelta(0), "transient",
         "creating", 1, {"create": 1}),
    Case("transient that may have landed (and did not) keeps the claim",
         lambda w: w.jira.fail_next("create", "transient-before", may_have_landed=True),
         timedelta(0), "transient", "creating", 0, {"create": 1}),
    Case("permanent refusal releases the claim", lambda w: w.jira.fail_next("create", "permanent"),
         timedelta(0), "permanent", None, 0, {"create": 1}),
]  # fmt: skip


def run(world: World) -> str:
    try:
        created = world.attempt()
    except Defer:
        return "defer"
    except JiraTransient:
        return "transient"
    except JiraPermanent:
        return "permanent"
    return "new" if created.new else "recovered"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_create_once(world: World, case: Case) -> None:
    world.jira.index_lag = case.lag
    case.prepare(world)
    world.jira.calls.clear()
    world.clock.advance(case.at)

    outcome = run(world)

    entry = world.ledger()
    assert (outcome, entry.state if entry else None, len(world.jira.issues)) == (
        case.outcome,
        case.ledger,
        case.issues,
    )
    assert dict(world.jira.calls) == case.calls
    if entry is not None and entry.state == "created":
        assert entry.issue is not None and entry.issue.id in world.jira.issues
    # The caller's record rides on the commit that records the issue, and only when there is one.
    assert world.then_saw == (["created"] if case.outcome in ("new", "recovered") else [])


def test_a_deferred_miss_comes_back_exactly_when_the_settle_time_ends(world: World) -> None:
    world.crashed_after_claim(landed=False)
    world.clock.advance(timedelta(seconds=10))
    with pytest.raises(Defer) as deferred:
        world.attempt()
    assert deferred.value.until == T0 + SETTLE


def test_a_takeover_restarts_the_settle_time_from_the_new_attempt(world: World) -> None:
    world.crashed_after_claim(landed=False)
    world.clock.advance(SETTLE + timedelta(seconds=1))
    world.jira.fail_next("create", "transient-after")
    with pytest.raises(JiraTransient):
        world.attempt()
    entry = world.ledger()
    assert entry is not None and entry.create_started_at == world.clock()


@dataclass(frozen=True)
class Retry:
    name: str
    fault: Callable[[FakeGateway], None]
    steps: tuple[tuple[timedelta, str], ...]  # (clock advance, outcome) per later attempt


RETRIES = [
    Retry("not landed: the retry creates at once, without searching",
          lambda j: j.fail_next("create", "transient-before"),
          ((timedelta(seconds=1), "new"),)),
    Retry("landed: the retry finds it once the index shows it",
          lambda j: j.fail_next("create", "transient-after"),
          ((timedelta(seconds=5), "defer"), (timedelta(seconds=30), "recovered"))),
    Retry("may have landed but did not: the retry waits out the settle time, then creates",
          lambda j: j.fail_next("create", "transient-before", may_have_landed=True),
          ((timedelta(seconds=5), "defer"), (SETTLE, "new"))),
]  # fmt: skip


@pytest.mark.parametrize("retry", RETRIES, ids=lambda r: r.name)
def test_after_a_transient_failure_the_retries_make_exactly_one_issue(
    world: World, retry: Retry
) -> None:
    world.jira.index_lag = timedelta(seconds=20)
    retry.fault(world.jira)
    assert run(world) == "transient"
    outcomes = []
    for advance, _ in retry.steps:
        world.clock.advance(advance)
        outcomes.append(run(world))
    assert outcomes == [outcome for _, outcome in retry.steps]
    assert len(world.jira.issues) == 1
    entry = world.ledger()
    assert entry is not None and entry.state == "created"
    assert entry.issue == next(iter(world.jira.issues.values())).ref
