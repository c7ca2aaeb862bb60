"""`csp-jira-sync check --live`: what the mappings name, looked up in Jira (`live`), through
calls made once each (`calls`), with the project's create metadata (`create_meta`); and what the
state store says needs a person (`store_state`)."""

from csp_jira_sync.checks.calls import MetaReader, Params
from csp_jira_sync.checks.live import LiveCheck, run_live_checks

__all__ = ["LiveCheck", "MetaReader", "Params", "run_live_checks"]
