"""Evaluation figures, and the labelled set held to the targets of issue 4.

heldout.jsonl is never tuned on. Each version was written before the rules it judges, run once,
and moved into tuning.jsonl once seen: v1 (ids h-*, written before any rule existed: activities
95.7%, categories 96.7%, one out-of-scope request forced), v2 (g-*: 93.5%, 94.6%, none forced),
v3 (k-*: 96.7%, 96.7%, none forced). The current set (ids m-*, 5 per activity) was written before
the changes that followed v3. The targets asserted here are the issue's: 90% of activities, 97%
of categories, no out-of-scope request forced into an activity.
"""

from __future__ import annotations

from collections import Counter

import pytest

from csp_jira_sync.classify import (
    ClassificationRules,
    CompiledRules,
    Evaluation,
    LabelledRequest,
    evaluate,
    read_labelled,
)
from csp_jira_sync.config.catalog import Catalog
from tests.classify.conftest import REQUESTS

HELD_OUT = REQUESTS / "heldout.jsonl"
TUNING = REQUESTS / "tuning.jsonl"


def _record(expected: str, body: str, subject: str = "") -> LabelledRequest:
    return LabelledRequest(subject=subject, body=body, expected_activity=expected)


@pytest.fixture(scope="module")
def small_rules() -> ClassificationRules:
    return ClassificationRules.model_validate(
        {
            "activities": {
                "firewall-review": {"rules": [{"id": "fw", "weight": 3, "phrases": ["firewall"]}]},
                "billing-enquiries": {"rules": [{"id": "be", "weight": 3, "phrases": ["charged"]}]},
                "bill-production": {"rules": [{"id": "bp", "weight": 3, "phrases": ["po number"]}]},
            },
            "out_of_scope": {"sales": {"rules": [{"id": "q", "weight": 3, "phrases": ["quote"]}]}},
        }
    )


def test_evaluation_counts_hits_misses_triage_and_forced_out_of_scope(
    small_rules: ClassificationRules, catalog: Catalog
) -> None:
    records = [
        _record("firewall-review", "review our firewall"),  # right
        _record("billing-enquiries", "the PO number is wrong"),  # wrong activity, right category
        _record("service-reviews", "nothing to see"),  # triage: a miss
        _record("out-of-scope", "send a quote"),  # right
        _record("out-of-scope", "our firewall quote firewall"),  # triage (3 vs 3)
        _record("out-of-scope", "we were charged"),  # forced into an activity
    ]
    result = evaluate(records, small_rules, catalog)
    assert (result.total, result.correct, result.triage) == (6, 2, 2)
    assert (result.activities.correct, result.activities.total) == (1, 3)
    assert (result.categories.correct, result.categories.total) == (2, 3)
    assert (result.out_of_scope.correct, result.out_of_scope.total) == (1, 3)
    assert result.out_of_scope_forced == 1
    assert result.confusion["billing-enquiries"] == {"bill-production": 1}
    assert result.confusion["out-of-scope"] == {
        "billing-enquiries": 1,
        "out-of-scope": 1,
        "triage": 1,
    }
    by_category = {t.name: (t.correct, t.total) for t in result.by_category}
    assert by_category == {"configuration": (1, 1), "service-level": (0, 1), "finance": (1, 1)}
    assert [m.got for m in result.misses] == [
        "bill-production",
        "triage",
        "triage",
        "billing-enquiries",
    ]
    assert all(m.explanation for m in result.misses)


def test_an_unknown_expected_activity_is_refused(
    small_rules: ClassificationRules, catalog: Catalog
) -> None:
    with pytest.raises(ValueError, match="unknown activity 'coffee'"):
        evaluate([_record("coffee", "x")], small_rules, catalog)


def test_accuracies_are_part_of_the_json_form(
    small_rules: ClassificationRules, catalog: Catalog
) -> None:
    data = evaluate([_record("firewall-review", "firewall")], small_rules, catalog).model_dump(
        mode="json"
    )
    assert data["accuracy"] == 1.0 and data["activities"]["accuracy"] == 1.0


def _labelled(catalog: Catalog) -> tuple[list[LabelledRequest], list[LabelledRequest]]:
    slugs = {a.slug for a in catalog.activities()}
    return list(read_labelled(TUNING, slugs)), list(read_labelled(HELD_OUT, slugs))


def test_the_labelled_set_covers_every_activity_and_out_of_scope(catalog: Catalog) -> None:
    tuning, held_out = _labelled(catalog)
    everything = Counter(r.expected_activity for r in tuning + held_out)
    held = Counter(r.expected_activity for r in held_out)
    for activity in catalog.activities():
        assert everything[activity.slug] >= 8, activity.slug
        assert held[activity.slug] >= 3, activity.slug
    assert everything["out-of-scope"] >= 25
    assert held["out-of-scope"] >= 10
    assert {r.channel for r in tuning + held_out} == {"email", "portal", "phone"}


def test_no_held_out_request_is_also_a_tuning_request(catalog: Catalog) -> None:
    tuning, held_out = _labelled(catalog)
    seen = {(r.subject, r.body) for r in tuning}
    assert not [r.id for r in held_out if (r.subject, r.body) in seen]
    assert len({r.id for r in tuning + held_out}) == len(tuning) + len(held_out)


@pytest.fixture(scope="module")
def held_out_result(compiled: CompiledRules, catalog: Catalog) -> Evaluation:
    return evaluate(read_labelled(HELD_OUT), compiled, catalog)


def test_held_out_activity_accuracy_meets_the_90_percent_target(
    held_out_result: Evaluation,
) -> None:
    assert held_out_result.activities.accuracy >= 0.90, [
        m.explanation for m in held_out_result.misses
    ]


def test_held_out_category_accuracy_meets_the_97_percent_target(
    held_out_result: Evaluation,
) -> None:
    assert held_out_result.categories.accuracy >= 0.97, [
        m.explanation for m in held_out_result.misses
    ]


def test_no_held_out_out_of_scope_request_is_forced_into_an_activity(
    held_out_result: Evaluation,
) -> None:
    assert held_out_result.out_of_scope_forced == 0


def test_tuning_set_stays_above_95_percent_so_rule_edits_do_not_regress(
    compiled: CompiledRules, catalog: Catalog
) -> None:
    result = evaluate(read_labelled(TUNING), compiled, catalog)
    assert result.accuracy >= 0.95, [m.explanation for m in result.misses]
    assert result.out_of_scope_forced == 0
