"""A `ReportDocument` from the trend numbers: summary, labels, both descriptions, the PNG chart
and the CSV. What `publish.py` raises in Jira; no I/O here (the chart is drawn in memory)."""

from __future__ import annotations

from csp_jira_sync.config.mappings import Mappings
from csp_jira_sync.jira.text import fit_summary
from csp_jira_sync.reports.document import Attachment, ReportDocument
from csp_jira_sync.reports.render import descriptions, signed, to_csv
from csp_jira_sync.reports.trends import Trends

ALL = "all"
REPORT_LABEL = "csp-report"
ACTIVITY = "trending-reporting"


def period_label(trends: Trends) -> str:
    """`csp-report-2026-w47` / `csp-report-2026-11`: every report of the period carries it."""
    return f"{REPORT_LABEL}-{trends.period.label.lower()}"


def reference_label(trends: Trends) -> str:
    """The one label that finds this scope's report for this period again (re-runs update it)."""
    return f"{REPORT_LABEL}-{trends.scope}-{trends.period.label.lower()}"


def scope_name(scope: str, mappings: Mappings) -> str:
    customer = mappings.customer(scope) if scope != ALL else None
    return customer.display_name if customer is not None else "all customers"


def labels(trends: Trends, mappings: Mappings) -> tuple[str, ...]:
    customer = mappings.customer(trends.scope) if trends.scope != ALL else None
    activity = mappings.catalog.activity(ACTIVITY)
    return (
        reference_label(trends),
        REPORT_LABEL,
        period_label(trends),
        customer.label if customer is not None else f"{REPORT_LABEL}-{ALL}",
        "csp",
        mappings.catalog.category_of(ACTIVITY).label,
        activity.label,  # a CSP activity label: triage leaves the report alone
    )


def summary(trends: Trends, name: str) -> str:
    total = trends.total
    return fit_summary(
        f"CSP trend report {trends.period.label}: {name}: {total.current} escalations "
        f"({signed(total.delta)} on {trends.previous.label})"
    )


def report_document(trends: Trends, mappings: Mappings) -> ReportDocument:
    # matplotlib takes a second or more to import: only a run that draws a chart pays for it,
    # not every `csp-jira-sync` start (serve's readiness included).
    from csp_jira_sync.reports import chart

    name = scope_name(trends.scope, mappings)
    wiki, adf = descriptions(trends, name)
    stem = f"trends-{trends.scope}-{trends.period.label}"
    return ReportDocument(
        scope=trends.scope,
        period_label=trends.period.label,
        summary=summary(trends, name),
        labels=labels(trends, mappings),
        description_wiki=wiki,
        description_adf=adf,
        attachments=(
            Attachment(f"{stem}.png", chart.png(chart.figure(trends, name)), "image/png"),
            Attachment(f"{stem}.csv", to_csv(trends), "text/csv"),
        ),
    )
