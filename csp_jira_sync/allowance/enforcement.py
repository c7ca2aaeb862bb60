"""Carrying out enforcement decisions in Jira, each once per customer-month and threshold.

Every action is claimed in the store before its Jira call (`repository.claim_action`), so two
daemons never both act, and finished after it. A claim whose lease ran out means a daemon died
mid-call: comments carry a marker, and the issue's comments (consistent, unlike search) are
read for it before posting again. The tracking issue is created like every create
(`delivery/once.py`): claimed first, looked for by its reference label after an unknown
outcome, a search miss trusted only after the settle time.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from csp_jira_sync.allowance import repository as repo
from csp_jira_sync.allowance.enforce import (
    TRACKING_LABEL,
    Action,
    Approval,
    Comment,
    CreateTracking,
    Done,
    Labels,
    UpdateDescription,
    decide,
)
from csp_jira_sync.allowance.figures import MonthFigures
from csp_jira_sync.allowance.jira_port import AllowanceJira
from csp_jira_sync.allowance.months import Month
from csp_jira_sync.config.mappings import Customer, Mappings
from csp_jira_sync.config.references import ref_label
from csp_jira_sync.delivery.once import Defer, create_once
from csp_jira_sync.jira.jql import string as jql_string
from csp_jira_sync.jira.model import IssueDraft, IssueRef
from csp_jira_sync.store import Store

log = logging.getLogger(__name__)

KIND = "allowance"


def marker(customer: str, month: Month, action: str, generation: int, raise_: bool) -> str:
    verb = "raise" if raise_ else "withdraw"
    return f"[csp-allowance {customer}:{month}:{action}:{generation}:{verb}]"


class Enforcer:
    def __init__(
        self,
        store: Store,
        jira: AllowanceJira,
        mappings: Mappings,
        *,
        project: str,
        clock: Callable[[], datetime],
        settle: timedelta,
        lease: timedelta = timedelta(minutes=5),
    ) -> None:
        self._store = store
        self._jira = jira
        self._mappings = mappings
        self._project = project
        self._clock = clock
        self._settle = settle
        self._lease = lease
        self._titles = {c.slug: c.title for c in mappings.catalog.categories}

    def enforce(self, customer: Customer, figures: MonthFigures, *, current: bool) -> list[str]:
        """Bring Jira in line with `figures`; the names of the actions carried out."""
        month = figures.month
        with self._store.transaction("reading what allowance enforcement did") as conn:
            tracking = repo.tracking(conn, customer.alias, month)
            active = repo.active_actions(conn, customer.alias, month)
        issue = IssueRef(tracking.issue_id, tracking.issue_key) if tracking else None
        done = Done(
            tracking_key=issue.key if issue else None,
            description_digest=tracking.description_digest if tracking else None,
            active=active,
        )
        package = self._mappings.package_of(customer)
        actions = decide(
            figures, done, customer=customer, package=package, titles=self._titles, current=current
        )
        carried_out: list[str] = []
        for action in actions:
            if isinstance(action, CreateTracking):
                issue = self._create_tracking(customer, month, action)
                if issue is None:
                    return carried_out  # another daemon is creating it, or it may be indexing
            elif issue is None and isinstance(action, Comment | UpdateDescription):
                continue  # labels and the policy need no tracking issue; comments do
            if self._carry_out(customer, month, action, issue):
                carried_out.append(_name(action))
        return carried_out

    # -- the tracking issue -------------------------------------------------------------------

    def _create_tracking(
        self, customer: Customer, month: Month, action: CreateTracking
    ) -> IssueRef | None:
        """The month's tracking issue, raised through the one exactly-once create
        (`delivery/once.py`); None while another daemon creates it or a create that may have
        landed is still indexing."""
        subject = f"{customer.alias}:{month}"
        draft = IssueDraft(
            project=self._project,
            issue_type=self._mappings.issue_types.allowance,
            summary=action.summary,
            description=action.description,
            labels=(TRACKING_LABEL, customer.label, ref_label(KIND, subject)),
        )
        try:
            created = create_once(
                self._store,
                self._jira,
                kind=KIND,
                subject=subject,
                generation=1,
                ref=ref_label(KIND, subject),
                draft=draft,
                now=self._clock,
                settle=self._settle,
            )
        except Defer as wait:
            log.info(
                "allowance.tracking_deferred customer=%s month=%s why=%s",
                customer.alias,
                month,
                wait.reason,
            )
            return None
        if not created.new:
            # An earlier create landed before a crash: its description may predate these figures.
            self._jira.edit_description(created.issue, action.description)
        issue = created.issue
        with self._store.transaction("recording the tracking issue") as conn:
            repo.record_tracking(conn, customer.alias, month, issue.id, issue.key, action.digest)
        if created.new:
            log.info(
                "allowance.tracking_created customer=%s month=%s issue=%s",
                customer.alias,
                month,
                issue.key,
            )
        return issue

    # -- the other actions --------------------------------------------------------------------

    def _carry_out(
        self, customer: Customer, month: Month, action: Action, issue: IssueRef | None
    ) -> bool:
        if isinstance(action, CreateTracking):
            return True
        if isinstance(action, UpdateDescription):
            assert issue is not None
            self._jira.edit_description(issue, action.description)
            with self._store.transaction("recording the tracking description") as conn:
                repo.record_digest(conn, customer.alias, month, action.digest)
            return True
        raise_ = (
            action.raise_
            if isinstance(action, Comment)
            else (action.add if isinstance(action, Labels) else action.hold)
        )
        now = self._clock()
        with self._store.transaction("claiming an allowance action") as conn:
            claim = repo.claim_action(
                conn, customer.alias, month, action.key, raise_=raise_, now=now, lease=self._lease
            )
        if claim is None:
            return False
        if isinstance(action, Comment):
            assert issue is not None
            mark = marker(customer.alias, month, action.key, claim.generation, raise_)
            if not (claim.resumed and self._jira.comments_containing(issue, mark)):
                self._jira.add_comment(issue, f"{action.text}\n\n{mark}")
        elif isinstance(action, Labels):
            self._label(customer, action)
        with self._store.transaction("finishing an allowance action") as conn:
            repo.finish_action(
                conn, customer.alias, month, action.key, raise_=raise_, now=self._clock()
            )
        log.info(
            "allowance.action customer=%s month=%s action=%s raise=%s",
            customer.alias, month, action.key, raise_,
        )  # fmt: skip
        return True

    def _label(self, customer: Customer, action: Labels) -> None:
        if action.add:
            jql = (
                f'project = {jql_string(self._project)} AND labels = "csp" '
                f"AND labels = {jql_string(customer.label)} AND statusCategory != Done"
            )
        else:
            jql = f"labels = {jql_string(action.label)} AND labels = {jql_string(customer.label)}"
        for found in list(self._jira.search(jql, fields=("labels",))):
            has = action.label in found.labels
            if action.add and not has:
                self._jira.edit_labels(found.ref, add=(action.label,))
            elif not action.add and has:
                self._jira.edit_labels(found.ref, remove=(action.label,))

    def catch_up(
        self,
        customer: Customer,
        month: Month,
        *,
        flags: Sequence[str],
        flags_since: datetime | None,
        hold_since: datetime | None,
    ) -> Counter[str]:
        """While the month is flagged, CSP issues the customer opens later get the flags too,
        and under `require-approval` new requests not yet started wait in the approval status,
        each once: a lead who approves one (moves it on) never sees it held again. One search
        per pass, for the issues created since the first flag went up."""
        done: Counter[str] = Counter()
        starts = [t for t in (flags_since if flags else None, hold_since) if t is not None]
        if not starts:
            return done
        since_ms = int(min(starts).timestamp() * 1000)
        jql = (
            f'project = {jql_string(self._project)} AND labels = "csp" '
            f"AND labels = {jql_string(customer.label)} AND statusCategory != Done "
            f"AND created >= {since_ms} ORDER BY created ASC"
        )
        for found in list(self._jira.search(jql, fields=("labels", "status", "created"))):
            lacking = [label for label in flags if label not in found.labels]
            if lacking:
                self._jira.edit_labels(found.ref, add=lacking)
                done["issues_flagged_late"] += 1
            if (
                hold_since is not None
                and found.status.casefold() == "to do"
                and _created(found.created) >= hold_since
                and self._hold(customer, month, found.ref)
            ):
                done["requests_held"] += 1
        return done

    def _hold(self, customer: Customer, month: Month, issue: IssueRef) -> bool:
        with self._store.transaction("holding a request for approval") as conn:
            first = repo.hold_once(conn, issue.id, issue.key, customer.alias, month, self._clock())
        if not first:
            return False
        status = self._mappings.allowance.approval_status
        moved = self._jira.transition_to(
            issue,
            status,
            comment=(
                f"{customer.display_name}'s CSP allowance for {month} is used up and the "
                "contract requires approval: this request waits for a CSP lead to approve it."
            ),
        )
        if not moved:
            log.warning("allowance.hold_refused issue=%s status=%s", issue.key, status)
        return moved


def _created(text: str) -> datetime:
    """Jira's `created` (`2026-11-20T12:00:00.000+0000`); unreadable counts as long ago."""
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)


def _name(action: Action) -> str:
    if isinstance(action, CreateTracking):
        return "tracking:created"
    if isinstance(action, UpdateDescription):
        return "tracking:updated"
    if isinstance(action, Comment):
        return f"{action.key}:{'raised' if action.raise_ else 'withdrawn'}"
    if isinstance(action, Labels):
        return f"{action.key}:{'added' if action.add else 'removed'}"
    assert isinstance(action, Approval)
    return f"approval:{'hold' if action.hold else 'released'}"
