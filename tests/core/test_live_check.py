"""`check --live` as a function over a reader of Jira's metadata: every check runs and reports its
own row, a failed call fails only the rows that needed it, and the older create metadata is read
where the paged one answers 404. Jira's answers here are the shapes the DC 8.x and Cloud
documentation give; the sandbox runs follow in tests/cli/test_check_live.py."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from csp_jira_sync.checks import LiveCheck, Params, run_live_checks
from csp_jira_sync.config.mappings import Mappings, load_mappings
from csp_jira_sync.errors import JiraError, JiraPermanent, JiraTransient

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
NOT_FOUND = JiraPermanent("check: Jira answered 404: Issue Does Not Exist", status=404)

TYPES = [
    {"id": "1", "name": "Incident"},
    {"id": "2", "name": "Service Request"},
    {"id": "3", "name": "Task"},
    {"id": "4", "name": "Report"},
    {"id": "5", "name": "Problem"},
]
FIELDS = [
    {"fieldId": f, "required": f in {"summary", "issuetype", "project"}}
    for f in ("project", "issuetype", "summary", "description", "labels", "priority")
]


def jira() -> dict[str, Any]:
    """A Jira that has everything the shipped mappings name (paged create metadata)."""
    answers: dict[str, Any] = {
        "serverInfo": {"deploymentType": "Server", "version": "9.12.0"},
        "myself": {"displayName": "CSP Sync"},
        "project/CSP": {"key": "CSP", "name": "Client Service Partner"},
        "project": [{"key": "CSP"}, {"key": "OPS"}],
        "issue/createmeta/CSP/issuetypes": {"values": TYPES, "isLast": True},
        "priority": [{"name": n} for n in ("Highest", "High", "Medium", "Low")],
        "project/CSP/statuses": [
            {
                "name": "Incident",
                "statuses": [{"name": s} for s in ("To Do", "In Progress", "Done")],
            }
        ],
        "issueLinkType": {"issueLinkTypes": [{"name": "Relates"}, {"name": "Blocks"}]},
        "search": {"issues": [{"id": "10001", "key": "CSP-1"}], "total": 1},
        "issue/CSP-1": {"id": "10001", "key": "CSP-1"},
    }
    for t in TYPES:
        answers[f"issue/createmeta/CSP/issuetypes/{t['id']}"] = {"values": FIELDS, "isLast": True}
    return answers


class Reader:
    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.calls: list[str] = []

    def read(self, path: str, params: Params | None = None) -> Any:
        self.calls.append(path)
        answer = self.answers.get(path, NOT_FOUND)
        if isinstance(answer, JiraError):
            raise answer
        return answer

    def call_text(self, path: str, params: Params | None = None) -> str:
        return f"GET /rest/api/2/{path}"


@pytest.fixture(scope="module")
def mappings() -> Mappings:
    return load_mappings(ROOT / "mappings")


def run(answers: dict[str, Any], mappings: Mappings, **kw: Any) -> dict[str, LiveCheck]:
    rows = run_live_checks(
        Reader(answers), project=kw.get("project", "CSP"), auth="basic", mappings=mappings, now=NOW
    )
    return {r.check: r for r in rows}


def test_a_jira_with_everything_passes_every_row(mappings: Mappings) -> None:
    rows = run(jira(), mappings)
    assert [name for name, row in rows.items() if not row.ok] == []
    assert {
        "issue type Incident (escalation)",
        "issue type Service Request (request)",
        "issue type Report (report)",
        "issue type Problem (problem)",
        "issue type Task (allowance)",
        "create screen Incident",
        "create screen Service Request",
        "priority Highest (sev1)",
        "status In Progress (acknowledged)",
        "link type Relates (reopened escalations)",
    } <= set(rows)


def test_a_missing_issue_type_names_the_mapping_and_lists_what_the_project_has(
    mappings: Mappings,
) -> None:
    answers = jira()
    answers["issue/createmeta/CSP/issuetypes"] = {"values": TYPES[:1] + TYPES[2:], "isLast": True}
    row = run(answers, mappings)["issue type Service Request (request)"]
    assert not row.ok
    assert "request in mappings/issue_types.yaml" in row.detail
    assert row.offers == ("Incident", "Problem", "Report", "Task")
    assert row.call == "GET /rest/api/2/issue/createmeta/CSP/issuetypes (paged)"


def test_the_older_create_metadata_is_read_where_the_paged_one_answers_404(
    mappings: Mappings,
) -> None:
    answers = jira()
    del answers["issue/createmeta/CSP/issuetypes"]
    fields = {f["fieldId"]: {"required": f["required"]} for f in FIELDS}
    answers["issue/createmeta"] = {
        "projects": [
            {"key": "CSP", "issuetypes": [{**t, "fields": fields} for t in TYPES if t["id"] < "4"]}
        ]
    }
    reader = Reader(answers)
    rows = {
        r.check: r
        for r in run_live_checks(reader, project="CSP", auth="basic", mappings=mappings, now=NOW)
    }
    assert rows["issue type Incident (escalation)"].ok
    assert rows["create screen Incident"].ok
    assert not rows["issue type Report (report)"].ok
    assert rows["issue type Report (report)"].offers == ("Incident", "Service Request", "Task")
    assert "→ 404, then GET /rest/api/2/issue/createmeta" in rows["create screen Incident"].call
    # The older metadata carries the fields: no per-type call.
    assert not any(c.startswith("issue/createmeta/CSP/issuetypes/") for c in reader.calls)


def test_a_failed_call_fails_only_the_rows_that_needed_it(mappings: Mappings) -> None:
    answers = jira()
    answers["priority"] = JiraTransient("check: Jira answered 503", status=503)
    answers["project/CSP/statuses"] = {"unexpected": "shape"}
    rows = run(answers, mappings)
    failed = {name for name, row in rows.items() if not row.ok}
    assert failed == {
        "priority Highest (sev1)",
        "priority High (sev2)",
        "priority Medium (sev3)",
        "priority Low (sev4)",
        "statuses",
    }
    assert rows["priority High (sev2)"].answer == "check: Jira answered 503"
    assert "does not understand" in rows["statuses"].detail


def test_an_unknown_project_lists_the_projects_there_are_and_the_rest_still_runs(
    mappings: Mappings,
) -> None:
    rows = run(jira(), mappings, project="NOPE")
    assert rows["project NOPE"].offers == ("CSP", "OPS")
    assert "404" in rows["project NOPE"].answer
    assert (
        rows["priority Highest (sev1)"].ok and rows["link type Relates (reopened escalations)"].ok
    )
    assert not rows["issue type Incident (escalation)"].ok


def test_a_status_missing_from_the_workflow_lists_the_workflows_statuses(
    mappings: Mappings,
) -> None:
    answers = jira()
    answers["project/CSP/statuses"] = [
        {"name": "Incident", "statuses": [{"name": s} for s in ("Open", "In Progress", "Done")]}
    ]
    row = run(answers, mappings)["status To Do (reopened)"]
    assert not row.ok and row.offers == ("Done", "In Progress", "Open")
    assert "statuses` in mappings/escalation.yaml" in row.detail


def test_a_create_screen_without_a_field_the_daemon_sets_says_which(mappings: Mappings) -> None:
    answers = jira()
    answers["issue/createmeta/CSP/issuetypes/1"] = {
        "values": [f for f in FIELDS if f["fieldId"] != "priority"],
        "isLast": True,
    }
    rows = run(answers, mappings)
    assert "not on the screen: priority" in rows["create screen Incident"].detail
    assert rows["create screen Service Request"].ok  # requests set no priority


def test_paged_metadata_is_read_to_the_last_page(mappings: Mappings) -> None:
    pages = [{"values": TYPES[:2], "total": 5}, {"values": TYPES[2:], "total": 5}]

    class Paged(Reader):
        def read(self, path: str, params: Params | None = None) -> Any:
            if path == "issue/createmeta/CSP/issuetypes":
                return pages[0 if not params or not params.get("startAt") else 1]
            return super().read(path, params)

    rows = {
        r.check: r
        for r in run_live_checks(
            Paged(jira()), project="CSP", auth="basic", mappings=mappings, now=NOW
        )
    }
    assert rows["issue type Problem (problem)"].ok


def test_the_triage_search_is_made_with_an_epoch_millisecond_date_and_an_issue_is_read_by_key(
    mappings: Mappings,
) -> None:
    reader = Reader(jira())
    calls: list[tuple[str, Params | None]] = []
    read = reader.read

    def recording(path: str, params: Params | None = None) -> Any:
        calls.append((path, params))
        return read(path, params)

    reader.read = recording  # type: ignore[method-assign]
    rows = {
        r.check: r
        for r in run_live_checks(reader, project="CSP", auth="basic", mappings=mappings, now=NOW)
    }
    assert rows["search with an epoch-millisecond date (triage)"].ok
    assert rows["issues addressed by key"].ok  # Data Center: the gateway addresses by key
    assert ("issue/CSP-1", {"fields": "summary"}) in calls
    [(_, params)] = [c for c in calls if c[0] == "search"]
    since = int(datetime(2026, 11, 1, 12, 0, tzinfo=UTC).timestamp() * 1000)
    assert params is not None and f"updated >= {since}" in str(params["jql"])


def test_a_jira_that_cannot_read_epoch_dates_or_keys_fails_those_rows(mappings: Mappings) -> None:
    answers = jira()
    answers["search"] = JiraTransient("check: Jira answered 500", status=500)
    del answers["issue/CSP-1"]
    rows = run(answers, mappings)
    assert not rows["search with an epoch-millisecond date (triage)"].ok
    assert rows["issues addressed by key"].ok  # nothing found to read: not checked
    answers["search"] = {"issues": [{"id": "10001", "key": "CSP-1"}], "total": 1}
    rows = run(answers, mappings)
    assert not rows["issues addressed by key"].ok
    assert "CSP-1 cannot be read by its key CSP-1" in rows["issues addressed by key"].detail


def test_a_status_only_another_issue_types_workflow_has_does_not_count(
    mappings: Mappings,
) -> None:
    answers = jira()
    answers["project/CSP/statuses"] = [
        {"name": "Incident", "statuses": [{"name": s} for s in ("Open", "In Progress", "Done")]},
        {"name": "Task", "statuses": [{"name": s} for s in ("To Do", "Done")]},
    ]
    rows = run(answers, mappings)
    assert not rows["status To Do (reopened)"].ok
    assert rows["status Done (resolved)"].ok
