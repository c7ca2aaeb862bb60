"""A report as Jira will show it, independent of how its numbers were computed: the interface
between the pure trend computation and rendering (`trends.py`, `render.py`) and the shell that
raises it in Jira (`publish.py`). Plain frozen values, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Attachment:
    """A file attached to the report issue; re-publishing replaces the one with this name."""

    filename: str  # e.g. "trends-acme-2026-W47.png"
    content: bytes
    media_type: str  # "image/png", "text/csv"


@dataclass(frozen=True)
class ReportDocument:
    """One report issue: one per period and scope, found again by `labels` (the first is the
    stable reference label for the scope and period)."""

    scope: str  # a customer alias, or "all"
    period_label: str  # "2026-W47" (ISO week) or "2026-11" (calendar month)
    summary: str
    labels: tuple[str, ...]  # always includes "csp-report" and a period label
    description_wiki: str  # Jira wiki markup, for REST v2
    description_adf: dict[str, Any]  # Atlassian Document Format, for REST v3
    attachments: tuple[Attachment, ...]  # the PNG chart and the CSV of the same numbers
