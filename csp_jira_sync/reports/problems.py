"""The Problem pass: raise a Problem record for each recurring problem that reached the
threshold (`problem_decide`), exactly once through `create_once` (kind `problem`, subject
customer/group key), and link it to each of its escalations once.

Links are made idempotent by reading the Problem's links first (an issue's links are read
consistently, unlike search) and adding only the missing ones; the create itself carries the
links it knows, so a new Problem usually costs one create and one read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from csp_jira_sync.config.mappings import Mappings
from csp_jira_sync.delivery import journal
from csp_jira_sync.delivery.once import Defer, create_once
from csp_jira_sync.errors import JiraPermanent
from csp_jira_sync.jira.model import IssueDraft, IssueLink, IssueRef
from csp_jira_sync.jira.reports_port import ReportsGateway
from csp_jira_sync.reports.problem_decide import (
    KIND,
    RecurringGroup,
    links_to_add,
    problem_draft,
    reaches_threshold,
    subject_of,
)
from csp_jira_sync.reports.publish import choose_issue_type
from csp_jira_sync.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProblemOutcome:
    subject: str
    issue: IssueRef | None
    created: bool
    linked: tuple[str, ...]  # escalation issues linked by this pass
    # "created", "linked", "unchanged", "below threshold", "unknown customer", "deleted in Jira",
    # "deferred: <why>", "refused: <Jira's reason>"
    note: str


class ProblemPass:
    def __init__(
        self,
        store: Store,
        gateway: ReportsGateway,
        mappings: Mappings,
        *,
        project: str,
        now: Callable[[], datetime],
        settle: timedelta,
    ) -> None:
        self._store = store
        self._jira = gateway
        self._mappings = mappings
        self._project = project
        self._now = now
        self._settle = settle
        self._issue_type: str | None = None

    def run(self, groups: Iterable[RecurringGroup]) -> list[ProblemOutcome]:
        outcomes = []
        for group in groups:
            try:
                outcome = self.one(group)
            except Defer as deferred:
                outcome = ProblemOutcome(
                    subject_of(group), None, False, (), f"deferred: {deferred.reason}"
                )
            except JiraPermanent as refused:
                # One group Jira refuses (a link type the project lacks, say) must not stop the
                # others; an outage (JiraTransient) does stop the pass, for the scheduler to log.
                outcome = ProblemOutcome(subject_of(group), None, False, (), f"refused: {refused}")
            log.info("problem.%s subject=%s", outcome.note.split(":")[0], outcome.subject)
            outcomes.append(outcome)
        return outcomes

    def _type_for_create(self) -> str:
        if self._issue_type is None:
            offered = self._jira.project_issue_types(self._project)
            wanted = self._mappings.issue_types.problem
            self._issue_type = choose_issue_type(wanted, offered, setting="problem")
        return self._issue_type

    def one(self, group: RecurringGroup) -> ProblemOutcome:
        subject = subject_of(group)
        rules = self._mappings.problems
        with self._store.transaction("reading the problem ledger") as conn:
            entry = journal.ledger_entry(conn, KIND, subject, 0)
        issue = entry.issue if entry is not None and entry.state == "created" else None
        created = False
        if issue is None:
            if entry is None and not reaches_threshold(
                group.occurrences, escalations=rules.escalations, window=rules.window
            ):
                return ProblemOutcome(subject, None, False, (), "below threshold")
            customer = self._mappings.customer(group.customer)
            if customer is None:
                return ProblemOutcome(subject, None, False, (), "unknown customer")
            try:
                category_label = self._mappings.catalog.category(group.category_slug).label
            except KeyError:
                category_label = self._mappings.escalation_category.label
            draft = problem_draft(
                group,
                customer_name=customer.display_name,
                customer_label=customer.label,
                category_label=category_label,
                window=rules.window,
            )
            made = create_once(
                self._store,
                self._jira,
                kind=KIND,
                subject=subject,
                generation=0,
                ref=draft.ref,
                draft=IssueDraft(
                    project=self._project,
                    issue_type=self._type_for_create(),
                    summary=draft.summary,
                    description=draft.description,
                    labels=draft.labels,
                    links=tuple(IssueLink(rules.link_type, key) for key in group.issue_keys),
                ),
                now=self._now,
                settle=self._settle,
            )
            issue, created = made.issue, made.new
        try:
            linked = self._jira.linked_issue_keys(issue)
        except JiraPermanent as exc:
            if exc.status != 404:
                raise
            # A person deleted the Problem: that is their call, so it is not raised again.
            return ProblemOutcome(subject, issue, False, (), "deleted in Jira")
        missing = links_to_add(group, linked)
        for key in missing:
            self._jira.link(issue, IssueLink(rules.link_type, key))
        note = "created" if created else ("linked" if missing else "unchanged")
        return ProblemOutcome(subject, issue, created, missing, note)
