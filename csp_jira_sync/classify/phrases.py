"""The phrase language of `mappings/classification.yaml`, and matching it against words.

    invoice                  the word, in any form (invoices, invoiced, invoicing)
    service guide            the words next to each other, in this order
    reset ... password       up to `max_gap` other words in between, in the same sentence
    quote|quotation|pricing  any one of the alternatives
    escalat*                 any word that starts with it
    ticket #                 `#` is any number ("ticket 448213")
    =quote                   exactly this word as written: "quote", not "quoted"

`|` joins single words: "datacenter|dc" is one word of two choices, and "keep|stay in touch"
is "keep in touch" or "stay in touch". Two-word names become one word through the lexicon's
compounds ("data center" -> "datacenter"), in rules and text alike.

Phrases never match across sentences, so "...the invoice. Layout..." is not "invoice layout".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from csp_jira_sync.classify.text import Lexicon, fold, stem, words

GAP = "..."


class PhraseError(ValueError):
    """A phrase in the rules file does not follow the phrase language."""


@dataclass(frozen=True, slots=True)
class Element:
    stems: frozenset[str]
    prefixes: tuple[str, ...]
    number: bool
    gap_before: bool  # `...` precedes it: up to max_gap words may sit in between
    exact: frozenset[str] = frozenset()  # folded words that must match as written
    anchors: frozenset[str] = frozenset()  # stems a token has whenever this element accepts it

    def accepts(self, token_stem: str, token_folded: str) -> bool:
        if token_stem in self.stems or token_folded in self.exact:
            return True
        if self.number and token_stem.isdigit():
            return True
        return any(token_stem.startswith(p) or token_folded.startswith(p) for p in self.prefixes)


@dataclass(frozen=True, slots=True)
class Phrase:
    text: str
    elements: tuple[Element, ...]
    # For each plain-word element, the stems of which one must occur for any match.
    required: tuple[frozenset[str], ...]

    @property
    def stems(self) -> frozenset[str]:
        return frozenset(s for e in self.elements for s in e.stems)


def parse_phrase(text: str, lexicon: Lexicon) -> Phrase:
    """Compile one phrase; raises PhraseError saying what is wrong with it."""
    parts = _merge_compounds(text.split(), lexicon)
    if not parts:
        raise PhraseError("an empty phrase matches nothing; remove it")
    if parts[0] == GAP or parts[-1] == GAP:
        raise PhraseError(f"{text!r}: '...' belongs between two words, not at either end")
    elements: list[Element] = []
    gap = False
    for part in parts:
        if part == GAP:
            if gap:
                raise PhraseError(f"{text!r}: write '...' once between two words")
            gap = True
            continue
        elements.extend(_element(text, part, lexicon, gap))
        gap = False
    required = tuple(e.anchors for e in elements if not e.prefixes and not e.number)
    return Phrase(text=text, elements=tuple(elements), required=required)


def _merge_compounds(parts: list[str], lexicon: Lexicon) -> list[str]:
    merged: list[str] = []
    for part in parts:
        if merged and _plain(part) and _plain(merged[-1]):
            pair = (fold(merged[-1], lexicon.synonyms), fold(part, lexicon.synonyms))
            compound = lexicon.compounds.get(pair)
            if compound is not None:
                merged[-1] = compound
                continue
        merged.append(part)
    return merged


def _plain(part: str) -> bool:
    return part != GAP and not any(c in part for c in "|*#=")


def _element(phrase: str, part: str, lexicon: Lexicon, gap: bool) -> list[Element]:
    """One written word; 'right-sizing' is two words to the tokenizer, so it becomes two elements."""
    alternatives = part.split("|")
    if any(not a for a in alternatives):
        raise PhraseError(f"{phrase!r}: '|' needs a word on both sides in {part!r}")
    if len(alternatives) == 1 and "*" not in part and part != "#" and not part.startswith("="):
        pieces = [stem(w.folded) for w in words(part, lexicon)]
        if not pieces:
            raise PhraseError(f"{phrase!r}: {part!r} has no letters or digits to match")
        first, *rest = pieces
        return [
            Element(frozenset({first}), (), False, gap, anchors=frozenset({first})),
            *(Element(frozenset({p}), (), False, False, anchors=frozenset({p})) for p in rest),
        ]
    stems: set[str] = set()
    exact: set[str] = set()
    prefixes: list[str] = []
    number = False
    for alternative in alternatives:
        if alternative == "#":
            number = True
        elif alternative.startswith("="):
            found = [w.folded for w in words(alternative[1:], lexicon)]
            if len(found) != 1:
                raise PhraseError(
                    f"{phrase!r}: {alternative!r} must be '=' and one word, as in '=quote'"
                )
            exact.add(found[0])
        elif alternative.endswith("*") and alternative.count("*") == 1:
            found = [w.folded for w in words(alternative[:-1], lexicon)]
            if len(found) != 1 or len(found[0]) < 3:
                raise PhraseError(
                    f"{phrase!r}: {alternative!r} must be one word of 3 letters or more before '*'"
                )
            prefixes.append(found[0])
        elif "*" in alternative:
            raise PhraseError(f"{phrase!r}: '*' may only end a word, as in 'escalat*'")
        else:
            found = [stem(w.folded) for w in words(alternative, lexicon)]
            if len(found) != 1:
                raise PhraseError(
                    f"{phrase!r}: alternatives joined by '|' must be single words; write "
                    f"{alternative!r} as a phrase of its own"
                )
            stems.add(found[0])
    anchors = frozenset(stems | {stem(w) for w in exact})
    return [Element(frozenset(stems), tuple(prefixes), number, gap, frozenset(exact), anchors)]


@dataclass(frozen=True, slots=True)
class Tokens:
    """A text's words as parallel sequences (stem, folded form, sentence number) plus an index
    from stem to positions, so a phrase only starts where its first word occurs."""

    stems: Sequence[str]
    folded: Sequence[str]
    sentences: Sequence[int]
    positions: Mapping[str, Sequence[int]]


def find_matches(phrase: Phrase, tokens: Tokens, max_gap: int) -> Iterator[tuple[int, ...]]:
    """Every way the phrase matches, as the positions of the words it matched."""
    positions = tokens.positions
    for needed in phrase.required:
        if not any(stem_ in positions for stem_ in needed):
            return  # a word the phrase needs is absent: most phrases stop here, cheaply
    first = phrase.elements[0]
    if first.prefixes or first.number:
        starts: Iterable[int] = range(len(tokens.stems))
    else:
        starts = sorted(p for s in first.anchors for p in tokens.positions.get(s, ()))
    for start in starts:
        if first.accepts(tokens.stems[start], tokens.folded[start]):
            found = _extend(phrase.elements, 1, (start,), tokens, max_gap)
            if found is not None:
                yield found


def _extend(
    elements: Sequence[Element],
    index: int,
    taken: tuple[int, ...],
    tokens: Tokens,
    max_gap: int,
) -> tuple[int, ...] | None:
    if index == len(elements):
        return taken
    element = elements[index]
    last = taken[-1]
    reach = last + 1 + (max_gap if element.gap_before else 0)
    for position in range(last + 1, min(reach, len(tokens.stems) - 1) + 1):
        if tokens.sentences[position] != tokens.sentences[last]:
            return None
        if element.accepts(tokens.stems[position], tokens.folded[position]):
            found = _extend(elements, index + 1, (*taken, position), tokens, max_gap)
            if found is not None:
                return found
    return None
