"""The deleted-issue search against a Jira we did not write: jira820 (Data Center 8.20), which
answers 404 to an issue addressed by its id. The step searches by reference label and confirms
a miss by the issue's key, so it finds exactly the issue a person deleted there."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from csp_jira_sync.classify import compile_rules, load_classification_rules
from csp_jira_sync.config.mappings import load_mappings
from csp_jira_sync.config.references import ref_label
from csp_jira_sync.delivery import journal
from csp_jira_sync.jira.gateway import connect
from csp_jira_sync.jira.model import IssueRef
from csp_jira_sync.reconcile.deleted import DeletedIssuesStep
from csp_jira_sync.settings import Settings
from csp_jira_sync.store import Store
from tests.cli.test_check_live_jira820 import jira820  # noqa: F401  (the fixture)

pytestmark = pytest.mark.slow
HEADERS = {"Authorization": "Bearer any"}


@pytest.fixture
def recorded(jira820: str, tmp_path: Path) -> Iterator[tuple[Store, list[IssueRef]]]:  # noqa: F811
    store = Store.open(f"sqlite:///{tmp_path / 'state.sqlite'}")
    store.migrate()
    refs = []
    for n in (1, 2):
        label = ref_label("escalation", f"NOC-{n}", 1)
        answer = requests.post(
            f"{jira820}/rest/api/2/issue",
            json={
                "fields": {
                    "project": {"key": "JIRA820"},
                    "issuetype": {"name": "Bug"},
                    "summary": f"escalation {n}",
                    "labels": [label],
                }
            },
            headers=HEADERS,
            timeout=10,
        )
        answer.raise_for_status()
        issue = IssueRef(answer.json()["id"], answer.json()["key"])
        at = datetime.now(UTC) - timedelta(hours=1)
        with store.transaction("recording") as conn:
            journal.claim_create(conn, "escalation", f"NOC-{n}", 1, label, at, previous_start=None)
            journal.record_created(conn, "escalation", f"NOC-{n}", 1, issue, at)
        refs.append(issue)
    yield store, refs
    store.close()


def test_only_the_issue_deleted_in_jira820_is_found_deleted(
    jira820: str,  # noqa: F811
    recorded: tuple[Store, list[IssueRef]],
    tmp_path: Path,
) -> None:
    store, (kept, deleted) = recorded
    gone = requests.delete(f"{jira820}/rest/api/2/issue/{deleted.key}", headers=HEADERS, timeout=10)
    assert gone.status_code == 204
    settings = Settings(
        jira_url=jira820, jira_auth="bearer", jira_project="JIRA820", jira_max_attempts=2
    )
    gateway = connect(settings)
    assert gateway.deployment == "datacenter"
    mappings = load_mappings(settings.mappings_dir)
    rules = compile_rules(
        load_classification_rules(settings.mappings_dir, mappings.catalog), mappings.catalog
    )
    step = DeletedIssuesStep(
        store,
        gateway,
        mappings,
        rules,
        project="JIRA820",
        settle=timedelta(seconds=1),
        clock=lambda: datetime.now(UTC),
    )
    assert [entry.issue.key for entry in step.deleted_issues()] == [deleted.key]
    assert kept.key != deleted.key
