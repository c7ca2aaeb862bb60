"""Events accepted but never delivered are redelivered through the worker's own path, once:
a claim a killed daemon never gave back, and a create that landed in Jira before the daemon
died without recording it. Dead letters are reported by reason and need a person. Against the
sandbox, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from csp_jira_sync.config.events import EscalationEvent
from csp_jira_sync.config.mappings import load_mappings
from csp_jira_sync.config.references import ref_label
from csp_jira_sync.delivery import journal
from csp_jira_sync.escalations import decide as escalation
from csp_jira_sync.reconcile.findings import Scope
from csp_jira_sync.reconcile.plan import ExitCode
from csp_jira_sync.runtime.bootstrap import App, build_app
from csp_jira_sync.store import InboxItem
from tests.e2e.harness import noc_event, running_daemon, settings_for
from tests.reconcile.conftest import issues_labelled

REF = ref_label("escalation", "NOC-100", 1)


def _scope(app: App) -> Scope:
    now = app.worker.clock()
    return Scope(now - timedelta(days=1), now, dry_run=False)


def _stuck_open(app: App, hours_ago: float = 2.0) -> int:
    """An open accepted `hours_ago` and claimed by a daemon that was killed (its lease ran out,
    nobody gave it back)."""
    long_ago = datetime.now(UTC) - timedelta(hours=hours_ago)
    event = EscalationEvent.model_validate(noc_event("s-open", "open"))
    [accepted] = app.store.accept([InboxItem.of_escalation(event)], now=long_ago)
    [claimed] = app.store.claim(1, long_ago, timedelta(minutes=2))
    assert claimed.id == accepted.inbox_id
    return accepted.inbox_id


def test_an_event_whose_claim_ran_out_is_redelivered_once(reconcile_app: App, sandbox: Any) -> None:
    app = reconcile_app
    ident = _stuck_open(app)

    report = app.reconciler(in_daemon=False).run(_scope(app))

    [finding] = [f for f in report.findings if f.step == "redelivery"]
    assert finding.outcome == "repaired" and "claim ran out" in finding.found
    row = app.store.get(ident)
    assert row is not None and row.state == "done"
    assert len(issues_labelled(sandbox, REF)) == 1
    assert report.exit_code is ExitCode.CLEAN

    again = app.reconciler(in_daemon=False).run(_scope(app))
    assert [f for f in again.findings if f.step == "redelivery"] == []
    assert len(issues_labelled(sandbox, REF)) == 1


def test_a_create_that_landed_before_the_daemon_died_is_found_not_made_twice(
    reconcile_app: App, sandbox: Any
) -> None:
    app = reconcile_app
    _stuck_open(app)
    # The killed daemon had recorded the create and sent it; Jira made the issue.
    event = EscalationEvent.model_validate(noc_event("s-open", "open"))
    mappings = load_mappings(app.settings.mappings_dir)
    customer = mappings.customer("acme")
    assert customer is not None
    draft = escalation.draft_for(event, customer, mappings, project="CSP", generation=1)
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    with app.store.transaction("recording the create") as conn:
        journal.claim_create(conn, "escalation", "NOC-100", 1, REF, long_ago, previous_start=None)
    app.gateway.create_issue(draft)
    sandbox.admin.flush_index()

    report = app.reconciler(in_daemon=False).run(_scope(app))

    [finding] = [f for f in report.findings if f.step == "redelivery"]
    assert finding.outcome == "repaired"
    assert len(issues_labelled(sandbox, REF)) == 1


def test_a_recent_pending_event_is_not_stuck(reconcile_app: App, sandbox: Any) -> None:
    app = reconcile_app
    _stuck_open(app, hours_ago=0.1)
    report = app.reconciler(in_daemon=False).run(_scope(app))
    assert [f for f in report.findings if f.step == "redelivery"] == []


def test_dead_letters_are_reported_by_reason_and_need_a_person(
    reconcile_app: App, sandbox: Any
) -> None:
    app = reconcile_app
    for n in range(3):
        event = EscalationEvent.model_validate(
            noc_event(f"d-{n}", "open", escalation_id=f"NOC-{n}")
        )
        [accepted] = app.store.accept([InboxItem.of_escalation(event)])
        app.store.dead_letter(
            accepted.inbox_id, "Jira refused: The priority selected is invalid." if n else "gone"
        )

    report = app.reconciler(in_daemon=False).run(_scope(app))

    dead = [f for f in report.findings if f.step == "redelivery"]
    assert [f.subject for f in dead] == [
        "dead letters: Jira refused: The priority selected is invalid.",
        "dead letters: gone",
    ]
    assert dead[0].found.startswith(
        "2 event(s) refused for good (escalation NOC-1, escalation NOC-2)"
    )
    assert all(f.needs_person for f in dead)
    assert report.exit_code is ExitCode.NEEDS_PERSON
    assert app.store.get_cursor("reconcile.last_success") is not None  # every step ran


def test_inside_serve_a_stuck_event_is_handed_to_the_running_worker(
    sandbox: Any, tmp_path: Path
) -> None:
    """In `serve` the worker thread is running: the step makes the event due and wakes it,
    rather than draining the queue on a second worker of its own."""
    # The event is stored before the daemon starts: accepted three hours ago, then waiting on a
    # retry a day away (e.g. a long Retry-After). Stored under a running worker, the worker could
    # deliver it between the accept and the reschedule, and there would be nothing stuck to find.
    before = build_app(settings_for(sandbox.base_url, tmp_path))
    try:
        long_ago = datetime.now(UTC) - timedelta(hours=3)
        event = EscalationEvent.model_validate(noc_event("w-open", "open"))
        [accepted] = before.store.accept([InboxItem.of_escalation(event)], now=long_ago)
        before.store.retry_later(accepted.inbox_id, datetime.now(UTC) + timedelta(days=1), "503")
    finally:
        before.close()

    with running_daemon(sandbox.base_url, tmp_path) as daemon:
        app = daemon.app
        report = app.reconciler(in_daemon=True).run(_scope(app))

        [finding] = [f for f in report.findings if f.step == "redelivery"]
        assert finding.outcome == "repaired" and "1 attempt(s) failed, last: 503" in finding.found
        row = app.store.get(accepted.inbox_id)
        assert row is not None and row.state == "done"
    assert len(issues_labelled(sandbox, REF)) == 1
