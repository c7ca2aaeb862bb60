"""Report documents for the publishing tests, as `trends`/`render` would hand them over (those
are built elsewhere; publishing only needs the shape)."""

from __future__ import annotations

from csp_jira_sync.reports.document import Attachment, ReportDocument

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def report(
    *, scope: str = "acme", period: str = "2026-W47", run: int = 1, count: int = 3
) -> ReportDocument:
    """The report of `scope` and `period`; `run` changes the numbers, as a later run would."""
    ref = f"csp-report-{scope}-{period.lower()}"
    table = [("P1", count), ("P2", count + run)]
    wiki = "h2. Escalations by severity\n||Severity||Count||\n" + "\n".join(
        f"|{severity}|{n}|" for severity, n in table
    )
    rows = [
        {
            "type": "tableRow",
            "content": [
                {
                    "type": "tableCell",
                    "content": [{"type": "paragraph", "content": [{"type": "text", "text": v}]}],
                }
                for v in (severity, str(n))
            ],
        }
        for severity, n in table
    ]
    adf = {
        "type": "doc",
        "version": 1,
        "content": [
            {
                "type": "heading",
                "attrs": {"level": 2},
                "content": [{"type": "text", "text": "Escalations by severity"}],
            },
            {"type": "table", "content": rows},
        ],
    }
    csv = "severity,count\n" + "".join(f"{s},{n}\n" for s, n in table)
    return ReportDocument(
        scope=scope,
        period_label=period,
        summary=f"CSP trends {scope} {period}",
        labels=(ref, "csp-report", f"csp-period-{period.lower()}"),
        description_wiki=wiki,
        description_adf=adf,
        attachments=(
            Attachment(
                f"trends-{scope}-{period}.png", PNG_SIGNATURE + bytes([run]) * 40, "image/png"
            ),
            Attachment(f"trends-{scope}-{period}.csv", csv.encode(), "text/csv"),
        ),
    )
