"""The shipped model as the product uses it: answers, explanations, triage, overrides."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from csp_jira_sync.classify import Classification, classify
from csp_jira_sync.classify.learned import CurrentClassifier, LearnedClassifier
from csp_jira_sync.classify.overrides import OverrideRule, compile_overrides, load_overrides
from csp_jira_sync.classify.training import current_classifier
from csp_jira_sync.config.catalog import Catalog
from csp_jira_sync.errors import ConfigError
from tests.classify.conftest import MAPPINGS


@pytest.fixture(scope="module")
def learned(shipped_model_dir: Path, catalog: Catalog) -> LearnedClassifier:
    classifier, _ = current_classifier(
        shipped_model_dir, MAPPINGS, catalog, now=lambda: datetime.now(UTC)
    )
    return classifier


def ask(learned: LearnedClassifier, catalog: Catalog, subject: str, body: str) -> Classification:
    return classify(subject, body, learned, catalog)


def test_a_clear_request_gets_its_activity_category_and_labels(
    learned: LearnedClassifier, catalog: Catalog
) -> None:
    result = ask(
        learned,
        catalog,
        "Invoice",
        "Hi Sam, our invoice shows the backup line twice this month - can you check?\nDan",
    )
    assert result.decision == "billing-enquiries"
    assert result.labels == ("csp-cat-finance", "csp-act-billing-enquiries")
    assert 0 < result.confidence <= 1


def test_the_explanation_names_words_for_and_against_the_runner_up_and_close_examples(
    learned: LearnedClassifier, catalog: Catalog
) -> None:
    result = ask(
        learned,
        catalog,
        "Tour",
        "Could two of our auditors visit the GB3 data centre in May? They need to see the cages.",
    )
    assert result.decision == "datacenter-tours"
    words = [e for e in result.evidence if e.rule == "model"]
    assert any(e.weight > 0 for e in words) and any(e.weight < 0 for e in words)
    assert all(e.target == "datacenter-tours" for e in words)
    examples = [e for e in result.evidence if e.rule.startswith("example:")]
    assert examples and examples[0].target == "datacenter-tours"
    assert len(result.candidates) == 3 and result.candidates[0].target == "datacenter-tours"
    assert "runner-up" in result.explain()


@pytest.mark.parametrize(
    "body",
    [
        # Hands-on technical work in CSP words: never an activity.
        "After the firewall review, could you add a rule allowing TCP 8443 from our office to app02 today?",
        "Can you restore yesterday's backup of the orders database onto db03? We lost a table.",
    ],
)
def test_hands_on_work_is_never_forced_into_an_activity(
    learned: LearnedClassifier, catalog: Catalog, body: str
) -> None:
    assert ask(learned, catalog, "request", body).outcome != "activity"


def test_a_request_that_says_too_little_goes_to_triage(
    learned: LearnedClassifier, catalog: Catalog
) -> None:
    result = ask(learned, catalog, "hello", "hello")
    assert result.outcome == "triage"
    assert result.labels == ("csp-triage",)
    assert "too little said" in result.reason


def test_out_of_scope_names_its_kind_from_the_rules_evidence(
    learned: LearnedClassifier, catalog: Catalog
) -> None:
    result = ask(learned, catalog, "down", "web02 is down, please reboot it")
    assert (result.outcome, result.out_of_scope_kind) == ("out-of-scope", "technical-support")


def test_an_override_decides_before_the_model_and_reads_only_the_senders_words(
    learned: LearnedClassifier, catalog: Catalog
) -> None:
    overrides = compile_overrides(
        (
            OverrideRule(
                id="always-out",
                target="out-of-scope",
                kind="sales",
                phrases=("managed   firewall add-on",),
            ),
            OverrideRule(
                id="tours",
                target="Customer tours of CenturyLink Data Centers",
                phrases=("site visit",),
            ),
        ),
        catalog,
    )
    with_overrides = LearnedClassifier(
        learned.model, learned.thresholds, learned.version, overrides, learned.rules
    )
    sales = ask(with_overrides, catalog, "Add-on", "Who can quote the Managed Firewall Add-on?")
    assert (sales.outcome, sales.out_of_scope_kind, sales.confidence) == (
        "out-of-scope",
        "sales",
        1.0,
    )
    assert sales.evidence[0].rule == "override:always-out"
    tour = ask(with_overrides, catalog, "Q", "We would like a site visit in June.")
    assert tour.decision == "datacenter-tours"
    # A phrase only in the quoted chain is not the sender's ask.
    quoted = ask(
        with_overrides,
        catalog,
        "Re: invoice",
        "Why is our invoice higher this month?\n\n> On Mon, Sam wrote:\n> about the site visit",
    )
    assert quoted.decision == "billing-enquiries"


def test_an_override_naming_no_activity_is_refused_with_the_file_and_target(
    tmp_path: Path, catalog: Catalog
) -> None:
    (tmp_path / "classification_overrides.yaml").write_text(
        "overrides:\n  - id: x\n    target: coffee-runs\n    phrases: [espresso]\n"
    )
    with pytest.raises(ConfigError, match="coffee-runs"):
        load_overrides(tmp_path, catalog)


def test_the_shipped_overrides_file_loads(catalog: Catalog) -> None:
    load_overrides(MAPPINGS, catalog)


def test_the_current_classifier_is_replaced_in_place(
    learned: LearnedClassifier, catalog: Catalog
) -> None:
    current = CurrentClassifier(learned)
    assert classify("Invoice", "Why is our invoice twice as high?", current, catalog).decision == (
        "billing-enquiries"
    )
    always_triage = LearnedClassifier(
        learned.model,
        learned.thresholds,
        "other",
        compile_overrides(
            (OverrideRule(id="all", target="triage", phrases=("invoice",)),), catalog
        ),
    )
    current.use(always_triage)
    assert current.version == "other"
    assert classify("Invoice", "Why is our invoice twice as high?", current, catalog).outcome == (
        "triage"
    )


def test_the_shipped_auto_reply_override_marks_automatic_replies_out_of_scope(
    shipped_model_dir: Path, catalog: Catalog
) -> None:
    classifier, _ = current_classifier(
        shipped_model_dir, MAPPINGS, catalog, now=lambda: datetime.now(UTC)
    )
    result = classify(
        "Automatic reply: Service review agenda",
        "I am away until Monday with limited access to email.",
        classifier,
        catalog,
    )
    assert (result.outcome, result.out_of_scope_kind) == ("out-of-scope", "auto-reply")
    assert result.evidence[0].rule == "override:auto-reply"
