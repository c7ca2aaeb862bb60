"""A late escalation event replayed in the NOC's order (escalations/late.py): every arrival order
of a small set of events ends in the generations, statuses and events per generation of the
NOC's own order (issue 12, NOC-32239), modelled without Jira: each generation's issue is the
events marked on it and its status, as the handler carries the outcomes out."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from csp_jira_sync.config.events import EscalationEvent
from csp_jira_sync.config.mappings import Customer, Mappings, load_mappings
from csp_jira_sync.escalations import late
from csp_jira_sync.escalations.decide import Create, EscalationState, decide

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def mappings() -> Mappings:
    return load_mappings(ROOT / "mappings")


@pytest.fixture(scope="module")
def customer(mappings: Mappings) -> Customer:
    found = mappings.customer("acme")
    assert found is not None
    return found


def event(name: str, status: str, days: float) -> EscalationEvent:
    return EscalationEvent.model_validate(
        {
            "event_id": name,
            "escalation_id": "NOC-32239",
            "customer": "acme",
            "title": "Packet loss",
            "severity": "sev2",
            "status": status,
            "occurred_at": T0 + timedelta(days=days),
        }
    )


@dataclass
class Issue:
    first: str
    events: list[str]
    status: str


@dataclass
class Model:
    """The store and Jira as the escalation handler leaves them, one event at a time."""

    customer: Customer
    mappings: Mappings
    state: EscalationState | None = None
    issues: dict[int, Issue] = field(default_factory=dict)
    events: dict[str, EscalationEvent] = field(default_factory=dict)
    pending: list[EscalationEvent] = field(default_factory=list)
    not_replayed: list[str] = field(default_factory=list)

    def deliver(self, arriving: EscalationEvent) -> None:
        self.pending.append(arriving)
        while self.pending:
            # The worker takes a subject's pending events in `occurred_at` order.
            self.pending.sort(key=lambda e: (e.occurred_at, e.event_id))
            self.apply(self.pending.pop(0))

    def apply(self, ev: EscalationEvent) -> None:
        self.events[ev.event_id] = ev
        state = self.state
        if state is None or ev.occurred_at >= state.status_occurred_at:
            decision = decide(state, ev, self.customer, self.mappings, project="CSP")
            if isinstance(decision.action, Create):
                self.issues[decision.action.generation] = Issue(
                    ev.event_id, [ev.event_id], decision.state.status
                )
            else:
                assert state is not None
                self.issues[state.generation].events.append(ev.event_id)
                self.issues[state.generation].status = decision.state.status
            self.state = decision.state
            return
        issue = self.issues[state.generation]
        applied = [self.events[name] for name in issue.events]
        outcome = late.late_outcome(state, applied, issue.first, ev, self.customer, self.mappings)
        if isinstance(outcome, late.NotReplayed):
            self.not_replayed.append(outcome.reason)
            issue.events.append(ev.event_id)
        elif isinstance(outcome, late.CommentOnly):
            issue.events.append(ev.event_id)
            self.state = outcome.state
        elif isinstance(outcome, late.Transition):
            issue.events.append(ev.event_id)
            issue.status = outcome.state.status
            self.state = outcome.state
        else:
            issue.events = [name for name in issue.events if name not in outcome.moved]
            if not outcome.late_moves:
                issue.events.append(ev.event_id)
            issue.status = outcome.state.status
            self.state = outcome.state
            self.pending += [self.events[name] for name in outcome.moved]
            if outcome.late_moves:
                self.pending.append(ev)

    def result(self) -> dict[int, tuple[frozenset[str], str]]:
        return {g: (frozenset(i.events), i.status) for g, i in self.issues.items()}


def run(order: tuple[EscalationEvent, ...], customer: Customer, mappings: Mappings) -> Model:
    model = Model(customer, mappings)
    for ev in order:
        model.deliver(ev)
    return model


SETS: dict[str, list[EscalationEvent]] = {
    # NOC-32239: the reopen past the window delivered before the resolve that precedes it.
    "reopen past the window": [
        event("o1", "open", 0),
        event("r1", "resolved", 1),
        event("o2", "open", 10),
    ],
    "acknowledge and resolve": [
        event("o1", "open", 0),
        event("a1", "acknowledged", 0.1),
        event("r1", "resolved", 0.2),
    ],
    "reopen inside the window": [
        event("o1", "open", 0),
        event("r1", "resolved", 1),
        event("o2", "open", 3),
        event("a2", "acknowledged", 3.5),
    ],
    "two generations, each acknowledged and resolved": [
        event("o1", "open", 0),
        event("r1", "resolved", 1),
        event("o2", "open", 10),
        event("a2", "acknowledged", 10.5),
        event("r2", "resolved", 11),
    ],
    "a reopen inside the window, then one past it": [
        event("o1", "open", 0),
        event("r1", "resolved", 1),
        event("o2", "open", 3),
        event("r2", "resolved", 4),
        event("o3", "open", 14),
    ],
}

# What the replay cannot do, by design: move the event that raised an issue (its marker is in
# the description), or reach back before a later generation's first event.
BY_DESIGN = {
    "the event that raised the issue would move to the next generation",
    "the late event precedes the generation's first event",
}


@pytest.mark.parametrize("name", list(SETS))
def test_every_arrival_order_that_is_replayed_ends_as_the_nocs_order_does(
    name: str, customer: Customer, mappings: Mappings
) -> None:
    events = SETS[name]
    expected = run(tuple(events), customer, mappings)
    assert expected.not_replayed == []
    replayed = 0
    for order in itertools.permutations(events):
        model = run(order, customer, mappings)
        assert set(model.not_replayed) <= BY_DESIGN, [e.event_id for e in order]
        if not model.not_replayed:
            replayed += 1
            assert model.result() == expected.result(), [e.event_id for e in order]
    assert replayed > 0


@pytest.mark.parametrize("name", list(SETS))
def test_every_arrival_order_within_the_generations_raised_so_far_is_replayed(
    name: str, customer: Customer, mappings: Mappings
) -> None:
    """The orders in which each generation's issue is raised by that generation's first event
    in the NOC's order, and no event arrives after a later generation's issue was raised (the
    common case, NOC-32239's: a reopen delivered before the resolve it follows, where the
    reopen was applied as a comment) all end as the NOC's order does, none falling back."""
    events = SETS[name]
    expected = run(tuple(events), customer, mappings)
    firsts = {i.first for i in expected.issues.values()}
    generation_of = {e: g for g, i in expected.issues.items() for e in i.events}
    covered = 0
    for order in itertools.permutations(events):
        model = Model(customer, mappings)
        behind = False
        for ev in order:
            behind = behind or len(model.issues) > generation_of[ev.event_id]
            model.deliver(ev)
        if behind or {i.first for i in model.issues.values()} != firsts:
            continue
        covered += 1
        assert model.not_replayed == [], [e.event_id for e in order]
        assert model.result() == expected.result(), [e.event_id for e in order]
    assert covered > 0


