"""Words are compared in a folded, stemmed form, and misspellings of rule words are recognised."""

from __future__ import annotations

import pytest

from csp_jira_sync.classify.compiled import Correction, TypoIndex
from csp_jira_sync.classify.text import PLAIN, Lexicon, fold, stem, typo_distance, words


@pytest.mark.parametrize(
    ("variants", "expected"),
    [
        (["invoice", "invoices", "invoiced", "invoicing"], "invoic"),
        (["review", "reviews", "reviewed", "reviewing"], "review"),
        (["escalate", "escalated", "escalating", "escalation"], "escalat"),
        (["authorised", "authorized"], "authoriz"),
        (["query", "queries"], "query"),
        (["bill", "billing", "billed", "bills"], "bill"),
    ],
)
def test_inflections_and_british_spellings_share_one_stem(
    variants: list[str], expected: str
) -> None:
    assert {stem(v) for v in variants} == {expected}


def test_short_words_and_numbers_are_not_stemmed() -> None:
    assert stem("sla") == "sla"
    assert stem("448213") == "448213"


def test_fold_drops_possessive_and_applies_synonyms() -> None:
    assert fold("Globex's", {}) == "globex"
    assert fold("Datacentre", {"datacentre": "datacenter"}) == "datacenter"


def test_compounds_join_two_written_words_into_one() -> None:
    lexicon = Lexicon(synonyms={"centre": "center"}, compounds={("data", "center"): "datacenter"})
    found = [w.folded for w in words("Visit the data centre, or a data-center", lexicon)]
    assert found == ["visit", "the", "datacenter", "or", "a", "datacenter"]


def test_words_keep_their_surface_and_position() -> None:
    (word,) = words("  Invoices", PLAIN)
    assert (word.surface, word.start, word.end) == ("Invoices", 2, 10)


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("invoice", "invocie", 1),
        ("monitoring", "monitring", 1),
        ("review", "reveiw", 1),
        ("tour", "hours", 2),
    ],
)
def test_typo_distance_counts_swaps_as_one_edit(a: str, b: str, distance: int) -> None:
    assert typo_distance(a, b, 3) == distance


def test_typo_distance_stops_above_the_limit() -> None:
    assert typo_distance("firewall", "contract", 1) == 2


def _index(*words_: str) -> TypoIndex:
    keys = {w: Correction(stem(w), w) for w in words_}
    keys.update({stem(w): Correction(stem(w), w) for w in words_})
    return TypoIndex(keys=keys, not_typos=frozenset({"preview"}), min_length=5, two_edits_length=9)


def test_a_misspelt_rule_word_is_read_as_that_word() -> None:
    correction = _index("firewall").correct("firwall", stem("firwall"))
    assert correction == Correction("firewall", "firewall")


def test_long_words_tolerate_two_edits() -> None:
    assert _index("infrastructure").correct("infrastucure", stem("infrastucure")) is not None


def test_short_words_are_never_corrected() -> None:
    assert _index("tours").correct("hours", "hour") is None


def test_words_listed_as_not_typos_are_left_alone() -> None:
    assert _index("review").correct("preview", "preview") is None


def test_a_different_first_letter_is_not_a_typo() -> None:
    assert _index("review").correct("beview", "beview") is None
