"""The report as Jira shows it: wiki markup (v2), ADF tables (v3), JQL links, CSV, PNG chart."""

from __future__ import annotations

import csv
import io
import json
import struct
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from csp_jira_sync.config.mappings import Mappings, load_mappings
from csp_jira_sync.jira.text import DESCRIPTION_LIMIT
from csp_jira_sync.reports import chart
from csp_jira_sync.reports.build import report_document
from csp_jira_sync.reports.periods import parse_period
from csp_jira_sync.reports.render import (
    DESCRIPTION_BUDGET,
    LINK_LIMITS,
    descriptions,
    duration,
    jql_string,
    keys_jql,
    layout,
    search_url,
    to_csv,
    to_wiki,
    wiki_escape,
)
from csp_jira_sync.reports.trends import COUNTING_RULE, Trends, compute
from tests.reports.stream import stream

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def mappings() -> Mappings:
    return load_mappings(ROOT / "mappings")


@pytest.fixture(scope="module")
def trends() -> Trends:
    return compute("globex", parse_period("2026-W47", "America/New_York"), stream())


def test_jql_values_are_quoted_and_escaped() -> None:
    assert jql_string('acme "north" \\ eu') == '"acme \\"north\\" \\\\ eu"'
    assert jql_string("a\nb") == '"a\\nb"'
    jql = keys_jql(["CSP-1", 'X") OR project = "SECRET', "CSP-1"])
    assert jql == 'key in ("CSP-1", "X\\") OR project = \\"SECRET") ORDER BY created ASC'
    url = search_url(jql)
    assert url.startswith("/issues/?jql=") and " " not in url and '"' not in url
    assert unquote(url.removeprefix("/issues/?jql=")) == jql


def test_wiki_markup_is_escaped_in_cells() -> None:
    assert wiki_escape("a|b [c] {d} *e*") == "a\\|b \\[c\\] \\{d\\} \\*e\\*"
    assert wiki_escape("db-07 on 2026-W47") == "db-07 on 2026-W47"
    assert wiki_escape("-strike- +under+") == "\\-strike\\- \\+under\\+"


def test_durations_read_as_days_hours_minutes() -> None:
    assert duration(None) == "-"
    assert [duration(__import__("datetime").timedelta(minutes=m)) for m in (5, 60, 1860)] == [
        "5m",
        "1h 0m",
        "1d 7h 0m",
    ]


def test_the_wiki_description_has_tables_the_rule_and_links_behind_each_number(
    trends: Trends,
) -> None:
    wiki, _ = descriptions(trends, "Globex Retail Inc")
    assert wiki.startswith("h2. CSP trend report: Globex Retail Inc, 2026-W47 (Mon 16 Nov")
    assert "Counting rule: An escalation (one NOC escalation id) counts once" in wiki
    assert "||Severity||This period||Previous period||Change||" in wiki
    sev2 = next(line for line in wiki.splitlines() if line.startswith("|sev2|"))
    assert unquote(sev2) == (
        '|sev2|[2|/issues/?jql=key in ("CSP-3", "CSP-4") ORDER BY created ASC]'
        '|[1|/issues/?jql=key in ("CSP-1") ORDER BY created ASC]|\\+1|'
    )
    assert "|sev3|0|" in wiki  # nothing behind a zero: no link
    assert "h3. Reopened escalations: 2" in wiki
    assert "|ESC-8|globex|2026-11-19 05:00 EST|" in wiki
    assert "|fp-web-5xx|globex|web|[3|" in wiki
    assert "Not known for this report." in wiki


def _tables(adf: dict[str, Any]) -> list[list[list[str]]]:
    def text(cell: dict[str, Any]) -> str:
        return "".join(n["text"] for p in cell["content"] for n in p["content"])

    return [
        [[text(cell) for cell in row["content"]] for row in node["content"]]
        for node in adf["content"]
        if node["type"] == "table"
    ]


