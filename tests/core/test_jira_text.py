"""Jira's text limits: cut on character boundaries, counted the way Jira counts."""

from __future__ import annotations

from csp_jira_sync.jira.text import (
    fit,
    fit_description,
    fit_summary,
    from_adf,
    to_adf,
    utf16_length,
)


def test_text_within_the_limit_is_left_alone() -> None:
    assert fit("short", 10) == "short"


def test_emoji_count_twice_and_are_never_split() -> None:
    text = "a" + "😀" * 10
    cut = fit(text, 8)
    assert utf16_length(cut) <= 8
    assert cut.endswith("…")
    cut.encode("utf-8")  # raises on a lone surrogate


def test_a_combining_mark_is_not_separated_from_its_letter() -> None:
    text = "e\u0301" * 20  # é as e + combining acute
    cut = fit(text, 10)
    body = cut.removesuffix("…")
    assert not body or body[-1] == "\u0301"


def test_summary_is_one_line_of_at_most_255() -> None:
    summary = fit_summary("line one\nline two\t" + "x" * 400)
    assert "\n" not in summary
    assert utf16_length(summary) == 255


def test_description_is_cut_to_32767_with_a_visible_note() -> None:
    description = fit_description("y" * 40_000)
    assert utf16_length(description) <= 32_767
    assert "cut to Jira's limit" in description


def test_adf_round_trip_keeps_paragraphs_and_lines() -> None:
    text = "First line\nsecond line\n\nNew paragraph"
    doc = to_adf(text)
    assert doc["type"] == "doc" and doc["version"] == 1
    assert from_adf(doc) == "First line\nsecond line\nNew paragraph"
