"""A person deletes an escalation's issue in Jira; its next event dead-letters with Jira's 404.
The reconciliation raises a new issue in its place (same reference label, so still one issue
per escalation), keeps the old key in the ledger, restores the NOC's status and requeues the
dead letter, which then lands on the new issue. Against the sandbox, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from csp_jira_sync.config.events import CustomerRequest
from csp_jira_sync.config.references import ref_label
from csp_jira_sync.errors import JiraPermanent
from csp_jira_sync.jira.model import IssueDraft, IssueRef
from csp_jira_sync.reconcile.findings import Scope
from csp_jira_sync.runtime.bootstrap import App, build_app
from csp_jira_sync.store import InboxItem
from csp_jira_sync.store.schema import replaced_issues
from tests.e2e.harness import T0, settings_for
from tests.reconcile.conftest import accept, delete_in_jira, issues_labelled

REF = ref_label("escalation", "NOC-100", 1)


def _scope(app: App, *, dry_run: bool = False) -> Scope:
    now = app.worker.clock()
    return Scope(now - timedelta(days=1), now, dry_run=dry_run)


def _deleted_with_a_dead_letter(app: App, sandbox: Any) -> str:
    accept(app, "e-open", "open", at=T0)
    app.worker.drain(timeout=30)
    [issue] = issues_labelled(sandbox, REF)
    delete_in_jira(sandbox, issue["key"])
    accept(app, "e-ack", "acknowledged", at=T0 + timedelta(minutes=5))
    app.worker.drain(timeout=30)
    [dead] = app.store.dead_letters()
    assert dead.event_id == "e-ack" and "404" in (dead.last_error or ""), dead.last_error
    return str(issue["key"])


def test_a_deleted_issue_is_raised_again_and_its_dead_letter_lands_on_the_new_one(
    reconcile_app: App, sandbox: Any
) -> None:
    app = reconcile_app
    old_key = _deleted_with_a_dead_letter(app, sandbox)

    report = app.reconciler(in_daemon=False).run(_scope(app))

    [finding] = [f for f in report.findings if f.step == "deleted-issues"]
    [new] = issues_labelled(sandbox, REF)
    assert finding.outcome == "repaired" and not finding.needs_person
    assert old_key in finding.found and new["key"] in finding.action
    assert "requeued 1" in finding.action
    assert new["key"] != old_key and old_key in new["description"]
    # The requeued acknowledge was delivered by the redelivery step's drain.
    assert app.store.dead_letters() == []
    assert app.store.depth()["pending"] == 0
    assert new["status"] == "In Progress"
    with app.store.transaction("reading replacements") as conn:
        [row] = conn.execute(sa.select(replaced_issues)).all()
    assert (row.old_issue_key, row.new_issue_key) == (old_key, new["key"])
    assert report.exit_code == 0

    # A second run finds nothing to do and raises nothing more.
    again = app.reconciler(in_daemon=False).run(_scope(app))
    assert [f for f in again.findings if f.step == "deleted-issues"] == []
    assert len(issues_labelled(sandbox, REF)) == 1


def test_a_dry_run_reports_the_deleted_issue_and_changes_nothing(
    reconcile_app: App, sandbox: Any
) -> None:
    app = reconcile_app
    old_key = _deleted_with_a_dead_letter(app, sandbox)
    before = app.store.depth()

    report = app.reconciler(in_daemon=False).run(_scope(app, dry_run=True))

    [finding] = [f for f in report.findings if f.step == "deleted-issues"]
    assert finding.outcome == "would-repair" and old_key in finding.found
    assert issues_labelled(sandbox, REF) == []
    assert app.store.depth() == before and len(app.store.dead_letters()) == 1
    assert app.store.get_cursor("reconcile.last_success") is None


def test_on_data_center_a_deleted_request_is_raised_again(sandbox_dc: Any, tmp_path: Path) -> None:
    """Data Center searches with `/search` and has no `reconcileIssues`; the label search and
    the 404 of the issue read work the same. A customer request this time."""
    app = build_app(settings_for(sandbox_dc.base_url, tmp_path))
    try:
        assert app.gateway.deployment == "datacenter"
        request = CustomerRequest.model_validate(
            {
                "id": "REQ-7",
                "customer": "acme",
                "requester": "tom.hale@acme-logistics.example",
                "channel": "email",
                "received_at": "2026-11-24T09:15:00+00:00",
                "subject": "Please review the firewall rules for the new VPN",
                "body": "We added a site-to-site VPN; please review the rules.",
            }
        )
        app.store.accept([InboxItem.of_request(request, source="import")])
        app.worker.drain(timeout=30)
        ref = ref_label("request", "REQ-7", 1)
        [old] = issues_labelled(sandbox_dc, ref)
        delete_in_jira(sandbox_dc, old["key"])

        report = app.reconciler(in_daemon=False).run(_scope(app))

        [finding] = [f for f in report.findings if f.step == "deleted-issues"]
        [new] = issues_labelled(sandbox_dc, ref)
        assert finding.outcome == "repaired" and new["key"] in finding.action
        assert new["summary"] == old["summary"] and new["labels"] == old["labels"]
    finally:
        app.close()


class RefusingCreates:
    """The real gateway, except that Jira refuses to create the issue of one escalation."""

    def __init__(self, gateway: Any, refused: str) -> None:
        self._gateway = gateway
        self._refused = refused

    def __getattr__(self, name: str) -> Any:
        return getattr(self._gateway, name)

    def create_issue(self, draft: IssueDraft) -> IssueRef:
        if self._refused in draft.summary:
            raise JiraPermanent("create: Jira answered 400: The priority selected is invalid.")
        return self._gateway.create_issue(draft)  # type: ignore[no-any-return]


def test_one_replacement_jira_refuses_waits_for_a_person_and_the_others_are_made(
    reconcile_app: App, sandbox: Any
) -> None:
    app = reconcile_app
    for n in (100, 101):
        accept(app, f"o-{n}", "open", at=T0, escalation_id=f"NOC-{n}")
    app.worker.drain(timeout=30)
    for issue in sandbox.admin.issues():
        delete_in_jira(sandbox, issue["key"])
    real = app.gateway
    app.gateway = RefusingCreates(real, "[NOC-100]")  # type: ignore[assignment]

    first = app.reconciler(in_daemon=False).run(_scope(app))

    found = {f.subject: f for f in first.findings if f.step == "deleted-issues"}
    assert found["escalation NOC-100"].needs_person
    assert "priority selected is invalid" in found["escalation NOC-100"].action
    assert found["escalation NOC-101"].outcome == "repaired"
    assert first.exit_code == 1

    # Once Jira takes it, the next run finishes the replacement it remembered.
    app.gateway = real
    second = app.reconciler(in_daemon=False).run(_scope(app))
    [done] = [f for f in second.findings if f.step == "deleted-issues"]
    assert done.subject == "escalation NOC-100" and done.outcome == "repaired"
    assert len(issues_labelled(sandbox, REF)) == 1
    assert len(sandbox.admin.issues()) == 2
