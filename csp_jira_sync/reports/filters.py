"""Keep each customer's saved Jira filters (`filter_specs`) existing, current and shared.

A filter is found again by the id the store keeps; where that is gone (the store was reset, or
a crash came between Jira's answer and the store), by its name, which Jira keeps unique per
owner, so the filter is never made twice: a create Jira refuses for its name sends us to look
again. Its JQL, name and description are rewritten only when they changed; it is shared with
the project, or with a group from settings, once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from csp_jira_sync.config.mappings import Customer, Mappings
from csp_jira_sync.errors import JiraPermanent
from csp_jira_sync.jira.reports_port import FilterShare, ReportsGateway, SavedFilter
from csp_jira_sync.reports.filter_specs import FilterSpec, customer_filters
from csp_jira_sync.store import Store
from csp_jira_sync.store.saved_filters import KnownFilter, known_filter, remember_filter

log = logging.getLogger(__name__)


def specs_for(customer: Customer, mappings: Mappings, *, project: str) -> tuple[FilterSpec, ...]:
    return customer_filters(
        project=project,
        alias=customer.alias,
        display_name=customer.display_name,
        customer_label=customer.label,
        escalation_label=mappings.escalation_activity.label,
    )


def share_target(gateway: ReportsGateway, *, project: str, group: str | None) -> FilterShare:
    """Who the filters are shared with: `group` when set (CSP_REPORT_FILTER_GROUP), else every
    user who can browse the project."""
    if group:
        return FilterShare("group", group)
    return FilterShare("project", gateway.project_id(project))


def _find_or_create(gateway: ReportsGateway, spec: FilterSpec) -> SavedFilter:
    found = gateway.find_filter(spec.name)
    if found is not None:
        return found
    try:
        return gateway.create_filter(name=spec.name, jql=spec.jql, description=spec.description)
    except JiraPermanent as exc:
        # Jira refuses a second filter of the same name: an earlier create landed after all.
        if exc.status != 400:
            raise
        again = gateway.find_filter(spec.name)
        if again is None:
            raise JiraPermanent(
                f"{exc} Jira has a filter named {spec.name!r} that csp-jira-sync cannot find "
                "(on Data Center only our favourite filters are visible to it): mark that filter "
                "as a favourite of the sync user, or delete it, and the next run takes it over",
                status=exc.status,
            ) from None
        return again


def ensure_filter(
    store: Store,
    gateway: ReportsGateway,
    spec: FilterSpec,
    *,
    share: FilterShare,
    now: Callable[[], datetime],
) -> SavedFilter:
    with store.transaction("reading a saved filter id") as conn:
        known = known_filter(conn, spec.scope, spec.purpose)
    current = gateway.get_filter(known.filter_id) if known is not None else None
    if current is None:
        current = _find_or_create(gateway, spec)
    if (current.name, current.jql, current.description) != (
        spec.name,
        spec.jql,
        spec.description,
    ):
        current = gateway.update_filter(
            current.id, name=spec.name, jql=spec.jql, description=spec.description
        )
        log.info("report.filter_updated scope=%s purpose=%s", spec.scope, spec.purpose)
    if share not in current.shares:
        gateway.share_filter(current.id, share)
    with store.transaction("remembering a saved filter") as conn:
        remember_filter(
            conn, KnownFilter(spec.scope, spec.purpose, current.id, spec.name, spec.jql), now()
        )
    return current


def ensure_customer_filters(
    store: Store,
    gateway: ReportsGateway,
    specs: Sequence[FilterSpec],
    *,
    share: FilterShare,
    now: Callable[[], datetime],
) -> tuple[SavedFilter, ...]:
    """Every filter in `specs`, existing, current and shared; in the order given."""
    return tuple(ensure_filter(store, gateway, s, share=share, now=now) for s in specs)
