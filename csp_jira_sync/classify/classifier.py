"""Classify one customer request into a CSP activity, `out-of-scope`, or `triage`.

Pure: text and rules in, a decision with its evidence out. How it decides:

1. The body is split into the sender's own text and the quoted chain; signature and form
   furniture are dropped (`cleaning`). The subject loses "Re:"/"Fwd:" and phone-note headers.
2. Each field is read as sentences of stemmed words; misspelt words are read as the rule word
   they are one edit from (`compiled.TypoIndex`).
3. Every rule whose phrase matches adds its weight to its activity (or to out-of-scope), once per
   field, scaled by the field (subject of a reply < own body; quoted chain lightly), the sentence
   (a question or request counts more; "Following our service review, ..." less) and typos.
   A body that changes the subject ("Separately - ...", "Different topic: ...") makes the subject
   and the sentences before the switch mere context.
4. The best-scoring target wins only if it has enough evidence (`min_score`) and is clearly ahead
   of the runner-up (`min_margin`, `min_ratio`); otherwise the answer is `triage`. Out-of-scope
   competes like an activity, and an activity must moreover score `out_of_scope_ratio` times the
   out-of-scope evidence once that is substantial (`out_of_scope_guard`, more than a hint word or
   two): forcing out-of-scope work into an activity costs more than a triage.
5. Only when the rules would triage, and the request does not look out of scope, the labelled
   examples of `mappings/examples/` are asked for a second opinion (`similarity`): the closest
   few vote for their activity and the decision of step 4 is taken again.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from csp_jira_sync.classify.cleaning import clean_body, clean_subject
from csp_jira_sync.classify.compiled import OUT_OF_SCOPE, CompiledRule, CompiledRules, compile_rules
from csp_jira_sync.classify.phrases import Tokens, find_matches
from csp_jira_sync.classify.rules import ClassificationRules
from csp_jira_sync.classify.text import stem, words
from csp_jira_sync.config.catalog import Activity, Catalog, Category

Outcome = Literal["activity", "out-of-scope", "triage"]
FieldName = Literal["subject", "body", "quoted", "request"]
OUT_OF_SCOPE_LABEL = "csp-out-of-scope"
TRIAGE_LABEL = "csp-triage"
_SENTENCE = re.compile(r"[^.!?;\n]+[.!?;]*")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Evidence(_Frozen):
    rule: str
    target: str  # the activity slug, or "out-of-scope"
    field: FieldName  # "request": a labelled example resembling the whole request
    words: str  # the words that matched, as written ("invocie≈invoice" for a typo)
    weight: float  # what it added to the target's score (negative rules subtract)


class Candidate(_Frozen):
    target: str
    score: float


class Classification(_Frozen):
    outcome: Outcome
    activity: Activity | None
    category: Category | None
    confidence: float = Field(ge=0, le=1)
    labels: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    candidates: tuple[Candidate, ...] = ()  # best first, the winner included
    out_of_scope_kind: str | None = None  # technical-support, sales, spam, auto-reply, ...
    reason: str = ""  # why triage, in a sentence

    @property
    def decision(self) -> str:
        """What was decided, as one word: the activity's slug, `out-of-scope` or `triage`."""
        return self.activity.slug if self.activity is not None else self.outcome

    def explain(self) -> str:
        """A short, human explanation: the answer, the strongest evidence, the runner-up."""
        if self.outcome == "activity" and self.activity and self.category:
            head = f"{self.activity.slug} ({self.category.title})"
        elif self.outcome == "out-of-scope":
            head = (
                f"out-of-scope ({self.out_of_scope_kind})"
                if self.out_of_scope_kind
                else "out-of-scope"
            )
        else:
            head = "triage"
        text = f"{head}, confidence {self.confidence:.2f}"
        if self.reason:
            text += f": {self.reason}"
        shown = [e for e in self.evidence if self.outcome == "triage" or e.weight > 0][:4]
        if shown:
            text += "; evidence: " + "; ".join(
                f"{e.target} {e.weight:+.2f} {e.rule} {e.field} '{e.words}'" for e in shown
            )
        if self.outcome != "triage" and len(self.candidates) > 1:
            runner = self.candidates[1]
            text += f"; runner-up {runner.target} {runner.score:.2f}"
        return text


class RequestClassifier(Protocol):
    """A classifier other than the rules (the learned one: `learned.LearnedClassifier`)."""

    def classify(self, subject: str, body: str, catalog: Catalog) -> Classification: ...


Classifier = ClassificationRules | CompiledRules | RequestClassifier


