"""Triage of issues people create in Jira by hand: which labels to add, decided purely from the
issue's labels, what the daemon remembers, and a classification of its text.

- An activity label a person set is never replaced; the daemon only adds the matching
  category label and remembers the person's choice.
- A person who later changes or removes the daemon's label wins, and the daemon remembers not
  to label that issue again.
- Issues the daemon raised itself (they carry a `csp-ref-` label) are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Literal

from csp_jira_sync.classify import OUT_OF_SCOPE_LABEL, TRIAGE_LABEL, Classification
from csp_jira_sync.config.catalog import Catalog
from csp_jira_sync.config.mappings import Customer, Mappings

DecidedBy = Literal["daemon", "human"]


@dataclass(frozen=True)
class Memory:
    """What the daemon remembers about an issue's activity label: what, and who decided it."""

    activity_slug: str  # an activity slug, or "out-of-scope", "triage", "none"
    decided_by: DecidedBy


CUSTOMER_LABEL_PREFIX = "csp-customer-"


@dataclass(frozen=True)
class TriageAction:
    add_labels: tuple[str, ...]
    remember: Memory | None
    note: str


NOTHING = TriageAction((), None, "nothing to do")


def customer_named(text: str, mappings: Mappings) -> Customer | None:
    """The one customer the text names (alias as a word, or display name), else None."""
    lowered = text.casefold()
    found = [
        customer
        for customer in mappings.customers.values()
        if re.search(rf"\b{re.escape(customer.alias)}\b", lowered)
        or customer.display_name.casefold() in lowered
    ]
    return found[0] if len(found) == 1 else None


def customer_in_field(value: object, mappings: Mappings) -> Customer | None:
    """The customer a Jira field names: its alias or display name, or the one it mentions."""
    if isinstance(value, dict):  # select lists and the like: {"value": ...}
        value = value.get("value") or value.get("name")
    if not isinstance(value, str) or not value.strip():
        return None
    wanted = value.strip().casefold()
    for customer in mappings.customers.values():
        if wanted in (customer.alias, customer.display_name.casefold()):
            return customer
    return customer_named(value, mappings)


def decide_triage(
    labels: Collection[str],
    memory: Memory | None,
    catalog: Catalog,
    classification: Callable[[], Classification],
    customer: Customer | None,
) -> TriageAction:
    present = set(labels)
    activities = [a for a in (catalog.activity_by_label(label) for label in labels) if a]
    if memory is None and any(label.startswith("csp-ref-") for label in present):
        return TriageAction((), None, "raised by the daemon")
    if activities:
        activity = activities[0]
        category_label = catalog.category(activity.category).label
        add = tuple(label for label in ("csp", category_label) if label not in present)
        if (
            memory is not None
            and memory.decided_by == "daemon"
            and memory.activity_slug == activity.slug
        ):
            return TriageAction(add, None, "labelled by the daemon") if add else NOTHING
        if (
            memory is not None
            and memory.decided_by == "human"
            and memory.activity_slug == activity.slug
            and not add
        ):
            return NOTHING
        return TriageAction(add, Memory(activity.slug, "human"), "a person chose the activity")
    if memory is not None:
        if memory.decided_by == "human":
            return NOTHING
        still_there = {"triage": TRIAGE_LABEL, "out-of-scope": OUT_OF_SCOPE_LABEL}.get(
            memory.activity_slug
        )
        if still_there and still_there in present:
            return NOTHING
        return TriageAction((), Memory("none", "human"), "a person removed the daemon's label")
    if OUT_OF_SCOPE_LABEL in present:
        return TriageAction((), Memory("out-of-scope", "human"), "a person marked it out of scope")
    result = classification()
    wanted = ["csp", *result.labels]
    if customer is not None and not any(
        label.startswith(CUSTOMER_LABEL_PREFIX) for label in present
    ):
        wanted.append(customer.label)
    return TriageAction(
        tuple(label for label in dict.fromkeys(wanted) if label not in present),
        Memory(result.decision, "daemon"),
        f"classified: {result.explain()}",
    )
