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

from csp_jira_sync.classify import Classifier, classify
from csp_jira_sync.config.mappings import Mappings
from csp_jira_sync.jira.model import jira_time
from csp_jira_sync.jira.port import Gateway
from csp_jira_sync.store import Store
from csp_jira_sync.triage.corrections import record_correction
from csp_jira_sync.triage.decide import Memory, customer_in_field, customer_named, decide_triage
from csp_jira_sync.triage.memory import recall, remember_decision

log = logging.getLogger(__name__)

CURSOR = "triage.updated_ms"
FIELDS = ("summary", "description", "labels", "updated", "created", "assignee")


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def is_correction(before: Memory | None, now: Memory, mappings: Mappings) -> bool:
    """A person set or changed the activity of an issue the daemon had labelled (an activity,
    out-of-scope or triage): a labelled example for the classifier."""
    return (
        before is not None
        and before.decided_by == "daemon"
        and now.decided_by == "human"
        and now.activity_slug != before.activity_slug
        and now.activity_slug in {a.slug for a in mappings.catalog.activities()}
    )


def _who(assignee: object) -> str:
    """Jira's search gives no label-change author without the changelog; the assignee at the
    time is the CSP who works the issue, recorded as such."""
    if isinstance(assignee, dict):
        name = assignee.get("displayName") or assignee.get("name") or assignee.get("accountId")
        if name:
            return f"assignee:{name}"
    return "unknown"


def run_triage_pass(
    store: Store,
    gateway: Gateway,
    mappings: Mappings,
    rules: Classifier,
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
            corrected = is_correction(memory, action.remember, mappings)
            with store.transaction("recording a triage decision") as conn:
                remember_decision(
                    conn,
                    issue.ref.key,
                    action.remember.activity_slug,
                    action.remember.decided_by,
                    clock(),
                )
                if corrected:
                    assert memory is not None
                    record_correction(
                        conn,
                        issue_key=issue.ref.key,
                        subject=issue.summary,
                        body=issue.description,
                        activity_slug=action.remember.activity_slug,
                        previous=memory.activity_slug,
                        decided_by=_who(issue.fields.get("assignee")),
                        decided_at=jira_time(issue.updated) or clock(),
                    )
            if corrected:
                outcomes["corrections"] += 1
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
        updated = jira_time(issue.updated)
        if updated is not None:
            newest_ms = max(newest_ms, _epoch_ms(updated))
    store.set_cursor(CURSOR, str(newest_ms))
    return outcomes
