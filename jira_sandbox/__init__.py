"""A stateful Jira Cloud / Data Center stand-in, held to Atlassian's published REST contract.

    from jira_sandbox import SandboxConfig, KnobSettings, start_sandbox

    with start_sandbox(SandboxConfig(mode="cloud", knobs=KnobSettings(index_lag_ms=500))) as jira:
        jira.base_url           # http://127.0.0.1:<free port>
        jira.admin.stats()      # the admin API (/_sandbox/...): stats, reset, state, knobs, clock
        jira.sandbox.state      # the in-memory Jira, for direct loading under state.lock

Module map: `config` (modes, knobs), `seed` + `default_seed.yaml` (the starting state),
`model` and `state` (the data and its indexes), `search_index` (the lagging JQL index), `feed`
(worklog change feeds), `fields`, `issue_service`, `worklog_service`, `search_service` (Jira's
operations and checks), `render` (Jira's JSON), `routes_*` (HTTP), `knobs` (rate limit, faults),
`auth`, `app` (the ASGI app), `server` (background thread), `pytest_plugin` (fixtures).
"""

from jira_sandbox.admin_client import SandboxAdmin, SandboxAdminError
from jira_sandbox.app import SandboxApp, create_app
from jira_sandbox.config import KnobSettings, Mode, SandboxConfig, parse_rate
from jira_sandbox.core import Sandbox
from jira_sandbox.seed import Seed, SeedError, load_seed
from jira_sandbox.server import RunningSandbox, SandboxStartError, start_sandbox

__all__ = [
    "KnobSettings",
    "Mode",
    "RunningSandbox",
    "Sandbox",
    "SandboxAdmin",
    "SandboxAdminError",
    "SandboxApp",
    "SandboxConfig",
    "SandboxStartError",
    "Seed",
    "SeedError",
    "create_app",
    "load_seed",
    "parse_rate",
    "start_sandbox",
]
