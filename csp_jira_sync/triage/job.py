"""One incremental pass over issues people created or changed in the CSP project: JQL on
`updated` from a cursor kept in the store, then the label edits `triage.decide_triage` asks for.

The cursor is an epoch-millisecond time (JQL dates without an offset are read in the Jira
user's time zone and skipped records for other tools: airbyte #48492). Each pass looks back a
little before the cursor, because search is eventually consistent; issues seen twice are
recognised through the triage memory, so the overlap costs nothing but a search page.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from csp_jira_sync.classify import CompiledRules, classify
from csp_jira_sync.config.mappings import Mappings
from csp_jira_sync.jira.port import Gateway
from csp_jira_sync.store import Store
from csp_jira_sync.triage.decide import customer_in_field, customer_named, decide_triage
from csp_jira_sync.triage.memory import recall, remember_decision

log = logging.getLogger(__name__)

CURSOR = "triage.updated_ms"
FIELDS = ("summary", "description", "labels", "updated", "created")


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _jira_time(text: str) -> datetime | None:
    for fmt in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def run_triage_pass(
    store: Store,
    gateway: Gateway,
    mappings: Mappings,
    rules: CompiledRules,
    *,
    project: str,
    clock: Callable[[], datetime],
    customer_field: str | None = None,
    first_look_back: timedelta = timedelta(days=30),
    overlap: timedelta = timedelta(minutes=5),
) -> Counter[str]:
    outcomes: Counter[str] = Counter()
    stored = store.get_cursor(CURSOR)
    since_ms = int(stored) if stored else _epoch_ms(clock() - first_look_back)
    look_from = since_ms - int(overlap.total_seconds() * 1000)
    newest_ms = since_ms
    jql = f"project = {project} AND updated >= {look_from} ORDER BY updated ASC"
    fields = (*FIELDS, customer_field) if customer_field else FIELDS
    for issue in gateway.search(jql, fields=fields):
        with store.transaction("reading the triage memory") as conn:
            memory = recall(conn, issue.ref.key)
        text = f"{issue.summary}\n{issue.description}"
        named = (
            customer_in_field(issue.fields.get(customer_field), mappings)
            if customer_field
            else None
        )
        customer = named or customer_named(text, mappings)
        action = decide_triage(
            issue.labels,
            memory,
            mappings.catalog,
            partial(classify, issue.summary, issue.description, rules, mappings.catalog),
            customer,
        )
        if action.add_labels:
            gateway.edit_labels(issue.ref, add=action.add_labels)
            outcomes["labelled"] += 1
        if action.remember is not None:
            with store.transaction("recording a triage decision") as conn:
                remember_decision(
                    conn,
                    issue.ref.key,
                    action.remember.activity_slug,
                    action.remember.decided_by,
                    clock(),
                )
            if action.remember.decided_by == "human":
                outcomes["person-decided"] += 1
        if not action.add_labels and action.remember is None:
            outcomes["unchanged"] += 1
        log.info(
            "triage.issue issue=%s labels_added=%s note=%s",
            issue.ref.key,
            ",".join(action.add_labels) or "-",
            action.note,
        )
        updated = _jira_time(issue.updated)
        if updated is not None:
            newest_ms = max(newest_ms, _epoch_ms(updated))
    store.set_cursor(CURSOR, str(newest_ms))
    return outcomes