def classify(subject: str, body: str, rules: Classifier, catalog: Catalog) -> Classification:
    """Classify one request with the learned model (a `RequestClassifier`), or with the rules
    alone (pass `compile_rules(rules, catalog)` when classifying many)."""
    if not isinstance(rules, ClassificationRules | CompiledRules):
        return rules.classify(subject, body, catalog)
    compiled = _compiled(rules, catalog)
    fields = _fields(subject, body, compiled)
    evidence = [e for f in fields for e in _evidence(f, compiled)]
    decision = _decide(evidence, compiled)
    if decision.outcome == "triage" and compiled.examples is not None:
        # The rules cannot decide: ask the labelled examples, unless the request looks out of
        # scope, where a second opinion could only risk forcing it into an activity.
        out_of_scope = sum(e.weight for e in evidence if e.target == OUT_OF_SCOPE)
        if out_of_scope < compiled.scoring.out_of_scope_guard:
            votes = _example_evidence(subject, body, compiled)
            if votes:
                decision = _decide([*evidence, *votes], compiled)
    return decision


def _example_evidence(subject: str, body: str, compiled: CompiledRules) -> list[Evidence]:
    assert compiled.examples is not None
    scoring = compiled.scoring
    terms = compiled.terms(subject, body)
    if len(set(terms.stems)) < scoring.example_min_terms:
        return []  # too little said to resemble anything: "can you call me back?" stays triage
    neighbours = compiled.examples.neighbours(
        terms,
        scoring.example_neighbours,
        scoring.example_min_similarity,
        scoring.example_min_shared,
    )
    return [
        Evidence(
            rule=f"example:{n.id}",
            target=n.target,
            field="request",
            words=" ".join(n.shared),
            weight=round(scoring.example_weight * n.similarity, 3),
        )
        for n in neighbours
    ]


def _decide(evidence: list[Evidence], compiled: CompiledRules) -> Classification:
    scoring = compiled.scoring
    scores: dict[str, float] = defaultdict(float)
    for item in evidence:
        scores[item.target] += item.weight
    ranked = sorted(
        (Candidate(target=t, score=round(s, 3)) for t, s in scores.items() if s > 0),
        key=lambda c: (-c.score, c.target),
    )
    top = ranked[0] if ranked else None
    second = ranked[1].score if len(ranked) > 1 else 0.0
    confidence = _confidence(top.score if top else 0.0, second, scoring.confidence_scale)
    reason = ""
    if top is None or top.score < scoring.min_score:
        best = f"best {top.target} {top.score:.1f}" if top else "nothing matched"
        reason = f"too little evidence ({best}, {scoring.min_score:g} needed)"
    elif top.score - second < scoring.min_margin or top.score < scoring.min_ratio * second:
        reason = (
            f"{top.target} {top.score:.1f} is not clearly ahead of {ranked[1].target} {second:.1f}"
        )
    elif (
        top.target != OUT_OF_SCOPE
        and scores[OUT_OF_SCOPE] >= scoring.out_of_scope_guard
        and top.score < scoring.out_of_scope_ratio * scores[OUT_OF_SCOPE]
    ):
        reason = (
            f"{top.target} {top.score:.1f} is not {scoring.out_of_scope_ratio:g} times the "
            f"out-of-scope evidence {scores[OUT_OF_SCOPE]:.1f}"
        )
    if reason:
        shown = {c.target for c in ranked[:2]}
        if scores[OUT_OF_SCOPE] > 0:
            shown.add(OUT_OF_SCOPE)
        return Classification(
            outcome="triage",
            activity=None,
            category=None,
            confidence=confidence,
            labels=(TRIAGE_LABEL,),
            evidence=_ordered([e for e in evidence if e.target in shown]),
            candidates=tuple(ranked[:3]),
            reason=reason,
        )
    assert top is not None
    winning = _ordered([e for e in evidence if e.target == top.target])
    if top.target == OUT_OF_SCOPE:
        return Classification(
            outcome="out-of-scope",
            activity=None,
            category=None,
            confidence=confidence,
            labels=(OUT_OF_SCOPE_LABEL,),
            evidence=winning,
            candidates=tuple(ranked[:3]),
            out_of_scope_kind=_strongest_kind(winning, compiled),
        )
    activity = compiled.activities[top.target]
    category = compiled.categories[activity.category]
    return Classification(
        outcome="activity",
        activity=activity,
        category=category,
        confidence=confidence,
        labels=(category.label, activity.label),
        evidence=winning,
        candidates=tuple(ranked[:3]),
    )


