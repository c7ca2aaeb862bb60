"""The decision: weighted evidence, out-of-scope competing, triage when no clear winner.

The first half drives the mechanism with small hand-made rules, so each behaviour is pinned
whatever a lead later changes in mappings/classification.yaml; the second half checks each rule
family of the shipped rules on messy, realistic text.
"""

from __future__ import annotations

from typing import Any

import pytest

from csp_jira_sync.classify import (
    OUT_OF_SCOPE_LABEL,
    TRIAGE_LABEL,
    Classification,
    ClassificationRules,
    CompiledRules,
    classify,
    compile_rules,
)
from csp_jira_sync.config.catalog import Catalog


def _rules(**scoring: Any) -> ClassificationRules:
    settings = {
        "min_score": 2.0,
        "min_margin": 1.0,
        "min_ratio": 1.25,
        "ask_boost": 1.0,
        "context_weight": 0.5,
        "reply_subject_weight": 0.5,
        "quoted_weight": 0.25,
        "quoted_weight_when_body_thin": 0.75,
        "thin_body_words": 4,
        **scoring,
    }
    return ClassificationRules.model_validate(
        {
            "scoring": settings,
            "words": {
                "generic_subject_words": ["quick", "question"],
                "ask_markers": ["can you"],
                "context_lead_ins": ["following"],
                "topic_switches": ["separately"],
            },
            "activities": {
                "service-reviews": {
                    "rules": [{"id": "sr", "weight": 3, "phrases": ["service review"]}]
                },
                "firewall-review": {"rules": [{"id": "fw", "weight": 3, "phrases": ["firewall"]}]},
                "billing-enquiries": {
                    "rules": [
                        {"id": "be", "weight": 3, "phrases": ["charged twice"]},
                        {"id": "be-invoice", "weight": 1, "phrases": ["invoice"]},
                        {"id": "be-not", "weight": -2, "phrases": ["credit note"]},
                    ]
                },
            },
            "out_of_scope": {
                "technical-support": {"rules": [{"id": "ts", "weight": 3, "phrases": ["reboot"]}]}
            },
        }
    )


def _classify(catalog: Catalog, subject: str, body: str, **scoring: Any) -> Classification:
    return classify(subject, body, _rules(**scoring), catalog)


def test_the_best_supported_activity_wins_with_both_labels(catalog: Catalog) -> None:
    result = _classify(catalog, "", "Please look at our firewall.")
    assert result.outcome == "activity"
    assert result.activity is not None and result.activity.slug == "firewall-review"
    assert result.category is not None and result.category.slug == "configuration"
    assert result.labels == ("csp-cat-configuration", "csp-act-firewall-review")
    assert [(e.rule, e.field, e.words) for e in result.evidence] == [("fw", "body", "firewall")]


def test_too_little_evidence_is_triage(catalog: Catalog) -> None:
    result = _classify(catalog, "", "the invoice")
    assert result.outcome == "triage"
    assert result.labels == (TRIAGE_LABEL,)
    assert result.activity is None and result.category is None
    assert "too little evidence" in result.reason


def test_nothing_matching_is_triage_with_zero_confidence(catalog: Catalog) -> None:
    result = _classify(catalog, "", "")
    assert result.outcome == "triage"
    assert result.confidence == 0.0
    assert "nothing matched" in result.reason


def test_a_winner_not_clearly_ahead_of_the_runner_up_is_triage(catalog: Catalog) -> None:
    result = _classify(catalog, "", "Our firewall came up at the service review.")
    assert result.outcome == "triage"
    assert "not clearly ahead" in result.reason
    assert {e.target for e in result.evidence} == {"firewall-review", "service-reviews"}


def test_the_lead_must_also_be_a_ratio_of_the_runner_up(catalog: Catalog) -> None:
    body = "We were charged twice on the invoice. The firewall too."  # billing 4, firewall 3
    assert _classify(catalog, "", body, min_margin=1.0, min_ratio=1.25).outcome == "activity"
    assert _classify(catalog, "", body, min_margin=1.0, min_ratio=1.5).outcome == "triage"


def test_out_of_scope_wins_like_an_activity(catalog: Catalog) -> None:
    result = _classify(catalog, "", "Please reboot web01.")
    assert result.outcome == "out-of-scope"
    assert result.labels == (OUT_OF_SCOPE_LABEL,)
    assert result.out_of_scope_kind == "technical-support"


def test_out_of_scope_as_strong_as_an_activity_is_triaged_never_forced(catalog: Catalog) -> None:
    result = _classify(catalog, "", "Reboot the firewall.")
    assert result.outcome == "triage"


def test_an_activity_must_outweigh_out_of_scope_evidence_by_the_out_of_scope_ratio(
    catalog: Catalog,
) -> None:
    body = (
        "Our firewall and the invoice need looking at, then reboot."  # firewall 3 + ... vs reboot 3
    )
    rules = _rules(out_of_scope_ratio=1.0, out_of_scope_guard=3.0)
    assert classify("Firewall", body, rules, catalog).outcome == "activity"  # 6 vs 3: clear lead
    weak = classify(
        "Firewall", body, _rules(out_of_scope_ratio=2.5, out_of_scope_guard=3.5), catalog
    )
    assert weak.outcome == "activity"  # 3 is below the guard: a hint, not out-of-scope evidence
    guarded = classify(
        "Firewall", body, _rules(out_of_scope_ratio=2.5, out_of_scope_guard=3.0), catalog
    )
    assert guarded.outcome == "triage"
    assert "out-of-scope evidence 3.0" in guarded.reason
    assert any(e.target == "out-of-scope" for e in guarded.evidence)


