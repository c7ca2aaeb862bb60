"""`serve`, `sync`, `check` and `dead-letters`: running and operating the daemon."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer

from csp_jira_sync.checks import LiveCheck, run_live_checks
from csp_jira_sync.cli.app import app
from csp_jira_sync.cli.output import FORMAT_OPTION, Format, console, emit_json, fail, table
from csp_jira_sync.config.mappings import load_mappings
from csp_jira_sync.errors import ConfigError, CspSyncError
from csp_jira_sync.settings import Settings, load_settings

ENV_FILE = typer.Option(
    None, "--env-file", help="read settings from this file too (environment wins)"
)


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
    env_file: Path | None = ENV_FILE, fmt: Format = FORMAT_OPTION, timeout: float = 300.0
) -> None:
    """One pass of everything due (the queue into Jira), then exit."""
    from csp_jira_sync.runtime.bootstrap import build_app

    settings = cli_settings(env_file)
    configure_logging("WARNING" if fmt is Format.json else settings.log_level)
    try:
        daemon = build_app(settings)
        with console.status("draining the queue into Jira…"):
            report = daemon.worker.drain(timeout=timeout)
        with console.status("triaging issues people created in Jira…"):
            triaged = daemon.triage()
        depth = daemon.store.depth()
        daemon.close()
    except CspSyncError as exc:
        raise fail(str(exc)) from None
    result = {"outcomes": dict(report.outcomes), "triage": dict(triaged), "queue": depth}
    if fmt is Format.json:
        emit_json(result)
        return
    console.print(table("Events processed", ["outcome", "events"], sorted(report.outcomes.items())))
    console.print(
        table("Triage of hand-made issues", ["outcome", "issues"], sorted(triaged.items()))
    )
    console.print(table("Queue", ["state", "events"], sorted(depth.items())))


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
