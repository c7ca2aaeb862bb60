"""Rules compiled once into the form the classifier runs on: parsed phrases and a typo index.

Compiling parses every phrase and builds the vocabulary that typo correction looks words up in;
doing that per request would cost more than classifying it, so callers that classify many
requests compile once (`compile_rules`) and pass the result to `classify`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from csp_jira_sync.classify.phrases import Phrase, parse_phrase
from csp_jira_sync.classify.rules import ClassificationRules, Scoring
from csp_jira_sync.classify.similarity import ExampleIndex, Terms, build_index, request_terms
from csp_jira_sync.classify.text import Lexicon, fold, stem, typo_distance, words
from csp_jira_sync.config.catalog import Activity, Catalog, Category

OUT_OF_SCOPE = "out-of-scope"
_TYPO_CACHE_LIMIT = 50_000


@dataclass(frozen=True, slots=True)
class CompiledRule:
    id: str
    target: str  # an activity slug, or "out-of-scope"
    kind: str | None  # the out-of-scope kind (technical-support, sales, ...), else None
    weight: float
    phrases: tuple[Phrase, ...]


@dataclass(frozen=True, slots=True)
class Correction:
    stem: str  # the rule vocabulary's stem the word was taken for
    shown: str  # the rule word as a lead wrote it, for explanations


@dataclass
class TypoIndex:
    """Finds the rule word a misspelt word was meant to be: one edit (two for long words) away,
    same first letter (or its first two letters swapped), never for words listed as not typos.

    Only words the rules use are candidates, so a typo can only ever be read as a word that
    matters; words shorter than `min_length` are never corrected ("hours" is not "tours").

    Candidates come from a deletion index (each rule word under every way of deleting up to two
    of its letters): two words within two edits, swaps included, share a form with up to two
    letters deleted from each. Comparing a new word with every rule word of its first letter
    cost about 10 ms, and a request the daemon has not seen is mostly new words."""

    keys: Mapping[str, Correction]
    not_typos: frozenset[str]
    min_length: int
    two_edits_length: int
    _deleted: dict[str, set[str]] = field(default_factory=dict)
    _cache: dict[tuple[str, str], Correction | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        deleted: dict[str, set[str]] = defaultdict(set)
        for key in self.keys:
            if len(key) >= self.min_length:
                for form in _deletions(key, 2):
                    deleted[form].add(key)
        self._deleted = dict(deleted)

    def correct(self, folded: str, stemmed: str) -> Correction | None:
        if stemmed in self.keys or folded in self.keys:
            return None
        if len(folded) < self.min_length or folded in self.not_typos or not folded.isalpha():
            return None
        cache_key = (folded, stemmed)
        if cache_key not in self._cache:
            if len(self._cache) > _TYPO_CACHE_LIMIT:
                self._cache.clear()
            self._cache[cache_key] = self._closest(folded, stemmed)
        return self._cache[cache_key]

    def _closest(self, folded: str, stemmed: str) -> Correction | None:
        limit = 2 if len(folded) >= self.two_edits_length else 1
        best: tuple[int, str] | None = None
        for query in {folded, stemmed}:
            if len(query) < self.min_length:
                continue
            candidates: set[str] = set()
            for form in _deletions(query, limit):
                candidates.update(self._deleted.get(form, ()))
            for key in candidates:
                same_start = key[0] == query[0] or (len(query) > 1 and key[:2] == query[1::-1])
                if not same_start or abs(len(key) - len(query)) > limit:
                    continue
                distance = typo_distance(query, key, limit)
                if distance <= limit and (best is None or (distance, key) < best):
                    best = (distance, key)
        return self.keys[best[1]] if best else None


def _deletions(word: str, most: int) -> set[str]:
    """`word` and every form of it with up to `most` letters deleted."""
    forms = {word}
    layer = {word}
    for _ in range(most):
        layer = {w[:i] + w[i + 1 :] for w in layer for i in range(len(w))}
        forms |= layer
    return forms


@dataclass(frozen=True)
class CompiledRules:
    source: ClassificationRules
    catalog: Catalog
    scoring: Scoring
    rules: tuple[CompiledRule, ...]
    lexicon: Lexicon
    generic_subject: frozenset[str]
    ask_markers: tuple[Phrase, ...]
    context_lead_ins: tuple[Phrase, ...]
    context_phrases: tuple[Phrase, ...]
    topic_switches: tuple[Phrase, ...]
    typos: TypoIndex
    activities: Mapping[str, Activity]
    categories: Mapping[str, Category]
    # (rule index, phrase index) by a stem the phrase cannot match without, so a request only
    # tries the phrases whose anchor word it contains; phrases made of prefixes only are found
    # by their prefix's first three letters, and the rest (a leading number) are always tried.
    anchored: Mapping[str, tuple[tuple[int, int], ...]]
    prefix_anchored: Mapping[str, tuple[tuple[int, int], ...]]
    unanchored: tuple[tuple[int, int], ...]
    stopwords: frozenset[str]
    examples: ExampleIndex | None  # None when there are none or example_weight is 0

    def terms(self, subject: str, body: str) -> Terms:
        return request_terms(
            subject,
            body,
            self.lexicon,
            self.stopwords,
            self.generic_subject,
            self.scoring.thin_body_words,
        )


def compile_rules(rules: ClassificationRules, catalog: Catalog) -> CompiledRules:
    lexicon = rules.words.lexicon
    compiled = tuple(
        CompiledRule(
            id=rule.id,
            target=target,
            kind=kind,
            weight=rule.weight,
            phrases=tuple(parse_phrase(p, lexicon) for p in rule.phrases),
        )
        for target, kind, rule in rules.all_rules()
    )
    activities = {a.slug: a for a in catalog.activities()}
    unknown = sorted(
        r.target for r in compiled if r.target != OUT_OF_SCOPE and r.target not in activities
    )
    if unknown:
        raise ValueError(f"rules name activities the catalog does not have: {', '.join(unknown)}")
    anchored: dict[str, list[tuple[int, int]]] = defaultdict(list)
    prefix_anchored: dict[str, list[tuple[int, int]]] = defaultdict(list)
    unanchored: list[tuple[int, int]] = []
    for rule_index, rule in enumerate(compiled):
        for phrase_index, phrase in enumerate(rule.phrases):
            first = phrase.elements[0]
            if phrase.required:
                for anchor in phrase.required[0]:
                    anchored[anchor].append((rule_index, phrase_index))
            elif not first.number:
                for prefix in {p[:3] for p in first.prefixes} | {a[:3] for a in first.anchors}:
                    prefix_anchored[prefix].append((rule_index, phrase_index))
            else:
                unanchored.append((rule_index, phrase_index))
    generic_subject = frozenset(_stems(rules.words.generic_subject_words, lexicon))
    stopwords = frozenset(_stems(rules.words.stopwords, lexicon))
    examples = None
    if rules.examples and rules.scoring.example_weight > 0:
        examples = build_index(
            (
                e.id or "",
                e.expected_activity,
                request_terms(
                    e.subject,
                    e.body,
                    lexicon,
                    stopwords,
                    generic_subject,
                    rules.scoring.thin_body_words,
                ),
            )
            for e in rules.examples
        )
    return CompiledRules(
        source=rules,
        catalog=catalog,
        scoring=rules.scoring,
        rules=compiled,
        lexicon=lexicon,
        generic_subject=generic_subject,
        ask_markers=_phrases(rules.words.ask_markers, lexicon),
        context_lead_ins=_phrases(rules.words.context_lead_ins, lexicon),
        context_phrases=_phrases(rules.words.context_phrases, lexicon),
        topic_switches=_phrases(rules.words.topic_switches, lexicon),
        typos=TypoIndex(
            keys=_vocabulary(rules, lexicon),
            not_typos=frozenset(fold(w, lexicon.synonyms) for w in rules.words.not_typos),
            min_length=rules.scoring.typo_min_length,
            two_edits_length=rules.scoring.typo_two_edits_length,
        ),
        activities=activities,
        categories={c.slug: c for c in catalog.categories},
        anchored={k: tuple(v) for k, v in anchored.items()},
        prefix_anchored={k: tuple(v) for k, v in prefix_anchored.items()},
        unanchored=tuple(unanchored),
        stopwords=stopwords,
        examples=examples,
    )


def _phrases(texts: Iterable[str], lexicon: Lexicon) -> tuple[Phrase, ...]:
    return tuple(parse_phrase(t, lexicon) for t in texts)


def _stems(texts: Iterable[str], lexicon: Lexicon) -> Iterable[str]:
    for text in texts:
        for word in words(text, lexicon):
            yield stem(word.folded)


def _vocabulary(rules: ClassificationRules, lexicon: Lexicon) -> dict[str, Correction]:
    """Every rule word, by its stem and as written, mapped to the stem a typo of it stands for."""
    keys: dict[str, Correction] = {}
    for _, _, rule in rules.all_rules():
        for phrase in rule.phrases:
            for part in phrase.replace("|", " ").split():
                if part == "..." or "*" in part or part == "#":
                    continue
                for word in words(part, lexicon):
                    stemmed = stem(word.folded)
                    keys.setdefault(stemmed, Correction(stemmed, word.folded))
                    keys.setdefault(word.folded, Correction(stemmed, word.folded))
    return keys
