"""`csp-jira-sync demo`: the main job end to end on the embedded defaults."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import typer
from rich.progress import TaskID

from csp_jira_sync.cli.app import app
from csp_jira_sync.cli.output import FORMAT_OPTION, Format, console, emit_json, progress_bar, table


def _with_prefix(labels: tuple[str, ...], prefix: str) -> str:
    return next((label.removeprefix(prefix) for label in labels if label.startswith(prefix)), "")


def _activity(labels: tuple[str, ...]) -> str:
    activity = _with_prefix(labels, "csp-act-")
    if not activity:
        activity = next((o for o in ("out-of-scope", "triage") if f"csp-{o}" in labels), "")
    return activity + (" (unverified)" if "csp-unverified-requester" in labels else "")


def _print_ledger(items: list[dict[str, Any]]) -> None:
    """`allowance`'s table in two parts, so that it reads on an 80-column terminal."""
    month = ", ".join(sorted({str(i["month"]) for i in items}))
    rows = [
        (
            i["customer"],
            i["package"],
            f"{i['allowance_hours']:g} h",
            f"{i['used_hours']:g} h",
            f"{i['remaining_hours']:g} h",
            f"{i['percent']:.1f}%",
            i["state"],
        )
        for i in items
    ]
    columns = ["customer", "package", "allowance", "used", "remaining", "percent", "state"]
    console.print(table(f"CSP allowance, {month}", columns, rows))
    where = [
        (i["customer"], title, f"{hours:g} h")
        for i in items
        for title, hours in i["used_by_category"].items()
        if hours
    ] + [
        (i["customer"], f"excluded: {reason}", f"{hours:g} h")
        for i in items
        for reason, hours in i["excluded_by_reason"].items()
    ]
    console.print(
        table("Where the hours went: by category, and excluded", ["customer", "", "hours"], where)
    )


@app.command()
def demo(
    escalations: int = typer.Option(24, min=1, max=2000, help="how many NOC escalations to send"),
    workdir: Path = typer.Option(Path("var/demo"), help="where the demo keeps its SQLite file"),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Start the Jira sandbox and the daemon, send signed escalations, show what landed in Jira."""
    from csp_jira_sync.demo.run import run_demo

    with progress_bar(fmt) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = bar.add_task(label, total=total)
            bar.update(tasks[label], completed=done, total=total)

        result = run_demo(workdir, escalations=escalations, progress=progress)

    issues = [
        {
            "key": issue.ref.key,
            "status": issue.status,
            "type": str((issue.fields.get("issuetype") or {}).get("name", "")),
            "summary": issue.summary,
            "source_id": issue.summary.partition("]")[0].lstrip("["),
            "customer": _with_prefix(issue.labels, "csp-customer-"),
            "labels": list(issue.labels),
            "activity": _activity(issue.labels),
        }
        for issue in result.issues
    ]
    summary = {
        "events_sent": result.sent,
        "accepted": result.accepted,
        "duplicates_answered": result.duplicates,
        "rejected": result.rejected,
        "issues_in_jira": len(result.issues),
        "jira_calls": result.jira_calls,
        "jira_calls_per_accepted_event": round(result.calls_per_event, 3),
        "queue": result.queue,
    }
    spent = result.allowance
    allowance: dict[str, Any] = {
        "worklogs": [
            {"user": w.user, "issue": w.key, "customer": w.customer, "hours": w.hours}
            for w in spent.worklogs
        ],
        "pass": spent.outcomes,
        "ledger": spent.ledger,
        "tracking_issues": [
            {
                "key": i["key"],
                "summary": i["summary"],
                "labels": i["labels"],
                "comments": [c["body"] for c in i["comments"]],
            }
            for i in spent.tracking
        ],
        "flagged_issues": [
            {
                "key": i["key"],
                "customer": _with_prefix(tuple(i["labels"]), "csp-customer-"),
                "labels": [label for label in i["labels"] if label.startswith("csp-allowance")],
            }
            for i in spent.flagged
        ],
    }
    if fmt is Format.json:
        emit_json({"summary": summary, "issues": issues, "allowance": allowance})
        return
    escalations_rows = [
        (i["key"], i["source_id"], i["customer"], i["status"], str(i["summary"]).partition(": ")[2])
        for i in issues
        if i["type"] == "Incident"
    ]
    request_rows = [
        (
            i["key"],
            i["source_id"],
            i["customer"],
            i["activity"],
            str(i["summary"]).partition(": ")[2],
        )
        for i in issues
        if i["type"] != "Incident"
    ]
    console.print(
        table(
            "NOC escalations in Jira",
            ["key", "NOC id", "customer", "status", "title"],
            escalations_rows,
            one_line=True,
        )
    )
    console.print(
        table(
            "Customer requests in Jira",
            ["key", "request", "customer", "CSP activity", "subject"],
            request_rows,
            one_line=True,
        )
    )
    per_customer = Counter(str(issue["customer"]) for issue in issues)
    console.print(
        table("Issues per customer", ["customer", "issues"], sorted(per_customer.items()))
    )
    console.print(
        table(
            "Time logged in Jira by CSP staff and NOC engineers",
            ["user", "issue", "customer", "hours"],
            [
                (w["user"], w["issue"], w["customer"], f"{w['hours']:g} h")
                for w in allowance["worklogs"]
            ],
        )
    )
    _print_ledger(spent.ledger)
    console.print(
        table(
            "Allowance tracking issues in Jira",
            ["key", "summary", "comments (first line)"],
            [
                (i["key"], i["summary"], "\n".join(c.split("\n")[0] for c in i["comments"]))
                for i in allowance["tracking_issues"]
            ],
        )
    )
    console.print(
        table(
            "Customer issues flagged by the allowance",
            ["key", "customer", "labels"],
            [
                (i["key"], i["customer"], ", ".join(i["labels"]))
                for i in allowance["flagged_issues"]
            ],
        )
    )
    console.print(table("Run", ["what", "value"], [(k, v) for k, v in summary.items()]))
