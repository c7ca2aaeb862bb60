"""The learned request classifier: TF-IDF over words and characters, a linear SVM, and a
softmax over its margins at a temperature fitted by cross-validation (calibrated confidence).

Pure: labelled records in, a fitted model out; a model and a request in, probabilities out.
Saving and loading live in `model_files`; which settings were chosen, and why, in
`docs/classification.md` (cross-validation on the training data only, `bench/cv_classify.py`).

What the model reads (`model_text`): the subject without "Re:"/"Fwd:" and phone-note headers,
and what the sender wrote now; the quoted chain only when the sender wrote almost nothing
("see below"). Signatures and form furniture are dropped (`cleaning`): they name people and
companies, not what is asked.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Executor,
    Future,
    ProcessPoolExecutor,
    wait,
)
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any, TypeVar

import numpy as np
import sklearn
from scipy.optimize import minimize_scalar
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

from csp_jira_sync.classify.cleaning import clean_body, clean_subject
from csp_jira_sync.classify.dataset import OUT_OF_SCOPE, LabelledRequest
from csp_jira_sync.classify.scoring import RequestScorer

THIN_BODY_WORDS = 6
_T = TypeVar("_T")
SEED = 20261202


@dataclass(frozen=True)
class ModelParams:
    """What cross-validation chose between (see docs/classification.md)."""

    c: float = 1.0
    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] | None = (3, 5)  # None: words only
    class_weight: str | None = "balanced"
    cleaned: bool = True  # read `model_text`, not the raw subject and body
    # Forcing out-of-scope work into an activity costs more than any other mistake: its
    # examples weigh this many times their balanced weight.
    out_of_scope_weight: float = 6.0
    folds: int = 5  # for the temperature and the stored cross-validated evaluation
    # The words of the sentences that ask for something, again, tagged (`ask_words`): False
    # here so that a model saved before the option existed still reads as it was trained;
    # `training.CHOSEN_PARAMS` turns it on.
    ask_words: bool = False


@dataclass(frozen=True)
class Thresholds:
    """Below `activity` the answer is triage. An activity is answered only while the
    out-of-scope probability stays under `out_of_scope_guard` (doubtful work is triaged, never
    forced), and out-of-scope is answered only from `out_of_scope` up."""

    activity: float = 0.4
    out_of_scope: float = 0.4
    out_of_scope_guard: float = 0.05
    # A request with fewer distinct words the model knows than this says too little to be
    # anything ("hello", "can you call me?"): triage, as with the rules.
    min_words: int = 3


# A sentence that asks for something: "please", "could you", "we need", a question mark.
_ASKS = re.compile(
    r"\b(please|pls|could|can|would|need|needs|want|like|kindly|go ahead|asap)\b|\?", re.IGNORECASE
)
_SENTENCES = re.compile(r"[^.!?\n]+[.!?]*")
_ASK_WORD = re.compile(r"[a-z]{3,}")


def model_text(subject: str, body: str, *, cleaned: bool = True, ask_words: bool = False) -> str:
    if not cleaned:
        return f"{subject}\n{body}"
    cleaned_body = clean_body(body)
    own = cleaned_body.own
    text = f"{clean_subject(subject).text}\n{own}"
    if len(own.split()) < THIN_BODY_WORDS and cleaned_body.quoted:
        text += "\n" + cleaned_body.quoted
    if ask_words:
        text += "\n" + " ".join(f"ask{w}" for w in asked_words(own))
    return text


def asked_words(own: str) -> list[str]:
    """The words of the sentences that ask for something. Out-of-scope work is usually asked
    for in CSP words ("Ahead of our monitoring review next week, could you please install the
    agent on the new VMs?"): the ask ("install the agent") is the work; the review is where it
    is discussed. Tagged ("askinstall"), these words weigh apart from the same words elsewhere
    in the request, which cross-validation preferred (fewer out-of-scope requests forced, as
    many activities right: docs/classification.md)."""
    asks = [m.group() for m in _SENTENCES.finditer(own) if _ASKS.search(m.group())]
    return _ASK_WORD.findall(" ".join(asks).lower())


@dataclass
class Features:
    """Word and character TF-IDF side by side; the word part alone explains and finds the
    closest examples (character grams are no words a person can read)."""

    word: TfidfVectorizer
    char: TfidfVectorizer | None

    @classmethod
    def fresh(cls, params: ModelParams) -> Features:
        word = TfidfVectorizer(
            ngram_range=params.word_ngrams, sublinear_tf=True, strip_accents="unicode"
        )
        char = (
            TfidfVectorizer(
                analyzer="char_wb",
                ngram_range=params.char_ngrams,
                sublinear_tf=True,
                min_df=2,
                strip_accents="unicode",
            )
            if params.char_ngrams
            else None
        )
        return cls(word=word, char=char)

    def fit_transform(self, texts: Sequence[str]) -> tuple[csr_matrix, csr_matrix]:
        words = csr_matrix(self.word.fit_transform(texts))
        if self.char is None:
            return words, words
        chars = self.char.fit_transform(texts)
        return csr_matrix(hstack([words, chars]).tocsr()), words

    def transform(self, texts: Sequence[str]) -> tuple[csr_matrix, csr_matrix]:
        words = csr_matrix(self.word.transform(texts))
        if self.char is None:
            return words, words
        chars = self.char.transform(texts)
        return csr_matrix(hstack([words, chars]).tocsr()), words


Matrix = np.ndarray[Any, np.dtype[np.float64]]


def softmax(scores: Matrix, temperature: float) -> Matrix:
    """One-vs-rest margins as probabilities: softmax at the temperature cross-validation found."""
    scaled = scores / temperature
    scaled = scaled - scaled.max(axis=1, keepdims=True)
    exp = np.exp(scaled)
    result: Matrix = exp / exp.sum(axis=1, keepdims=True)
    return result


@dataclass
class FittedModel:
    """A fitted model and what it needs to explain itself: its classes, the word vocabulary,
    and the word vectors of the examples it learnt from (for the closest ones)."""

    params: ModelParams
    features: Features
    estimator: LinearSVC
    classes: tuple[str, ...]
    temperature: float
    example_ids: tuple[str, ...]
    example_targets: tuple[str, ...]
    example_words: csr_matrix
    word_names: tuple[str, ...]
    out_of_fold: Matrix  # the cross-validated probabilities of the training examples

    def scores(self, texts: Sequence[str]) -> tuple[Matrix, csr_matrix, csr_matrix]:
        # One request at a time, scikit-learn's input checks cost more than the arithmetic:
        # skipped (its documented config), and the margins computed as decision_function does.
        with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
            full, words = self.features.transform(texts)
        coef = self.estimator.coef_
        margins: Matrix = np.asarray(full @ coef.T, dtype=np.float64) + self.estimator.intercept_
        if coef.shape[0] == 1:  # two classes: one margin, for the second
            margins = np.column_stack([-margins[:, 0], margins[:, 0]])
        return margins, full, words

    def probabilities(self, texts: Sequence[str]) -> Matrix:
        margins, _, _ = self.scores(texts)
        return softmax(margins, self.temperature)

    def scorer(self) -> RequestScorer:
        """The per-request scorer of this model (numpy, without scikit-learn's per-call
        checks; tested equal to `scores`)."""
        return RequestScorer(
            self.features.word,
            self.features.char,
            self.estimator.coef_,
            self.estimator.intercept_,
            self.example_words,
        )


def _estimator(params: ModelParams, targets: Sequence[str]) -> LinearSVC:
    counts = Counter(targets)
    weights = {
        name: (len(targets) / (len(counts) * count) if params.class_weight == "balanced" else 1.0)
        * (params.out_of_scope_weight if name == OUT_OF_SCOPE else 1.0)
        for name, count in counts.items()
    }
    return LinearSVC(C=params.c, class_weight=weights, random_state=SEED)


class _ChunkGrams:
    """The `char_wb` analyser, a whitespace-separated chunk at a time, each chunk's grams
    computed once: they depend on nothing but the chunk (the analyser lower-cases, strips
    accents and splits exactly as it does for the whole text), and labelled requests repeat
    their words. A module-level class so a vectoriser holding it could still be pickled."""

    def __init__(self, analyse: Callable[[str], list[str]]) -> None:
        self._analyse = analyse
        self._grams: dict[str, list[str]] = {}

    def __call__(self, text: str) -> list[str]:
        found: list[str] = []
        for chunk in text.split():
            grams = self._grams.get(chunk)
            if grams is None:
                grams = self._grams[chunk] = self._analyse(chunk)
            found.extend(grams)
        return found


@dataclass(frozen=True)
class TermCounts:
    """Every text's term counts, analysed once for all the folds.

    A vectoriser fitted on a fold's training rows keeps the terms found in at least `min_df` of
    them (in the same alphabetical order), weighs them by idf = ln((1 + n) / (1 + df)) + 1,
    takes 1 + ln(count) (sublinear tf) and normalises each row (l2): `fold` computes exactly
    that from these counts, so the folds no longer analyse the text five times over
    (`tests/classify/test_model.py` holds the two equal)."""

    word: csr_matrix
    char: csr_matrix | None
    word_min_df: int
    char_min_df: int
    sublinear: bool

    @classmethod
    def of(cls, texts: Sequence[str], params: ModelParams) -> TermCounts:
        fresh = Features.fresh(params)
        word = CountVectorizer(
            ngram_range=params.word_ngrams, strip_accents="unicode", dtype=np.float64
        )
        char = None
        char_min_df = 1
        if fresh.char is not None:
            grams = CountVectorizer(
                analyzer="char_wb", ngram_range=fresh.char.ngram_range, strip_accents="unicode"
            ).build_analyzer()
            char = csr_matrix(
                CountVectorizer(analyzer=_ChunkGrams(grams), dtype=np.float64).fit_transform(texts)
            )
            char_min_df = int(fresh.char.min_df)
        return cls(
            word=csr_matrix(word.fit_transform(texts)),
            char=char,
            word_min_df=int(fresh.word.min_df),
            char_min_df=char_min_df,
            sublinear=bool(fresh.word.sublinear_tf),
        )

    def fold(self, train: Sequence[int], test: Sequence[int]) -> tuple[csr_matrix, csr_matrix]:
        """The training and test rows' TF-IDF, as vectorisers fitted on `train` give them."""
        parts = [_tf_idf(self.word, train, test, self.word_min_df, self.sublinear)]
        if self.char is not None:
            parts.append(_tf_idf(self.char, train, test, self.char_min_df, self.sublinear))
        if len(parts) == 1:
            return parts[0]
        return (
            csr_matrix(hstack([p[0] for p in parts]).tocsr()),
            csr_matrix(hstack([p[1] for p in parts]).tocsr()),
        )


def _tf_idf(
    counts: csr_matrix, train: Sequence[int], test: Sequence[int], min_df: int, sublinear: bool
) -> tuple[csr_matrix, csr_matrix]:
    rows = counts[np.asarray(train)]
    df = np.bincount(rows.indices, minlength=counts.shape[1])
    kept = np.flatnonzero(df >= min_df)
    idf = np.log((1 + len(train)) / (1 + df[kept])) + 1.0

    def weigh(matrix: csr_matrix) -> csr_matrix:
        matrix = csr_matrix(matrix[:, kept], dtype=np.float64, copy=True)
        matrix.sort_indices()
        if sublinear:
            matrix.data = np.log(matrix.data) + 1.0
        matrix.data *= idf[matrix.indices]
        return csr_matrix(normalize(matrix, norm="l2", copy=False))

    return weigh(rows), weigh(counts[np.asarray(test)])


def out_of_fold_margins(
    texts: Sequence[str],
    targets: Sequence[str],
    params: ModelParams,
    classes: Sequence[str],
    *,
    counts: TermCounts | None = None,
    pool: Executor | None = None,
    seed: int = SEED,
) -> Matrix | None:
    """Each example's margins from a model that never saw it (stratified folds, seeded by
    `seed`); None when some class has too few examples to split. The folds' fits run on `pool`
    (`training_pool`), or here one after the other."""
    y = np.array(targets)
    folds = min(params.folds, min(Counter(targets).values()))
    if folds < 2:
        return None
    counts = counts or TermCounts.of(texts, params)
    margins = np.zeros((len(texts), len(classes)))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    pool = pool or _Here()
    # At most a few folds' matrices wait for a worker at a time: each is tens of MB.
    waiting: dict[Future[tuple[list[str], Matrix]], Matrix] = {}

    def collect(done: Future[tuple[list[str], Matrix]]) -> None:
        test = waiting.pop(done)
        names, fold = done.result()
        for column, name in enumerate(names):
            margins[test, list(classes).index(name)] = fold[:, column]

    for train, test in splitter.split(np.zeros(len(y)), y):
        x_train, x_test = counts.fold(train.tolist(), test.tolist())
        waiting[pool.submit(_fold_margins, params, x_train, y[train], x_test)] = test
        while len(waiting) > 2:
            collect(next(iter(wait(list(waiting), return_when=FIRST_COMPLETED).done)))
    while waiting:
        collect(next(iter(waiting)))
    return margins


def _fold_margins(
    params: ModelParams, x_train: csr_matrix, y_train: Matrix, x_test: csr_matrix
) -> tuple[list[str], Matrix]:
    """One fold: fit on its training rows, the margins of its test rows (in a worker)."""
    estimator = _estimator(params, [str(t) for t in y_train]).fit(x_train, y_train)
    fold = np.asarray(estimator.decision_function(x_test), dtype=np.float64)
    if fold.ndim == 1:
        fold = np.column_stack([-fold, fold])
    return [str(c) for c in estimator.classes_], fold


def _fit_estimator(params: ModelParams, x: csr_matrix, targets: Sequence[str]) -> LinearSVC:
    return _estimator(params, targets).fit(x, list(targets))


class _Here(Executor):
    """Runs each call at once, in this process: training without workers."""

    def submit(self, fn: Callable[..., _T], /, *args: Any, **kwargs: Any) -> Future[_T]:
        future: Future[_T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to whoever asks for the result, as a pool does
            future.set_exception(exc)
        return future


@contextmanager
def training_pool(workers: int) -> Iterator[Executor]:
    """Where the liblinear fits of one training run: `workers` processes, or this process
    when 1. Processes, not threads: liblinear draws its coordinate order from one
    process-wide generator, so concurrent fits in one process would not be reproducible; each
    fit reseeds it, so a fit gives the same model in any process. Spawned, not forked: the
    daemon that retrains nightly runs threads, and a forked child could inherit a held lock."""
    if workers <= 1:
        yield _Here()
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        yield pool


def fit_temperature(margins: Matrix, targets: Sequence[str], classes: Sequence[str]) -> float:
    """The temperature that makes the out-of-fold probabilities most likely (least log loss)."""
    truth = np.array([list(classes).index(t) for t in targets])
    rows = np.arange(len(truth))

    def log_loss(temperature: float) -> float:
        p = softmax(margins, temperature)[rows, truth]
        return float(-np.mean(np.log(np.clip(p, 1e-12, 1.0))))

    found = minimize_scalar(log_loss, bounds=(0.005, 10.0), method="bounded")
    return float(found.x)


DEFAULT_TEMPERATURE = 0.1


def fit(
    records: Sequence[LabelledRequest], params: ModelParams, *, workers: int = 1
) -> FittedModel:
    """Fit on `records`; deterministic (seeded folds and solver, the records' order), with any
    number of `workers` (`training_pool`): the final model and the cross-validation folds are
    fitted there while this process reads the text."""
    targets = [r.expected_activity for r in records]
    if len(set(targets)) < 2:
        raise ValueError("training needs examples of at least two activities")
    texts = [
        model_text(r.subject, r.body, cleaned=params.cleaned, ask_words=params.ask_words)
        for r in records
    ]
    classes = tuple(sorted(set(targets)))
    features = Features.fresh(params)
    full, words = features.fit_transform(texts)
    for vectorizer in (features.word, features.char):
        # The n-grams min_df cut: kept by scikit-learn for introspection only, and most of a
        # saved model's size and load time (its docs say it may be removed before pickling).
        if vectorizer is not None and hasattr(vectorizer, "stop_words_"):
            delattr(vectorizer, "stop_words_")
    with training_pool(workers) as pool:
        final = pool.submit(_fit_estimator, params, full, targets)
        oof = out_of_fold_margins(texts, targets, params, classes, pool=pool)
        estimator = final.result()
    temperature = fit_temperature(oof, targets, classes) if oof is not None else DEFAULT_TEMPERATURE
    assert tuple(str(c) for c in estimator.classes_) == classes
    return FittedModel(
        params=params,
        features=features,
        estimator=estimator,
        classes=classes,
        temperature=temperature,
        example_ids=tuple(r.id or f"#{n}" for n, r in enumerate(records, start=1)),
        example_targets=tuple(targets),
        example_words=words,
        word_names=tuple(str(n) for n in features.word.get_feature_names_out()),
        out_of_fold=(softmax(oof, temperature) if oof is not None else np.zeros((0, len(classes)))),
    )


def decide(
    probabilities: Sequence[float], classes: Sequence[str], thresholds: Thresholds
) -> tuple[str, str]:
    """(answer, reason): an activity slug, `out-of-scope` or `triage`, and why triage."""
    ranked = sorted(zip(probabilities, classes, strict=True), key=lambda p: (-p[0], p[1]))
    best_p, best = ranked[0]
    p_oos = dict(zip(classes, probabilities, strict=True)).get(OUT_OF_SCOPE, 0.0)
    if best == OUT_OF_SCOPE:
        if best_p >= thresholds.out_of_scope:
            return OUT_OF_SCOPE, ""
        return "triage", (
            f"out-of-scope is likeliest but only {best_p:.2f} "
            f"({thresholds.out_of_scope:.2f} needed)"
        )
    if best_p < thresholds.activity:
        return (
            "triage",
            f"{best} is likeliest but only {best_p:.2f} ({thresholds.activity:.2f} needed)",
        )
    if p_oos >= thresholds.out_of_scope_guard:
        return "triage", (
            f"{best} {best_p:.2f}, but out-of-scope is {p_oos:.2f} "
            f"(from {thresholds.out_of_scope_guard:.2f} doubtful work is triaged, not forced)"
        )
    return best, ""


def fingerprint(records: Sequence[LabelledRequest]) -> str:
    """sha256 over the training records' text and answers, in order."""
    digest = hashlib.sha256()
    for record in records:
        line = json.dumps(
            [record.id, record.subject, record.body, record.expected_activity], ensure_ascii=False
        )
        digest.update(line.encode("utf-8") + b"\n")
    return digest.hexdigest()