def test_the_adf_description_uses_real_table_nodes_with_links(trends: Trends) -> None:
    _, adf = descriptions(trends, "Globex Retail Inc")
    assert adf["type"] == "doc" and adf["version"] == 1
    tables = _tables(adf)
    assert tables[0] == [
        ["Escalations", "This period", "Previous period", "Change"],
        ["escalations", "4", "2", "+2"],
    ]
    assert tables[1][1:] == [
        ["sev1", "1", "0", "+1"],
        ["sev2", "2", "1", "+1"],
        ["sev3", "0", "1", "-1"],
        ["sev4", "1", "0", "+1"],
    ]
    assert tables[5][1:] == [
        ["Time to acknowledge (first NOC acknowledgement)", "3", "33m", "1h 0m"],
        ["Time to resolve (as Jira shows it)", "2", "17h 30m", "1d 7h 0m"],
    ]
    first_table = next(n for n in adf["content"] if n["type"] == "table")
    header_cell = first_table["content"][0]["content"][0]
    assert header_cell["type"] == "tableHeader"
    linked = first_table["content"][1]["content"][1]["content"][0]["content"][0]
    assert linked["marks"][0]["type"] == "link"
    assert linked["marks"][0]["attrs"]["href"].startswith("/issues/?jql=key%20in%20")
    texts = json.dumps(adf)
    assert COUNTING_RULE[:40] in texts
    assert '"text": ""' not in texts  # Jira rejects empty text nodes


def _adf_problems(node: dict[str, Any], parent: str = "") -> list[str]:
    """The ADF rules Jira enforces on what the report uses: rows in tables, cells in rows,
    paragraphs in cells, non-empty text, heading levels, links with an href."""
    kind = node["type"]
    allowed = {
        "doc": {"heading", "paragraph", "table"},
        "table": {"tableRow"},
        "tableRow": {"tableHeader", "tableCell"},
        "tableHeader": {"paragraph"},
        "tableCell": {"paragraph"},
        "heading": {"text"},
        "paragraph": {"text"},
    }
    problems = []
    if kind == "text":
        if not node["text"]:
            problems.append(f"empty text in {parent}")
        for mark in node.get("marks", []):
            if mark["type"] != "link" or not mark["attrs"]["href"]:
                problems.append(f"bad mark {mark}")
        return problems
    if kind == "heading" and not 1 <= node["attrs"]["level"] <= 6:
        problems.append("heading level")
    children = node.get("content", [])
    if not children:
        problems.append(f"empty {kind}")
    for child in children:
        if child["type"] not in allowed[kind]:
            problems.append(f"{child['type']} inside {kind}")
        problems += _adf_problems(child, kind)
    return problems


def test_the_adf_is_a_document_jira_and_the_sandbox_accept(trends: Trends) -> None:
    from jira_sandbox.adf import adf_problem

    _, adf = descriptions(trends, "Globex Retail Inc")
    assert adf_problem(adf) is None
    assert _adf_problems(adf) == []
    empty = compute("globex", parse_period("2026-W10", "America/New_York"), [])
    assert _adf_problems(descriptions(empty, "Globex Retail Inc")[1]) == []


def test_a_huge_period_drops_links_to_stay_within_jiras_description_limit(
    trends: Trends,
) -> None:
    from dataclasses import replace

    # Lists short enough to link one by one, too many together for Jira's limit.
    keys = tuple(f"CSPLONGPROJECT-{n}" for n in range(150))
    many = [replace(c, current_keys=keys) for c in trends.by_service + trends.by_datacenter]
    big = replace(
        trends,
        total=replace(trends.total, current_keys=keys),
        by_severity=tuple(
            replace(c, current_keys=keys) if c.name != "sev1" else c for c in trends.by_severity
        ),
        by_service=tuple(many[:2]),
        by_datacenter=tuple(many[2:]),
    )
    assert len(to_wiki(layout(big, "x", link_limit=LINK_LIMITS[0]))) > DESCRIPTION_BUDGET
    wiki, adf = descriptions(big, "Globex Retail Inc")
    assert len(wiki) <= DESCRIPTION_BUDGET and len(json.dumps(adf)) <= DESCRIPTION_BUDGET
    assert DESCRIPTION_BUDGET < DESCRIPTION_LIMIT  # room for the saved-filter links
    assert "|sev2|" in wiki
    assert "|sev1|[1|/issues/" in wiki  # a short list keeps its link


