"""What a customer request becomes in Jira: a pure draft built from the request, its
classification and whether the requester is an authorized contact.

Labels: `csp`, the category and activity labels (or `csp-out-of-scope` / `csp-triage`), the
customer, the reference label, the channel, and `csp-unverified-requester` when the requester is
not on the customer's authorized contact list (issue 4). The request id and requester show in
the summary and the description, so CSPs can quote them back.
"""

from __future__ import annotations

from dataclasses import dataclass

from csp_jira_sync.classify import Classification
from csp_jira_sync.config.events import CustomerRequest
from csp_jira_sync.config.mappings import Customer
from csp_jira_sync.config.references import event_marker, ref_label, slug_label
from csp_jira_sync.jira.model import IssueDraft
from csp_jira_sync.jira.text import fit_summary

KIND = "request"
UNVERIFIED_LABEL = "csp-unverified-requester"


@dataclass(frozen=True)
class RequestPlan:
    draft: IssueDraft
    unverified_comment: str | None  # posted after the create when the requester is unknown


def _title(request: CustomerRequest) -> str:
    subject = request.subject.strip()
    if subject:
        return subject
    first_line = next((line.strip() for line in request.body.splitlines() if line.strip()), "")
    return first_line or f"{request.channel} request"


def unverified_comment(request: CustomerRequest, customer: Customer) -> str:
    contacts = "\n".join(
        f"- {c.name} <{c.email}>" + (f", {c.role}" if c.role else "") for c in customer.contacts
    )
    return (
        f"Unverified requester: {request.requester} is not on {customer.display_name}'s "
        "authorized contact list. Do not action this request until one of the authorized "
        f"contacts confirms it:\n{contacts or '- (no authorized contacts on file)'}\n\n"
        + event_marker(KIND, f"{request.id}:unverified")
    )


def plan_request(
    request: CustomerRequest,
    customer: Customer,
    classification: Classification,
    *,
    project: str,
    issue_type: str,
) -> RequestPlan:
    """`issue_type` is `issue_types.request` from the mappings (no default: "Service Request"
    exists only in Jira Service Management projects)."""
    verified = customer.is_authorized(request.requester)
    labels = ["csp", *classification.labels, customer.label, ref_label(KIND, request.id)]
    channel = slug_label("csp-channel", request.channel)
    if channel:
        labels.append(channel)
    if not verified:
        labels.append(UNVERIFIED_LABEL)
    if classification.activity is not None and classification.category is not None:
        filed = f"{classification.category.title} / {classification.activity.title}"
    else:
        filed = classification.outcome
    description = "\n".join(
        [
            f"Request: {request.id}",
            f"Customer: {customer.display_name} ({customer.alias})",
            f"Requester: {request.requester}"
            + ("" if verified else " (NOT an authorized contact)"),
            f"Channel: {request.channel}",
            f"Received at: {request.received_at.isoformat()}",
            f"CSP activity: {filed} (confidence {classification.confidence:.2f})",
            f"Why: {classification.explain()}",
            "",
            f"Subject: {request.subject}",
            "",
            request.body.strip(),
            "",
            event_marker(KIND, request.id),
        ]
    )
    draft = IssueDraft(
        project=project,
        issue_type=issue_type,
        summary=fit_summary(f"[{request.id}] {customer.display_name}: {_title(request)}"),
        description=description,
        labels=tuple(dict.fromkeys(labels)),
        properties={
            "csp-sync": {
                "kind": KIND,
                "request_id": request.id,
                "customer": customer.alias,
                "requester": request.requester,
                "verified": verified,
                "outcome": classification.outcome,
                "activity": classification.activity.slug if classification.activity else None,
                "confidence": classification.confidence,
            }
        },
    )
    return RequestPlan(draft, None if verified else unverified_comment(request, customer))
