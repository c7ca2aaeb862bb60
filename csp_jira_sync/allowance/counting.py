"""Which worklog counts against which customer's month and category, and why the others do not.

A worklog counts when a CSP staff member logged it on an issue that carries a customer's label
and a CSP activity label, and not `csp-out-of-scope`. The category comes from the issue's labels
*as they are now*, so a person's relabelling moves the issue's hours to the new category. Time
that does not count is kept with its reason, so nobody wonders where the hours went.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from csp_jira_sync.allowance.facts import IssueFacts, Worklog
from csp_jira_sync.allowance.months import Month
from csp_jira_sync.config.catalog import Activity
from csp_jira_sync.config.mappings import Customer, Mappings

OUT_OF_SCOPE_LABEL = "csp-out-of-scope"

Exclusion = Literal[
    "not-csp-staff", "no-customer", "several-customers", "out-of-scope", "no-activity-label"
]
EXCLUSION_WORDING: dict[str, str] = {
    "not-csp-staff": "logged by someone who is not CSP staff (e.g. NOC)",
    "no-customer": "the issue carries no customer label",
    "several-customers": "the issue carries more than one customer label",
    "out-of-scope": f"the issue is labelled {OUT_OF_SCOPE_LABEL}",
    "no-activity-label": "the issue carries no CSP activity label",
}


@dataclass(frozen=True)
class LedgerLine:
    """One worklog as the ledger counts it: for a customer, month and category, or excluded
    with a reason. `customer` and `month` are kept for excluded time whenever they are known
    (month in UTC when there is no customer), so excluded hours show where they were logged."""

    worklog_id: str
    issue_id: str
    issue_key: str
    author: str
    started: datetime
    seconds: int
    customer: str | None
    month: Month
    category: str | None
    excluded: Exclusion | None
    may_borrow: bool = False

    @property
    def counts(self) -> bool:
        return self.excluded is None


@dataclass(frozen=True)
class Rules:
    """The mappings, indexed by label once per pass (a month read counts 50,000 worklogs)."""

    customers: Mapping[str, Customer]  # customer label -> customer
    activities: Mapping[str, Activity]  # activity label -> activity
    borrowing: Mapping[str, frozenset[str]]  # alias -> labels whose work may borrow

    @classmethod
    def of(cls, mappings: Mappings) -> Rules:
        return cls(
            customers={c.label: c for c in mappings.customers.values()},
            activities={a.label: a for a in mappings.catalog.activities()},
            borrowing={
                c.alias: frozenset(b.labels)
                for c in mappings.customers.values()
                if (b := mappings.package_of(c).borrowing) is not None
            },
        )


def count_worklog(
    worklog: Worklog,
    issue: IssueFacts,
    *,
    staff: Collection[str],
    mappings: Mappings | None = None,
    rules: Rules | None = None,
) -> LedgerLine:
    """The ledger line of one worklog, from the issue's current labels and who logged it
    (`rules` from `Rules.of(mappings)`; pass either)."""
    if rules is None:
        if mappings is None:
            raise TypeError("count_worklog needs mappings or rules")
        rules = Rules.of(mappings)
    customers = list(
        dict.fromkeys(rules.customers[x] for x in issue.labels if x in rules.customers)
    )
    customer = customers[0] if len(customers) == 1 else None
    zone = customer.zone if customer is not None else UTC
    activity = next((rules.activities[x] for x in issue.labels if x in rules.activities), None)
    excluded: Exclusion | None = None
    if worklog.author_account_id not in staff:
        excluded = "not-csp-staff"
    elif not customers:
        excluded = "no-customer"
    elif customer is None:
        excluded = "several-customers"
    elif OUT_OF_SCOPE_LABEL in issue.labels:
        excluded = "out-of-scope"
    elif activity is None:
        excluded = "no-activity-label"
    borrow = rules.borrowing.get(customer.alias) if customer is not None else None
    return LedgerLine(
        worklog_id=worklog.id,
        issue_id=issue.id,
        issue_key=issue.key,
        author=worklog.author_name or worklog.author_account_id,
        started=worklog.started.astimezone(UTC),
        seconds=worklog.seconds,
        customer=customer.alias if customer is not None else None,
        month=Month.of(worklog.started, zone),
        category=activity.category if activity is not None and excluded is None else None,
        excluded=excluded,
        may_borrow=excluded is None
        and borrow is not None
        and any(label in borrow for label in issue.labels),
    )
