"""What to do in Jira with one NOC escalation event: a pure decision over the escalation's
remembered state. The worker carries the decision out; nothing here does I/O.

Rules (issue 3):
- the first event of an escalation creates one Incident; later events add a comment each;
- acknowledged moves the issue to In Progress, resolved to Done, in the same call as the comment;
- events apply in `occurred_at` order: an older event that arrives late is recorded as a
  comment here, never moving the status back; the worker first replays it with its
  generation's applied events in that order (`late.py`), which may move the status or end
  the generation where the NOC's order says so;
- an `open` after `resolved` reopens the issue inside the reopen window; after it, a new issue
  is raised and linked to the old one;
- nothing a person edits in Jira (summary, assignee, labels) is ever written again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from csp_jira_sync.config.events import EscalationEvent, EscalationStatus
from csp_jira_sync.config.mappings import Customer, Mappings
from csp_jira_sync.config.references import event_marker, ref_label, slug_label
from csp_jira_sync.jira.model import IssueDraft, IssueLink
from csp_jira_sync.jira.text import fit_summary

KIND = "escalation"


@dataclass(frozen=True)
class EscalationState:
    """What the store remembers of one escalation (its current generation's issue aside)."""

    escalation_id: str
    customer: str
    generation: int
    status: EscalationStatus
    status_occurred_at: datetime
    resolved_at: datetime | None


@dataclass(frozen=True)
class Create:
    """Raise a new issue for `generation`, linked to the previous generation's issue if any;
    then, when the first event is not `open`, move it to `then_status`."""

    generation: int
    draft: IssueDraft
    then_status: str | None
    then_comment: str | None


@dataclass(frozen=True)
class Update:
    """Comment on the current issue, moving it to `status` in the same call when set."""

    comment: str
    status: str | None


@dataclass(frozen=True)
class Decision:
    action: Create | Update
    state: EscalationState
    note: str  # why, for logs and the demo


def severity_label(severity: str) -> str:
    return f"csp-{severity}"


def labels_for(
    event: EscalationEvent, customer: Customer, mappings: Mappings, generation: int
) -> tuple[str, ...]:
    labels = [
        "csp",
        mappings.escalation_category.label,
        mappings.escalation_activity.label,
        customer.label,
        ref_label(KIND, event.escalation_id, generation),
        # The first event's severity, so that contract options decided by labels (borrowing
        # "for sev1 escalations only") can tell escalations apart. Set at create only: a
        # later severity change is a NOC update, not a relabelling of the work done.
        severity_label(event.severity),
    ]
    for extra in (
        slug_label("csp-problem", event.fingerprint or ""),
        slug_label("csp-dc", event.datacenter),
    ):
        if extra:
            labels.append(extra)
    return tuple(labels)


def describe(event: EscalationEvent, customer: Customer) -> str:
    facts = [
        f"Customer: {customer.display_name} ({customer.alias})",
        f"NOC escalation: {event.escalation_id}",
        f"Severity: {event.severity}",
        f"Status at the NOC: {event.status}",
        f"Occurred at: {event.occurred_at.isoformat()}",
    ]
    if event.service:
        facts.append(f"Service: {event.service}")
    if event.datacenter:
        facts.append(f"Data center: {event.datacenter}")
    if event.fingerprint:
        facts.append(f"Recurring problem: {event.fingerprint}")
    body = "\n".join(facts)
    if event.description.strip():
        body += "\n\n" + event.description.strip()
    return body + "\n\n" + event_marker(KIND, event.event_id)


def comment_for(event: EscalationEvent, note: str | None = None) -> str:
    head = f"NOC update ({event.source}): {event.status}, {event.severity}, at {event.occurred_at.isoformat()}"
    parts = [head]
    if note:
        parts.append(note)
    if event.title:
        parts.append(event.title)
    if event.description.strip():
        parts.append(event.description.strip())
    parts.append(event_marker(KIND, event.event_id))
    return "\n\n".join(parts)


def draft_for(
    event: EscalationEvent,
    customer: Customer,
    mappings: Mappings,
    *,
    project: str,
    generation: int,
    previous_issue_key: str | None = None,
) -> IssueDraft:
    escalation = mappings.escalation
    component = escalation.service_components.get(event.service)
    return IssueDraft(
        project=project,
        issue_type=escalation.issue_type,
        summary=fit_summary(f"[{event.escalation_id}] {customer.display_name}: {event.title}"),
        description=describe(event, customer),
        labels=labels_for(event, customer, mappings, generation),
        priority=escalation.severity_priority[event.severity],
        components=(component,) if component else (),
        properties={
            "csp-sync": {
                "kind": KIND,
                "escalation_id": event.escalation_id,
                "generation": generation,
                "customer": customer.alias,
                "first_event_id": event.event_id,
            }
        },
        links=(IssueLink(escalation.link_type, previous_issue_key),) if previous_issue_key else (),
    )


def _status_target(status: EscalationStatus, mappings: Mappings) -> str | None:
    statuses = mappings.escalation.statuses
    return {"acknowledged": statuses.acknowledged, "resolved": statuses.resolved}.get(status)


def decide(
    state: EscalationState | None,
    event: EscalationEvent,
    customer: Customer,
    mappings: Mappings,
    *,
    project: str,
    previous_issue_key: str | None = None,
) -> Decision:
    """The one thing to do for `event`, given what is remembered of its escalation.

    `previous_issue_key` is the current generation's issue, needed only to link a new one.
    """
    if state is None:
        target = _status_target(event.status, mappings)
        new_state = EscalationState(
            escalation_id=event.escalation_id,
            customer=customer.alias,
            generation=1,
            status=event.status,
            status_occurred_at=event.occurred_at,
            resolved_at=event.occurred_at if event.status == "resolved" else None,
        )
        return Decision(
            Create(
                generation=1,
                draft=draft_for(event, customer, mappings, project=project, generation=1),
                then_status=target,
                then_comment=comment_for(event) if target else None,
            ),
            new_state,
            "first event: new issue",
        )

    if event.occurred_at < state.status_occurred_at:
        return Decision(
            Update(
                comment_for(
                    event, "(arrived late: a newer update is already applied, status unchanged)"
                ),
                None,
            ),
            state,
            "late event: comment only",
        )

    advanced = replace(state, status_occurred_at=event.occurred_at)

    if event.status == "open" and state.status == "resolved":
        resolved_at = state.resolved_at or state.status_occurred_at
        if event.occurred_at - resolved_at <= mappings.escalation.reopen_window:
            return Decision(
                Update(
                    comment_for(event, "Reopened by the NOC."),
                    mappings.escalation.statuses.reopened,
                ),
                replace(advanced, status="open", resolved_at=None),
                "open after resolved, inside the reopen window: reopen",
            )
        generation = state.generation + 1
        return Decision(
            Create(
                generation=generation,
                draft=draft_for(
                    event,
                    customer,
                    mappings,
                    project=project,
                    generation=generation,
                    previous_issue_key=previous_issue_key,
                ),
                then_status=None,
                then_comment=None,
            ),
            replace(advanced, generation=generation, status="open", resolved_at=None),
            "open after the reopen window: new issue linked to the old one",
        )

    if event.status == "resolved" and state.status != "resolved":
        return Decision(
            Update(comment_for(event), mappings.escalation.statuses.resolved),
            replace(advanced, status="resolved", resolved_at=event.occurred_at),
            "resolved",
        )

    if event.status == "acknowledged" and state.status == "open":
        return Decision(
            Update(comment_for(event), mappings.escalation.statuses.acknowledged),
            replace(advanced, status="acknowledged"),
            "acknowledged",
        )

    # Same status again, or a step back (open after acknowledged, acknowledged after resolved):
    # record it, never move the issue backwards.
    return Decision(Update(comment_for(event), None), advanced, "update without a status change")
