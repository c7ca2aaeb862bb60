"""The learned model's pure parts: the decision from probabilities, fitting, the fingerprint."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from csp_jira_sync.classify import LabelledRequest, read_labelled
from csp_jira_sync.classify.model import (
    SEED,
    Features,
    ModelParams,
    TermCounts,
    Thresholds,
    asked_words,
    decide,
    fingerprint,
    fit,
    model_text,
    out_of_fold_margins,
)
from tests.classify.conftest import REQUESTS

CLASSES = ("billing-enquiries", "out-of-scope", "service-reviews")
T = Thresholds(activity=0.4, out_of_scope=0.4, out_of_scope_guard=0.05)


@pytest.mark.parametrize(
    ("probabilities", "answer", "why"),
    [
        ((0.90, 0.01, 0.09), "billing-enquiries", ""),
        ((0.35, 0.01, 0.64), "service-reviews", ""),
        ((0.39, 0.01, 0.60), "service-reviews", ""),
        # Below the activity threshold: a CSP decides.
        ((0.38, 0.30, 0.32), "triage", "only 0.38"),
        # Likeliest is an activity, but out-of-scope is not negligible: triaged, never forced.
        ((0.90, 0.06, 0.04), "triage", "out-of-scope is 0.06"),
        ((0.94, 0.05, 0.01), "triage", "out-of-scope is 0.05"),
        # Out of scope is answered from its own threshold up.
        ((0.10, 0.80, 0.10), "out-of-scope", ""),
        ((0.30, 0.39, 0.31), "triage", "out-of-scope is likeliest but only 0.39"),
    ],
)
def test_the_answer_follows_the_thresholds_and_the_out_of_scope_guard(
    probabilities: tuple[float, ...], answer: str, why: str
) -> None:
    got, reason = decide(probabilities, CLASSES, T)
    assert got == answer
    assert why in reason
    assert bool(reason) == (answer == "triage")


@pytest.fixture(scope="module")
def small() -> tuple[LabelledRequest, ...]:
    records = read_labelled(REQUESTS / "tuning.jsonl")
    wanted = {"billing-enquiries", "service-reviews", "out-of-scope"}
    return tuple(r for r in records if r.expected_activity in wanted)[:60]


def test_fitting_twice_on_the_same_data_gives_the_same_model(
    small: tuple[LabelledRequest, ...],
) -> None:
    params = replace(ModelParams(), folds=3)
    first, second = fit(small, params), fit(small, params)
    texts = ["Why is our invoice higher this month?", "Agenda for the service review please"]
    assert first.temperature == second.temperature
    assert np.array_equal(first.probabilities(texts), second.probabilities(texts))


def test_a_fitted_model_reads_what_it_learnt(small: tuple[LabelledRequest, ...]) -> None:
    model = fit(small, replace(ModelParams(), folds=3))
    [row] = model.probabilities(["Our invoice charges the backup twice, can you correct it?"])
    assert model.classes[int(row.argmax())] == "billing-enquiries"
    assert row.sum() == pytest.approx(1.0)
    # Every training example has a cross-validated probability row, for the stored evaluation.
    assert model.out_of_fold.shape == (len(small), len(model.classes))


def test_training_needs_two_activities(small: tuple[LabelledRequest, ...]) -> None:
    one = tuple(r for r in small if r.expected_activity == "out-of-scope")
    with pytest.raises(ValueError, match="at least two"):
        fit(one, ModelParams())


def test_the_fingerprint_changes_with_any_label_or_text(
    small: tuple[LabelledRequest, ...],
) -> None:
    relabelled = (small[0].model_copy(update={"expected_activity": "out-of-scope"}), *small[1:])
    edited = (small[0].model_copy(update={"body": small[0].body + "!"}), *small[1:])
    prints = {fingerprint(small), fingerprint(relabelled), fingerprint(edited)}
    assert len(prints) == 3
    assert fingerprint(small) == fingerprint(tuple(small))


@pytest.mark.parametrize(
    "params",
    [ModelParams(), ModelParams(char_ngrams=None), ModelParams(char_ngrams=(2, 5))],
    ids=["words and characters", "words only", "char 2-5"],
)
def test_each_folds_tf_idf_from_the_shared_counts_is_what_a_vectoriser_fitted_on_the_fold_gives(
    params: ModelParams,
) -> None:
    """The folds analyse the text once (`TermCounts`); the rows must equal those of vectorisers
    fitted on the fold's training rows: the same terms (the min_df cut counted on those rows
    only), in the same order, with the same values."""
    records = read_labelled(REQUESTS / "tuning.jsonl")
    texts = [model_text(r.subject, r.body) for r in records]
    texts.append("Café CAFÉ  naïve\u00a0coöperation, white\t\tspace")
    counts = TermCounts.of(texts, params)
    everyone = np.arange(len(texts))
    for test in (everyone[::4], everyone[1::4]):
        train = np.setdiff1d(everyone, test)
        got_train, got_test = counts.fold(train.tolist(), test.tolist())
        features = Features.fresh(params)
        want_train, _ = features.fit_transform([texts[i] for i in train])
        want_test, _ = features.transform([texts[i] for i in test])
        for got, want in ((got_train, want_train), (got_test, want_test)):
            assert got.shape == want.shape
            assert abs(got - want).max() < 1e-12


def test_the_asked_words_are_those_of_the_sentences_that_ask() -> None:
    own = (
        "Ahead of our quarterly monitoring review next week, could you please get the "
        "monitoring agent installed on the six new VMs? The board liked the last review.\n"
        "Thanks, Derek"
    )
    words = asked_words(own)
    assert "installed" in words and "agent" in words
    assert "board" not in words  # a sentence that asks for nothing
    text = model_text("Before the review", own, ask_words=True)
    assert "askinstalled" in text and "askboard" not in text
    assert "askinstalled" not in model_text("Before the review", own)


def test_training_on_worker_processes_gives_the_model_training_here_gives(
    small: tuple[LabelledRequest, ...],
) -> None:
    """The folds and the final model fit in other processes, in whatever order they finish;
    liblinear reseeds its generator for each fit, so the model is the same to the bit."""
    params = replace(ModelParams(), folds=3)
    here, there = fit(small, params), fit(small, params, workers=2)
    assert here.temperature == there.temperature
    assert np.array_equal(here.out_of_fold, there.out_of_fold)
    assert np.array_equal(here.estimator.coef_, there.estimator.coef_)


def test_the_cross_validation_folds_follow_their_seed(small: tuple[LabelledRequest, ...]) -> None:
    """The stored evaluation uses the seeded folds; `bench/cv_classify.py --seeds` draws others
    to see how much one draw of the folds moves a figure."""
    params = replace(ModelParams(), folds=3)
    texts = [model_text(r.subject, r.body) for r in small]
    targets = [r.expected_activity for r in small]
    classes = sorted(set(targets))
    seeded = out_of_fold_margins(texts, targets, params, classes)
    assert seeded is not None
    same = out_of_fold_margins(texts, targets, params, classes, seed=SEED)
    other = out_of_fold_margins(texts, targets, params, classes, seed=SEED + 1)
    assert same is not None and other is not None
    assert np.array_equal(seeded, same)
    assert not np.array_equal(seeded, other)
