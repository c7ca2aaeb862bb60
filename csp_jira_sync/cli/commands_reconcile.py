"""`reconcile`: find and repair drift between the store, Jira and the allowance ledger.

Exit codes (`reconcile.plan.ExitCode`): 0 clean or repaired (or, on a dry run, repairable);
1 something needs a person, named in the findings; 2 it could not run at all (bad arguments or
settings, the store unreachable); 3 another reconciliation is running, named.
"""

from __future__ import annotations

import logging
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from csp_jira_sync.cli.app import app
from csp_jira_sync.cli.commands_daemon import ENV_FILE, cli_settings, configure_logging
from csp_jira_sync.cli.output import FORMAT_OPTION, Format, console, emit_json, fail, table
from csp_jira_sync.errors import CspSyncError
from csp_jira_sync.reconcile.findings import Finding, Scope
from csp_jira_sync.reconcile.plan import ExitCode, window
from csp_jira_sync.reconcile.run import Reconciler, Report

log = logging.getLogger(__name__)


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise fail(
            f"--since {value!r} is not a date: give it as YYYY-MM-DD or an ISO time, "
            "e.g. 2026-11-01 or 2026-11-01T02:30:00+00:00",
            code=ExitCode.CANNOT_RUN,
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@app.command()
def reconcile(
    since: str | None = typer.Option(
        None, "--since", help="look at changes since this date (default: the last successful run)"
    ),
    month: str | None = typer.Option(None, "--month", help="look at this month (YYYY-MM, UTC)"),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="find and report, change nothing in the store or in Jira"
    ),
    env_file: Path | None = ENV_FILE,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Find and repair drift: undelivered events, deleted issues, the allowance ledger, old rows.

    Exits 0 when clean or repaired, 1 when something needs a person (the findings say what),
    2 when it cannot run, 3 when another reconciliation is running (it says which daemon).
    """
    from csp_jira_sync.runtime.bootstrap import build_app

    settings = cli_settings(env_file)
    given_since = _since(since)
    try:  # arguments that make no sense are refused before anything is opened
        window(datetime.now(UTC), since=given_since, month=month)
    except ValueError as exc:
        raise fail(str(exc), code=ExitCode.CANNOT_RUN) from None
    on_terminal = fmt is Format.table and console.is_terminal
    # Structured log lines when no person watches (cron, systemd, Kubernetes); on a terminal
    # the progress bar and the table say it, and only warnings are logged.
    configure_logging("WARNING" if on_terminal or fmt is Format.json else settings.log_level)
    try:
        daemon = build_app(settings)
    except CspSyncError as exc:
        raise fail(str(exc), code=ExitCode.CANNOT_RUN) from None
    try:
        reconciler = daemon.reconciler(in_daemon=False)
        now = daemon.worker.clock()
        try:
            span = window(
                now, since=given_since, month=month, last_success=reconciler.last_success()
            )
        except ValueError as exc:
            raise fail(str(exc), code=ExitCode.CANNOT_RUN) from None
        scope = Scope(span.since, span.until, dry_run=dry_run)
        leases = daemon.job_leases()
        heartbeat_stop = threading.Event()
        heartbeat = leases.start_heartbeat(heartbeat_stop)
        try:
            if on_terminal:
                report = _with_progress(reconciler, scope, len(reconciler.steps))
            else:
                report = reconciler.run(scope)
        finally:
            heartbeat_stop.set()
            heartbeat.join(timeout=5)
            leases.release_all()
    except CspSyncError as exc:
        raise fail(str(exc), code=ExitCode.CANNOT_RUN) from None
    finally:
        daemon.close()
    _render(report, span.why, fmt)
    code = report.exit_code
    if code is ExitCode.ALREADY_RUNNING:
        raise fail(
            f"another reconciliation is running: {report.held_by}; nothing was done. "
            "Let it finish; the next run covers the same window.",
            code=code,
        )
    if code is ExitCode.NEEDS_PERSON:
        raise fail(
            f"{len(report.needs_person)} finding(s) need a person: "
            + "; ".join(_summary(f) for f in report.needs_person[:5])
            + (" and more (see above)" if len(report.needs_person) > 5 else ""),
            code=code,
        )


def _summary(finding: Finding) -> str:
    found = finding.found if len(finding.found) <= 100 else finding.found[:99] + "…"
    return f"{finding.step}: {finding.subject}: {found}"


def _with_progress(reconciler: Reconciler, scope: Scope, total: int) -> Report:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("reconciling", total=total)

        def on_step(name: str, done: int, steps: int) -> None:
            bar.update(task, completed=done, description=f"reconciling: {name}")

        return reconciler.run(scope, on_step=on_step)


def _render(report: Report, why: str, fmt: Format) -> None:
    if fmt is Format.json:
        data = report.as_json()
        data["window"] = why
        emit_json(data)
        return
    if report.held_by is not None:
        return
    scope = report.scope
    assert scope is not None
    mode = " (dry run: nothing changed)" if scope.dry_run else ""
    console.print(
        f"Reconciled {scope.since.isoformat()} to {scope.until.isoformat()}, {escape(why)}{mode}",
        highlight=False,
    )
    console.print(
        table(
            "Steps",
            ["step", "result", "findings", "seconds"],
            [
                (
                    s.name,
                    f"FAILED: {s.error}" if s.error else " ".join(("ok", s.summary)).strip(),
                    len(s.findings),
                    f"{s.seconds:.1f}",
                )
                for s in report.steps
            ],
        )
    )
    if report.findings:
        console.print(
            table(
                "Findings",
                ["step", "about", "found", "outcome", "action"],
                [
                    (
                        f.step,
                        f.subject,
                        f.found,
                        "NEEDS A PERSON" if f.needs_person else f.outcome,
                        f.action,
                    )
                    for f in report.findings
                ],
            )
        )
    else:
        console.print("Nothing to reconcile: the store, Jira and the ledger agree.")
    sys.stdout.flush()
