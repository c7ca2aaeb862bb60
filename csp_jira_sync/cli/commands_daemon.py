"""`serve`, `sync`, `check` and `dead-letters`: running and operating the daemon."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from csp_jira_sync.checks import LiveCheck, run_live_checks
from csp_jira_sync.checks.classifier_state import classifier_row
from csp_jira_sync.checks.store_state import store_rows
from csp_jira_sync.cli.app import app
from csp_jira_sync.cli.output import FORMAT_OPTION, Format, console, emit_json, fail, table
from csp_jira_sync.config.mappings import load_mappings
from csp_jira_sync.errors import ConfigError, CspSyncError
from csp_jira_sync.settings import Settings, load_settings

if TYPE_CHECKING:
    from csp_jira_sync.runtime.scheduler import JobResult

ENV_FILE = typer.Option(
    None, "--env-file", help="read settings from this file too (environment wins)"
)


log = logging.getLogger(__name__)


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s", force=True
    )
    # urllib3 logs full URLs at DEBUG, never headers; the jira package's own logger is quiet.
    logging.getLogger("urllib3").setLevel(logging.WARNING)


def cli_settings(env_file: Path | None) -> Settings:
    try:
        return load_settings(env_file)
    except Exception as exc:  # pydantic's ValidationError hides input values (hide_input_in_errors)
        raise fail(f"invalid settings: {exc}") from None


@app.command()
def serve(env_file: Path | None = ENV_FILE) -> None:
    """Run the receiver, the worker and the scheduler until stopped (SIGTERM or Ctrl-C)."""
    from csp_jira_sync.runtime.bootstrap import build_app
    from csp_jira_sync.runtime.daemon import serve as run

    settings = cli_settings(env_file)
    configure_logging(settings.log_level)
    try:
        if settings.webhook_secret is None:
            raise ConfigError(
                "CSP_WEBHOOK_SECRET is not set: the receiver will not accept unsigned "
                "escalations. Set it to the Standard Webhooks secret (whsec_...) the NOC signs with."
            )
        run(build_app(settings))
    except CspSyncError as exc:
        raise fail(str(exc)) from None


@app.command()
def sync(
    env_file: Path | None = ENV_FILE,
    fmt: Format = FORMAT_OPTION,
    timeout: float = typer.Option(
        300.0, "--timeout", help="seconds to wait for the queue's deferred events to fall due"
    ),
) -> None:
    """One pass of every job (the queue into Jira, the triage pass), then exit.

    Every job runs even when one fails; the results of all are shown, and the exit code is 1
    naming the jobs that failed (2 when the daemon cannot start at all).
    """
    from csp_jira_sync.runtime.bootstrap import build_app
    from csp_jira_sync.runtime.scheduler import run_all

    settings = cli_settings(env_file)
    configure_logging("WARNING" if fmt is Format.json else settings.log_level)
    try:
        daemon = build_app(settings)
    except CspSyncError as exc:
        raise fail(str(exc)) from None
    try:
        jobs = [job for job in daemon.jobs(drain_timeout=timeout) if job.in_sync]
        # Daemons sharing this database may be running a job: `sync` takes the same lock.
        leases = daemon.job_leases()
        heartbeat_stop = threading.Event()
        heartbeat = leases.start_heartbeat(heartbeat_stop)
        try:
            results = run_all(
                jobs,
                around=lambda job: console.status(f"{job.title.lower()}…"),
                guard=leases,
            )
        finally:
            heartbeat_stop.set()
            heartbeat.join(timeout=5)
            leases.release_all()
        try:
            depth: dict[str, int] | None = daemon.store.depth()
        except CspSyncError as exc:
            depth = None
            log.warning("sync.depth_unavailable reason=%s", exc)
    finally:
        daemon.close()
    failed = [result.job for result in results if not result.ok]
    if fmt is Format.json:
        emit_json(
            {
                "ok": not failed,
                "failed": failed,
                "jobs": {r.job: _job_json(r) for r in results},
                "queue": depth,
            }
        )
    else:
        for job, result in zip(jobs, results, strict=True):
            if result.skipped:
                console.print(
                    f"[bold]{job.title}[/]: skipped, another daemon runs it: "
                    f"{escape(result.held_by or '')}"
                )
            elif result.ok:
                console.print(
                    table(job.title, ["outcome", job.unit], sorted(result.outcomes.items()))
                )
            else:
                console.print(
                    f"[bold]{job.title}[/]: [red]failed[/] ({escape(result.error or '')})"
                )
        if depth is not None:
            console.print(table("Queue", ["state", "events"], sorted(depth.items())))
        else:
            console.print("[bold]Queue[/]: the store did not answer")
    if failed:
        raise fail(
            f"{', '.join(failed)} failed (see above); the other jobs' results stand. "
            "Fix the cause and run `sync` again.",
            code=1,
        )


def _job_json(result: JobResult) -> dict[str, Any]:
    if result.skipped:
        return {"ok": True, "skipped": True, "held_by": result.held_by}
    if result.ok:
        return {"ok": True, "outcomes": dict(result.outcomes)}
    return {"ok": False, "error": result.error}


@app.command()
def check(
    env_file: Path | None = ENV_FILE,
    live: bool = typer.Option(
        False, "--live", help="also check Jira: project, issue types, priorities, statuses"
    ),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Validate settings and mappings (and, with --live, what they name in Jira)."""
    settings = cli_settings(env_file)
    try:
        mappings = load_mappings(settings.mappings_dir)
    except ConfigError as exc:
        raise fail(str(exc)) from None
    rows: list[tuple[str, bool, str]] = [
        (
            "settings",
            True,
            f"Jira {settings.jira_url} as {settings.jira_user} (token {settings.jira_token})",
        ),
        ("mappings", True, str(settings.mappings_dir)),
        (
            "catalog",
            True,
            f"{len(mappings.catalog.categories)} categories, {len(list(mappings.catalog.activities()))} activities",
        ),
        ("customers", True, ", ".join(sorted(mappings.customers))),
        (
            "packages",
            True,
            ", ".join(f"{p.tier} {p.hours_per_month:g} h" for p in mappings.packages.values()),
        ),
        (
            "webhook secret",
            settings.webhook_secret is not None,
            "set" if settings.webhook_secret else "not set: `serve` refuses to start",
        ),
    ]
    rows += store_rows(settings.database_url, datetime.now(UTC))
    rows.append(classifier_row(settings.model_directory))
    in_jira: list[LiveCheck] = []
    if live:
        from csp_jira_sync.jira.gateway import connect

        in_jira = run_live_checks(
            connect(settings),
            project=settings.jira_project,
            auth=settings.jira_auth,
            mappings=mappings,
            now=datetime.now(UTC),
            deployment=settings.jira_deployment,
        )
    ok = all(passed for _, passed, _ in rows) and all(c.ok for c in in_jira)
    if fmt is Format.json:
        data: dict[str, Any] = {
            "ok": ok,
            "checks": [{"check": c, "ok": p, "detail": d} for c, p, d in rows]
            + [c.as_json() for c in in_jira],
        }
        emit_json(data)
    else:
        console.print(
            table(
                "csp-jira-sync check",
                ["check", "ok", "detail"],
                [(c, "yes" if p else "NO", d) for c, p, d in rows],
            )
        )
        if live:
            console.print(
                table(
                    f"In Jira ({settings.jira_url})",
                    ["check", "ok", "detail", "call", "Jira answered", "Jira offers"],
                    [
                        (c.check, "yes" if c.ok else "NO", c.detail, c.call, c.answer,
                         ", ".join(c.offers))
                        for c in in_jira
                    ],
                )
            )  # fmt: skip
    if not ok:
        raise typer.Exit(1)
