"""The trend numbers as people read them in Jira: one layout (headings, paragraphs, tables of
cells that may link to the issues behind a number) rendered as wiki markup for REST v2 and as
ADF with real table nodes for REST v3, plus the CSV of the same numbers. Pure.

Links are JQL searches relative to the Jira base URL (`/issues/?jql=...`). Every value that
reaches JQL (issue keys here, but customer names, services and fingerprints show in the text
beside them) is quoted and escaped by `jql_string`, and the whole JQL is URL-encoded.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from csp_jira_sync.jira.jql import string as jql_string
from csp_jira_sync.jira.text import DESCRIPTION_LIMIT, utf16_length
from csp_jira_sync.reports.trends import COUNTING_RULE, Count, Durations, Trends

# The most issue keys one link lists; when the description would pass Jira's 32,767 limit,
# links are tried again with fewer keys, then left out (the saved filters hold the rest).
LINK_LIMITS = (200, 40, 0)
# What the description may take of Jira's limit: the publisher appends the links to the
# customer's saved filters after it.
DESCRIPTION_BUDGET = DESCRIPTION_LIMIT - 2_000


@dataclass(frozen=True)
class Cell:
    text: str
    href: str | None = None


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


Block = Heading | Paragraph | Table


# -- JQL --------------------------------------------------------------------------------------


def keys_jql(keys: Sequence[str]) -> str:
    ordered = list(dict.fromkeys(keys))
    return f"key in ({', '.join(jql_string(k) for k in ordered)}) ORDER BY created ASC"


def search_url(jql: str) -> str:
    return "/issues/?jql=" + quote(jql, safe="")


def _linked(text: str, keys: Sequence[str], limit: int) -> Cell:
    if not keys or len(set(keys)) > limit:
        return Cell(text)
    return Cell(text, search_url(keys_jql(keys)))


# -- formatting -------------------------------------------------------------------------------


def duration(value: timedelta | None) -> str:
    if value is None:
        return "-"
    minutes = round(value.total_seconds() / 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days}d"] * bool(days) + [f"{hours}h"] * bool(hours or days) + [f"{minutes}m"]
    return " ".join(parts)


def signed(value: int) -> str:
    return f"+{value}" if value > 0 else str(value)


def local(instant: datetime, timezone: str) -> str:
    return instant.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M %Z")


# -- the layout -------------------------------------------------------------------------------


def _count_table(title: str, rows: Sequence[Count], limit: int) -> Table:
    return Table(
        (title, "This period", "Previous period", "Change"),
        tuple(
            (
                Cell(c.name),
                _linked(str(c.current), c.current_keys, limit),
                _linked(str(c.previous), c.previous_keys, limit),
                Cell(signed(c.delta)),
            )
            for c in rows
        ),
    )


def _durations_row(name: str, durations: Durations, limit: int) -> tuple[Cell, ...]:
    return (
        Cell(name),
        _linked(str(durations.measured), durations.keys, limit),
        Cell(duration(durations.mean)),
        Cell(duration(durations.p90)),
    )


def layout(trends: Trends, scope_name: str, *, link_limit: int = LINK_LIMITS[0]) -> list[Block]:
    zone = trends.period.timezone
    blocks: list[Block] = [
        Heading(2, f"CSP trend report: {scope_name}, {trends.period.describe()}"),
        Paragraph((Cell(f"Compared with the previous period, {trends.previous.describe()}."),)),
        Paragraph((Cell("Counting rule: " + COUNTING_RULE),)),
        Heading(3, "Escalations"),
        _count_table("Escalations", [trends.total], link_limit),
        Heading(3, "By severity"),
        _count_table("Severity", trends.by_severity, link_limit),
        Heading(3, "By service"),
        _count_table("Service", trends.by_service, link_limit),
        Heading(3, "By data center"),
        _count_table("Data center", trends.by_datacenter, link_limit),
        Heading(3, "By category"),
        _count_table("Category", trends.by_category, link_limit),
        Heading(3, "Time to acknowledge and to resolve"),
        Table(
            ("Measure (this period's escalations)", "Measured", "Mean", "p90"),
            (
                _durations_row(
                    "Time to acknowledge (first NOC acknowledgement)",
                    trends.acknowledge,
                    link_limit,
                ),
                _durations_row("Time to resolve (as Jira shows it)", trends.resolve, link_limit),
            ),
        ),
        Heading(3, f"Reopened escalations: {len(trends.reopened)}"),
    ]
    if trends.reopened:
        blocks.append(
            Table(
                ("Escalation", "Customer", "Reopened at", "Issues"),
                tuple(
                    (
                        Cell(r.escalation_id),
                        Cell(r.customer),
                        Cell(", ".join(local(t, zone) for t in r.reopened_at)),
                        _linked(", ".join(r.issue_keys), r.issue_keys, link_limit),
                    )
                    for r in trends.reopened
                ),
            )
        )
    blocks.append(Heading(3, "Top recurring problems (30 days to the end of the period)"))
    if trends.recurring:
        blocks.append(
            Table(
                ("Problem", "Customer", "Service", "Escalations", "First seen", "Last seen"),
                tuple(
                    (
                        Cell(g.fingerprint or g.title),
                        Cell(g.customer),
                        Cell(g.service or "-"),
                        _linked(str(len(g.escalation_ids)), g.issue_keys, link_limit),
                        Cell(local(g.first_seen, zone)),
                        Cell(local(g.last_seen, zone)),
                    )
                    for g in trends.recurring
                ),
            )
        )
    else:
        blocks.append(Paragraph((Cell("No problem recurred."),)))
    blocks.append(Heading(3, "CSP hours on incidents"))
    hours = (
        f"{trends.csp_hours:.2f} h of CSP work logged on incidents in this period "
        "(worklogs started in the period, as the allowance ledger counts them)."
        if trends.csp_hours is not None
        else "Not known for this report."
    )
    blocks.append(Paragraph((Cell(hours),)))
    return blocks


# -- wiki markup (v2) -------------------------------------------------------------------------

# Markup characters, and - and + where they could open or close strikethrough or underline
# (inside a word, as in "db-07" or "2026-W47", they are text).
_WIKI_SPECIAL = re.compile(r"([\\|\[\]{}*_^~!#?]|(?<!\w)[-+]|[-+](?!\w))")


def wiki_escape(text: str) -> str:
    escaped = _WIKI_SPECIAL.sub(r"\\\1", text)
    return escaped.replace("\n", " ") or " "


def _wiki_cell(cell: Cell) -> str:
    if cell.href is None:
        return wiki_escape(cell.text)
    return f"[{wiki_escape(cell.text)}|{cell.href}]"


def to_wiki(blocks: Sequence[Block]) -> str:
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            lines += [f"h{block.level}. {wiki_escape(block.text)}", ""]
        elif isinstance(block, Paragraph):
            lines += ["".join(_wiki_cell(c) for c in block.cells), ""]
        else:
            lines.append("||" + "||".join(wiki_escape(h) for h in block.header) + "||")
            lines += ["|" + "|".join(_wiki_cell(c) for c in row) + "|" for row in block.rows]
            lines.append("")
    return "\n".join(lines).strip() + "\n"


# -- ADF (v3) ---------------------------------------------------------------------------------


def _adf_text(cell: Cell) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": cell.text or "-"}
    if cell.href is not None:
        node["marks"] = [{"type": "link", "attrs": {"href": cell.href}}]
    return node


def _adf_cell(kind: str, cell: Cell) -> dict[str, Any]:
    paragraph = {"type": "paragraph", "content": [_adf_text(cell)]}
    return {"type": kind, "attrs": {}, "content": [paragraph]}


def to_adf(blocks: Sequence[Block]) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    for block in blocks:
        if isinstance(block, Heading):
            content.append(
                {
                    "type": "heading",
                    "attrs": {"level": block.level},
                    "content": [{"type": "text", "text": block.text}],
                }
            )
        elif isinstance(block, Paragraph):
            content.append({"type": "paragraph", "content": [_adf_text(c) for c in block.cells]})
        else:
            header = {
                "type": "tableRow",
                "content": [_adf_cell("tableHeader", Cell(h)) for h in block.header],
            }
            rows = [
                {"type": "tableRow", "content": [_adf_cell("tableCell", c) for c in row]}
                for row in block.rows
            ]
            content.append(
                {
                    "type": "table",
                    "attrs": {"isNumberColumnEnabled": False, "layout": "default"},
                    "content": [header, *rows],
                }
            )
    return {"type": "doc", "version": 1, "content": content}


def descriptions(trends: Trends, scope_name: str) -> tuple[str, dict[str, Any]]:
    """Wiki markup and ADF, each within the description budget: with fewer links if needed."""
    for limit in LINK_LIMITS:
        blocks = layout(trends, scope_name, link_limit=limit)
        wiki, adf = to_wiki(blocks), to_adf(blocks)
        if max(utf16_length(wiki), utf16_length(json.dumps(adf))) <= DESCRIPTION_BUDGET:
            return wiki, adf
    return wiki, adf


# -- CSV --------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "scope",
    "period",
    "previous_period",
    "timezone",
    "measure",
    "name",
    "this_period",
    "previous",
    "change",
)


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: str) -> str:
    """Names come from the NOC (services, data centers, titles): a cell a spreadsheet would
    read as a formula gets a leading apostrophe (OWASP's advice on CSV injection)."""
    return "'" + value if value.startswith(_FORMULA) else value


def _seconds(value: timedelta | None) -> str:
    return "" if value is None else str(round(value.total_seconds()))


def to_csv(trends: Trends) -> bytes:
    """The same numbers, one per row; durations in seconds, blank where unknown."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    head = (trends.scope, trends.period.label, trends.previous.label, trends.period.timezone)

    def row(
        measure: str, name: str, current: object, previous: object = "", change: object = ""
    ) -> None:
        writer.writerow((*head, measure, csv_text(name), current, previous, change))

    for measure, counts in (
        ("escalations", [trends.total]),
        ("severity", trends.by_severity),
        ("service", trends.by_service),
        ("datacenter", trends.by_datacenter),
        ("category", trends.by_category),
    ):
        for c in counts:
            row(measure, c.name, c.current, c.previous, c.delta)
    for measure, durations in (
        ("time_to_acknowledge", trends.acknowledge),
        ("time_to_resolve", trends.resolve),
    ):
        row(measure, "measured", durations.measured)
        row(measure, "mean_seconds", _seconds(durations.mean))
        row(measure, "p90_seconds", _seconds(durations.p90))
    row("reopened", "escalations", len(trends.reopened))
    for r in trends.reopened:
        row("reopened", r.escalation_id, len(r.reopened_at))
    for g in trends.recurring:
        row("recurring", g.key, len(g.escalation_ids))
    row("csp_hours", "incidents", "" if trends.csp_hours is None else f"{trends.csp_hours:.2f}")
    return out.getvalue().encode("utf-8")


# -- JSON (`report trends --format json`) -----------------------------------------------------


def _count_json(count: Count) -> dict[str, Any]:
    return {
        "this_period": count.current,
        "previous": count.previous,
        "change": count.delta,
        "issues": list(count.current_keys),
    }


def _durations_json(durations: Durations) -> dict[str, Any]:
    return {
        "measured": durations.measured,
        "mean_seconds": None if durations.mean is None else durations.mean.total_seconds(),
        "p90_seconds": None if durations.p90 is None else durations.p90.total_seconds(),
    }


def to_json(trends: Trends) -> dict[str, Any]:
    """The computed numbers for machines: the same as the report, with the issues behind them."""
    return {
        "scope": trends.scope,
        "period": trends.period.label,
        "previous_period": trends.previous.label,
        "timezone": trends.period.timezone,
        "start": trends.period.start.isoformat(),
        "end": trends.period.end.isoformat(),
        "escalations": _count_json(trends.total),
        "by_severity": {c.name: _count_json(c) for c in trends.by_severity},
        "by_service": {c.name: _count_json(c) for c in trends.by_service},
        "by_datacenter": {c.name: _count_json(c) for c in trends.by_datacenter},
        "by_category": {c.name: _count_json(c) for c in trends.by_category},
        "time_to_acknowledge": _durations_json(trends.acknowledge),
        "time_to_resolve": _durations_json(trends.resolve),
        "reopened": [
            {
                "escalation_id": r.escalation_id,
                "customer": r.customer,
                "reopened_at": [t.isoformat() for t in r.reopened_at],
                "issues": list(r.issue_keys),
            }
            for r in trends.reopened
        ],
        "recurring": [
            {
                "key": g.key,
                "customer": g.customer,
                "fingerprint": g.fingerprint,
                "service": g.service,
                "title": g.title,
                "category": g.category,
                "escalation_ids": list(g.escalation_ids),
                "issues": list(g.issue_keys),
                "first_seen": g.first_seen.isoformat(),
                "last_seen": g.last_seen.isoformat(),
            }
            for g in trends.recurring
        ],
        "csp_hours": trends.csp_hours,
    }
