"""Pytest plugin: hold Jira traffic to Atlassian's published REST contract.

Fixtures:
- `jira_contracts` (session): the loaded contracts (`JiraContracts`), loaded once per process.
- `jira_contract`: a `ContractRecorder`; `attach()` it to a `requests.Session` or a `jira.JIRA`
  client and every exchange is validated; the test fails at teardown if any broke the contract
  or used a path the contract does not know (`/_sandbox/` admin paths are exempt).
- `contract_validator`: a Cloud `ContractValidator`, for checking single exchanges directly.

The contracts are found through `CSP_CONTRACTS_DIR`, by default `../shared/contracts` beside
the repository. Where they are absent the tests skip, saying where they looked, unless `CI` is
set, in which case they fail: CI must run them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.contract_deviations import ALLOWED_DEVIATIONS, Deployment
from tests.support.contract_recorder import ContractRecorder
from tests.support.contract_specs import (
    CLOUD_FILE,
    ContractsUnavailable,
    JiraContracts,
    load_jira_contracts,
    loaded_jira_contracts,
)
from tests.support.contract_validator import (
    ContractValidator,
    ContractViolation,
    Exchange,
    Violation,
)

__all__ = [
    "ALLOWED_DEVIATIONS",
    "ContractRecorder",
    "ContractValidator",
    "ContractViolation",
    "Deployment",
    "Exchange",
    "JiraContracts",
    "Violation",
    "contracts_dir",
    "load_jira_contracts",
    "require_jira_contracts",
]

CONTRACTS_ENV = "CSP_CONTRACTS_DIR"
REPO_ROOT = Path(__file__).resolve().parents[2]


def contracts_dir() -> Path:
    """Where the contracts are: `$CSP_CONTRACTS_DIR`, else `<repo root>/../shared/contracts`."""
    configured = os.environ.get(CONTRACTS_ENV)
    if configured:
        return Path(configured).expanduser()
    return (REPO_ROOT.parent / "shared" / "contracts").resolve()


def require_jira_contracts() -> JiraContracts:
    """Load the contracts, or skip (fail under CI) with a message saying where they were sought."""
    directory = contracts_dir()
    try:
        if not (directory / CLOUD_FILE).is_file():
            raise ContractsUnavailable(f"{directory / CLOUD_FILE} is missing")
        return load_jira_contracts(directory)
    except ContractsUnavailable as exc:
        message = (
            f"Jira REST contracts not available: {exc}. Looked in {directory} "
            f"({'from ' + CONTRACTS_ENV if os.environ.get(CONTRACTS_ENV) else 'the default'}); "
            f"set {CONTRACTS_ENV} to the directory holding {CLOUD_FILE} and SHA256SUMS."
        )
        if os.environ.get("CI"):
            pytest.fail(f"{message} CI is set, so this is a failure, not a skip.", pytrace=False)
        pytest.skip(message)


@pytest.fixture(scope="session")
def jira_contracts() -> JiraContracts:
    return require_jira_contracts()


@pytest.fixture
def contract_validator(jira_contracts: JiraContracts) -> ContractValidator:
    return ContractValidator(jira_contracts, Deployment.CLOUD)


@pytest.fixture
def jira_contract(jira_contracts: JiraContracts) -> Iterator[ContractRecorder]:
    recorder = ContractRecorder(jira_contracts)
    yield recorder
    recorder.detach_all()
    failure: str | None = None
    try:
        recorder.assert_clean()
    except ContractViolation as exc:
        failure = str(exc)
    if failure is not None:  # outside the except, so pytest shows it once, unchained
        pytest.fail(failure, pytrace=False)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    # Figures for the README's "~10 ms per exchange": printed, never asserted (no timed tests).
    for contracts in loaded_jira_contracts():
        stats = contracts.stats
        if stats.exchanges:
            terminalreporter.write_line(
                f"jira contract: loaded in {contracts.load_seconds * 1000:.0f} ms; "
                f"{stats.exchanges} exchanges validated, {stats.mean_ms:.1f} ms each on average"
            )
