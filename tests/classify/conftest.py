"""The shipped mappings, loaded once: the classifier is tested against the rules a lead edits."""

from __future__ import annotations

from pathlib import Path

import pytest

from csp_jira_sync.classify import (
    ClassificationRules,
    CompiledRules,
    compile_rules,
    load_classification_rules,
)
from csp_jira_sync.config.catalog import Catalog
from csp_jira_sync.config.mappings import load_mappings

REPO = Path(__file__).resolve().parents[2]
MAPPINGS = REPO / "mappings"
REQUESTS = REPO / "tests" / "data" / "requests"


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_mappings(MAPPINGS).catalog


@pytest.fixture(scope="session")
def rules(catalog: Catalog) -> ClassificationRules:
    return load_classification_rules(MAPPINGS, catalog)


@pytest.fixture(scope="session")
def compiled(rules: ClassificationRules, catalog: Catalog) -> CompiledRules:
    return compile_rules(rules, catalog)
