"""The duplicates step: several Jira issues raised for one source item (the same reference
label) are found, the one to keep chosen (`duplicates_decide.py`), the others linked to it as
duplicates and closed with a comment pointing to it, their comments' facts copied to it, and
the store's ledger pointed at it.

Which source items: the ledger rows whose create started or finished in the scope, and every
row whose create outcome is still unknown (`synced.recorded_in_scope`). One label search per
50 of them; only a reference label found on more than one issue costs more calls: each of
those issues is read by id (status, links; search results may be stale) with its comments.

Order of the writes, so that a crash anywhere leaves a state the next run finishes without
doing anything twice: the ledger first (the worker then uses the kept issue), the moved facts
on the kept issue (each with a marker), then each duplicate's link and its close (the pointer
comment rides on the transition: one call).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from csp_jira_sync.delivery import journal
from csp_jira_sync.errors import JiraError, JiraPermanent
from csp_jira_sync.jira.model import FoundIssue, IssueLink, IssueRef, jira_time
from csp_jira_sync.jira.port import LinkType, ReconcileGateway
from csp_jira_sync.reconcile.duplicates_decide import (
    Fact,
    Group,
    Plan,
    Sibling,
    describe,
    plan_duplicates,
)
from csp_jira_sync.reconcile.findings import Finding, Scope, clean, stopped_by_jira
from csp_jira_sync.reconcile.recorded import Recorded, batches
from csp_jira_sync.reconcile.synced import (
    SOURCE_KINDS,
    find_by_reference,
    recorded_in_scope,
)
from csp_jira_sync.store import Store

log = logging.getLogger(__name__)

NAME = "duplicates"
READ_FIELDS = ("created", "status", "issuelinks", "labels")


def _links_of(fields: dict[str, Any], type_name: str | None) -> frozenset[str]:
    if type_name is None:
        return frozenset()
    wanted = type_name.casefold()
    keys: set[str] = set()
    for link in fields.get("issuelinks") or []:
        if str((link.get("type") or {}).get("name", "")).casefold() != wanted:
            continue
        for side in ("inwardIssue", "outwardIssue"):
            other = link.get(side)
            if isinstance(other, dict) and other.get("key"):
                keys.add(str(other["key"]))
    return frozenset(keys)


def _is_done(fields: dict[str, Any]) -> bool:
    status = fields.get("status") or {}
    return bool((status.get("statusCategory") or {}).get("key") == "done")


def _pick(types: Sequence[LinkType], name: str, hint: str) -> str | None:
    """The link type named `name`, else the one whose outward description speaks of `hint`
    (a site may have renamed it: "Duplicate" is only Jira's default name)."""
    for link_type in types:
        if link_type.name.casefold() == name.casefold():
            return link_type.name
    for link_type in types:
        if hint in link_type.outward.casefold():
            return link_type.name
    return None


class DuplicateIssues:
    """`DuplicateIssues(gateway=gateway, store=store, clock=clock)`."""

    def __init__(
        self,
        *,
        gateway: ReconcileGateway,
        store: Store,
        clock: Callable[[], datetime],
        link_type: str = "Duplicate",
        kinds: Sequence[str] = SOURCE_KINDS,
    ) -> None:
        self.gateway = gateway
        self.store = store
        self.clock = clock
        self.link_type = link_type
        self.kinds = tuple(kinds)
        self._types: tuple[str | None, str | None] | None = None

    @property
    def name(self) -> str:
        return NAME

    def _link_types(self) -> tuple[str | None, str | None]:
        """(duplicate, clone) link type names as this Jira calls them; read once per run."""
        if self._types is None:
            types = self.gateway.issue_link_types()
            self._types = (
                _pick(types, self.link_type, "duplicat"),
                _pick(types, "Cloners", "clone"),
            )
        return self._types

    def run(self, scope: Scope) -> list[Finding]:
        self._types = None
        recorded = recorded_in_scope(self.store, scope.since, scope.until, self.kinds)
        findings: list[Finding] = []
        for batch in batches(recorded):
            found = find_by_reference(self.gateway, batch, fields=())
            for entry in batch:
                issues = found.get(entry.ref_label, [])
                strangers = [i for i in issues if entry.issue is None or i.ref.id != entry.issue.id]
                if not strangers or (entry.issue is None and len(issues) < 2):
                    continue  # one issue for the source item, as it should be
                try:
                    finding = self._reconcile(entry, issues, scope)
                except JiraError as exc:
                    finding = stopped_by_jira(
                        NAME, entry.source, f"{len(issues)} issues carry {entry.ref_label}", exc
                    )
                if finding is not None:
                    findings.append(finding)
        return findings or [
            clean(
                NAME, f"{len(recorded)} source item(s) in scope, no duplicate issue left to repair"
            )
        ]

    def _read(self, issue: IssueRef, ref_label: str) -> Sibling | None:
        """The issue as Jira holds it now, or None when it is gone or no longer carries the
        reference label (search results can be stale)."""
        try:
            found = self.gateway.get_issue(issue, fields=READ_FIELDS)
        except JiraPermanent as exc:
            if exc.status in (403, 404):
                return None
            raise
        if ref_label not in found.labels:
            return None
        duplicate_type, clone_type = self._link_types()
        return Sibling(
            issue=found.ref,
            created=jira_time(found.created),
            done=_is_done(found.fields),
            duplicate_links=_links_of(found.fields, duplicate_type),
            clone_links=_links_of(found.fields, clone_type),
            comments=tuple(
                Fact(c.id, c.author, c.created, c.body)
                for c in self.gateway.issue_comments(found.ref)
            ),
        )

    def _reconcile(self, entry: Recorded, issues: list[FoundIssue], scope: Scope) -> Finding | None:
        refs = [issue.ref for issue in issues]
        if entry.issue is not None and entry.issue.id not in {r.id for r in refs}:
            refs.append(entry.issue)  # missed by the search (index lag on Data Center)
        siblings = [s for s in (self._read(ref, entry.ref_label) for ref in refs) if s]
        if len(siblings) < 2 and (
            entry.issue is None or entry.issue.id in {s.issue.id for s in siblings}
        ):
            return None
        group = Group(entry.source, entry.ref_label, tuple(siblings), entry.issue)
        plan = plan_duplicates(group)
        keys = ", ".join(s.issue.key for s in siblings)
        found = f"{len(siblings)} issues carry its reference label {entry.ref_label}: {keys}"
        if plan.blocked is not None:
            return Finding(
                NAME, entry.source, found, "reported", f"nothing done: {plan.blocked}", True
            )
        duplicate_type, _ = self._link_types()
        linked_by = duplicate_type or "duplicates"
        if not plan.changes:
            if not plan.left_alone:
                return None
            return Finding(
                NAME, entry.source, found, "reported", describe(plan, linked_by=linked_by)
            )
        if scope.dry_run:
            return Finding(
                NAME, entry.source, found, "would-repair", describe(plan, linked_by=linked_by)
            )
        unfinished = self._carry_out(entry, plan, duplicate_type)
        action = describe(plan, linked_by=linked_by)
        if duplicate_type is None and any(d.link for d in plan.duplicates):
            action += "; Jira has no duplicate link type, so the comments alone point to it"
        if unfinished:
            action += "; " + "; ".join(unfinished)
        log.info("reconcile.duplicates source=%s action=%s", entry.source, action)
        return Finding(
            NAME,
            entry.source,
            found,
            "reported" if unfinished else "repaired",
            action,
            needs_person=bool(unfinished),
        )

    def _carry_out(self, entry: Recorded, plan: Plan, duplicate_type: str | None) -> list[str]:
        """The plan's writes, in the order that survives a crash; what could not be done."""
        kept = plan.kept
        assert kept is not None
        unfinished: list[str] = []
        if plan.record_kept:
            with self.store.transaction("pointing the ledger at the kept issue") as conn:
                journal.record_created(
                    conn, entry.kind, entry.subject, entry.generation, kept, self.clock()
                )
        for comment in plan.merge_comments:
            self.gateway.add_comment(kept, comment)
        for duplicate in plan.duplicates:
            if duplicate.link and duplicate_type is not None:
                self.gateway.link(duplicate.issue, IssueLink(duplicate_type, kept.key))
            if duplicate.close:
                moved_to = self.gateway.close_issue(duplicate.issue, comment=duplicate.pointer)
                if moved_to is None:
                    if duplicate.pointer is not None:
                        self.gateway.add_comment(duplicate.issue, duplicate.pointer)
                    unfinished.append(
                        f"{duplicate.issue.key} could not be closed (no transition to a done "
                        "status from where it is, or its screen wants a field): close it by hand"
                    )
        return unfinished
