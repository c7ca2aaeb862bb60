"""Classify with the learned model, after the CSP lead's hard overrides.

1. Overrides (`mappings/classification_overrides.yaml`): a phrase a lead wrote down ("always out
   of scope") decides on its own, whatever the model thinks.
2. The model's calibrated probabilities, then `model.decide`: below the activity threshold the
   answer is triage; an activity is answered only while out-of-scope stays under its stricter
   guard (doubtful work is triaged, never forced).
3. The explanation: the words that weighed most for and against the winner (their share of its
   margin), the runner-up and its probability, and the closest labelled examples.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from csp_jira_sync.classify.classifier import (
    OUT_OF_SCOPE_LABEL,
    TRIAGE_LABEL,
    Candidate,
    Classification,
    Evidence,
    out_of_scope_kind,
)
from csp_jira_sync.classify.compiled import CompiledRules
from csp_jira_sync.classify.dataset import OUT_OF_SCOPE
from csp_jira_sync.classify.model import FittedModel, Thresholds, decide, model_text, softmax
from csp_jira_sync.classify.overrides import Override, Overrides
from csp_jira_sync.classify.scoring import RequestScorer, SparseRow
from csp_jira_sync.config.catalog import Catalog

WORDS_SHOWN = 5
EXAMPLES_SHOWN = 3


@dataclass(frozen=True)
class LearnedClassifier:
    """What `classify` needs to answer with the learned model: it, its thresholds and version,
    and the overrides. Satisfies `classifier.RequestClassifier`."""

    model: FittedModel
    thresholds: Thresholds
    version: str
    overrides: Overrides = field(default_factory=Overrides)
    rules: CompiledRules | None = None  # only to name the kind of out-of-scope
    scorer: RequestScorer = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "scorer", self.model.scorer())

    def classify(self, subject: str, body: str, catalog: Catalog) -> Classification:
        override = self.overrides.matching(subject, body)
        if override is not None:
            return _overridden(override, catalog)
        params = self.model.params
        text = model_text(subject, body, cleaned=params.cleaned, ask_words=params.ask_words)
        scored = self.scorer.score(text)
        words = scored.words
        probabilities = softmax(scored.margins[None, :], self.model.temperature)[0]
        classes = self.model.classes
        answer, reason = decide(probabilities.tolist(), classes, self.thresholds)
        names = self.model.word_names
        known = sum(1 for i in words.indices.tolist() if " " not in names[i])
        if known < self.thresholds.min_words:
            answer = "triage"
            reason = (
                f"too little said: {known} word(s) the model knows, "
                f"{self.thresholds.min_words} needed"
            )
        ranked = sorted(zip(probabilities, classes, strict=True), key=lambda p: (-p[0], p[1]))
        candidates = tuple(Candidate(target=t, score=round(float(p), 3)) for p, t in ranked[:3])
        winner = ranked[0][1]
        evidence = (
            *self._words(winner, words),
            *self._closest(words),
        )
        confidence = round(float(ranked[0][0]), 3)
        if answer == "triage":
            return Classification(
                outcome="triage",
                activity=None,
                category=None,
                confidence=confidence,
                labels=(TRIAGE_LABEL,),
                evidence=evidence,
                candidates=candidates,
                reason=reason,
            )
        if answer == OUT_OF_SCOPE:
            return Classification(
                outcome="out-of-scope",
                activity=None,
                category=None,
                confidence=confidence,
                labels=(OUT_OF_SCOPE_LABEL,),
                evidence=evidence,
                candidates=candidates,
                out_of_scope_kind=self._kind(subject, body),
            )
        activity = catalog.activity(answer)
        category = catalog.category(activity.category)
        return Classification(
            outcome="activity",
            activity=activity,
            category=category,
            confidence=confidence,
            labels=(category.label, activity.label),
            evidence=evidence,
            candidates=candidates,
        )

    def _kind(self, subject: str, body: str) -> str | None:
        """What kind of out-of-scope (technical-support, sales, ...): the hand-written rules'
        strongest out-of-scope evidence names it; they no longer decide. One pass of the rules'
        evidence (not their whole decision, which the answer does not use)."""
        if self.rules is None:
            return None
        return out_of_scope_kind(subject, body, self.rules)

    def _words(self, winner: str, words: SparseRow) -> tuple[Evidence, ...]:
        """The word features of this request that pushed the winner's margin up or down most."""
        names = self.model.word_names
        weights = self.scorer.word_weights(self.model.classes.index(winner))
        shares = words.values * weights[words.indices]
        contributions = [
            (share, names[i])
            for share, i in zip(shares.tolist(), words.indices.tolist(), strict=True)
        ]
        positive = sorted((c for c in contributions if c[0] > 0), reverse=True)[:WORDS_SHOWN]
        negative = sorted(c for c in contributions if c[0] < 0)[:WORDS_SHOWN]
        return tuple(
            Evidence(rule="model", target=winner, field="request", words=w, weight=round(c, 3))
            for c, w in (*positive, *negative)
        )

    def _closest(self, words: SparseRow) -> tuple[Evidence, ...]:
        return tuple(
            Evidence(
                rule=f"example:{self.model.example_ids[i]}",
                target=self.model.example_targets[i],
                field="request",
                words="similar labelled request",
                weight=round(similarity, 3),
            )
            for i, similarity in self.scorer.closest(words, EXAMPLES_SHOWN)
        )


def _overridden(override: Override, catalog: Catalog) -> Classification:
    evidence = (
        Evidence(
            rule=f"override:{override.id}",
            target=override.target,
            field="request",
            words=override.matched,
            weight=1.0,
        ),
    )
    if override.target == OUT_OF_SCOPE:
        return Classification(
            outcome="out-of-scope",
            activity=None,
            category=None,
            confidence=1.0,
            labels=(OUT_OF_SCOPE_LABEL,),
            evidence=evidence,
            out_of_scope_kind=override.kind,
            reason=f"override {override.id}",
        )
    if override.target == "triage":
        return Classification(
            outcome="triage",
            activity=None,
            category=None,
            confidence=1.0,
            labels=(TRIAGE_LABEL,),
            evidence=evidence,
            reason=f"override {override.id}: a CSP decides these",
        )
    activity = catalog.activity(override.target)
    category = catalog.category(activity.category)
    return Classification(
        outcome="activity",
        activity=activity,
        category=category,
        confidence=1.0,
        labels=(category.label, activity.label),
        evidence=evidence,
    )


class CurrentClassifier:
    """The classifier `serve` uses: the current model, replaced in place when a nightly retrain
    passes the gate, so every handler sees the new one without being rebuilt."""

    def __init__(self, classifier: LearnedClassifier) -> None:
        self._classifier = classifier

    @property
    def version(self) -> str:
        return self._classifier.version

    @property
    def learned(self) -> LearnedClassifier:
        return self._classifier

    def use(self, classifier: LearnedClassifier) -> None:
        self._classifier = classifier

    def classify(self, subject: str, body: str, catalog: Catalog) -> Classification:
        return self._classifier.classify(subject, body, catalog)
