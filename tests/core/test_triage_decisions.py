"""Triage of hand-made issues: what labels the daemon adds, and that a person always wins."""

from __future__ import annotations

from pathlib import Path

import pytest

from csp_jira_sync.classify import (
    Classification,
    classify,
    compile_rules,
    load_classification_rules,
)
from csp_jira_sync.config.mappings import Mappings, load_mappings
from csp_jira_sync.triage.decide import customer_named, decide_triage
from csp_jira_sync.triage.memory import Memory

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def mappings() -> Mappings:
    return load_mappings(ROOT / "mappings")


def billing(mappings: Mappings) -> Classification:
    rules = compile_rules(
        load_classification_rules(ROOT / "mappings", mappings.catalog), mappings.catalog
    )
    return classify(
        "Invoice lists the backup service twice",
        "Please correct the November invoice.",
        rules,
        mappings.catalog,
    )


def must_not_classify() -> Classification:
    raise AssertionError("a person decided: the daemon must not even classify")


def test_an_unlabelled_issue_gets_csp_category_activity_and_customer_labels(
    mappings: Mappings,
) -> None:
    action = decide_triage(
        [], None, mappings.catalog, lambda: billing(mappings), mappings.customer("acme")
    )
    assert action.add_labels == (
        "csp",
        "csp-cat-finance",
        "csp-act-billing-enquiries",
        "csp-customer-acme",
    )
    assert action.remember == Memory("billing-enquiries", "daemon")


def test_a_persons_activity_label_is_kept_and_only_its_category_is_added(
    mappings: Mappings,
) -> None:
    action = decide_triage(
        ["csp-act-service-credits"], None, mappings.catalog, must_not_classify, None
    )
    assert action.add_labels == ("csp", "csp-cat-finance")
    assert action.remember == Memory("service-credits", "human")


def test_a_person_replacing_the_daemons_label_is_remembered_as_the_persons_choice(
    mappings: Mappings,
) -> None:
    labels = ["csp", "csp-cat-finance", "csp-act-service-credits"]
    action = decide_triage(
        labels, Memory("billing-enquiries", "daemon"), mappings.catalog, must_not_classify, None
    )
    assert action.add_labels == ()
    assert action.remember == Memory("service-credits", "human")


def test_a_person_removing_the_daemons_label_means_never_label_it_again(mappings: Mappings) -> None:
    removed = decide_triage(
        ["csp", "csp-cat-finance"],
        Memory("billing-enquiries", "daemon"),
        mappings.catalog,
        must_not_classify,
        None,
    )
    assert removed.remember == Memory("none", "human")
    later = decide_triage(
        ["csp", "csp-cat-finance"],
        Memory("none", "human"),
        mappings.catalog,
        must_not_classify,
        None,
    )
    assert later.add_labels == () and later.remember is None


def test_the_daemons_own_label_seen_again_changes_nothing(mappings: Mappings) -> None:
    labels = ["csp", "csp-cat-finance", "csp-act-billing-enquiries"]
    action = decide_triage(
        labels, Memory("billing-enquiries", "daemon"), mappings.catalog, must_not_classify, None
    )
    assert action.add_labels == () and action.remember is None


def test_issues_the_daemon_raised_are_left_alone(mappings: Mappings) -> None:
    action = decide_triage(
        ["csp", "csp-ref-0123456789abcdef0123"], None, mappings.catalog, must_not_classify, None
    )
    assert action.add_labels == () and action.remember is None


def test_a_triage_label_the_daemon_set_is_not_reclassified_every_pass(mappings: Mappings) -> None:
    action = decide_triage(
        ["csp", "csp-triage"], Memory("triage", "daemon"), mappings.catalog, must_not_classify, None
    )
    assert action.add_labels == () and action.remember is None


def test_an_out_of_scope_label_a_person_set_is_respected(mappings: Mappings) -> None:
    action = decide_triage(["csp-out-of-scope"], None, mappings.catalog, must_not_classify, None)
    assert action.add_labels == ()
    assert action.remember == Memory("out-of-scope", "human")


def test_a_customer_is_recognised_only_when_exactly_one_is_named(mappings: Mappings) -> None:
    assert customer_named("Maria from Globex called about GB3", mappings) == mappings.customer(
        "globex"
    )
    assert customer_named("ACME Logistics Ltd wants a call", mappings) == mappings.customer("acme")
    assert customer_named("acme and globex both asked", mappings) is None
    assert customer_named("nobody in particular", mappings) is None


def test_a_customer_field_is_read_by_alias_display_name_or_select_value(mappings: Mappings) -> None:
    from csp_jira_sync.triage.decide import customer_in_field

    assert customer_in_field("initech", mappings) == mappings.customer("initech")
    assert customer_in_field("Globex Retail Inc", mappings) == mappings.customer("globex")
    assert customer_in_field({"value": "ACME"}, mappings) == mappings.customer("acme")
    assert customer_in_field("", mappings) is None
    assert customer_in_field(None, mappings) is None