_COMPILED: dict[tuple[int, int], tuple[ClassificationRules, Catalog, CompiledRules]] = {}


def _compiled(rules: ClassificationRules | CompiledRules, catalog: Catalog) -> CompiledRules:
    """Compile once per (rules, catalog) pair; the cache holds the objects, so ids stay theirs."""
    if isinstance(rules, CompiledRules):
        if rules.catalog is catalog or rules.catalog == catalog:
            return rules
        rules = rules.source
    key = (id(rules), id(catalog))
    cached = _COMPILED.get(key)
    if cached is None or cached[0] is not rules or cached[1] is not catalog:
        if len(_COMPILED) >= 8:
            _COMPILED.pop(next(iter(_COMPILED)))
        cached = (rules, catalog, compile_rules(rules, catalog))
        _COMPILED[key] = cached
    return cached[2]


@dataclass(frozen=True, slots=True)
class _Field:
    name: FieldName
    factor: float
    tokens: Tokens
    surfaces: Sequence[str]
    token_factors: Sequence[float]
    corrections: Sequence[str | None]  # the rule word a typo was read as


def _fields(subject: str, body: str, compiled: CompiledRules) -> list[_Field]:
    scoring = compiled.scoring
    clean = clean_subject(subject)
    cleaned = clean_body(body)
    fields: list[_Field] = []
    own = _read("body", cleaned.own, 1.0, compiled, sentences_matter=True)
    switched = _switch_topic(own, compiled)
    own = switched or own
    subject_field = _read("subject", clean.text, 1.0, compiled)
    generic = all(s in compiled.generic_subject or s.isdigit() for s in subject_field.tokens.stems)
    if not generic:
        factor = scoring.reply_subject_weight if clean.is_reply else scoring.subject_weight
        if switched:
            factor *= scoring.context_weight
        fields.append(_with_factor(subject_field, factor))
    fields.append(own)
    thin = len(own.tokens.stems) < scoring.thin_body_words
    quoted_factor = scoring.quoted_weight_when_body_thin if thin else scoring.quoted_weight
    if cleaned.quoted and quoted_factor > 0:
        fields.append(_read("quoted", cleaned.quoted, quoted_factor, compiled))
    return fields


def _switch_topic(own: _Field, compiled: CompiledRules) -> _Field | None:
    """If a sentence opens with a topic switch, what came before it only sets the scene:
    the same body with those words at context weight, or None when there is no switch."""
    tokens = own.tokens
    for phrase in compiled.topic_switches:
        for match in find_matches(phrase, tokens, compiled.scoring.max_gap):
            start = match[0]
            if start > 0 and tokens.sentences[start - 1] == tokens.sentences[start]:
                continue  # mid-sentence ("we also need ..."): not a change of topic
            context = compiled.scoring.context_weight
            factors = [min(f, context) if i < start else f for i, f in enumerate(own.token_factors)]
            return _Field(own.name, own.factor, tokens, own.surfaces, factors, own.corrections)
    return None


def _with_factor(item: _Field, factor: float) -> _Field:
    return _Field(
        item.name, factor, item.tokens, item.surfaces, item.token_factors, item.corrections
    )


def _read(
    name: FieldName,
    text: str,
    factor: float,
    compiled: CompiledRules,
    *,
    sentences_matter: bool = False,
) -> _Field:
    """Words of one field; in the own body, each word also carries its sentence's weight."""
    stems: list[str] = []
    folded: list[str] = []
    sentences: list[int] = []
    surfaces: list[str] = []
    factors: list[float] = []
    corrections: list[str | None] = []
    for number, sentence in enumerate(_SENTENCE.finditer(text)):
        comma = sentence.group().find(",")
        before_comma: list[bool] = []
        for word in words(sentence.group(), compiled.lexicon):
            stemmed = stem(word.folded)
            correction = compiled.typos.correct(word.folded, stemmed)
            stems.append(correction.stem if correction else stemmed)
            folded.append(word.folded)
            sentences.append(number)
            surfaces.append(word.surface)
            corrections.append(correction.shown if correction else None)
            before_comma.append(0 <= word.start < comma)
        count = len(before_comma)
        if sentences_matter and count:
            local = Tokens(
                stems=stems[-count:],
                folded=folded[-count:],
                sentences=[0] * count,
                positions=_positions(stems[-count:]),
            )
            factors.extend(_sentence_factors(local, sentence.group(), before_comma, compiled))
        else:
            factors.extend([1.0] * count)
    tokens = Tokens(stems=stems, folded=folded, sentences=sentences, positions=_positions(stems))
    if sentences_matter:
        for phrase in compiled.context_phrases:
            for match in find_matches(phrase, tokens, compiled.scoring.max_gap):
                for index in match:
                    factors[index] = min(factors[index], compiled.scoring.context_weight)
    return _Field(name, factor, tokens, surfaces, factors, corrections)


