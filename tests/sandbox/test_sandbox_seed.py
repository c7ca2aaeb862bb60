"""Seeds: the documented default, a replacement seed file, and clear errors for bad ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from jira_sandbox.pytest_plugin import SandboxFactory
from jira_sandbox.seed import SeedError, load_seed
from tests.sandbox.sandbox_helpers import JiraHttp

SMALL_SEED = """
users:
  - name: ops.bot
    displayName: Ops Bot
projects:
  - id: "20000"
    key: OPS
    name: Operations
    lead: ops.bot
    issueTypes: [Task]
issues:
  - project: OPS
    type: Task
    summary: Seeded task
    labels: [seeded]
    status: Done
    worklogs:
      - author: ops.bot
        timeSpent: 2h
        started: "2026-11-01T09:00:00.000+0000"
"""


def test_the_default_seed_has_the_csp_project_users_and_workflow() -> None:
    seed = load_seed()
    assert [u.name for u in seed.users] == [
        "csp-sync",
        "csp.alice",
        "csp.bob",
        "csp.chen",
        "noc.dave",
        "noc.erin",
    ]
    assert seed.projects[0].key == "CSP"
    assert "Reopen" in {t.name for t in seed.transitions}
    assert all(u.token == f"{u.name}-token" for u in seed.users)


def test_a_seed_file_replaces_the_default(sandbox_factory: SandboxFactory, tmp_path: Path) -> None:
    path = tmp_path / "seed.yaml"
    path.write_text(SMALL_SEED)
    running = sandbox_factory(mode="datacenter", seed_path=path)
    http = JiraHttp(running, user="ops.bot")
    assert http.jql("labels = seeded") == ["OPS-1"]
    (issue,) = running.admin.issues()
    assert issue["status"] == "Done"
    assert issue["worklogs"][0]["timeSpentSeconds"] == 7200
    created = http.post(
        "issue",
        json={"fields": {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": "x"}},
    )
    assert created.json()["key"] == "OPS-2"


def test_an_unknown_key_in_a_seed_is_refused_naming_the_file_and_entry(tmp_path: Path) -> None:
    path = tmp_path / "seed.yaml"
    path.write_text(SMALL_SEED.replace("displayName: Ops Bot", "displayname: Ops Bot"))
    with pytest.raises(SeedError, match=r"seed\.yaml: users\.0\.displayname: Extra inputs"):
        load_seed(path)


def test_a_seed_naming_a_missing_status_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "seed.yaml"
    path.write_text(SMALL_SEED.replace("status: Done", "status: Closed"))
    with pytest.raises(SeedError, match=r"issues\.0\.status: no status 'Closed'"):
        load_seed(path)


def test_a_missing_seed_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SeedError, match="cannot read the seed file"):
        load_seed(tmp_path / "absent.yaml")
