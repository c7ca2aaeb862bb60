"""The Problem pass against an in-memory Jira: exactly once across re-runs and a crash, the
calls each case costs, and groups it must leave alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from csp_jira_sync.config.mappings import Mappings, load_mappings
from csp_jira_sync.delivery import journal
from csp_jira_sync.jira.model import IssueDraft
from csp_jira_sync.reports.problem_decide import KIND, Occurrence, RecurringGroup, subject_of
from csp_jira_sync.reports.problems import ProblemPass
from csp_jira_sync.store import Store
from tests.support.fake_reports_gateway import FakeReportsGateway

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
MAPPINGS_DIR = Path(__file__).resolve().parents[2] / "mappings"


@pytest.fixture(scope="module")
def mappings() -> Mappings:
    return load_mappings(MAPPINGS_DIR)


def _world(
    store: Store, mappings: Mappings, types: tuple[str, ...] = ("Task", "Problem")
) -> tuple[FakeReportsGateway, ProblemPass, list[Occurrence]]:
    jira = FakeReportsGateway(issue_types=types)
    keys = [jira.add_issue(IssueDraft("CSP", "Incident", f"e{n}", "", ())).key for n in range(4)]
    occurrences = [
        Occurrence(f"NOC-{n}", key, NOW - timedelta(days=10 - n)) for n, key in enumerate(keys)
    ]
    problems = ProblemPass(
        store, jira, mappings, project="CSP", now=lambda: NOW, settle=timedelta(seconds=60)
    )
    return jira, problems, occurrences


def _group(occurrences: list[Occurrence], customer: str = "acme") -> RecurringGroup:
    return RecurringGroup("fp-1", customer, "incident-problem", "Disk full", tuple(occurrences))


def test_the_create_carries_the_links_and_a_rerun_only_reads(
    sqlite_store: Store, mappings: Mappings
) -> None:
    jira, problems, occ = _world(sqlite_store, mappings)
    problems.run([_group(occ[:3])])
    assert (jira.calls["create"], jira.calls["link"], jira.calls["createmeta"]) == (1, 0, 1)
    jira.calls.clear()
    problems.run([_group(occ[:3])])
    assert dict(jira.calls) == {"links": 1}


def test_a_problem_whose_create_landed_before_a_crash_is_found_not_made_again(
    sqlite_store: Store, mappings: Mappings
) -> None:
    jira, problems, occ = _world(sqlite_store, mappings)
    group = _group(occ[:3])
    first = problems.run([group])[0]
    assert first.issue is not None
    ref = next(x for x in jira.issues[first.issue.key].labels if x.startswith("csp-ref-"))
    # The store forgets the answer (a crash between Jira's answer and the record) ...
    with sqlite_store.transaction("test: a crash before recording") as conn:
        journal.forget_create(conn, KIND, subject_of(group), 0)
        journal.claim_create(
            conn,
            KIND,
            subject_of(group),
            0,
            ref,
            NOW - timedelta(minutes=5),
            previous_start=None,
        )
    again = problems.run([group])[0]
    assert again.issue == first.issue
    assert jira.calls["create"] == 1


def test_a_problem_type_the_project_lacks_falls_back_to_task(
    sqlite_store: Store, mappings: Mappings
) -> None:
    jira, problems, occ = _world(sqlite_store, mappings, types=("Task", "Bug"))
    outcome = problems.run([_group(occ[:3])])[0]
    assert outcome.issue is not None
    assert jira.issues[outcome.issue.key].draft.issue_type == "Task"


def test_an_unknown_customer_is_reported_and_nothing_is_created(
    sqlite_store: Store, mappings: Mappings
) -> None:
    jira, problems, occ = _world(sqlite_store, mappings)
    assert [o.note for o in problems.run([_group(occ[:3], customer="nobody")])] == [
        "unknown customer"
    ]
    assert jira.calls["create"] == 0


def test_a_create_another_daemon_holds_is_deferred_and_the_pass_goes_on(
    sqlite_store: Store, mappings: Mappings
) -> None:
    jira, problems, occ = _world(sqlite_store, mappings)
    held = _group(occ[:3])
    with sqlite_store.transaction("test: another daemon's claim") as conn:
        journal.claim_create(conn, KIND, subject_of(held), 0, "csp-ref-x", NOW, previous_start=None)
    other = RecurringGroup("fp-2", "acme", "incident-problem", "CPU", held.occurrences)
    notes = [o.note for o in problems.run([held, other])]
    assert notes[0].startswith("deferred")
    assert notes[1] == "created"
    assert jira.calls["create"] == 1


def test_a_problem_deleted_in_jira_is_left_deleted(sqlite_store: Store, mappings: Mappings) -> None:
    jira, problems, occ = _world(sqlite_store, mappings)
    first = problems.run([_group(occ[:3])])[0]
    assert first.issue is not None
    del jira.issues[first.issue.key]
    assert [o.note for o in problems.run([_group(occ)])] == ["deleted in Jira"]
    assert jira.calls["create"] == 1


def test_a_group_jira_refuses_does_not_stop_the_others(
    sqlite_store: Store, mappings: Mappings
) -> None:
    jira, problems, occ = _world(sqlite_store, mappings)
    first = problems.run([_group(occ[:3])])[0]
    assert first.issue is not None
    jira.issues[first.issue.key].links.clear()  # so the pass links again, with a bad type
    rules = mappings.problems.model_copy(update={"link_type": "Causes"})
    strict = mappings.model_copy(update={"problems": rules})
    problems = ProblemPass(
        sqlite_store,
        jira,
        strict,
        project="CSP",
        now=lambda: NOW,
        settle=timedelta(seconds=60),
    )
    other = RecurringGroup("fp-2", "acme", "incident-problem", "CPU", tuple(occ[:3]))
    notes = [o.note for o in problems.run([_group(occ[:3]), other])]
    assert notes[0].startswith("refused: No issue link type")
    assert notes[1] == "created"
