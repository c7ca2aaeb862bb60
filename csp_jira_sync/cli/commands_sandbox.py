"""`csp-jira-sync sandbox`: the embedded Jira stand-in on a loopback port.

Prints the base URL and the seeded users with their tokens (sandbox-only credentials, printed on
purpose so a person can log in with curl or the jira package), then serves until Ctrl-C/SIGTERM.
"""

from __future__ import annotations

import signal
import sys
import threading
from enum import StrEnum
from pathlib import Path
from types import FrameType

import typer

from csp_jira_sync.cli.app import app
from csp_jira_sync.cli.output import FORMAT_OPTION, Format, console, emit_json, fail, table


class ModeOption(StrEnum):
    cloud = "cloud"
    datacenter = "datacenter"


@app.command()
def sandbox(
    host: str = typer.Option("127.0.0.1", help="address to listen on (loopback by default)"),
    port: int = typer.Option(8090, min=0, max=65535, help="port to listen on (0: any free port)"),
    mode: ModeOption = typer.Option(ModeOption.cloud, help="answer as Jira Cloud or Data Center"),
    seed: Path | None = typer.Option(
        None, "--seed", help="YAML seed replacing the default (format: default_seed.yaml)"
    ),
    latency_ms: int = typer.Option(0, min=0, help="added latency per Jira API call, in ms"),
    rate_limit: str | None = typer.Option(
        None, help="token-bucket rate limit, e.g. 5/s or 120/min; 429 with Retry-After beyond it"
    ),
    fault_rate: float = typer.Option(
        0.0, min=0.0, max=1.0, help="share of calls failing with 500/502/503, drops or timeouts"
    ),
    index_lag_ms: int = typer.Option(
        0, min=0, help="ms before a created or edited issue shows in JQL search"
    ),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Run the Jira sandbox (Cloud or Data Center REST API) until interrupted."""
    from jira_sandbox.config import KnobSettings, SandboxConfig, parse_rate
    from jira_sandbox.seed import SeedError
    from jira_sandbox.server import SandboxStartError, start_sandbox

    try:
        rate = parse_rate(rate_limit) if rate_limit else None
    except ValueError as error:
        raise fail(f"--rate-limit: {error}") from None
    config = SandboxConfig(
        mode=mode.value,
        host=host,
        port=port,
        seed_path=seed,
        knobs=KnobSettings(
            latency_ms=latency_ms,
            rate_limit_per_s=rate,
            fault_rate=fault_rate,
            index_lag_ms=index_lag_ms,
        ),
    )
    # Handlers go in before anything is printed: a supervisor that reads the URL and then sends
    # SIGTERM must get a clean stop, not a kill.
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        running = start_sandbox(config)
    except SeedError as error:
        raise fail(f"the seed cannot be used: {error}") from None
    except SandboxStartError as error:
        raise fail(f"{error}; choose another --port or stop what is using it") from None

    users = [
        {"name": u.name, "displayName": u.display_name, "email": u.email, "token": u.token}
        for u in running.sandbox.seed.users
    ]
    if fmt is Format.json:
        emit_json({"baseUrl": running.base_url, "mode": config.mode, "users": users})
    else:
        console.print(
            f"Jira sandbox ({config.mode}) listening on [bold]{running.base_url}[/]  "
            f"admin API: {running.base_url}/_sandbox/info"
        )
        console.print(
            table(
                "Seeded users (sandbox-only tokens, for basic auth as user + token)",
                ["user", "name", "email", "token"],
                [(u["name"], u["displayName"], u["email"], u["token"]) for u in users],
            )
        )
        console.print("Press Ctrl-C to stop.")
    sys.stdout.flush()  # a supervisor reading the URL through a pipe must get it now

    try:
        while not stop.wait(0.5):
            pass
    finally:
        running.stop()