def test_the_noc_32239_pattern_splits_at_the_late_resolve(
    customer: Customer, mappings: Mappings
) -> None:
    o1, r1, o2 = SETS["reopen past the window"]
    model = run((o1, o2, r1), customer, mappings)
    assert model.result() == {
        1: (frozenset({"o1", "r1"}), "resolved"),
        2: (frozenset({"o2"}), "open"),
    }


def test_a_late_resolve_before_an_applied_acknowledge_moves_the_issue_to_resolved(
    customer: Customer, mappings: Mappings
) -> None:
    o1, a1, _ = SETS["acknowledge and resolve"]
    state = EscalationState("NOC-32239", "acme", 1, "acknowledged", a1.occurred_at, None)
    late_resolve = event("r0", "resolved", 0.05)
    outcome = late.late_outcome(state, [o1, a1], "o1", late_resolve, customer, mappings)
    assert outcome == late.Transition(
        EscalationState(
            "NOC-32239", "acme", 1, "resolved", a1.occurred_at, late_resolve.occurred_at
        ),
        mappings.escalation.statuses.resolved,
    )


def test_a_late_resolve_moves_the_reopen_window_even_when_nothing_else_changes(
    customer: Customer, mappings: Mappings
) -> None:
    o1 = event("o1", "open", 0)
    r2 = event("r2", "resolved", 2)
    r1 = event("r1", "resolved", 1)
    state = EscalationState("NOC-32239", "acme", 1, "resolved", r2.occurred_at, r2.occurred_at)
    outcome = late.late_outcome(state, [o1, r2], "o1", r1, customer, mappings)
    assert outcome == late.CommentOnly(
        EscalationState("NOC-32239", "acme", 1, "resolved", r2.occurred_at, r1.occurred_at)
    )


def test_without_the_event_that_raised_the_issue_nothing_is_replayed(
    customer: Customer, mappings: Mappings
) -> None:
    o1, r1, o2 = SETS["reopen past the window"]
    state = EscalationState("NOC-32239", "acme", 1, "open", o2.occurred_at, None)
    outcome = late.late_outcome(state, [o1, o2], None, r1, customer, mappings)
    assert isinstance(outcome, late.NotReplayed)


def test_a_late_open_past_the_window_moves_itself_and_what_follows(
    customer: Customer, mappings: Mappings
) -> None:
    o1, r1 = event("o1", "open", 0), event("r1", "resolved", 1)
    a2 = event("a2", "acknowledged", 12)  # applied on the resolved issue: a step back
    o2 = event("o2", "open", 10)
    state = EscalationState("NOC-32239", "acme", 1, "resolved", a2.occurred_at, r1.occurred_at)
    outcome = late.late_outcome(state, [o1, r1, a2], "o1", o2, customer, mappings)
    assert outcome == late.Split(
        EscalationState("NOC-32239", "acme", 1, "resolved", r1.occurred_at, r1.occurred_at),
        None,
        ("a2",),
        late_moves=True,
    )


def test_a_late_reopen_before_an_applied_acknowledge_reopens_on_the_way(
    customer: Customer, mappings: Mappings
) -> None:
    """Resolved, then acknowledged (a step back, a comment); the reopen inside the window that
    came between arrives late: in the NOC's order the issue was reopened, then acknowledged."""
    o1, r1, a2 = event("o1", "open", 0), event("r1", "resolved", 1), event("a2", "acknowledged", 4)
    state = EscalationState("NOC-32239", "acme", 1, "resolved", a2.occurred_at, r1.occurred_at)
    outcome = late.late_outcome(
        state, [o1, r1, a2], "o1", event("o2", "open", 3), customer, mappings
    )
    assert isinstance(outcome, late.Transition)
    assert outcome.state.status == "acknowledged"
    assert (outcome.via, outcome.status) == (
        mappings.escalation.statuses.reopened,
        mappings.escalation.statuses.acknowledged,
    )
