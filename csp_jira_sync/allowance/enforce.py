"""What to do in Jira about one customer-month, given its figures and what was done already.

Each action has a key (`warning:0.75`, `exceeded`, `labels:warning`, `labels:exceeded`,
`approval`) that the store records as active once done, so every action happens once per
customer-month and threshold, whatever restarts or re-runs in between; when usage falls back
under a threshold (worklogs edited or deleted) the action is withdrawn, with a comment saying
why. Labels on the customer's open issues and the overage policy only apply to the customer's
current month: when the month ends, they come off.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from csp_jira_sync.allowance.figures import EXCEEDED, MonthFigures
from csp_jira_sync.allowance.months import Month
from csp_jira_sync.config.mappings import Customer, Package

TRACKING_LABEL = "csp-allowance"
WARNING_LABEL = "csp-allowance-warning"
EXCEEDED_LABEL = "csp-allowance-exceeded"


@dataclass(frozen=True)
class Done:
    """What enforcement already did for a customer-month."""

    tracking_key: str | None = None
    description_digest: str | None = None
    active: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CreateTracking:
    summary: str
    description: str
    digest: str


@dataclass(frozen=True)
class UpdateDescription:
    description: str
    digest: str


@dataclass(frozen=True)
class Comment:
    """A comment on the tracking issue; `key` becomes active (raise) or inactive (withdraw)."""

    key: str
    text: str
    raise_: bool


@dataclass(frozen=True)
class Labels:
    """Add (or remove) `label` on the customer's open CSP issues; `key` tracks it."""

    key: str
    label: str
    add: bool


@dataclass(frozen=True)
class Approval:
    """Start (or stop) holding the customer's new requests in the approval status."""

    key: str
    hold: bool


Action = CreateTracking | UpdateDescription | Comment | Labels | Approval


def threshold_key(fraction: float) -> str:
    return "exceeded" if fraction >= EXCEEDED else f"warning:{fraction:g}"


def hours(seconds: int) -> str:
    return f"{seconds / 3600:.2f} h"


def tracking_summary(customer: Customer, month: Month) -> str:
    return f"CSP allowance {month}: {customer.display_name}"


def describe(
    figures: MonthFigures, customer: Customer, package: Package, titles: Mapping[str, str]
) -> str:
    """The tracking issue's description: used, remaining, by category, and the options."""
    lines = [
        f"CSP allowance of {customer.display_name} ({customer.alias}) for {figures.month}, "
        f"package {package.tier}: {hours(figures.available_seconds)} available.",
        "",
        f"Used: {hours(figures.used_seconds)} ({figures.percent:.1f}%)",
        f"Remaining: {hours(figures.remaining_seconds)}",
        f"State: {figures.state}",
    ]
    if figures.carried_in_seconds:
        lines.append(f"Carried over from earlier months: {hours(figures.carried_in_seconds)}")
    if figures.repaid_seconds:
        lines.append(f"Borrowed by the previous month: {hours(figures.repaid_seconds)}")
    if figures.borrowed_seconds:
        lines.append(f"Borrowed from next month: {hours(figures.borrowed_seconds)}")
    if figures.overage_seconds:
        lines.append(f"Past the allowance: {hours(figures.overage_seconds)}")
    lines += ["", "By category:"]
    for slug, title in titles.items():
        lines.append(f"- {title}: {hours(figures.used_by_category.get(slug, 0))}")
    if figures.excluded_by_reason:
        lines += ["", "Not counted:"]
        for reason, seconds in sorted(figures.excluded_by_reason.items()):
            lines.append(f"- {reason}: {hours(seconds)}")
    lines += ["", f"Overage policy: {package.overage}. Kept current by csp-jira-sync."]
    return "\n".join(lines)


def digest_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def decide(
    figures: MonthFigures,
    done: Done,
    *,
    customer: Customer,
    package: Package,
    titles: Mapping[str, str],
    current: bool,
) -> list[Action]:
    """The actions that bring Jira in line with `figures`, in the order to carry them out."""
    actions: list[Action] = []
    description = describe(figures, customer, package, titles)
    digest = digest_of(description)
    if done.tracking_key is None:
        if figures.used_seconds == 0 and not done.active:
            return []  # no CSP time this month: no tracking issue to keep
        actions.append(
            CreateTracking(tracking_summary(customer, figures.month), description, digest)
        )
    elif done.description_digest != digest:
        actions.append(UpdateDescription(description, digest))
    figure = (
        f"{hours(figures.used_seconds)} of {hours(figures.available_seconds)} used "
        f"({figures.percent:.1f}%)"
    )
    wanted = {threshold_key(t) for t in figures.crossed}
    thresholds = [threshold_key(t) for t in (*package.warn_at, EXCEEDED)]
    for key in thresholds:
        fraction = EXCEEDED if key == "exceeded" else float(key.split(":")[1])
        if key in wanted and key not in done.active:
            what = (
                f"the allowance is used up (overage policy: {package.overage})"
                if key == "exceeded"
                else f"the {fraction:.0%} warning threshold is reached"
            )
            actions.append(Comment(key, f"{figures.month}: {figure}; {what}.", raise_=True))
        elif key not in wanted and key in done.active:
            actions.append(
                Comment(
                    key,
                    f"{figures.month}: usage is back under {fraction:.0%} ({figure}) after "
                    "worklogs were edited, moved or deleted, or issues relabelled; "
                    "the flag comes off.",
                    raise_=False,
                )
            )
    warned = any(k.startswith("warning:") for k in wanted)
    exceeded = "exceeded" in wanted
    for key, label, want in (
        ("labels:warning", WARNING_LABEL, current and warned),
        ("labels:exceeded", EXCEEDED_LABEL, current and exceeded),
    ):
        if want != (key in done.active):
            actions.append(Labels(key, label, add=want))
    hold = current and exceeded and package.overage == "require-approval"
    if hold != ("approval" in done.active):
        actions.append(Approval("approval", hold=hold))
    return actions
