"""The state store's tables (SQLAlchemy Core). Alembic migrations in `migrations/` create them;
a test checks that the migrated database and this module never drift apart.

- `inbox`: every accepted event, the durable queue the worker drains. UNIQUE(kind, event_id)
  is what makes re-deliveries harmless: senders deliver at least once (PagerDuty retries for
  up to 48 hours), so the same event arriving twice must be stored once.
  `state` is `pending` until the event is applied (`done`) or Jira refuses it for good
  (`dead`); a dead letter an operator gives up on (`dead-letters --drop`) becomes `done` with
  `last_error` starting "dropped by an operator", so a re-delivery is still a duplicate.
- `jira_issues`: the create ledger. A row is written *before* Jira is asked to create an issue
  and completed after; after a crash, a `creating` row tells the worker to look for the issue
  (by `ref_label`) instead of creating a second one. Jira's search is eventually consistent, so
  a search alone misses just-created issues (jiralert #73).
- `escalations`, `applied_events`, `cursors`, `triage_labels`: the worker's bookkeeping.
- `allowance_*`: the allowance ledger (issue 8): worklogs and issues as last read from Jira,
  one ledger line per worklog (customer, month, category or the reason it does not count), and
  what enforcement did per customer-month, claimed before each Jira call.
- `saved_filters`: the saved Jira filters kept per customer for reports (issue 9).
- `labelled_examples`: the CSPs' corrections of activity labels, for training the classifier
  (issue 11).
- `job_locks`: which daemon runs each periodic job (issue 10): a lease row per job, renewed by
  its holder's heartbeat; another daemon takes it over once `expires_at` has passed.
- `replaced_issues`, `purged_subjects`: the nightly reconciliation's memory (issue 12): issues a
  person deleted in Jira and the issue raised in each one's place; subjects whose old events
  retention has emptied (their inbox rows, the dedup keys, stay).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from csp_jira_sync.store.types import JsonText, UtcDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

# SQLite only makes INTEGER PRIMARY KEY an alias of the rowid (auto-increment); PostgreSQL gets
# a 64-bit identity so the queue never runs out of ids.
_ID = BigInteger().with_variant(Integer(), "sqlite")

INBOX_KINDS = ("escalation", "request")
INBOX_SOURCES = ("noc", "alertmanager", "pagerduty", "requests", "import")
INBOX_STATES = ("pending", "done", "dead")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


inbox = Table(
    "inbox",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("kind", String(20), nullable=False),
    Column("source", String(20), nullable=False),
    Column("event_id", String(200), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("customer", String(60), nullable=False),
    Column("occurred_at", UtcDateTime(), nullable=False),
    Column("payload", JsonText(), nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("state", String(10), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    Column("last_error", Text, nullable=True),
    Column("claimed_until", UtcDateTime(), nullable=True),
    Column("done_at", UtcDateTime(), nullable=True),
    UniqueConstraint("kind", "event_id"),
    CheckConstraint(_one_of("kind", INBOX_KINDS), name="kind"),
    CheckConstraint(_one_of("source", INBOX_SOURCES), name="source"),
    CheckConstraint(_one_of("state", INBOX_STATES), name="state"),
    Index(None, "state", "next_attempt_at"),
    Index(None, "kind", "subject"),
)

jira_issues = Table(
    "jira_issues",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("subject_kind", String(20), nullable=False),
    Column("subject_id", String(200), nullable=False),
    Column("generation", Integer, nullable=False, server_default="1"),
    Column("ref_label", String(255), nullable=False),
    Column("issue_id", String(32), nullable=True),
    Column("issue_key", String(64), nullable=True),
    Column("state", String(10), nullable=False),
    Column("create_started_at", UtcDateTime(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=True),
    # The event whose create this row claims (its marker is in the issue's description, not
    # in a comment): a late event's replay must never move it to another generation.
    Column("first_event_id", String(200), nullable=True),
    UniqueConstraint("ref_label"),
    UniqueConstraint("subject_kind", "subject_id", "generation"),
    CheckConstraint(_one_of("state", ("creating", "created")), name="state"),
    Index(None, "issue_key"),
)

escalations = Table(
    "escalations",
    metadata,
    Column("escalation_id", String(200), primary_key=True),
    Column("customer", String(60), nullable=False),
    Column("generation", Integer, nullable=False, server_default="1"),
    Column("status", String(20), nullable=False),
    Column("status_occurred_at", UtcDateTime(), nullable=False),
    Column("resolved_at", UtcDateTime(), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
)

applied_events = Table(
    "applied_events",
    metadata,
    Column("kind", String(20), nullable=False),
    Column("event_id", String(200), nullable=False),
    Column("issue_key", String(64), nullable=True),
    Column("state", String(10), nullable=False),
    Column("marker", String(255), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("kind", "event_id"),
    CheckConstraint(_one_of("state", ("applying", "applied")), name="state"),
)

cursors = Table(
    "cursors",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

triage_labels = Table(
    "triage_labels",
    metadata,
    Column("issue_key", String(64), primary_key=True),
    Column("activity_slug", String(100), nullable=False),
    Column("decided_by", String(10), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    CheckConstraint(_one_of("decided_by", ("daemon", "human")), name="decided_by"),
)

allowance_issues = Table(
    "allowance_issues",
    metadata,
    Column("issue_id", String(32), primary_key=True),
    Column("issue_key", String(64), nullable=False),
    Column("labels", Text, nullable=False),  # space-separated: Jira labels have no spaces
    Column("summary", Text, nullable=False),
)

allowance_worklogs = Table(
    "allowance_worklogs",
    metadata,
    Column("worklog_id", String(32), primary_key=True),
    Column("issue_id", String(32), nullable=False),
    Column("author_id", String(200), nullable=False),
    Column("author_name", String(200), nullable=False),
    Column("started", UtcDateTime(), nullable=False),
    Column("seconds", Integer, nullable=False),
    Column("updated", UtcDateTime(), nullable=False),
    Index(None, "issue_id"),
    Index(None, "started"),
)

allowance_lines = Table(
    "allowance_lines",
    metadata,
    Column("worklog_id", String(32), primary_key=True),
    Column("issue_id", String(32), nullable=False),
    Column("issue_key", String(64), nullable=False),
    Column("author", String(200), nullable=False),
    Column("started", UtcDateTime(), nullable=False),
    Column("seconds", Integer, nullable=False),
    Column("customer", String(60), nullable=True),
    Column("month", String(7), nullable=False),
    Column("category", String(100), nullable=True),
    Column("excluded", String(30), nullable=True),
    Column("may_borrow", Boolean, nullable=False),
    Index(None, "customer", "month"),
    Index(None, "month"),
)

ALLOWANCE_ACTION_STATES = ("raising", "active", "withdrawing", "withdrawn")

# The month's tracking issue, once created (its create is claimed and recorded in `jira_issues`
# like every create), and the digest of the description last written to it.
allowance_tracking = Table(
    "allowance_tracking",
    metadata,
    Column("customer", String(60), nullable=False),
    Column("month", String(7), nullable=False),
    Column("issue_id", String(32), nullable=False),
    Column("issue_key", String(64), nullable=False),
    Column("description_digest", String(64), nullable=True),
    PrimaryKeyConstraint("customer", "month"),
)

allowance_actions = Table(
    "allowance_actions",
    metadata,
    Column("customer", String(60), nullable=False),
    Column("month", String(7), nullable=False),
    Column("action", String(60), nullable=False),
    Column("state", String(12), nullable=False),
    Column("generation", Integer, nullable=False, server_default="1"),
    Column("claimed_until", UtcDateTime(), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("customer", "month", "action"),
    CheckConstraint(_one_of("state", ALLOWANCE_ACTION_STATES), name="state"),
)

allowance_held = Table(
    "allowance_held",
    metadata,
    Column("issue_id", String(32), primary_key=True),
    Column("issue_key", String(64), nullable=False),
    Column("customer", String(60), nullable=False),
    Column("month", String(7), nullable=False),
    Column("held_at", UtcDateTime(), nullable=False),
)

# The saved Jira filters kept per customer (reports/filters.py): the id Jira gave each, so a
# filter is found again without a search (Data Center has no filter search), with the name and
# JQL last written, for operators.
saved_filters = Table(
    "saved_filters",
    metadata,
    Column("scope", String(60), nullable=False),
    Column("purpose", String(40), nullable=False),
    Column("filter_id", String(32), nullable=False),
    Column("name", String(255), nullable=False),
    Column("jql", Text, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("scope", "purpose"),
)

job_locks = Table(
    "job_locks",
    metadata,
    Column("job", String(100), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("acquired_at", UtcDateTime(), nullable=False),
    Column("renewed_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
)

# The nightly reconciliation (issue 12). An issue a person deleted in Jira, found by `reconcile`,
# and the issue raised in its place (the old key kept for history; `new_issue_key` is empty
# until the new create is recorded, so a crash in between is picked up by the next run).
replaced_issues = Table(
    "replaced_issues",
    metadata,
    Column("subject_kind", String(20), nullable=False),
    Column("subject_id", String(200), nullable=False),
    Column("generation", Integer, nullable=False),
    Column("old_issue_id", String(32), nullable=False),
    Column("old_issue_key", String(64), nullable=False),
    Column("new_issue_key", String(64), nullable=True),
    Column("found_at", UtcDateTime(), nullable=False),
    Column("replaced_at", UtcDateTime(), nullable=True),
    PrimaryKeyConstraint("old_issue_id"),
    Index(None, "subject_kind", "subject_id"),
)

# Subjects whose events retention has thinned: every event done and older than
# CSP_RETENTION_DAYS, payloads emptied and applied-event marks deleted; the inbox rows' (kind,
# event_id) stay, so a late re-delivery is still a duplicate (see reconcile/retention.py).
purged_subjects = Table(
    "purged_subjects",
    metadata,
    Column("kind", String(20), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("events", Integer, nullable=False),
    Column("purged_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("kind", "subject"),
)

__all__ = [
    "ALLOWANCE_ACTION_STATES",
    "INBOX_KINDS",
    "INBOX_SOURCES",
    "INBOX_STATES",
    "allowance_actions",
    "allowance_held",
    "allowance_issues",
    "allowance_lines",
    "allowance_tracking",
    "allowance_worklogs",
    "applied_events",
    "cursors",
    "escalations",
    "inbox",
    "jira_issues",
    "job_locks",
    "metadata",
    "purged_subjects",
    "replaced_issues",
    "saved_filters",
    "triage_labels",
]

# Corrections CSPs made in Jira (issue 11): when a person sets or changes the activity label on
# an issue the daemon labelled, the request's text and their label become a labelled example
# for `classify train`. One row per issue: a later change replaces the earlier one.
labelled_examples = Table(
    "labelled_examples",
    metadata,
    Column("source_issue", String(64), primary_key=True),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("activity_slug", String(100), nullable=False),
    Column("previous", String(100), nullable=False),  # what the daemon had answered
    Column("decided_by", String(200), nullable=False),  # the Jira user, or "unknown"
    Column("decided_at", UtcDateTime(), nullable=False),
)
