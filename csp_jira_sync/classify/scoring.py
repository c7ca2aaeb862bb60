"""One request at a time, fast: what `FittedModel.scores` computes, without scikit-learn's
per-call machinery.

For a single short text, `TfidfVectorizer.transform` and a sparse product spend ten times
longer checking and converting their inputs than on the arithmetic (profiled: about 3.5 ms of a
4.5 ms request). The daemon classifies one request at a time, so this module reads the fitted
vectorisers' own analyser, vocabulary and idf, and computes the same TF-IDF row (sublinear tf,
idf, L2 norm: `TfidfTransformer.transform`) and the same margins (`decision_function`) with a
handful of numpy calls. `tests/classify/test_scoring.py` holds it equal to scikit-learn's on
every shipped example.

The closest labelled examples are one sparse product of the request's word row against the
examples' word rows (already L2-normalised, so the product is the cosine), written out as a
gather and a `bincount` over the transposed matrix, and the top few by `argpartition`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import TfidfVectorizer

Floats = np.ndarray[Any, np.dtype[np.float64]]
Ints = np.ndarray[Any, np.dtype[np.intp]]


@dataclass(frozen=True)
class SparseRow:
    """A request's TF-IDF row: the feature indices (ascending) and their values."""

    indices: Ints
    values: Floats


_CHUNK_CACHE_LIMIT = 100_000


class _Vectoriser:
    """One fitted `TfidfVectorizer`, applied to one text.

    Character grams within words (`char_wb`) depend on nothing but the word, so a word's known
    features are computed once and cached: the analyser run on one whitespace-separated chunk
    gives exactly that chunk's grams (it lower-cases, strips accents and splits as it does for
    the whole text). Word grams span neighbours and are analysed per text."""

    def __init__(self, fitted: TfidfVectorizer) -> None:
        if fitted.norm != "l2" or not fitted.use_idf or fitted.binary:
            raise ValueError("the fast scorer reads l2-normalised TF-IDF with idf, not binary")
        self._analyse: Callable[[str], list[str]] = fitted.build_analyzer()
        vocabulary: Mapping[str, Any] = fitted.vocabulary_
        self.size = len(vocabulary)
        self._vocabulary = {term: int(index) for term, index in vocabulary.items()}
        self._idf: Floats = np.asarray(fitted.idf_, dtype=np.float64)
        self._sublinear = bool(fitted.sublinear_tf)
        self._per_chunk = fitted.analyzer == "char_wb"
        self._chunks: dict[str, list[int]] = {}

    def row(self, text: str) -> SparseRow:
        found: list[int] = []
        if self._per_chunk:
            for chunk in text.split():
                found.extend(self._chunk(chunk))
        else:
            vocabulary = self._vocabulary
            found = [vocabulary[t] for t in self._analyse(text) if t in vocabulary]
        indices, counts = np.unique(np.array(found, dtype=np.intp), return_counts=True)
        tf = counts.astype(np.float64)
        if self._sublinear:
            tf = np.log(tf) + 1.0
        values = tf * self._idf[indices]
        norm = float(np.sqrt(values @ values))
        if norm > 0:
            values = values / norm
        return SparseRow(indices, values)

    def _chunk(self, chunk: str) -> list[int]:
        found = self._chunks.get(chunk)
        if found is None:
            if len(self._chunks) >= _CHUNK_CACHE_LIMIT:
                self._chunks.clear()
            vocabulary = self._vocabulary
            found = [vocabulary[t] for t in self._analyse(chunk) if t in vocabulary]
            self._chunks[chunk] = found
        return found


@dataclass(frozen=True)
class Scored:
    margins: Floats  # one per class, in the model's class order
    words: SparseRow  # the word part of the row: what explains, and finds the closest examples


class RequestScorer:
    """Built once per loaded model (`LearnedClassifier` does), then used for every request."""

    def __init__(
        self,
        word: TfidfVectorizer,
        char: TfidfVectorizer | None,
        coef: Floats,
        intercept: Floats,
        example_words: csr_matrix,
    ) -> None:
        self._word = _Vectoriser(word)
        self._char = _Vectoriser(char) if char is not None else None
        self._offset = self._word.size
        # Features by rows, so a request's few features are a contiguous gather of rows.
        self._weights: Floats = np.ascontiguousarray(np.asarray(coef, dtype=np.float64).T)
        self._intercept: Floats = np.asarray(intercept, dtype=np.float64)
        self._binary = self._weights.shape[1] == 1
        by_word = csr_matrix(example_words).T.tocsr()  # word -> the examples that use it
        self._examples = by_word.shape[1]
        self._indptr: Ints = np.asarray(by_word.indptr, dtype=np.intp)
        self._example_of: Ints = np.asarray(by_word.indices, dtype=np.intp)
        self._example_value: Floats = np.asarray(by_word.data, dtype=np.float64)

    def score(self, text: str) -> Scored:
        words = self._word.row(text)
        margins = words.values @ self._weights[words.indices] + self._intercept
        if self._char is not None:
            chars = self._char.row(text)
            margins = margins + chars.values @ self._weights[chars.indices + self._offset]
        if self._binary:  # two classes: one margin, for the second
            margins = np.array([-margins[0], margins[0]])
        return Scored(margins=np.asarray(margins, dtype=np.float64), words=words)

    def word_weights(self, column: int) -> Floats:
        """The word features' weights for one class's margin."""
        if self._binary:
            weights = self._weights[: self._offset, 0]
            return weights if column else -weights
        return self._weights[: self._offset, column]

    def similarities(self, words: SparseRow) -> Floats:
        """Cosine of the request's word row with every labelled example's."""
        starts = self._indptr[words.indices]
        lengths = self._indptr[words.indices + 1] - starts
        total = int(lengths.sum())
        if total == 0:
            return np.zeros(self._examples)
        # positions of every (word, example) entry of the request's words, in one gather
        first = np.cumsum(lengths) - lengths
        positions = np.repeat(starts - first, lengths) + np.arange(total)
        weights = self._example_value[positions] * np.repeat(words.values, lengths)
        found = np.bincount(self._example_of[positions], weights=weights, minlength=self._examples)
        return np.asarray(found, dtype=np.float64)

    def closest(self, words: SparseRow, count: int) -> list[tuple[int, float]]:
        """The `count` most similar examples with a positive similarity, most similar first
        (ties: the earlier example), as (example index, cosine)."""
        similarities = self.similarities(words)
        if count < len(similarities):
            kth = np.partition(similarities, len(similarities) - count)[-count]
            candidates = np.flatnonzero(similarities >= kth)
        else:
            candidates = np.arange(len(similarities))
        order = candidates[np.lexsort((candidates, -similarities[candidates]))][:count]
        return [(int(i), float(similarities[i])) for i in order if similarities[i] > 0]
