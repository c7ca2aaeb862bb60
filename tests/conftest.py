"""Fixtures shared by the whole suite.

The sandbox fixtures ship with the package (`csp_jira_sync.sandbox.pytest_plugin`) so that the
sandbox can be started the same way in tests, the demo and the benchmarks; contract validation
of Jira traffic lives in `tests.support.contract`.
"""

pytest_plugins: list[str] = [
    "csp_jira_sync.sandbox.pytest_plugin",
    "tests.support.contract",
    "tests.support.database",
]
