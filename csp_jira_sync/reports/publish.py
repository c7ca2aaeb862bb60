"""Raise a `ReportDocument` in Jira: one issue per scope and period, whatever is re-run.

- The create goes through `create_once` with kind `report` and `scope/period` as subject, so
  re-runs, crashes and two daemons share the delivery core's one exactly-once (the ledger row
  before the call; a search by the document's reference label, its first label, before any
  second create).
- The issue type is `Mappings.issue_types.report` ("Report") where the project's create
  metadata offers it, else "Task"; the metadata is read once per publisher, and only when a
  report has to be created.
- Every run rewrites the summary and description (wiki on REST v2, ADF on v3) with links to
  the customer's saved filters, and replaces the attachments: the new file is added first and
  the older ones of the same name are deleted after, so a crash in between leaves two charts
  for the next run to tidy, never none.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from csp_jira_sync.delivery import journal
from csp_jira_sync.delivery.once import create_once
from csp_jira_sync.errors import ConfigError, JiraPermanent
from csp_jira_sync.jira.model import IssueDraft, IssueRef
from csp_jira_sync.jira.reports_port import ReportsGateway, SavedFilter
from csp_jira_sync.reports.document import ReportDocument
from csp_jira_sync.store import Store

log = logging.getLogger(__name__)

KIND = "report"
SUMMARY_LIMIT = 255  # Jira refuses longer summaries (jiralert #146)
FALLBACK_ISSUE_TYPE = "Task"
PLACEHOLDER = "This report is being written by csp-jira-sync; it is complete within minutes."


class _ReportGone(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class Published:
    issue: IssueRef
    new: bool  # created by this run
    attachments: tuple[str, ...]  # the file names now on the issue from this run
    removed: int  # older attachments replaced


def fit_summary(summary: str) -> str:
    return summary if len(summary) <= SUMMARY_LIMIT else summary[: SUMMARY_LIMIT - 1] + "…"


def subject_of(document: ReportDocument) -> str:
    return f"{document.scope}/{document.period_label}"


def reference_label(document: ReportDocument) -> str:
    if not document.labels:
        raise ValueError(
            f"report {subject_of(document)} has no labels; its first label must be the stable "
            "reference label of its scope and period"
        )
    return document.labels[0]


def choose_issue_type(wanted: str, offered: Sequence[str], *, setting: str = "report") -> str:
    """`wanted` where the project offers it (Jira compares names without case), else Task."""
    by_name = {name.casefold(): name for name in offered}
    found = by_name.get(wanted.casefold())
    if found is not None:
        return found
    fallback = by_name.get(FALLBACK_ISSUE_TYPE.casefold())
    if fallback is None:
        raise ConfigError(
            f"the project offers neither issue type {wanted!r} nor {FALLBACK_ISSUE_TYPE!r} "
            f"(it offers {', '.join(sorted(offered)) or 'none'}); set issue_types.{setting} in "
            "issue_types.yaml to one it has"
        )
    return fallback


def _wiki_text(text: str) -> str:
    # Link text in wiki markup ends at `|` or `]`.
    return text.replace("|", "/").replace("]", ")").replace("[", "(")


def with_filter_links(
    document: ReportDocument, filters: Sequence[SavedFilter]
) -> tuple[str, dict[str, Any]]:
    """The document's wiki and ADF descriptions with a closing list of the saved filters
    behind its numbers (unchanged when there are none)."""
    if not filters:
        return document.description_wiki, document.description_adf
    wiki_lines = ["", "h3. Saved filters"]
    wiki_lines += [f"* [{_wiki_text(f.name)}|{f.view_url}]" for f in filters]
    items = [
        {
            "type": "listItem",
            "content": [
                {
                    "type": "paragraph",
                    "content": [
                        {
                            "type": "text",
                            "text": f.name,
                            "marks": [{"type": "link", "attrs": {"href": f.view_url}}],
                        }
                    ],
                }
            ],
        }
        for f in filters
    ]
    adf = dict(document.description_adf)
    adf["content"] = [
        *document.description_adf.get("content", []),
        {
            "type": "heading",
            "attrs": {"level": 3},
            "content": [{"type": "text", "text": "Saved filters"}],
        },
        {"type": "bulletList", "content": items},
    ]
    return document.description_wiki + "\n".join(wiki_lines), adf


class ReportPublisher:
    def __init__(
        self,
        store: Store,
        gateway: ReportsGateway,
        *,
        project: str,
        issue_type: str,
        now: Callable[[], datetime],
        settle: timedelta,
    ) -> None:
        self._store = store
        self._jira = gateway
        self._project = project
        self._wanted_type = issue_type
        self._issue_type: str | None = None
        self._now = now
        self._settle = settle

    def _type_for_create(self) -> str:
        if self._issue_type is None:
            offered = self._jira.project_issue_types(self._project)
            self._issue_type = choose_issue_type(self._wanted_type, offered)
            if self._issue_type != self._wanted_type:
                log.info(
                    "report.issue_type_fallback project=%s wanted=%s using=%s",
                    self._project,
                    self._wanted_type,
                    self._issue_type,
                )
        return self._issue_type

    def _known_issue(self, subject: str) -> IssueRef | None:
        with self._store.transaction("reading the report ledger") as conn:
            entry = journal.ledger_entry(conn, KIND, subject, 0)
        return entry.issue if entry is not None and entry.state == "created" else None

    def publish(
        self, document: ReportDocument, *, filters: Sequence[SavedFilter] = ()
    ) -> Published:
        """Create the report issue once, then bring its description and files up to date.
        Raises `Defer` when an earlier create may still be indexing or another daemon holds
        the create: the caller tries again later."""
        subject = subject_of(document)
        try:
            return self._publish(document, subject, filters)
        except _ReportGone as gone:
            # The report was deleted in Jira by hand: raise it again rather than fail every run.
            log.warning("report.deleted_in_jira subject=%s issue=%s", subject, gone.key)
            with self._store.transaction("forgetting a deleted report") as conn:
                journal.forget_deleted(conn, KIND, subject, 0)
            return self._publish(document, subject, filters)

    def _publish(
        self, document: ReportDocument, subject: str, filters: Sequence[SavedFilter]
    ) -> Published:
        ref = reference_label(document)
        issue = self._known_issue(subject)
        new = False
        if issue is None:
            created = create_once(
                self._store,
                self._jira,
                kind=KIND,
                subject=subject,
                generation=0,
                ref=ref,
                draft=IssueDraft(
                    project=self._project,
                    issue_type=self._type_for_create(),
                    summary=fit_summary(document.summary),
                    description=PLACEHOLDER,
                    labels=document.labels,
                ),
                now=self._now,
                settle=self._settle,
            )
            issue, new = created.issue, created.new
        wiki, adf = with_filter_links(document, filters)
        try:
            self._jira.set_summary_and_description(
                issue, summary=fit_summary(document.summary), wiki=wiki, adf=adf
            )
        except JiraPermanent as exc:
            if exc.status == 404 and not new:
                raise _ReportGone(issue.key) from exc
            raise
        if not new:
            # Labels the document gained since the report was created; adding is idempotent
            # and keeps labels people set by hand.
            self._jira.edit_labels(issue, add=document.labels)
        removed = self._replace_attachments(issue, document)
        log.info(
            "report.published subject=%s issue=%s new=%s replaced=%d",
            subject,
            issue.key,
            new,
            removed,
        )
        return Published(issue, new, tuple(a.filename for a in document.attachments), removed)

    def _replace_attachments(self, issue: IssueRef, document: ReportDocument) -> int:
        before = self._jira.attachments(issue)
        removed = 0
        for attachment in document.attachments:
            added = self._jira.add_attachment(
                issue,
                filename=attachment.filename,
                content=attachment.content,
                media_type=attachment.media_type,
            )
            # Only after the new file is on the issue: a crash here leaves an extra copy for
            # the next run, never a report without its chart.
            for old in before:
                if old.filename == attachment.filename and old.id != added.id:
                    try:
                        self._jira.delete_attachment(old.id)
                    except JiraPermanent as exc:
                        if exc.status != 404:
                            raise
                        continue  # someone removed it already
                    removed += 1
        return removed
