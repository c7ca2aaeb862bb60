"""The finding every step makes of one item Jira failed or refused to repair."""

from __future__ import annotations

from csp_jira_sync.errors import JiraPermanent, JiraTransient
from csp_jira_sync.reconcile.findings import stopped_by_jira


def test_an_item_jira_stopped_needs_a_person_and_says_jiras_answer() -> None:
    finding = stopped_by_jira(
        "labels", "CSP-7", "its labels could not be repaired", JiraPermanent("Jira answered 400")
    )
    assert (finding.step, finding.subject, finding.outcome) == ("labels", "CSP-7", "reported")
    assert finding.needs_person
    assert finding.action == "stopped by Jira's answer: Jira answered 400; the next run tries again"


def test_a_step_names_what_it_was_doing_when_jira_stopped_it() -> None:
    finding = stopped_by_jira(
        "deleted-issues",
        "escalation NOC-1",
        "its Jira issue CSP-1 was deleted in Jira",
        JiraTransient("Jira answered 503", may_have_landed=False),
        doing="raising a new issue failed",
    )
    assert finding.action.startswith("raising a new issue failed: Jira answered 503")
