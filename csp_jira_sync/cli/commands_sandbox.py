"""`csp-jira-sync sandbox`: the embedded Jira stand-in (owned by the sandbox work)."""
