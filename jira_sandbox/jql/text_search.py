"""The CONTAINS operator (~): a small, honest imitation of Jira's Lucene text search.

What it does, as Jira's "Search syntax for text fields" describes:
- words are matched case-insensitively, on word boundaries, with plural stemming on both
  sides ("issue" finds "issues") and Lucene's English stop words ignored;
- several words must all occur, in any order (`summary ~ "disk full"`); `OR` between two
  words accepts either; a leading `-` or `NOT` excludes a word;
- a quoted phrase inside the value (`summary ~ "\\"disk full\\""`) must occur word for word;
  a word that the tokenizer splits ("csp-ref-abc") is matched as a phrase;
- `*` and `?` are wildcards inside a word ("win*" finds "windows"), never at its start:
  Jira refuses "The text query '*start' for field 'summary' is not allowed to start with '*'.".
What it leaves out: fuzzy (~), proximity, boosts, field-qualified terms, relevance ranking.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

# Lucene's English stop words (StopAnalyzer.ENGLISH_STOP_WORDS_SET), which Jira drops too.
_STOP = "a an and are as at be but by for if in into is it no not of on or such that the their then there these they this to was will with"
STOP_WORDS = frozenset(_STOP.split())
_WORD = re.compile(r"\w+")
_ITEM = re.compile(r'(-|NOT\s+|\+)?(?:"([^"]*)"?|(\S+))')


@dataclass(frozen=True, slots=True)
class Analysed:
    words: tuple[str, ...]  # lower-case, stop words removed
    stems: tuple[str, ...]
    stem_set: frozenset[str]


def stem(word: str) -> str:
    """Harman's S-stemmer (plural to singular), applied alike to texts and queries."""
    if len(word) < 3 or word[-1] != "s" or word[-2] in "us":
        return word
    if word[-2] == "e":
        if len(word) > 3 and word[-3] == "i" and word[-4] not in "ae":
            return word[:-3] + "y"  # queries -> query
        if word[-3] in "iaoe":
            return word  # does, goes, sees
    return word[:-1]  # issues -> issue, databases -> database


@lru_cache(maxsize=65536)
def analyse(text: str) -> Analysed:
    """Tokens of a field's text; cached because the same texts are searched again and again."""
    words = tuple(w for w in _WORD.findall(text.lower()) if w not in STOP_WORDS)
    stems = tuple(stem(w) for w in words)
    return Analysed(words, stems, frozenset(stems))


Matcher = Callable[[Analysed], bool]
# A query item: a bare stem (the common case, tested with set operations) or a matcher.
Item = str | Matcher


def _phrase(stems: tuple[str, ...]) -> Matcher:
    n = len(stems)
    first = stems[0]

    def matches(a: Analysed) -> bool:
        if first not in a.stem_set:
            return False
        s = a.stems
        return any(s[i : i + n] == stems for i in range(len(s) - n + 1) if s[i] == first)

    return matches


def _wildcard(pattern: str) -> Matcher:
    regex = re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    )
    return lambda a: any(regex.fullmatch(w) for w in a.words)


def _item(text: str, phrase: bool) -> Item | None:
    """One query item; None when nothing of it survives analysis (a stop word, punctuation)."""
    if not phrase and ("*" in text or "?" in text):
        return _wildcard(text.lower())
    stems = analyse(text).stems
    if not stems:
        return None
    return stems[0] if len(stems) == 1 else _phrase(stems)


def _as_matcher(item: Item) -> Matcher:
    if isinstance(item, str):
        return lambda a: item in a.stem_set
    return item


@dataclass(frozen=True, slots=True)
class TextQuery:
    """All `required` groups must match (each group: any of its items); no `excluded` may."""

    required: tuple[tuple[Item, ...], ...]
    excluded: tuple[Item, ...]

    def compile(self) -> Matcher:
        """One closure for the query: plain words become a subset and a disjointness test."""
        if not self.required:
            # Lucene answers a query with no positive term with nothing, so do we.
            return lambda a: False
        must = frozenset(g[0] for g in self.required if len(g) == 1 and isinstance(g[0], str))
        groups = [
            tuple(_as_matcher(i) for i in g)
            for g in self.required
            if not (len(g) == 1 and isinstance(g[0], str))
        ]
        must_not = frozenset(i for i in self.excluded if isinstance(i, str))
        excluded = [i for i in self.excluded if not isinstance(i, str)]

        def matches(a: Analysed) -> bool:
            stem_set = a.stem_set
            if not must <= stem_set or not must_not.isdisjoint(stem_set):
                return False
            for group in groups:
                for matcher in group:
                    if matcher(a):
                        break
                else:
                    return False
            for matcher in excluded:  # noqa: SIM110 - plain loops: this runs per issue
                if matcher(a):
                    return False
            return True

        return matches


def _starts_with_wildcard(value: str) -> str | None:
    for match in _ITEM.finditer(value):
        word = match.group(3)
        if word and word[0] in "*?":
            return word[0]
    return None


def validate(value: str, field: str) -> list[str]:
    """Jira's refusals for a text query."""
    if not value.strip():
        return [f"The field '{field}' does not support searching for an empty string."]
    wildcard = _starts_with_wildcard(value)
    if wildcard:
        return [
            f"The text query '{value}' for field '{field}' is not allowed to start with "
            f"'{wildcard}'."
        ]
    return []


@lru_cache(maxsize=4096)
def compile_text_query(value: str) -> Matcher:
    """The matcher for a validated text query, over analysed field texts."""
    return parse_text_query(value).compile()


def parse_text_query(value: str) -> TextQuery:
    required: list[list[Item]] = []
    excluded: list[Item] = []
    join_next = False
    for match in _ITEM.finditer(value):
        prefix, quoted, word = match.groups()
        if quoted is None and word in ("OR", "||"):
            join_next = bool(required)
            continue
        if quoted is None and word in ("AND", "&&"):
            continue
        item = _item(quoted if quoted is not None else word, phrase=quoted is not None)
        if item is None:
            join_next = False
            continue
        if prefix and prefix.strip() in ("-", "NOT"):
            excluded.append(item)
        elif join_next:
            required[-1].append(item)
        else:
            required.append([item])
        join_next = False
    return TextQuery(tuple(tuple(g) for g in required), tuple(excluded))
