"""Fixtures shared by the whole suite.

The sandbox fixtures ship with the `jira_sandbox` package (`jira_sandbox.pytest_plugin`, registered
as a pytest11 entry point) so that the
sandbox can be started the same way in tests, the demo and the benchmarks; contract validation
of Jira traffic lives in `tests.support.contract`.
"""

pytest_plugins: list[str] = [
    "tests.support.contract",
    "tests.support.database",
    "tests.support.postgres_cluster",
    "tests.fault.plugin",
]
