"""Labelled examples: a second opinion only where the rules would triage, never for themselves."""

from __future__ import annotations

from typing import Any

from csp_jira_sync.classify import ClassificationRules, LabelledRequest, classify, compile_rules
from csp_jira_sync.classify.similarity import Terms, build_index, request_key
from csp_jira_sync.config.catalog import Catalog
from tests.classify.conftest import REQUESTS
from tests.classify.test_evaluate import HELD_OUT

EXAMPLES = [
    LabelledRequest(
        id="ex-tour",
        subject="Visit",
        body="Could we pop over to the GB3 site and have a look around with the team?",
        expected_activity="datacenter-tours",
    ),
    LabelledRequest(
        id="ex-fee",
        subject="Fee",
        body="What is the platform fee line on our invoice? We never agreed to it.",
        expected_activity="billing-enquiries",
    ),
    LabelledRequest(
        id="ex-restore",
        subject="Deleted",
        body="Somebody removed the shared drive folder, get it back from last night please.",
        expected_activity="out-of-scope",
    ),
]


def _rules(**scoring: Any) -> ClassificationRules:
    return ClassificationRules.model_validate(
        {
            "scoring": {
                "example_weight": 6.0,
                "example_min_similarity": 0.1,
                "example_min_terms": 3,
                **scoring,
            },
            "words": {"stopwords": ["the", "a", "to", "and", "we", "our", "with", "could"]},
            "activities": {
                "billing-enquiries": {
                    "rules": [{"id": "be", "weight": 3, "phrases": ["charged twice"]}]
                },
                "datacenter-tours": {"rules": [{"id": "dt", "weight": 3, "phrases": ["tour"]}]},
            },
            "out_of_scope": {
                "technical-support": {"rules": [{"id": "ts", "weight": 3, "phrases": ["reboot"]}]}
            },
            "examples": [e.model_dump() for e in EXAMPLES],
        }
    )


def test_a_request_the_rules_cannot_decide_is_decided_by_similar_examples(catalog: Catalog) -> None:
    result = classify(
        "Site", "Can the team have a look around the GB3 site one day?", _rules(), catalog
    )
    assert result.activity is not None and result.activity.slug == "datacenter-tours"
    (vote,) = result.evidence
    assert (vote.rule, vote.field, vote.target) == (
        "example:ex-tour",
        "request",
        "datacenter-tours",
    )
    assert {"site", "look"} <= set(vote.words.split())


def test_a_request_with_too_few_words_is_not_compared(catalog: Catalog) -> None:
    result = classify("", "GB3 site look around?", _rules(example_min_terms=6), catalog)
    assert result.outcome == "triage" and result.evidence == ()


def test_an_example_sharing_a_single_word_does_not_vote(catalog: Catalog) -> None:
    body = "Could the auditors come to the GB3 building in spring for an inspection?"
    assert (
        classify("", body, _rules(example_min_terms=1, example_min_shared=2), catalog).evidence
        == ()
    )
    loose = classify("", body, _rules(example_min_terms=1, example_min_shared=1), catalog)
    assert [e.rule for e in loose.evidence] == ["example:ex-tour"]


def test_examples_are_not_consulted_when_the_rules_decide(catalog: Catalog) -> None:
    result = classify("", "We were charged twice for the GB3 site look around.", _rules(), catalog)
    assert result.activity is not None and result.activity.slug == "billing-enquiries"
    assert all(not e.rule.startswith("example:") for e in result.evidence)


def test_examples_are_off_with_a_zero_weight(catalog: Catalog) -> None:
    result = classify(
        "Site", "Can the team have a look around the GB3 site?", _rules(example_weight=0), catalog
    )
    assert result.outcome == "triage"
    assert compile_rules(_rules(example_weight=0), catalog).examples is None


def test_examples_never_rescue_a_request_that_looks_out_of_scope(catalog: Catalog) -> None:
    body = (
        "Please reboot it, and the tour of the GB3 site, have a look around."  # tour 3 vs reboot 3
    )
    guarded = classify("", body, _rules(out_of_scope_guard=3.0), catalog)
    assert guarded.outcome == "triage"
    assert all(not e.rule.startswith("example:") for e in guarded.evidence)
    unguarded = classify("", body, _rules(out_of_scope_guard=10.0), catalog)
    assert any(e.rule.startswith("example:") for e in unguarded.evidence)


def test_an_example_does_not_vote_for_its_own_text(catalog: Catalog) -> None:
    own = EXAMPLES[1]
    result = classify(own.subject, own.body, _rules(), catalog)
    assert all(e.rule != "example:ex-fee" for e in result.evidence)


def test_similarity_ranks_shared_rare_words_first() -> None:
    index = build_index(
        [
            ("a", "x", Terms(("invoic", "fee", "platform"), "ka")),
            ("b", "y", Terms(("invoic", "credit"), "kb")),
            ("c", "z", Terms(("tour", "site"), "kc")),
        ]
    )
    found = index.neighbours(Terms(("platform", "fee", "invoic"), "q"), 5, 0.0)
    assert [n.id for n in found] == ["a", "b"]
    assert found[0].similarity == 1.0 and found[0].shared[-1] == "invoic"
    assert index.neighbours(Terms(("platform", "fee", "invoic"), "ka"), 5, 0.0)[0].id == "b"


def test_request_identity_ignores_surrounding_whitespace() -> None:
    assert request_key(" Subject ", "Body\n") == request_key("Subject", "Body")


def test_no_held_out_request_is_a_shipped_example(rules: ClassificationRules) -> None:
    from csp_jira_sync.classify import read_labelled

    shipped = {(e.subject, e.body) for e in rules.examples}
    assert shipped, "the shipped mappings have examples"
    held_out = read_labelled(HELD_OUT)
    assert not [r.id for r in held_out if (r.subject, r.body) in shipped]
    assert REQUESTS.is_dir()
