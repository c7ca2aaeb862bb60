"""Words as the classifier compares them: lower-cased, British spellings folded, endings removed.

The same functions turn a rule's phrase and a customer's text into stems, so "invoices",
"invoiced" and "invoicing" all meet the rule word "invoice", and "authorised" meets
"authorized". The stemmer is deliberately light (a handful of English suffixes): it only has to be
consistent on both sides, and a lead reading `explain()` should still recognise the stems.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_BRITISH_IS = re.compile(r"^(.{3,})is(e|es|ed|ing|ation|ations|er|ers)$")
_UNDOUBLE_KEEP = frozenset("lsz")
_VOWELS = frozenset("aeiou")


def normalise_text(text: str) -> str:
    """NFKC (full-width letters, ligatures), no non-breaking spaces, \\n line ends."""
    text = unicodedata.normalize("NFKC", text)
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Word-level rewrites applied to rules and text alike.

    synonyms: one written word -> the word it means ("datacentre" -> "datacenter").
    compounds: two words written apart -> one word ("data center" -> "datacenter"), so that a
    rule can name the thing once whichever way a customer writes it."""

    synonyms: Mapping[str, str]
    compounds: Mapping[tuple[str, str], str]


PLAIN = Lexicon(synonyms={}, compounds={})


@dataclass(frozen=True, slots=True)
class Word:
    """One word of a text: where it is, what was written, and its folded form."""

    start: int
    end: int
    surface: str
    folded: str  # lower case, apostrophes and possessive 's removed, synonyms applied


def words(text: str, lexicon: Lexicon) -> Iterator[Word]:
    pending: Word | None = None
    for match in _WORD.finditer(text):
        folded = fold(match.group(), lexicon.synonyms)
        if not folded:
            continue
        word = Word(match.start(), match.end(), match.group(), folded)
        if pending is not None:
            merged = lexicon.compounds.get((pending.folded, folded))
            if merged is not None and text[pending.end : word.start].strip() in ("", "-"):
                yield Word(pending.start, word.end, text[pending.start : word.end], merged)
                pending = None
                continue
            yield pending
        pending = word
    if pending is not None:
        yield pending


def fold(surface: str, synonyms: Mapping[str, str]) -> str:
    word = surface.casefold().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    word = word.replace("'", "")
    return synonyms.get(word, word)


def stem(word: str) -> str:
    """Strip common English endings; short words and numbers are left alone."""
    if len(word) <= 3 or not word.isalpha():
        return word
    british = _BRITISH_IS.match(word)
    if british:
        word = f"{british.group(1)}iz{british.group(2)}"
    if word.endswith("ations") or word.endswith("ation"):
        word = word[: word.rindex("ation")] + "ate"
    elif word.endswith(("ies", "ied")) and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("ing") and len(word) > 5:
        word = _undouble(word[:-3])
    elif word.endswith("ed") and len(word) > 4:
        word = _undouble(word[:-2])
    elif (word.endswith("es") and len(word) > 4 and word[-3] in "sxz") or word.endswith(
        ("ches", "shes")
    ):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ly") and len(word) > 5:
        word = word[:-2]
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def _undouble(word: str) -> str:
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in _UNDOUBLE_KEEP | _VOWELS:
        return word[:-1]
    return word


def typo_distance(a: str, b: str, limit: int) -> int:
    """Edit distance with adjacent swaps (optimal string alignment), or limit+1 once above limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        best = current[0]
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
            best = min(best, value)
        if best > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]