def test_negative_rules_subtract_from_their_activity(catalog: Catalog) -> None:
    plain = _classify(catalog, "", "We were charged twice on the invoice.")
    against = _classify(catalog, "", "We were charged twice on the invoice and credit note.")
    score = {c.target: c.score for c in plain.candidates}["billing-enquiries"]
    lowered = {c.target: c.score for c in against.candidates}["billing-enquiries"]
    assert lowered == score - 2
    assert any(e.rule == "be-not" and e.weight == -2 for e in against.evidence)


def test_a_reply_subject_counts_less_than_the_new_body(catalog: Catalog) -> None:
    result = _classify(catalog, "Re: service review", "We were charged twice, can you check?")
    assert result.activity is not None and result.activity.slug == "billing-enquiries"
    subject = next(c for c in result.candidates if c.target == "service-reviews")
    assert subject.score == 1.5  # 3 x reply_subject_weight 0.5


def test_a_topic_switch_makes_the_subject_and_earlier_sentences_context(catalog: Catalog) -> None:
    body = "The firewall is fine. Separately, we were charged twice on the invoice."
    switched = _classify(catalog, "Firewall", body)  # billing 3 + 1, firewall 3 x 0.5 twice
    assert switched.activity is not None and switched.activity.slug == "billing-enquiries"
    assert {c.target: c.score for c in switched.candidates}["firewall-review"] == 3.0
    unswitched = _classify(catalog, "Firewall", body.replace("Separately, we", "We"))
    assert unswitched.activity is not None and unswitched.activity.slug == "firewall-review"


def test_a_new_subject_counts_fully(catalog: Catalog) -> None:
    result = _classify(catalog, "Service review", "")
    assert result.activity is not None and result.activity.slug == "service-reviews"
    assert result.evidence[0].field == "subject" and result.evidence[0].weight == 3


def test_a_generic_subject_is_ignored(catalog: Catalog) -> None:
    result = _classify(catalog, "Quick question", "firewall")
    assert all(e.field == "body" for e in result.evidence)


def test_the_quoted_chain_counts_lightly(catalog: Catalog) -> None:
    result = _classify(
        catalog, "", "We were charged twice on this, can you look at it?\n> the firewall is fine"
    )
    quoted = [e for e in result.candidates if e.target == "firewall-review"]
    assert quoted and quoted[0].score == 0.75  # 3 x quoted_weight 0.25
    assert result.activity is not None and result.activity.slug == "billing-enquiries"


def test_the_quoted_chain_counts_more_when_the_sender_wrote_almost_nothing(
    catalog: Catalog,
) -> None:
    result = _classify(catalog, "Fwd: audit", "See below.\n\n> our firewall needs review")
    assert result.activity is not None and result.activity.slug == "firewall-review"
    assert result.evidence[0].field == "quoted" and result.evidence[0].weight == 2.25


def test_asking_sentences_count_ask_boost_times(catalog: Catalog) -> None:
    asked = _classify(catalog, "", "Can you look at the firewall", ask_boost=1.5)
    told = _classify(catalog, "", "We looked at the firewall", ask_boost=1.5)
    assert asked.evidence[0].weight == 4.5
    assert told.evidence[0].weight == 3


def test_scene_setting_lead_in_counts_context_weight(catalog: Catalog) -> None:
    result = _classify(catalog, "", "Following the service review, we were charged twice.")
    weights = {e.rule: e.weight for e in result.evidence}
    assert result.activity is not None and result.activity.slug == "billing-enquiries"
    review = {c.target: c.score for c in result.candidates}["service-reviews"]
    assert review == 1.5 and weights["be"] == 3


def test_a_misspelt_rule_word_counts_typo_weight_and_shows_the_reading(catalog: Catalog) -> None:
    result = _classify(catalog, "", "our firewal please", typo_weight=0.8)
    assert result.activity is not None and result.activity.slug == "firewall-review"
    assert result.evidence[0].words == "firewal≈firewall"
    assert result.evidence[0].weight == pytest.approx(2.4)


def test_confidence_grows_with_the_lead_over_the_runner_up(catalog: Catalog) -> None:
    alone = _classify(
        catalog, "", "firewall firewall. We were charged twice.", min_margin=0, min_ratio=1
    )
    clear = _classify(catalog, "", "We were charged twice.")
    assert 0 <= alone.confidence < clear.confidence <= 1


def test_explain_names_the_answer_the_rule_and_the_runner_up(catalog: Catalog) -> None:
    result = _classify(catalog, "Service review", "We were charged twice on the invoice.")
    text = result.explain()
    assert text.startswith("billing-enquiries (Finance), confidence")
    assert "be body 'charged twice'" in text
    assert "runner-up service-reviews 3.00" in text


def test_compiled_and_plain_rules_give_the_same_answer(catalog: Catalog) -> None:
    rules = _rules()
    compiled: CompiledRules = compile_rules(rules, catalog)
    body = "We were charged twice on the invoice."
    assert classify("", body, rules, catalog) == classify("", body, compiled, catalog)


def test_explain_shows_a_learned_models_small_weights_as_numbers_not_zero(catalog: Catalog) -> None:
    """A linear model's per-word weights are hundredths: one decimal printed them all as
    +0.0 or +0.1, which told a CSP nothing."""
    result = _classify(catalog, "Service review", "We were charged twice on the invoice.")
    evidence = result.evidence[0].model_copy(update={"weight": 0.034})
    text = result.model_copy(update={"evidence": (evidence, *result.evidence[1:])}).explain()
    assert "+0.03 " in text
