"""Customer requests through the signed receiver into the sandbox, and hand-made issues triaged
(issue 4), end to end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from csp_jira_sync.config.references import ref_label
from tests.e2e.harness import Daemon, running_daemon


@pytest.fixture
def daemon(sandbox: Any, tmp_path: Path) -> Iterator[Daemon]:
    with running_daemon(sandbox.base_url, tmp_path) as running:
        yield running


def request(
    rid: str,
    subject: str,
    body: str,
    requester: str = "tom.hale@acme-logistics.example",
    **extra: Any,
) -> dict[str, Any]:
    payload = {
        "id": rid,
        "customer": "acme",
        "requester": requester,
        "channel": "email",
        "received_at": "2026-11-24T09:15:00+00:00",
        "subject": subject,
        "body": body,
    }
    payload.update(extra)
    return payload


def landed(d: Daemon, rid: str) -> Any:
    [issue] = d.issues(f'labels = "{ref_label("request", rid)}"')
    return issue


def test_a_billing_request_becomes_a_service_request_labelled_with_its_activity(
    daemon: Daemon,
) -> None:
    response = daemon.post(
        request(
            "REQ-1001",
            "Invoice shows the backup line twice",
            "Hi team,\n\nour November invoice lists the managed backup twice. Can you check and correct it?\n\nThanks,\nTom\n-- \nTom Hale | Finance Manager",
        ),
        path="/webhooks/requests",
    )
    assert response.status_code == 202, response.text
    daemon.drain()
    issue = landed(daemon, "REQ-1001")
    assert issue.fields.issuetype.name == "Service Request"
    assert {"csp", "csp-cat-finance", "csp-act-billing-enquiries", "csp-customer-acme"} <= set(
        issue.fields.labels
    )
    assert "csp-unverified-requester" not in issue.fields.labels
    assert "REQ-1001" in issue.fields.summary
    assert "tom.hale@acme-logistics.example" in issue.fields.description
    assert daemon.jira().comments(issue.key) == []


def test_a_request_from_someone_not_authorized_is_raised_flagged_with_a_comment_naming_who_may_authorize(
    daemon: Daemon,
) -> None:
    daemon.post(
        request(
            "REQ-1002",
            "Add me to the contact list",
            "Hello, I'm the new CFO at ACME, please add me as an authorized contact. Sam",
            requester="sam.new@acme-logistics.example",
        ),
        path="/webhooks/requests",
    )
    daemon.drain()
    issue = landed(daemon, "REQ-1002")
    assert "csp-unverified-requester" in issue.fields.labels
    [comment] = daemon.jira().comments(issue.key)
    assert "sam.new@acme-logistics.example" in comment.body
    assert "priya.natarajan@acme-logistics.example" in comment.body
    assert "tom.hale@acme-logistics.example" in comment.body


@pytest.mark.parametrize(
    ("ref", "subject", "body", "label"),
    [
        (
            "REQ-1003",
            "Please reboot web01",
            "Our VM web01 in VA1 is hung, can someone reboot it asap?",
            "csp-out-of-scope",
        ),
        ("REQ-1004", "Following up", "Hi, any news on this? Thanks, Tom", "csp-triage"),
    ],
    ids=["hands-on-support-is-out-of-scope", "no-clear-answer-is-for-triage"],
)
def test_a_request_that_is_no_csp_activity_is_raised_with_its_label_and_never_an_activity(
    daemon: Daemon, ref: str, subject: str, body: str, label: str
) -> None:
    daemon.post(request(ref, subject, body), path="/webhooks/requests")
    daemon.drain()
    labels = set(landed(daemon, ref).fields.labels)
    assert label in labels
    assert not any(name.startswith("csp-act-") for name in labels)


def test_an_unknown_customer_is_rejected_with_a_4xx_and_nothing_is_stored(daemon: Daemon) -> None:
    response = daemon.post(
        request("REQ-1005", "Hello", "Hi", customer="nosuchco"), path="/webhooks/requests"
    )
    assert 400 <= response.status_code < 500
    assert "nosuchco" in response.text
    assert sum(daemon.app.store.depth().values()) == 0


def test_hand_made_issues_are_triaged_and_a_persons_label_wins(daemon: Daemon) -> None:
    client = daemon.jira()
    unlabelled = client.create_issue(
        fields={
            "project": {"key": "CSP"},
            "issuetype": {"name": "Task"},
            "summary": "Globex asks to bring their auditors for a tour of the GB3 data center",
            "description": "Maria from Globex called: their auditors want to visit GB3 next month.",
        }
    )
    chosen = client.create_issue(
        fields={
            "project": {"key": "CSP"},
            "issuetype": {"name": "Task"},
            "summary": "Walk ACME through the new invoice layout",
            "labels": ["csp-act-customer-advocate"],
        }
    )
    daemon.app.triage()
    first = client.issue(unlabelled.key)
    assert {"csp", "csp-cat-crm", "csp-act-datacenter-tours", "csp-customer-globex"} <= set(
        first.fields.labels
    )
    second = client.issue(chosen.key)
    assert "csp-act-customer-advocate" in second.fields.labels
    assert "csp-act-change-information" not in second.fields.labels
    assert "csp-cat-crm" in second.fields.labels  # only the matching category was added

    # A person replaces the daemon's label; later passes never put it back.
    first.update(
        update={
            "labels": [{"remove": "csp-act-datacenter-tours"}, {"add": "csp-act-proactive-calls"}]
        }
    )
    daemon.app.triage()
    daemon.app.triage()
    final = client.issue(unlabelled.key)
    assert "csp-act-proactive-calls" in final.fields.labels
    assert "csp-act-datacenter-tours" not in final.fields.labels


def test_a_customer_named_in_the_configured_field_labels_a_hand_made_issue(
    sandbox: Any, tmp_path: Path
) -> None:
    with running_daemon(sandbox.base_url, tmp_path, jira_customer_field="customfield_10100") as d:
        client = d.jira()
        issue = client.create_issue(
            fields={
                "project": {"key": "CSP"},
                "issuetype": {"name": "Task"},
                "summary": "Send the SLA report for November",
                "description": "They asked for the monthly SLA availability figures.",
                "customfield_10100": "Initech Software GmbH",
            }
        )
        d.app.triage()
        labels = set(client.issue(issue.key).fields.labels)
    assert "csp-customer-initech" in labels
    assert any(label.startswith("csp-act-") for label in labels)
