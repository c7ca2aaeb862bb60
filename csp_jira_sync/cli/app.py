"""The one Typer application behind the `csp-jira-sync` console script.

Each command lives in its own `commands_*` module that imports `app` from here and registers
itself; `csp_jira_sync.cli` imports them all. Commands stay thin: parse, call one function, render.
"""

import typer

app = typer.Typer(
    name="csp-jira-sync",
    help="Run a CSP service inside Jira: escalations and requests in, labelled issues out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals may hold tokens: never print them
)
