"""How well the rules classify a labelled set: accuracy by activity and category, confusions, misses.

Pure: records and rules in, figures out. `triage` counts as a miss (a CSP still has to choose),
and an out-of-scope request classified as an activity is counted apart as "forced": that is the
mistake the rules must never make.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from itertools import pairwise

from pydantic import BaseModel, ConfigDict, computed_field

from csp_jira_sync.classify.classifier import Classifier, classify
from csp_jira_sync.classify.compiled import compile_rules
from csp_jira_sync.classify.dataset import OUT_OF_SCOPE, LabelledRequest
from csp_jira_sync.classify.rules import ClassificationRules
from csp_jira_sync.config.catalog import Catalog

TRIAGE = "triage"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Tally(_Frozen):
    name: str
    total: int
    correct: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0


class Miss(_Frozen):
    id: str | None
    subject: str
    expected: str
    got: str  # an activity slug, "out-of-scope" or "triage"
    confidence: float
    explanation: str


class ClassFigures(_Frozen):
    """Precision: of the requests answered `name`, how many were; recall: of the requests that
    were `name`, how many were answered so (triage counts against recall)."""

    name: str
    expected: int
    answered: int
    right: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def precision(self) -> float:
        return self.right / self.answered if self.answered else 0.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def recall(self) -> float:
        return self.right / self.expected if self.expected else 0.0


class Band(_Frozen):
    """Answers (triage excluded) whose confidence fell in [low, high), and how many were right."""

    low: float
    high: float
    answers: int
    right: int
    mean_confidence: float

    @computed_field  # type: ignore[prop-decorator]
    @property
    def accuracy(self) -> float:
        return self.right / self.answers if self.answers else 0.0


BANDS = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0001)


class Evaluation(_Frozen):
    total: int
    correct: int  # activities and out-of-scope requests answered exactly
    activities: Tally  # requests expecting an activity: exact activity
    categories: Tally  # requests expecting an activity: right category
    out_of_scope: Tally  # out-of-scope requests answered out-of-scope
    out_of_scope_forced: int  # out-of-scope requests classified as an activity
    triage: int
    by_activity: tuple[Tally, ...]
    by_category: tuple[Tally, ...]
    confusion: dict[str, dict[str, int]]  # expected -> answer -> count
    misses: tuple[Miss, ...]
    precision_recall: tuple[ClassFigures, ...] = ()  # each activity and out-of-scope
    reliability: tuple[Band, ...] = ()  # confidence band against accuracy

    @computed_field  # type: ignore[prop-decorator]
    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0


def evaluate(records: Iterable[LabelledRequest], rules: Classifier, catalog: Catalog) -> Evaluation:
    compiled = compile_rules(rules, catalog) if isinstance(rules, ClassificationRules) else rules
    slugs = [a.slug for a in catalog.activities()]
    category_of = {a.slug: a.category for a in catalog.activities()}
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    by_activity: dict[str, list[int]] = {s: [0, 0] for s in slugs}
    by_category: dict[str, list[int]] = {c.slug: [0, 0] for c in catalog.categories}
    misses: list[Miss] = []
    answered: Counter[str] = Counter()
    confidences: list[tuple[float, bool]] = []
    total = correct = oos_total = oos_correct = forced = triaged = 0
    for record in records:
        expected = record.expected_activity
        if expected != OUT_OF_SCOPE and expected not in category_of:
            raise ValueError(
                f"record {record.id or record.subject!r}: unknown activity {expected!r}"
            )
        result = classify(record.subject, record.body, compiled, catalog)
        got = result.activity.slug if result.activity else result.outcome
        total += 1
        triaged += got == TRIAGE
        answered[got] += 1
        if got != TRIAGE:
            confidences.append((result.confidence, got == expected))
        confusion[expected][got] += 1
        if expected == OUT_OF_SCOPE:
            oos_total += 1
            oos_correct += got == OUT_OF_SCOPE
            forced += result.outcome == "activity"
        else:
            by_activity[expected][0] += 1
            by_activity[expected][1] += got == expected
            category = category_of[expected]
            by_category[category][0] += 1
            by_category[category][1] += (
                result.category is not None and result.category.slug == category
            )
        if got == expected:
            correct += 1
        else:
            misses.append(
                Miss(
                    id=record.id,
                    subject=record.subject,
                    expected=expected,
                    got=got,
                    confidence=result.confidence,
                    explanation=result.explain(),
                )
            )
    activity_tallies = tuple(
        Tally(name=s, total=t, correct=c) for s, (t, c) in by_activity.items() if t
    )
    category_tallies = tuple(
        Tally(name=s, total=t, correct=c) for s, (t, c) in by_category.items() if t
    )
    expected_counts = Counter(
        e for e, answers in confusion.items() for _ in range(sum(answers.values()))
    )
    precision_recall = tuple(
        ClassFigures(
            name=name,
            expected=expected_counts[name],
            answered=answered[name],
            right=confusion.get(name, Counter())[name],
        )
        for name in [*slugs, OUT_OF_SCOPE]
        if expected_counts[name] or answered[name]
    )
    reliability = []
    for low, high in pairwise(BANDS):
        inside = [(c, r) for c, r in confidences if low <= c < high]
        if inside:
            reliability.append(
                Band(
                    low=low,
                    high=min(high, 1.0),
                    answers=len(inside),
                    right=sum(r for _, r in inside),
                    mean_confidence=round(sum(c for c, _ in inside) / len(inside), 3),
                )
            )
    return Evaluation(
        total=total,
        correct=correct,
        activities=Tally(
            name="activities",
            total=sum(t.total for t in activity_tallies),
            correct=sum(t.correct for t in activity_tallies),
        ),
        categories=Tally(
            name="categories",
            total=sum(t.total for t in category_tallies),
            correct=sum(t.correct for t in category_tallies),
        ),
        out_of_scope=Tally(name=OUT_OF_SCOPE, total=oos_total, correct=oos_correct),
        out_of_scope_forced=forced,
        triage=triaged,
        by_activity=activity_tallies,
        by_category=category_tallies,
        confusion={e: dict(sorted(c.items())) for e, c in sorted(confusion.items())},
        misses=tuple(misses),
        precision_recall=precision_recall,
        reliability=tuple(reliability),
    )
