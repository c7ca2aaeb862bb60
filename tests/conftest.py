"""Fixtures shared by the whole suite.

The sandbox fixtures ship with the `jira_sandbox` package (`jira_sandbox.pytest_plugin`, registered
as a pytest11 entry point) so that the
sandbox can be started the same way in tests, the demo and the benchmarks; contract validation
of Jira traffic lives in `tests.support.contract`, and `jira_target`, the daemon's gateway on the
sandbox for the tests that run on several Jiras, in `tests.support.jira_target`.
"""

import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from csp_jira_sync.classify.model import fingerprint
from csp_jira_sync.classify.model_files import params_json
from csp_jira_sync.classify.training import CHOSEN_PARAMS, current_classifier, read_training_files
from csp_jira_sync.config.mappings import load_mappings

pytest_plugins: list[str] = [
    "tests.support.contract",
    "tests.support.database",
    "tests.support.jira_target",
    "tests.support.postgres_cluster",
    "tests.fault.plugin",
]


MAPPINGS = Path(__file__).resolve().parents[1] / "mappings"


@pytest.fixture(scope="session", autouse=True)
def shipped_model_dir() -> Iterator[Path]:
    """One classifier model for the whole run, trained once from the shipped labelled data and
    shared by the xdist workers (and the `serve` processes tests start, through the
    environment), instead of one trained per test database."""
    catalog = load_mappings(MAPPINGS).catalog
    records = fingerprint(read_training_files(MAPPINGS, catalog))
    params = json.dumps(params_json(CHOSEN_PARAMS), sort_keys=True)
    data = hashlib.sha256(f"{records} {params}".encode()).hexdigest()[:16]
    # Kept between runs (pytest's cache folder) while the training data and the model's
    # parameters stay the same.
    cache = Path(__file__).resolve().parents[1] / ".pytest_cache" / "csp-models"
    shared = cache / data
    shared.mkdir(parents=True, exist_ok=True)
    with (cache / f"{data}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        current_classifier(shared, MAPPINGS, catalog, now=lambda: datetime.now(UTC))
        fcntl.flock(lock, fcntl.LOCK_UN)
    before = os.environ.get("CSP_MODEL_DIR")
    os.environ["CSP_MODEL_DIR"] = str(shared)
    yield shared
    if before is None:
        os.environ.pop("CSP_MODEL_DIR", None)
    else:
        os.environ["CSP_MODEL_DIR"] = before
