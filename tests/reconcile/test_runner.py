"""The runner: steps in order under the `reconcile` lock, a failing step reported as needing a
person while the others still run, the last successful run remembered, and two concurrent
reconciliations: one runs, the other is refused naming the holder. SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from csp_jira_sync.errors import JiraTransient
from csp_jira_sync.reconcile.findings import Finding, Scope
from csp_jira_sync.reconcile.plan import ExitCode
from csp_jira_sync.reconcile.run import JOB, LAST_SUCCESS, Reconciler
from csp_jira_sync.runtime.leases import JobLeases
from csp_jira_sync.store import Store

NOW = datetime(2026, 12, 2, 2, 30, tzinfo=UTC)
SCOPE = Scope(NOW - timedelta(days=1), NOW, dry_run=False)


class Recording:
    def __init__(self, name: str, findings: Sequence[Finding] = (), fail: bool = False) -> None:
        self._name = name
        self.findings = list(findings)
        self.fail = fail
        self.runs: list[Scope] = []

    @property
    def name(self) -> str:
        return self._name

    def run(self, scope: Scope) -> list[Finding]:
        self.runs.append(scope)
        if self.fail:
            raise JiraTransient("Jira answered 503: Service Unavailable")
        return self.findings


class Blocking(Recording):
    def __init__(self) -> None:
        super().__init__("blocking")
        self.entered = threading.Event()
        self.go_on = threading.Event()

    def run(self, scope: Scope) -> list[Finding]:
        self.entered.set()
        assert self.go_on.wait(10)
        return []


def _leases(store: Store, holder: str) -> JobLeases:
    return JobLeases(store.job_locks, holder=holder, lease=timedelta(seconds=30), clock=lambda: NOW)


def test_a_failing_step_needs_a_person_and_the_others_still_run(store: Store) -> None:
    repaired = Finding("first", "NOC-1", "not in Jira", "repaired", "redelivered")
    first, broken, last = (
        Recording("first", [repaired]),
        Recording("broken", fail=True),
        Recording("last"),
    )
    report = Reconciler(store, [first, broken, last], _leases(store, "a"), clock=lambda: NOW).run(
        SCOPE
    )
    assert [len(step.runs) for step in (first, broken, last)] == [1, 1, 1]
    [failed] = report.needs_person
    assert failed.step == "broken" and "503" in failed.found
    assert report.findings[0] == repaired
    assert report.exit_code is ExitCode.NEEDS_PERSON
    # Not a successful run: the next one covers the same window again.
    assert store.get_cursor(LAST_SUCCESS) is None
    assert store.job_locks.all() == []  # the lock is given back


def test_a_clean_run_exits_0_and_is_remembered_as_the_last_success(store: Store) -> None:
    reconciler = Reconciler(store, [Recording("only")], _leases(store, "a"), clock=lambda: NOW)
    report = reconciler.run(SCOPE)
    assert report.exit_code is ExitCode.CLEAN and report.findings == ()
    assert reconciler.last_success() == NOW


def test_a_run_over_an_earlier_month_does_not_move_the_last_success_back(store: Store) -> None:
    reconciler = Reconciler(store, [Recording("only")], _leases(store, "a"), clock=lambda: NOW)
    reconciler.run(SCOPE)
    october = Scope(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC), False)
    reconciler.run(october)
    assert reconciler.last_success() == NOW


def test_a_dry_run_is_not_remembered_as_a_run(store: Store) -> None:
    reconciler = Reconciler(store, [Recording("only")], _leases(store, "a"), clock=lambda: NOW)
    reconciler.run(Scope(SCOPE.since, SCOPE.until, dry_run=True))
    assert reconciler.last_success() is None


def test_two_reconciliations_at_once_one_runs_the_other_names_who_holds_it(store: Store) -> None:
    blocking = Blocking()
    first = Reconciler(store, [blocking], _leases(store, "host-a:1:aaaaaa"), clock=lambda: NOW)
    other = Recording("other")
    second = Reconciler(store, [other], _leases(store, "host-b:2:bbbbbb"), clock=lambda: NOW)
    result: list[object] = []
    thread = threading.Thread(target=lambda: result.append(first.run(SCOPE)))
    thread.start()
    try:
        assert blocking.entered.wait(10)
        refused = second.run(SCOPE)
    finally:
        blocking.go_on.set()
        thread.join(10)
    assert refused.exit_code is ExitCode.ALREADY_RUNNING
    assert refused.held_by is not None and "host-a:1:aaaaaa" in refused.held_by
    assert other.runs == [] and refused.findings == ()
    assert [r.exit_code for r in result] == [ExitCode.CLEAN]  # type: ignore[attr-defined]
    # Once the first is done, the lock is free again.
    assert second.run(SCOPE).exit_code is ExitCode.CLEAN and len(other.runs) == 1
    assert JOB not in {lock.job for lock in store.job_locks.all()}


def test_a_steps_clean_note_is_its_summary_not_a_finding(store: Store) -> None:
    note = Finding("duplicates", "all", "12 source items in scope, no duplicate issue", "clean", "")
    step = Recording("duplicates", [note])
    report = Reconciler(store, [step], _leases(store, "a"), clock=lambda: NOW).run(SCOPE)
    assert report.findings == () and report.exit_code is ExitCode.CLEAN
    [only] = report.steps
    assert only.summary == "12 source items in scope, no duplicate issue"
    assert report.as_json()["steps"] == [
        {"step": "duplicates", "ok": True, "error": None, "findings": 0, "summary": only.summary}
    ]
