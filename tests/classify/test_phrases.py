"""The phrase language of classification.yaml: order, gaps, alternatives, prefixes, numbers."""

from __future__ import annotations

import pytest

from csp_jira_sync.classify.phrases import PhraseError, Tokens, find_matches, parse_phrase
from csp_jira_sync.classify.text import PLAIN, Lexicon, stem, words


def _tokens(text: str, lexicon: Lexicon = PLAIN) -> Tokens:
    stems: list[str] = []
    folded: list[str] = []
    sentences: list[int] = []
    for number, sentence in enumerate(text.split(".")):
        for word in words(sentence, lexicon):
            stems.append(stem(word.folded))
            folded.append(word.folded)
            sentences.append(number)
    positions: dict[str, list[int]] = {}
    for index, value in enumerate(stems):
        positions.setdefault(value, []).append(index)
    return Tokens(stems=stems, folded=folded, sentences=sentences, positions=positions)


def _matches(
    phrase: str, text: str, max_gap: int = 3, lexicon: Lexicon = PLAIN
) -> list[tuple[int, ...]]:
    return list(find_matches(parse_phrase(phrase, lexicon), _tokens(text, lexicon), max_gap))


def test_adjacent_words_must_be_adjacent_and_in_order() -> None:
    assert _matches("service guide", "send the service guides") == [(2, 3)]
    assert _matches("service guide", "the guide to our service") == []
    assert _matches("service guide", "service and guide") == []


def test_gap_allows_up_to_max_gap_words_between() -> None:
    assert _matches("reset ... password", "reset the root password") == [(0, 3)]
    assert _matches("reset ... password", "reset a b c d password", max_gap=3) == []


def test_gap_finds_a_later_word_when_the_first_is_too_far() -> None:
    text = "add x x x x contact add jane as contact"
    assert _matches("add ... contact", text, max_gap=3) == [(6, 9)]


def test_phrases_never_match_across_sentences() -> None:
    assert _matches("invoice layout", "the invoice. Layout is new") == []
    assert _matches("invoice ... layout", "the invoice. The layout is new") == []


def test_alternatives_match_any_single_word() -> None:
    assert _matches("quote|quotation|pricing", "send a quotation") == [(2,)]


def test_prefix_matches_words_starting_with_it() -> None:
    assert _matches("escalat*", "please escalate it") == [(1,)]
    assert _matches("authori* ... list", "our authorised contact list") == [(1, 3)]


def test_hash_matches_any_number() -> None:
    assert _matches("ticket #", "ticket 448213 is open") == [(0, 1)]
    assert _matches("ticket #", "ticket is open") == []


def test_an_exact_word_matches_only_as_written() -> None:
    assert _matches("a ... =quote", "send us a quote") == [(2, 3)]
    assert _matches("=quote|=quotes for", "the PO is quoted for you") == []
    assert _matches("=quote|=quotes for", "quotes for VMs") == [(0, 1)]


def test_compounds_in_a_phrase_match_both_spellings() -> None:
    lexicon = Lexicon(synonyms={}, compounds={("data", "center"): "datacenter"})
    assert _matches("tour ... data center", "a tour of the datacenter", lexicon=lexicon) == [(1, 4)]
    assert _matches("datacenter|dc", "visit the data center", lexicon=lexicon) == [(2,)]


@pytest.mark.parametrize(
    ("phrase", "problem"),
    [
        ("", "empty"),
        ("... password", "between two words"),
        ("reset ... ... password", "once"),
        ("a||b", "both sides"),
        ("x|data-centre", "single words"),
        ("es*", "3 letters"),
        ("a*b", "only end"),
        ("=two-words|x", "'=' and one word"),
    ],
)
def test_malformed_phrases_are_rejected_with_the_reason(phrase: str, problem: str) -> None:
    with pytest.raises(PhraseError, match=problem):
        parse_phrase(phrase, PLAIN)
