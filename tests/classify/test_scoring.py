"""The one-request scorer computes what scikit-learn computes, only faster: the same TF-IDF
rows, the same margins, the same closest examples, on every shipped labelled request."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from csp_jira_sync.classify.dataset import LabelledRequest
from csp_jira_sync.classify.learned import LearnedClassifier
from csp_jira_sync.classify.model import ModelParams, fit, model_text
from csp_jira_sync.classify.scoring import RequestScorer
from csp_jira_sync.classify.training import current_classifier, read_training_files
from csp_jira_sync.config.catalog import Catalog
from tests.classify.conftest import MAPPINGS

# Odd text the labelled sets may not hold: accents and case (the analyser folds both), runs of
# white space, a word of one letter, digits, non-breaking spaces, nothing the model knows.
ODD = [
    "Café résumé CAFÉ naïve\u00a0coöperation",
    "  lots   of\t\twhite \n\n space  ",
    "a b c 1 22 333 4444",
    "zzzqqq xxyyzz",
    "",
]


@pytest.fixture(scope="module")
def learned(shipped_model_dir: Path, catalog: Catalog) -> LearnedClassifier:
    classifier, _ = current_classifier(
        shipped_model_dir, MAPPINGS, catalog, now=lambda: datetime.now(UTC)
    )
    return classifier


@pytest.fixture(scope="module")
def texts(catalog: Catalog) -> list[str]:
    records = read_training_files(MAPPINGS, catalog)
    return [model_text(r.subject, r.body) for r in records] + ODD


def test_margins_and_word_rows_equal_scikit_learns_on_every_shipped_request(
    learned: LearnedClassifier, texts: list[str]
) -> None:
    expected_margins, _, expected_words = learned.model.scores(texts)
    for n, text in enumerate(texts):
        scored = learned.scorer.score(text)
        np.testing.assert_allclose(scored.margins, expected_margins[n], rtol=0, atol=1e-9)
        row = expected_words.getrow(n)
        assert scored.words.indices.tolist() == row.indices.tolist()
        np.testing.assert_allclose(scored.words.values, row.data, rtol=0, atol=1e-12)


def test_a_second_reading_of_the_same_words_gives_the_same_row(
    learned: LearnedClassifier, texts: list[str]
) -> None:
    """The character grams are cached per word; the cache must not change any answer."""
    first = [learned.scorer.score(t).margins for t in texts[:200]]
    again = [learned.scorer.score(t).margins for t in texts[:200]]
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))


def test_the_closest_examples_are_the_highest_cosines_earlier_example_first_on_ties(
    learned: LearnedClassifier, texts: list[str]
) -> None:
    examples = learned.model.example_words
    _, _, words = learned.model.scores(texts)
    cosines = (words @ examples.T).toarray()
    for n, text in enumerate(texts):
        expected = [
            (int(i), float(cosines[n, i]))
            for i in np.argsort(-cosines[n], kind="stable")[:3]
            if cosines[n, i] > 0
        ]
        found = learned.scorer.closest(learned.scorer.score(text).words, 3)
        assert [i for i, _ in found] == [i for i, _ in expected], text[:60]
        np.testing.assert_allclose([s for _, s in found], [s for _, s in expected], atol=1e-12)


def test_an_example_set_with_every_similarity_tied_returns_the_first_ones() -> None:
    model = fit(_two_class_records(), ModelParams(folds=2))
    scorer = model.scorer()
    # Examples 0, 2, 4 and 6 are all "please call": tied, so the first two of them.
    found = scorer.closest(scorer.score("please call").words, 2)
    assert [i for i, _ in found] == [0, 2]
    assert found[0][1] == pytest.approx(1.0)


def test_a_two_class_model_scores_both_classes_like_decision_function() -> None:
    records = _two_class_records()
    model = fit(records, ModelParams(folds=2))
    scorer = model.scorer()
    text = "the invoice is wrong, please call"
    expected, _, _ = model.scores([text])
    np.testing.assert_allclose(scorer.score(text).margins, expected[0], atol=1e-9)


def test_a_vectoriser_other_than_l2_tf_idf_is_refused() -> None:
    model = fit(_two_class_records(), ModelParams(folds=2))
    model.features.word.norm = "l1"
    with pytest.raises(ValueError, match="l2-normalised"):
        RequestScorer(
            model.features.word,
            None,
            model.estimator.coef_,
            model.estimator.intercept_,
            model.example_words,
        )


def _two_class_records() -> tuple[LabelledRequest, ...]:
    return tuple(
        LabelledRequest(
            id=f"r{n}",
            subject="",
            body="please call" if n % 2 == 0 else "invoice wrong",
            expected_activity="proactive-calls" if n % 2 == 0 else "billing-enquiries",
        )
        for n in range(8)
    )