def _sentence_factors(
    local: Tokens, sentence: str, before_comma: Sequence[bool], compiled: CompiledRules
) -> list[float]:
    """A question or request counts more; a lead-in ("Following our review, ...") counts less:
    up to the first comma, or its first six words when the sentence has no comma."""
    scoring = compiled.scoring
    asks = "?" in sentence or any(
        next(find_matches(p, local, scoring.max_gap), None) is not None
        for p in compiled.ask_markers
    )
    lead_in = any(
        match[0] == 0
        for p in compiled.context_lead_ins
        for match in find_matches(p, local, scoring.max_gap)
    )
    has_comma = any(before_comma)
    base = scoring.ask_boost if asks else 1.0
    return [
        base * scoring.context_weight
        if lead_in and (before_comma[i] if has_comma else i < 6)
        else base
        for i in range(len(before_comma))
    ]


def _positions(stems: Sequence[str]) -> dict[str, list[int]]:
    positions: dict[str, list[int]] = defaultdict(list)
    for index, token_stem in enumerate(stems):
        positions[token_stem].append(index)
    return positions


def _evidence(item: _Field, compiled: CompiledRules) -> list[Evidence]:
    """The best match of each rule in this field (a rule counts once per field)."""
    max_gap = compiled.scoring.max_gap
    typo_weight = compiled.scoring.typo_weight
    candidates = set(compiled.unanchored)
    for token_stem in item.tokens.positions:
        candidates.update(compiled.anchored.get(token_stem, ()))
        candidates.update(compiled.prefix_anchored.get(token_stem[:3], ()))
    for folded in set(item.tokens.folded):
        candidates.update(compiled.prefix_anchored.get(folded[:3], ()))
    best: dict[int, tuple[float, tuple[int, ...]]] = {}
    for rule_index, phrase_index in candidates:
        rule = compiled.rules[rule_index]
        for match in find_matches(rule.phrases[phrase_index], item.tokens, max_gap):
            weight = rule.weight * item.factor * min(item.token_factors[i] for i in match)
            if any(item.corrections[i] for i in match):
                weight *= typo_weight
            current = best.get(rule_index)
            if current is None or (abs(weight), match) > (abs(current[0]), current[1]):
                best[rule_index] = (weight, match)
    return [
        _as_evidence(compiled.rules[index], item, weight, match)
        for index, (weight, match) in sorted(best.items())
        if weight != 0
    ]


def _as_evidence(
    rule: CompiledRule, item: _Field, weight: float, match: tuple[int, ...]
) -> Evidence:
    shown: list[str] = []
    for previous, index in zip((None, *match), match, strict=False):
        if previous is not None and index != previous + 1:
            shown.append("…")
        correction = item.corrections[index]
        surface = item.surfaces[index]
        shown.append(f"{surface}≈{correction}" if correction else surface)
    return Evidence(
        rule=rule.id,
        target=rule.target,
        field=item.name,
        words=" ".join(shown),
        weight=round(weight, 3),
    )


def _ordered(evidence: list[Evidence]) -> tuple[Evidence, ...]:
    return tuple(sorted(evidence, key=lambda e: (-e.weight, e.rule, e.field)))


def out_of_scope_kind(subject: str, body: str, compiled: CompiledRules) -> str | None:
    """The kind of out-of-scope the rules' out-of-scope evidence names, whatever they decide."""
    evidence = [
        e
        for f in _fields(subject, body, compiled)
        for e in _evidence(f, compiled)
        if e.target == OUT_OF_SCOPE and e.weight > 0
    ]
    return _strongest_kind(evidence, compiled)


def _strongest_kind(evidence: Sequence[Evidence], compiled: CompiledRules) -> str | None:
    kinds = {r.id: r.kind for r in compiled.rules}
    totals: dict[str, float] = defaultdict(float)
    for item in evidence:
        kind = kinds.get(item.rule)
        if kind:
            totals[kind] += item.weight
    return max(totals, key=lambda k: (totals[k], k)) if totals else None


def _confidence(top: float, second: float, scale: float) -> float:
    """Grows with the evidence for the winner and with its lead over the runner-up."""
    if top <= 0:
        return 0.0
    return round((1 - math.exp(-top / scale)) * (top - second) / top, 3)
