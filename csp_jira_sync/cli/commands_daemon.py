"""`serve`, `sync`, `check` and `dead-letters`: running and operating the daemon."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import typer

from csp_jira_sync.cli.app import app
from csp_jira_sync.cli.output import FORMAT_OPTION, Format, console, emit_json, fail, table
from csp_jira_sync.config.mappings import Mappings, load_mappings
from csp_jira_sync.errors import ConfigError, CspSyncError, JiraError
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
        with console.status("reading worklogs into the allowance ledger…"):
            allowance = daemon.allowance(full=True)
        depth = daemon.store.depth()
        daemon.close()
    except CspSyncError as exc:
        raise fail(str(exc)) from None
    result = {
        "outcomes": dict(report.outcomes),
        "triage": dict(triaged),
        "allowance": dict(allowance),
        "queue": depth,
    }
    if fmt is Format.json:
        emit_json(result)
        return
    console.print(table("Events processed", ["outcome", "events"], sorted(report.outcomes.items())))
    console.print(
        table("Triage of hand-made issues", ["outcome", "issues"], sorted(triaged.items()))
    )
    console.print(table("Allowance ledger", ["outcome", "count"], sorted(allowance.items())))
    console.print(table("Queue", ["state", "events"], sorted(depth.items())))


def _check_live(settings: Settings, mappings: Mappings) -> list[tuple[str, bool, str]]:
    from csp_jira_sync.jira.gateway import connect

    gateway = connect(settings)
    results: list[tuple[str, bool, str]] = []
    info = gateway.server_info()
    results.append(
        ("Jira answers", True, f"{info.get('deploymentType', '?')} {info.get('version', '')}")
    )
    try:
        gateway.project(settings.jira_project)
        results.append((f"project {settings.jira_project}", True, "exists"))
    except JiraError as exc:
        results.append((f"project {settings.jira_project}", False, str(exc)))
    wanted = {
        "issuetype": {
            mappings.escalation.issue_type,
            "Service Request",
            mappings.allowance.issue_type,
        },
        "priority": set(mappings.escalation.severity_priority.values()),
        "status": {
            mappings.escalation.statuses.acknowledged,
            mappings.escalation.statuses.resolved,
            mappings.escalation.statuses.reopened,
            *_approval_status(mappings),
        },
    }
    if settings.jira_auth == "bearer" and str(info.get("deploymentType", "")).lower() == "cloud":
        results.append(
            (
                "authentication",
                False,
                "Jira Cloud refuses bearer tokens (403): set CSP_JIRA_AUTH=basic with the account's email and an API token",
            )
        )
    targets = {
        mappings.escalation.statuses.acknowledged,
        mappings.escalation.statuses.resolved,
        mappings.escalation.statuses.reopened,
    }
    workflow = gateway.workflow_statuses(settings.jira_project).get(mappings.escalation.issue_type)
    if workflow is not None:
        lacking = sorted(t for t in targets if t.casefold() not in {w.casefold() for w in workflow})
        results.append(
            (
                f"workflow {mappings.escalation.issue_type}",
                not lacking,
                f"has no status {', '.join(lacking)}: fix `statuses` in escalation.yaml"
                if lacking
                else f"reaches {', '.join(sorted(targets))}",
            )
        )
    for issue_type in dict.fromkeys(
        (mappings.escalation.issue_type, "Service Request", mappings.allowance.issue_type)
    ):
        results += _check_screen(
            gateway, settings.jira_project, issue_type, bool(mappings.escalation.service_components)
        )
    for kind, names in wanted.items():
        present = {n.casefold() for n in gateway.names(kind)}  # type: ignore[arg-type]
        for name in sorted(names):
            ok = name.casefold() in present
            results.append(
                (f"{kind} {name}", ok, "exists" if ok else "missing in Jira: fix mappings or Jira")
            )
    return results


def _approval_status(mappings: Mappings) -> set[str]:
    """The status new requests wait in, when some package's overage policy needs it."""
    if any(p.overage == "require-approval" for p in mappings.packages.values()):
        return {mappings.allowance.approval_status}
    return set()


# What the daemon sets when it creates an issue, and what Jira itself fills in.
SET_ON_CREATE = frozenset({"project", "issuetype", "summary", "description", "labels", "priority"})
FILLED_BY_JIRA = frozenset({"reporter"})


def _check_screen(
    gateway: Any, project: str, issue_type: str, components: bool
) -> list[tuple[str, bool, str]]:
    """The create screen must show every field the daemon sets, and require nothing else
    ("Field 'x' cannot be set. It is not on the appropriate screen": jiralert #95)."""
    screen = gateway.create_screen(project, issue_type)
    name = f"create screen {issue_type}"
    if screen is None:
        return [(name, False, f"issue type {issue_type!r} is not in project {project}")]
    needed = SET_ON_CREATE | ({"components"} if components else set())
    missing = sorted(needed - set(screen))
    required = sorted(f for f, req in screen.items() if req and f not in needed | FILLED_BY_JIRA)
    if missing:
        return [
            (name, False, f"not on the screen: {', '.join(missing)}; add them to the create screen")
        ]
    if required:
        return [
            (name, False, f"Jira requires {', '.join(required)}, which the daemon does not set")
        ]
    return [(name, True, "every field the daemon sets is on it")]


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
    if live:
        try:
            rows += _check_live(settings, mappings)
        except JiraError as exc:
            rows.append(("Jira answers", False, str(exc)))
    ok = all(passed for _, passed, _ in rows)
    if fmt is Format.json:
        data: dict[str, Any] = {
            "ok": ok,
            "checks": [{"check": c, "ok": p, "detail": d} for c, p, d in rows],
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
    if not ok:
        raise typer.Exit(1)
