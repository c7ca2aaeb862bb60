"""What a late escalation event changes: the current generation's applied events and the late
one, replayed in the NOC's order (`occurred_at`, then event id) through the same `decide`, and
compared with what is applied now. Pure: the handler reads the events and carries out the
outcome.

The final Jira state of an escalation must follow from its events in `occurred_at` order, not
from the order they arrived in (issue 12, NOC-32239: a reopen past the window delivered before
the resolve that precedes it). The outcomes:

- `CommentOnly`: the replay ends in the same generation and status as now; the late event is
  a comment (the state is still the replay's: a late resolve moves `resolved_at`, which the
  reopen window is measured from);
- `Transition`: same generation, another status (an `acknowledged` applied, then a late
  `resolved` before it): the late event's comment and the move to the replayed status;
- `Split`: the replay crosses a generation boundary (a late `resolved`, then an applied `open`
  past the reopen window): the current issue ends at the boundary, and the events after it are
  applied again, in order, by the worker's ordinary path (the boundary `open` raises the next
  generation);
- `NotReplayed`: what the replay needs is not known, or would need what cannot be done (move
  the event that raised the issue, whose marker is in its description; reach back before the
  generation's first event): comment only, as before, with the reason logged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from csp_jira_sync.config.events import EscalationEvent, EscalationStatus
from csp_jira_sync.config.mappings import Customer, Mappings
from csp_jira_sync.escalations.decide import EscalationState, decide

LATE_NOTE = "(arrived late: a newer update is already applied, status unchanged)"
REPLAYED_NOTE = "(arrived late: applied in the NOC's order)"


@dataclass(frozen=True)
class Step:
    event: EscalationEvent
    state: EscalationState  # after the event


@dataclass(frozen=True)
class CommentOnly:
    state: EscalationState


@dataclass(frozen=True)
class Transition:
    """`status`: the Jira status to move the current issue to, with the late comment; `via`:
    one to move it to first, on its own, where the NOC's order passes through it (a resolved
    issue reopened, then acknowledged: no workflow leads from Done to In Progress directly)."""

    state: EscalationState
    status: str
    via: str | None = None


@dataclass(frozen=True)
class Split:
    """The current generation ends at `state` (resolved). `status`: the Jira status the current
    issue moves to, riding the late event's comment (None: it stays where it is). `moved`: the
    applied events that belong after the boundary, in the NOC's order. `late_moves`: the late
    event belongs after it too, and is applied again with them rather than commented here."""

    state: EscalationState
    status: str | None
    moved: tuple[str, ...]
    late_moves: bool


@dataclass(frozen=True)
class NotReplayed:
    reason: str


LateOutcome = CommentOnly | Transition | Split | NotReplayed


def _order(event: EscalationEvent) -> tuple[object, str]:
    return (event.occurred_at, event.event_id)


def replay(
    start: EscalationState | None,
    events: Sequence[EscalationEvent],
    customer: Customer,
    mappings: Mappings,
) -> list[Step]:
    """`events` through `decide` in the NOC's order from `start`: the state after each."""
    steps: list[Step] = []
    state = start
    for event in sorted(events, key=_order):
        state = decide(state, event, customer, mappings, project="-").state
        steps.append(Step(event, state))
    return steps


def jira_status(status: EscalationStatus, mappings: Mappings) -> str:
    statuses = mappings.escalation.statuses
    return {
        "open": statuses.reopened,
        "acknowledged": statuses.acknowledged,
        "resolved": statuses.resolved,
    }[status]


def late_outcome(
    state: EscalationState,
    applied: Sequence[EscalationEvent],
    first_event_id: str | None,
    late: EscalationEvent,
    customer: Customer,
    mappings: Mappings,
) -> LateOutcome:
    """What to do with `late` (older than `state`'s newest applied event), given the events
    applied on the current generation's issue (`applied`, the one that raised it,
    `first_event_id`, among them)."""
    generation = state.generation
    first = next((e for e in applied if e.event_id == first_event_id), None)
    if first is None:
        return NotReplayed(
            "the event that raised the issue is not known (raised before it was recorded, "
            "in place of a deleted issue, or purged by retention)"
        )
    events = [e for e in applied if e.event_id != late.event_id] + [late]
    start: EscalationState | None = None
    if generation > 1:
        # The generation began with `first`, an `open` past the reopen window: start from the
        # state it set (what came before it belongs to earlier generations' issues).
        if first.status != "open" or any(_order(e) < _order(first) for e in events):
            return NotReplayed("the late event precedes the generation's first event")
        start = EscalationState(
            escalation_id=state.escalation_id,
            customer=state.customer,
            generation=generation,
            status="open",
            status_occurred_at=first.occurred_at,
            resolved_at=None,
        )
        events = [e for e in events if e.event_id != first.event_id]
    steps = replay(start, events, customer, mappings)
    staying = [s for s in steps if s.state.generation == generation]
    moving = [s for s in steps if s.state.generation > generation]
    if any(s.state.generation < generation for s in steps):
        return NotReplayed("the replay ends an earlier generation")
    if not moving:
        final = steps[-1].state
        if final.status == state.status:
            return CommentOnly(final)
        via = None
        if state.status == "resolved" and final.status == "acknowledged":
            via = mappings.escalation.statuses.reopened
        return Transition(final, jira_status(final.status, mappings), via)
    if any(s.event.event_id == first.event_id for s in moving):
        return NotReplayed("the event that raised the issue would move to the next generation")
    boundary = staying[-1].state if staying else start
    if boundary is None or boundary.status != "resolved":
        return NotReplayed("the replay crosses a generation boundary without a resolve")
    late_moves = any(s.event.event_id == late.event_id for s in moving)
    status: str | None = None
    if boundary.status != state.status:
        if late_moves:
            return NotReplayed("the issue's status would change without the late event's comment")
        status = jira_status(boundary.status, mappings)
    moved = tuple(s.event.event_id for s in moving if s.event.event_id != late.event_id)
    return Split(boundary, status, moved, late_moves)
