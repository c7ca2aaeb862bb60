"""Which CSP labels a synced issue (one the daemon raised: it carries a reference label) is
missing, or carries wrongly, and how to repair them in one edit: a pure decision.

What the daemon set at create is compared with what the issue carries now, with today's
catalog and mappings:

- `csp`, the activity label and its category's label, the customer's label and, on
  escalations, the first event's severity label: added when missing.
- A category label that does not belong to the daemon's activity (the catalog moved the
  activity to another category since) is removed, and the right one added.
- A person's choice is never undone. The triage memory (`triage/memory.py`) records who
  decided an issue's activity: when a person did, only the category label of their activity
  is added and nothing of the activity or category family is removed; when a person chose no
  activity, that family is left alone. An activity label other than the daemon's that the
  memory does not know yet is a person's too (the daemon never changes one after create).
- A customer or severity label other than the expected one is a person's (the daemon sets them
  at create only): kept, and the expected one is not added beside it.
- Whatever the store no longer knows (its events purged) is not checked.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from csp_jira_sync.config.catalog import Activity, Catalog
from csp_jira_sync.triage.decide import Memory

BASE_LABEL = "csp"


@dataclass(frozen=True)
class Expected:
    """What the daemon set on the issue at create, as today's mappings word it; None where it
    set no such label or the store no longer knows."""

    activity: str | None  # the activity slug the daemon decided
    customer_label: str | None
    severity_label: str | None


@dataclass(frozen=True)
class LabelRepair:
    add: tuple[str, ...]
    remove: tuple[str, ...]
    reasons: tuple[str, ...]

    @property
    def needed(self) -> bool:
        return bool(self.add or self.remove)


def _activity(catalog: Catalog, slug: str | None) -> Activity | None:
    if slug is None:
        return None
    return next((a for a in catalog.activities() if a.slug == slug), None)


def decide_labels(
    labels: Collection[str],
    expected: Expected,
    memory: Memory | None,
    catalog: Catalog,
    *,
    customer_labels: Collection[str],
    severity_labels: Collection[str],
) -> LabelRepair:
    present = set(labels)
    add: list[str] = []
    remove: list[str] = []
    reasons: list[str] = []

    def want(label: str, why: str) -> None:
        if label not in present and label not in add:
            add.append(label)
            reasons.append(why)

    want(BASE_LABEL, f"{BASE_LABEL} is missing")

    present_activities = [a for a in (catalog.activity_by_label(x) for x in sorted(present)) if a]
    if memory is not None and memory.decided_by == "human":
        chosen = _activity(catalog, memory.activity_slug)
        if chosen is not None:
            category = catalog.category(chosen.category).label
            want(category, f"a person chose {chosen.label}: its category {category} is missing")
    else:
        daemons = _activity(catalog, expected.activity)
        persons = [a for a in present_activities if daemons is None or a.slug != daemons.slug]
        if persons:
            chosen = persons[0]
            category = catalog.category(chosen.category).label
            want(category, f"a person set {chosen.label}: its category {category} is missing")
        elif daemons is not None:
            want(daemons.label, f"the activity label {daemons.label} is missing")
            category = catalog.category(daemons.category).label
            want(category, f"the category label {category} of {daemons.label} is missing")
            for wrong in sorted(present & catalog.category_labels - {category}):
                remove.append(wrong)
                reasons.append(
                    f"{wrong} does not match the activity {daemons.label} "
                    f"(its category is {category} in today's catalog)"
                )

    if expected.customer_label and not present & set(customer_labels):
        want(expected.customer_label, f"the customer label {expected.customer_label} is missing")
    if expected.severity_label and not present & set(severity_labels):
        want(expected.severity_label, f"the severity label {expected.severity_label} is missing")
    return LabelRepair(tuple(add), tuple(remove), tuple(reasons))
