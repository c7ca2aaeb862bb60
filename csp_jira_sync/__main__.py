"""`python -m csp_jira_sync` is the same as the `csp-jira-sync` command."""

from csp_jira_sync.cli import main

main()
