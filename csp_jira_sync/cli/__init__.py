"""Command-line entry point: `csp-jira-sync`."""

from csp_jira_sync.cli import (  # noqa: F401  (importing a module registers its commands)
    commands_allowance,
    commands_classify,
    commands_daemon,
    commands_demo,
    commands_reconcile,
    commands_reports,
    commands_requests,
    commands_sandbox,
)
from csp_jira_sync.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    app()
