"""What a customer request becomes in Jira (labels, unverified requester, the request's id)."""

from __future__ import annotations

from pathlib import Path

import pytest

from csp_jira_sync.classify import classify, compile_rules, load_classification_rules
from csp_jira_sync.config.events import CustomerRequest
from csp_jira_sync.config.mappings import Mappings, load_mappings
from csp_jira_sync.config.references import ref_label
from csp_jira_sync.customer_requests.plan import UNVERIFIED_LABEL, plan_request

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def mappings() -> Mappings:
    return load_mappings(ROOT / "mappings")


def plan(mappings: Mappings, requester: str, subject: str, body: str) -> object:
    rules = compile_rules(
        load_classification_rules(ROOT / "mappings", mappings.catalog), mappings.catalog
    )
    request = CustomerRequest.model_validate(
        {
            "id": "REQ-7",
            "customer": "ACME",
            "requester": requester,
            "channel": "email",
            "received_at": "2026-11-24T09:15:00+01:00",
            "subject": subject,
            "body": body,
        }
    )
    customer = mappings.customer("acme")
    assert customer is not None
    return plan_request(
        request,
        customer,
        classify(subject, body, rules, mappings.catalog),
        project="CSP",
        issue_type=mappings.issue_types.request,
    )


def test_an_authorized_requests_issue_carries_every_label_and_no_comment(
    mappings: Mappings,
) -> None:
    result = plan(
        mappings,
        "Tom.Hale@ACME-logistics.example",
        "Invoice wrong",
        "The invoice shows the backup line twice, please fix.",
    )
    draft = result.draft  # type: ignore[attr-defined]
    assert draft.issue_type == "Service Request"
    assert draft.labels[:4] == (
        "csp",
        "csp-cat-finance",
        "csp-act-billing-enquiries",
        "csp-customer-acme",
    )
    assert ref_label("request", "REQ-7") in draft.labels
    assert UNVERIFIED_LABEL not in draft.labels
    assert "REQ-7" in draft.summary and "Tom.Hale@ACME-logistics.example" in draft.description
    assert result.unverified_comment is None  # type: ignore[attr-defined]


def test_an_unknown_requester_is_flagged_and_told_who_may_authorize(mappings: Mappings) -> None:
    result = plan(
        mappings,
        "someone@elsewhere.example",
        "Invoice wrong",
        "The invoice shows the backup line twice.",
    )
    assert UNVERIFIED_LABEL in result.draft.labels  # type: ignore[attr-defined]
    comment = result.unverified_comment  # type: ignore[attr-defined]
    assert "someone@elsewhere.example" in comment
    assert (
        "priya.natarajan@acme-logistics.example" in comment
        and "tom.hale@acme-logistics.example" in comment
    )


def test_no_label_has_a_space(mappings: Mappings) -> None:
    result = plan(mappings, "tom.hale@acme-logistics.example", "Reboot", "please reboot our vm")
    assert all(" " not in label for label in result.draft.labels)  # type: ignore[attr-defined]


def test_the_requests_issue_type_comes_from_the_mappings(mappings: Mappings) -> None:
    software = mappings.model_copy(
        update={"issue_types": mappings.issue_types.model_copy(update={"request": "Task"})}
    )
    result = plan(software, "tom.hale@acme-logistics.example", "Invoice wrong", "Twice billed.")
    assert result.draft.issue_type == "Task"  # type: ignore[attr-defined]
