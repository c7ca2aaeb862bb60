"""Each rule family of mappings/classification.yaml on the kind of text customers really send."""

from __future__ import annotations

import pytest

from csp_jira_sync.classify import Classification, CompiledRules, classify
from csp_jira_sync.config.catalog import Catalog


def _run(compiled: CompiledRules, catalog: Catalog, subject: str, body: str) -> Classification:
    return classify(subject, body, compiled, catalog)


def _slug(result: Classification) -> str:
    return result.activity.slug if result.activity else result.outcome


@pytest.mark.parametrize(
    ("kind", "subject", "body"),
    [
        (
            "technical-support",
            "db01 hung",
            "Hi, db01 has hung again. Can someone reboot it please?\nThanks\nGary",
        ),
        (
            "technical-support",
            "Lost files",
            "Someone deleted the HR folder on fs02, please restore it from last night's backup.",
        ),
        (
            "technical-support",
            "Locked out",
            "Category: Technical\nDescription: please reset the admin password on web04",
        ),
        (
            "technical-support",
            "Disk",
            "Call w/ Rob: wants the data volume on sql01 extended by 50GB tonight.",
        ),
        (
            "sales",
            "More storage",
            "Hi Sam, can you send a quote for another 20TB of block storage in VA1?\nTom",
        ),
        ("sales", "Licences", "We'd like to purchase 10 more SQL licences, how do we order them?"),
        (
            "spam",
            "You have won",
            "Congratulations! Click here to claim your exclusive crypto bonus.",
        ),
        (
            "auto-reply",
            "Automatic reply: SLA report for March",
            "I am out of the office until 2 April with no access to email.",
        ),
        (
            "auto-reply",
            "Mail delivery failed",
            "This message was created automatically by mail delivery software.",
        ),
    ],
)
def test_out_of_scope_requests_are_recognised_by_kind(
    compiled: CompiledRules, catalog: Catalog, kind: str, subject: str, body: str
) -> None:
    result = _run(compiled, catalog, subject, body)
    assert result.outcome == "out-of-scope", result.explain()
    assert result.out_of_scope_kind == kind
    assert result.labels == ("csp-out-of-scope",)


def test_an_auto_reply_echoing_a_csp_subject_is_not_that_activity(
    compiled: CompiledRules, catalog: Catalog
) -> None:
    result = _run(
        compiled, catalog, "Out of Office: Service review agenda", "I'm on leave, back Monday."
    )
    assert result.outcome == "out-of-scope", result.explain()


def test_a_question_about_reboots_during_maintenance_is_not_a_reboot_request(
    compiled: CompiledRules, catalog: Catalog
) -> None:
    result = _run(
        compiled,
        catalog,
        "DCMW 22 March",
        "Will our servers be rebooted during the maintenance window?",
    )
    assert _slug(result) == "change-information", result.explain()


def test_typos_in_the_words_that_matter_are_tolerated(
    compiled: CompiledRules, catalog: Catalog
) -> None:
    result = _run(compiled, catalog, "", "hi can we do a reveiw of our firwall rules nxt week? thx")
    assert _slug(result) == "firewall-review", result.explain()
    assert any("≈" in e.words for e in result.evidence)


def test_the_body_ask_wins_over_a_reply_subject_on_another_topic(
    compiled: CompiledRules, catalog: Catalog
) -> None:
    result = _run(
        compiled,
        catalog,
        "RE: Service review minutes",
        "Thanks for the minutes. Separately - our March invoice has the backup line twice, "
        "looks like we've been double charged. Can you check?\n\nDan",
    )
    assert _slug(result) == "billing-enquiries", result.explain()


def test_a_quoted_thread_on_another_topic_does_not_win(
    compiled: CompiledRules, catalog: Catalog
) -> None:
    result = _run(
        compiled,
        catalog,
        "Re: DC visit",
        "Could you send me the SLA report for February as well?\n\nPriya\n\n"
        "On Mon, 3 Mar 2025 at 09:12, Sam Carter <sam@csp.example> wrote:\n"
        "> Your tour of the GB3 data centre is booked for 14 April. Bring photo ID.",
    )
    assert _slug(result) == "sla-reporting", result.explain()


def test_a_forward_with_a_one_line_cover_note_is_read_from_the_forwarded_text(
    compiled: CompiledRules, catalog: Catalog
) -> None:
    result = _run(
        compiled,
        catalog,
        "FW: finding 7",
        "See below.\n\n---------- Forwarded message ---------\nFrom: auditor@audit.example\n"
        "Date: Mon, 10 Mar 2025\nSubject: finding 7\n\nFirewall rules have not been reviewed in 12 months.",
    )
    assert _slug(result) == "firewall-review", result.explain()
    assert {e.field for e in result.evidence} <= {"quoted", "subject"}


