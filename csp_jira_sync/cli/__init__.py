"""Command-line entry point: `csp-jira-sync`."""

from csp_jira_sync.cli import commands_classify, commands_daemon, commands_demo, commands_sandbox  # noqa: F401  (registers commands)
from csp_jira_sync.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    app()
