"""Enforcement decisions: each threshold once per customer-month, withdrawn when usage falls."""

from __future__ import annotations

from pathlib import Path

import pytest

from csp_jira_sync.allowance.enforce import (
    EXCEEDED_LABEL,
    WARNING_LABEL,
    Action,
    Approval,
    Comment,
    CreateTracking,
    Done,
    Labels,
    UpdateDescription,
    decide,
    describe,
    digest_of,
)
from csp_jira_sync.allowance.figures import MonthFigures, MonthUsage, month_figures
from csp_jira_sync.allowance.months import Month
from csp_jira_sync.config.mappings import Mappings, Package, load_mappings

ROOT = Path(__file__).resolve().parents[2]
H = 3600
OCT = Month(2026, 10)


@pytest.fixture(scope="module")
def mappings() -> Mappings:
    return load_mappings(ROOT / "mappings")


def figures_for(pkg: Package, seconds: int) -> MonthFigures:
    return month_figures("globex", pkg, [MonthUsage(OCT, {"crm": seconds} if seconds else {})])[0]


def run(
    mappings: Mappings, seconds: int, done: Done, *, current: bool = True, overage: str = "notify"
) -> list[Action]:
    customer = mappings.customers["globex"]
    pkg = mappings.packages["silver"].model_copy(update={"overage": overage})
    titles = {c.slug: c.title for c in mappings.catalog.categories}
    return decide(
        figures_for(pkg, seconds),
        done,
        customer=customer,
        package=pkg,
        titles=titles,
        current=current,
    )


def kinds(actions: list[Action]) -> list[tuple[str, str, bool]]:
    out: list[tuple[str, str, bool]] = []
    for a in actions:
        if isinstance(a, Comment):
            out.append(("comment", a.key, a.raise_))
        elif isinstance(a, Labels):
            out.append(("labels", a.label, a.add))
        elif isinstance(a, Approval):
            out.append(("approval", a.key, a.hold))
    return out


TRACKED = "CSP-9"


@pytest.mark.parametrize(
    ("seconds", "active", "overage", "expected"),
    [
        (2 * H, frozenset(), "notify", []),
        (
            int(7.5 * H),
            frozenset(),
            "notify",
            [("comment", "warning:0.75", True), ("labels", WARNING_LABEL, True)],
        ),
        (
            int(7.5 * H),
            frozenset({"warning:0.75", "labels:warning"}),
            "notify",
            [],
        ),
        (
            10 * H,
            frozenset({"warning:0.75", "labels:warning"}),
            "notify",
            [
                ("comment", "warning:0.9", True),
                ("comment", "exceeded", True),
                ("labels", EXCEEDED_LABEL, True),
            ],
        ),
        (
            10 * H,
            frozenset({"warning:0.75", "warning:0.9", "exceeded", "labels:warning"}),
            "require-approval",
            [("labels", EXCEEDED_LABEL, True), ("approval", "approval", True)],
        ),
        (
            8 * H,
            frozenset(
                {"warning:0.75", "warning:0.9", "exceeded", "labels:warning", "labels:exceeded"}
            ),
            "notify",
            [
                ("comment", "warning:0.9", False),
                ("comment", "exceeded", False),
                ("labels", EXCEEDED_LABEL, False),
            ],
        ),
        (
            1 * H,
            frozenset({"warning:0.75", "labels:warning", "approval"}),
            "require-approval",
            [
                ("comment", "warning:0.75", False),
                ("labels", WARNING_LABEL, False),
                ("approval", "approval", False),
            ],
        ),
    ],
)
def test_each_threshold_is_acted_on_once_and_withdrawn_when_usage_falls(
    mappings: Mappings,
    seconds: int,
    active: frozenset[str],
    overage: str,
    expected: list[tuple[str, str, bool]],
) -> None:
    pkg = mappings.packages["silver"].model_copy(update={"overage": overage})
    titles = {c.slug: c.title for c in mappings.catalog.categories}
    description = describe(figures_for(pkg, seconds), mappings.customers["globex"], pkg, titles)
    done = Done(TRACKED, digest_of(description), active)
    assert kinds(run(mappings, seconds, done, overage=overage)) == expected


def test_labels_and_the_policy_come_off_when_the_month_is_over(mappings: Mappings) -> None:
    active = frozenset(
        {"warning:0.75", "warning:0.9", "exceeded", "labels:warning", "labels:exceeded", "approval"}
    )
    actions = run(
        mappings, 11 * H, Done(TRACKED, "old", active), current=False, overage="require-approval"
    )
    assert kinds(actions) == [
        ("labels", WARNING_LABEL, False),
        ("labels", EXCEEDED_LABEL, False),
        ("approval", "approval", False),
    ]
    assert isinstance(actions[0], UpdateDescription)


def test_the_tracking_issue_is_created_first_and_only_once_there_is_time(
    mappings: Mappings,
) -> None:
    assert run(mappings, 0, Done()) == []
    actions = run(mappings, 8 * H, Done())
    assert isinstance(actions[0], CreateTracking)
    assert actions[0].summary == "CSP allowance 2026-10: Globex Retail Inc"
    assert "Used: 8.00 h (80.0%)" in actions[0].description
    assert "Remaining: 2.00 h" in actions[0].description


def test_the_description_is_rewritten_only_when_the_figures_change(mappings: Mappings) -> None:
    first = run(mappings, 3 * H, Done())
    created = first[0]
    assert isinstance(created, CreateTracking)
    assert run(mappings, 3 * H, Done(TRACKED, created.digest)) == []
    changed = run(mappings, 3 * H + 1800, Done(TRACKED, created.digest))
    assert [type(a) for a in changed] == [UpdateDescription]


def test_the_description_shows_every_category_and_excluded_time(mappings: Mappings) -> None:
    pkg = mappings.packages["silver"]
    figures = month_figures(
        "globex",
        pkg,
        [MonthUsage(OCT, {"configuration": 5400}, 0, {"not-csp-staff": 1800})],
    )[0]
    titles = {c.slug: c.title for c in mappings.catalog.categories}
    text = describe(figures, mappings.customers["globex"], pkg, titles)
    assert f"- {titles['configuration']}: 1.50 h" in text
    assert f"- {titles['crm']}: 0.00 h" in text
    assert "- not-csp-staff: 0.50 h" in text