def test_the_csv_holds_the_same_numbers(trends: Trends) -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(trends).decode())))
    by = {(r["measure"], r["name"]): r for r in rows}
    assert {r["period"] for r in rows} == {"2026-W47"}
    assert (
        by["escalations", "escalations"]["this_period"],
        by["escalations", "escalations"]["previous"],
        by["escalations", "escalations"]["change"],
    ) == ("4", "2", "2")
    assert by["severity", "sev3"]["change"] == "-1"
    assert by["datacenter", "(none)"]["this_period"] == "1"
    assert by["time_to_acknowledge", "mean_seconds"]["this_period"] == "2000"
    assert by["time_to_resolve", "p90_seconds"]["this_period"] == "111600"
    assert by["reopened", "escalations"]["this_period"] == "2"
    assert by["recurring", "fingerprint:fp-web-5xx"]["this_period"] == "3"
    assert by["csp_hours", "incidents"]["this_period"] == ""


def test_a_name_a_spreadsheet_would_run_as_a_formula_is_quoted_in_the_csv(
    trends: Trends,
) -> None:
    from dataclasses import replace

    hostile = replace(trends.by_service[0], name='=HYPERLINK("http://x.example","db")')
    rows = list(
        csv.DictReader(io.StringIO(to_csv(replace(trends, by_service=(hostile,))).decode()))
    )
    [service] = [r for r in rows if r["measure"] == "service"]
    assert service["name"] == '\'=HYPERLINK("http://x.example","db")'
    assert service["change"] == "1"  # numbers are left alone, negative ones included
    assert [r["change"] for r in rows if r["name"] == "sev3"] == ["-1"]


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _legend(axes: Any) -> list[str]:
    return [t.get_text() for t in axes.get_legend().get_texts()]


def test_the_week_chart_names_the_period_in_its_title_and_axes(trends: Trends) -> None:
    fig = chart.figure(trends, "Globex Retail Inc")
    axes = fig.axes[0]
    assert axes.get_title() == "Escalations per day by severity: Globex Retail Inc, 2026-W47"
    assert axes.get_xlabel().startswith("Day of 2026-W47 (Mon 16 Nov")
    assert axes.get_ylabel() == "Escalations (by first event)"
    assert next(t.get_text() for t in axes.get_xticklabels()) == "Mon 16"
    legend = _legend(axes)
    assert "sev1 (2026-W47)" in legend and "all severities (2026-W46, same day)" in legend
    width, height = _png_size(chart.png(fig))
    assert 600 <= width <= 1600 and 300 <= height <= 1000


def test_the_month_chart_is_per_week_against_the_previous_month() -> None:
    month = compute("globex", parse_period("2026-11", "America/New_York"), stream())
    fig = chart.figure(month, "Globex Retail Inc")
    axes = fig.axes[0]
    assert axes.get_title() == "Escalations per week by severity: Globex Retail Inc, 2026-11"
    assert axes.get_xlabel().startswith("Week (7-day blocks from the 1st) of 2026-11")
    assert [t.get_text() for t in axes.get_xticklabels()] == [
        "1-7",
        "8-14",
        "15-21",
        "22-28",
        "29-30",
    ]
    assert "all severities (2026-10, same block)" in _legend(axes)


def test_the_report_document_carries_summary_labels_and_both_attachments(
    trends: Trends, mappings: Mappings
) -> None:
    doc = report_document(trends, mappings)
    assert doc.scope == "globex" and doc.period_label == "2026-W47"
    assert (
        doc.summary
        == "CSP trend report 2026-W47: Globex Retail Inc: 4 escalations (+2 on 2026-W46)"
    )
    assert doc.labels[0] == "csp-report-globex-2026-w47"
    assert {
        "csp-report",
        "csp-report-2026-w47",
        "csp-customer-globex",
        "csp-act-trending-reporting",
    } <= set(doc.labels)
    png, csv_file = doc.attachments
    assert (png.filename, png.media_type) == ("trends-globex-2026-W47.png", "image/png")
    assert _png_size(png.content)[0] >= 600
    assert (csv_file.filename, csv_file.media_type) == ("trends-globex-2026-W47.csv", "text/csv")
    assert csv_file.content == to_csv(trends)
    assert doc.description_wiki == descriptions(trends, "Globex Retail Inc")[0]


def test_the_all_customer_report_is_labelled_for_all(mappings: Mappings) -> None:
    trends = compute("all", parse_period("2026-11", "UTC"), stream())
    doc = report_document(trends, mappings)
    assert doc.labels[:4] == (
        "csp-report-all-2026-11",
        "csp-report",
        "csp-report-2026-11",
        "csp-report-all",
    )
    assert "all customers" in doc.summary