def test_a_phone_note_header_is_not_evidence_of_a_proactive_call(
    compiled: CompiledRules, catalog: Catalog
) -> None:
    result = _run(
        compiled, catalog, "Call w/ Tom", "Call w/ Tom: the invoice shows the backup line twice."
    )
    assert _slug(result) == "billing-enquiries", result.explain()
    assert all(c.target != "proactive-calls" for c in result.candidates)


def test_a_phone_note_asking_for_regular_calls_is_a_proactive_call(
    compiled: CompiledRules, catalog: Catalog
) -> None:
    result = _run(
        compiled,
        catalog,
        "Call notes - ACME",
        "Call w/ Priya: wants a monthly check-in call from April.",
    )
    assert _slug(result) == "proactive-calls", result.explain()


def test_a_portal_form_is_read_from_its_description(
    compiled: CompiledRules, catalog: Catalog
) -> None:
    result = _run(
        compiled,
        catalog,
        "Portal request 5521",
        "Category: Billing\nDescription: please move our monthly service review to Friday the 21st\n"
        "Priority: Low\nPhone: +1 212 555 0142",
    )
    assert _slug(result) == "service-reviews", result.explain()


def test_the_signature_is_not_evidence(compiled: CompiledRules, catalog: Catalog) -> None:
    result = _run(
        compiled,
        catalog,
        "Visit",
        "Can we bring our auditors to see the VA1 data center next month?\n\nKind regards,\nTom Hale\n"
        "Billing & Invoicing Manager | ACME Logistics\nT: +44 20 7946 0018",
    )
    assert _slug(result) == "datacenter-tours", result.explain()
    assert all(c.target not in {"bill-production", "billing-enquiries"} for c in result.candidates)


def test_contact_changes_and_contact_list_reviews_are_told_apart(
    compiled: CompiledRules, catalog: Catalog
) -> None:
    change = _run(
        compiled,
        catalog,
        "New CFO",
        "Please add our new CFO, Jane Roe, as a contact on our account.",
    )
    review = _run(
        compiled,
        catalog,
        "Contacts",
        "Can you send our authorised contact list so we can audit it?",
    )
    assert (_slug(change), _slug(review)) == ("contact-management", "contact-list-review")


def test_billing_questions_and_bill_production_are_told_apart(
    compiled: CompiledRules, catalog: Catalog
) -> None:
    dispute = _run(
        compiled, catalog, "Invoice", "Why were we charged for 12 IPs on invoice 8812? We use 4."
    )
    production = _run(
        compiled,
        catalog,
        "Invoice",
        "Please put PO number 4500-77 and our cost centre on every invoice.",
    )
    assert (_slug(dispute), _slug(production)) == ("billing-enquiries", "bill-production")


def test_every_catalog_activity_has_rules_that_can_win(
    compiled: CompiledRules, catalog: Catalog
) -> None:
    targets = {rule.target for rule in compiled.rules}
    assert {a.slug for a in catalog.activities()} <= targets


def test_words_that_only_look_like_out_of_scope_do_not_block_an_activity(
    compiled: CompiledRules, catalog: Catalog
) -> None:
    quoted = _run(
        compiled, catalog, "Invoices", "Please make sure PO 4500998877 is quoted on each invoice."
    )
    broken = _run(
        compiled, catalog, "Incidents", "Can you send our incidents this year broken down by month?"
    )
    assert (_slug(quoted), _slug(broken)) == ("bill-production", "trending-reporting")


def test_buying_more_of_a_product_is_sales_not_that_product_s_activity(
    compiled: CompiledRules, catalog: Catalog
) -> None:
    result = _run(
        compiled,
        catalog,
        "Firewall add-on",
        "We're interested in buying the managed firewall add-on. Who do we talk to?",
    )
    assert result.outcome != "activity", result.explain()


VAGUE = [
    ("Question", "Hi, quick one, can you call me back? Tom"),
    ("Hello", "Hi Sam, have you got a minute today?"),
    ("Re: update", "Any update on this?\n\n> On Mon, Sam wrote:\n> I'll look into it."),
    ("Following up", "Just following up on my last email."),
    ("Call", "Can we talk tomorrow?"),
    ("Quick question", "Quick question about our account - when are you free?"),
    ("Re: hello", "Sounds good, thanks Sam!\nMaria"),
    ("Attached", "Please see attached.\nPriya"),
    ("Hi", "Is this the right address for our CSP?"),
    ("Re: meeting", "Can we move it to 3pm?\nJonas"),
]


@pytest.mark.parametrize(("subject", "body"), VAGUE)
def test_a_vague_message_is_never_given_an_activity(
    compiled: CompiledRules, catalog: Catalog, subject: str, body: str
) -> None:
    result = _run(compiled, catalog, subject, body)
    assert result.outcome != "activity", result.explain()
