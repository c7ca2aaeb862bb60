"""Similarity to labelled examples: a second opinion for requests the rules cannot decide.

Rules only know the words a lead wrote down; customers keep finding new ones ("pop over and
have a look around the GB3 site"). The labelled examples in `mappings/examples/` cover wording
the rules miss: a request is compared with every example by TF-IDF cosine over its stems, and
the closest few vote for their activity, each with `example_weight` x similarity.

An example never votes for a request identical to it, so evaluating the examples' own records
measures the other examples (leave one out), not a lookup.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from csp_jira_sync.classify.cleaning import clean_body, clean_subject
from csp_jira_sync.classify.text import Lexicon, normalise_text, stem, words


@dataclass(frozen=True, slots=True)
class Neighbour:
    id: str
    target: str
    similarity: float
    shared: tuple[str, ...]  # the stems that contributed most, strongest first


@dataclass(frozen=True, slots=True)
class Terms:
    """What the similarity compares: a request's content stems, and its identity."""

    stems: tuple[str, ...]
    key: str


def request_key(subject: str, body: str) -> str:
    text = normalise_text(subject).strip() + "\x00" + normalise_text(body).strip()
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def request_terms(
    subject: str,
    body: str,
    lexicon: Lexicon,
    stopwords: frozenset[str],
    generic_subject: frozenset[str],
    thin_body_words: int,
) -> Terms:
    """The subject (unless generic) and own text; the quoted chain only when the sender wrote
    almost nothing, as the rules weigh them."""
    subject_stems = _stems(clean_subject(subject).text, lexicon)
    if all(s in generic_subject or s.isdigit() for s in subject_stems):
        subject_stems = []
    cleaned = clean_body(body)
    own = _stems(cleaned.own, lexicon)
    quoted = _stems(cleaned.quoted, lexicon) if len(own) < thin_body_words else []
    content = [s for s in (*subject_stems, *own, *quoted) if s not in stopwords and not s.isdigit()]
    return Terms(stems=tuple(content), key=request_key(subject, body))


def _stems(text: str, lexicon: Lexicon) -> list[str]:
    return [stem(w.folded) for w in words(text, lexicon)]


@dataclass(frozen=True)
class ExampleIndex:
    ids: tuple[str, ...]
    targets: tuple[str, ...]
    keys: tuple[str, ...]
    idf: Mapping[str, float]
    postings: Mapping[str, tuple[tuple[int, float], ...]]  # stem -> (example, weight)

    def neighbours(
        self, terms: Terms, count: int, min_similarity: float, min_shared: int = 1
    ) -> list[Neighbour]:
        query = _vector(terms.stems, self.idf)
        scores: dict[int, float] = defaultdict(float)
        parts: dict[int, list[tuple[float, str]]] = defaultdict(list)
        for term, weight in query.items():
            for example, example_weight in self.postings.get(term, ()):
                contribution = weight * example_weight
                scores[example] += contribution
                parts[example].append((contribution, term))
        ranked = sorted(
            (
                (score, index)
                for index, score in scores.items()
                if score >= min_similarity
                and len(parts[index]) >= min_shared
                and self.keys[index] != terms.key
            ),
            key=lambda item: (-item[0], item[1]),
        )[:count]
        return [
            Neighbour(
                id=self.ids[index],
                target=self.targets[index],
                similarity=round(score, 3),
                shared=tuple(t for _, t in sorted(parts[index], reverse=True)[:4]),
            )
            for score, index in ranked
        ]


def build_index(examples: Iterable[tuple[str, str, Terms]]) -> ExampleIndex:
    """Index (id, target, terms) examples: IDF from the examples themselves, unit vectors."""
    items = list(examples)
    document_frequency: Counter[str] = Counter()
    for _, _, terms in items:
        document_frequency.update(set(terms.stems))
    total = len(items)
    idf = {t: math.log((total + 1) / (df + 1)) + 1 for t, df in document_frequency.items()}
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for index, (_, _, terms) in enumerate(items):
        for term, weight in _vector(terms.stems, idf).items():
            postings[term].append((index, weight))
    return ExampleIndex(
        ids=tuple(i for i, _, _ in items),
        targets=tuple(t for _, t, _ in items),
        keys=tuple(terms.key for _, _, terms in items),
        idf=idf,
        postings={t: tuple(p) for t, p in postings.items()},
    )


def _vector(stems: Sequence[str], idf: Mapping[str, float]) -> dict[str, float]:
    """Sublinear TF x IDF, unit length; words no example has carry no weight."""
    counts = Counter(s for s in stems if s in idf)
    vector = {t: (1 + math.log(c)) * idf[t] for t, c in counts.items()}
    norm = math.sqrt(sum(v * v for v in vector.values()))
    return {t: v / norm for t, v in vector.items()} if norm else {}
