"""What to do about several Jira issues raised for one source item (they share its reference
label): a pure decision over what was read of them.

- The issue kept is the one the store's create ledger records, when it records one: the
  worker's later comments and status moves go there, so keeping another would split the
  escalation again. Otherwise (the create's outcome was never known) the oldest is kept, which
  is also the one `create_once` adopts when it looks by label.
- Each other issue is linked to the kept one as a duplicate, closed with a comment that points
  to it (one transition carrying the comment), and its comments' facts are moved to the kept
  issue as one comment: who wrote what, when.
- Nothing is done twice: a link a person (or an earlier run) made already, a duplicate already
  closed (a person's close gets no comment of ours: the link says it), a fact the kept issue
  already has (the same text, the same event marker, or moved by an earlier run: found by its
  marker) are left as they are; a duplicate a person reopened after we closed it (our
  pointer comment is on it) is a person's decision and is left alone.
- An issue a person cloned from another one (a clone link between them; Jira copies the
  labels on clone) is a person's deliberate copy: it is left alone and named.
- When the ledger records an issue that is not among them (deleted or hidden), nothing is
  decided here: that is for the deleted-issues and visibility steps.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from csp_jira_sync.jira.model import IssueRef
from csp_jira_sync.jira.text import COMMENT_LIMIT, utf16_length

_EVENT_MARKER = re.compile(r"\[csp-event [^\]]+\]")
_SPACE = re.compile(r"\s+")
# The markers end the daemon's comments on their own final line in the form the gateway keeps
# verbatim ("[csp-<word> ...]", see jira.text): a marker anywhere else, or of another shape,
# is defused on its way to Jira and would never be found again.
DUPLICATE_MARKER_PREFIX = "[csp-duplicate "
MOVED_MARKER_PREFIX = "[csp-moved "
_MOVED_MARKER = re.compile(r"\[csp-moved ([^\[\]\n]+)\]")
# Room left under Jira's comment limit for the header of a merge comment.
_MERGE_BUDGET = COMMENT_LIMIT - 1_000


def duplicate_marker(kept_key: str) -> str:
    return f"{DUPLICATE_MARKER_PREFIX}{kept_key}]"


def moved_marker(*moved: tuple[str, str]) -> str:
    """The final line of a merge comment: every (issue key, comment id) it carries over."""
    return MOVED_MARKER_PREFIX + " ".join(f"{key}/{comment_id}" for key, comment_id in moved) + "]"


def moved_refs(text: str) -> set[str]:
    """The "KEY/id" of every comment a merge comment in `text` says it carried over."""
    return {ref for found in _MOVED_MARKER.findall(text) for ref in found.split()}


@dataclass(frozen=True)
class Fact:
    """One comment: who wrote what, when."""

    id: str
    author: str
    created: str
    body: str


@dataclass(frozen=True)
class Sibling:
    """One issue carrying the source item's reference label, as read (consistently) by id."""

    issue: IssueRef
    created: datetime | None
    done: bool  # its status is in Jira's done category
    duplicate_links: frozenset[str]  # keys it is linked to by the duplicate link type
    clone_links: frozenset[str]  # keys it is linked to by the clone link type
    comments: tuple[Fact, ...]


@dataclass(frozen=True)
class Group:
    source: str  # "escalation NOC-1042"
    ref_label: str
    siblings: tuple[Sibling, ...]
    ledger_issue: IssueRef | None  # the issue the create ledger records, if any


@dataclass(frozen=True)
class Duplicate:
    """What to do to one duplicate. `pointer`, the comment naming the kept issue, rides on the
    close; a duplicate a person closed already gets no comment (the link says it)."""

    issue: IssueRef
    link: bool
    close: bool
    pointer: str | None

    @property
    def changes(self) -> bool:
        return self.link or self.close


@dataclass(frozen=True)
class Plan:
    kept: IssueRef | None  # None when nothing can be decided (`blocked` says why)
    why_kept: str
    record_kept: bool  # the ledger does not point at the kept issue yet
    merge_comments: tuple[str, ...]  # for the kept issue, in order; usually one
    moved_facts: int
    duplicates: tuple[Duplicate, ...]
    left_alone: tuple[tuple[IssueRef, str], ...]  # issue, why
    blocked: str | None = None

    @property
    def changes(self) -> bool:
        return (
            self.record_kept
            or bool(self.merge_comments)
            or any(duplicate.changes for duplicate in self.duplicates)
        )


def _order(sibling: Sibling) -> tuple[int, datetime | str, int, int, str]:
    """Creation time (Jira's is to the second, or coarser), then the key's number (keys are
    handed out in order within a project), then the id."""
    number = sibling.issue.key.rpartition("-")[2]
    sequence = int(number) if number.isdigit() else 0
    ident = int(sibling.issue.id) if sibling.issue.id.isdigit() else 0
    if sibling.created is None:  # unknown creation time: after every known one
        return (1, "", sequence, ident, sibling.issue.id)
    return (0, sibling.created, sequence, ident, sibling.issue.id)


def choose_kept(group: Group) -> tuple[Sibling | None, str]:
    """The issue to keep and why, or None and why not."""
    if group.ledger_issue is not None:
        for sibling in group.siblings:
            if sibling.issue.id == group.ledger_issue.id:
                oldest = min(group.siblings, key=_order) is sibling
                return sibling, (
                    "the issue the store's ledger records"
                    + (" (also the oldest)" if oldest else ", although not the oldest")
                    + ": the escalation's later updates land there"
                )
        return None, (
            f"the store's ledger records {group.ledger_issue.key}, which is not among them "
            "(deleted, or no longer visible: see the deleted-issues and visibility steps)"
        )
    return min(group.siblings, key=_order), "the oldest; the ledger had not recorded one"


def _normal(text: str) -> str:
    return _SPACE.sub(" ", text).strip().casefold()


def facts_to_move(duplicate: Sibling, kept: Sibling) -> list[Fact]:
    """The duplicate's comments whose facts the kept issue does not have yet."""
    kept_texts = [comment.body for comment in kept.comments]
    kept_all = "\n".join(kept_texts)
    kept_bodies = {_normal(text) for text in kept_texts}
    kept_events = set(_EVENT_MARKER.findall(kept_all))
    kept_moved = moved_refs(kept_all)
    moving: list[Fact] = []
    for fact in duplicate.comments:
        if DUPLICATE_MARKER_PREFIX in fact.body or not fact.body.strip():
            continue  # our own pointer, or nothing said
        if f"{duplicate.issue.key}/{fact.id}" in kept_moved:
            continue  # moved by an earlier run
        if _normal(fact.body) in kept_bodies:
            continue  # the same words are there already
        events = set(_EVENT_MARKER.findall(fact.body))
        if events and events <= kept_events:
            continue  # the same NOC update is there already
        moving.append(fact)
    return moving


def _fact_text(issue_key: str, fact: Fact) -> str:
    return f"{fact.author} wrote on {issue_key} at {fact.created}:\n{fact.body.strip()}"


def merge_comments(
    kept_key: str, source: str, moved: Sequence[tuple[str, Fact]]
) -> tuple[str, ...]:
    """One comment for the kept issue with every moved fact, oldest first; more than one only
    when they would not fit Jira's comment limit together."""
    if not moved:
        return ()
    keys = ", ".join(dict.fromkeys(key for key, _ in moved))
    head = (
        f"Comments moved from {keys}, closed as duplicates of {kept_key} by the nightly "
        f"reconciliation (raised for the same {source}):"
    )
    comments: list[str] = []
    parts: list[str] = []
    refs: list[tuple[str, str]] = []
    used = 0
    for key, fact in moved:
        text = _fact_text(key, fact)
        size = utf16_length(text) + 2 + utf16_length(f" {key}/{fact.id}")
        if parts and used + size > _MERGE_BUDGET:
            comments.append("\n\n".join([head, *parts]) + "\n" + moved_marker(*refs))
            parts, refs, used = [], [], 0
        parts.append(text)
        refs.append((key, fact.id))
        used += size
    comments.append("\n\n".join([head, *parts]) + "\n" + moved_marker(*refs))
    return tuple(comments)


def pointer_comment(kept_key: str, source: str) -> str:
    return (
        f"Closed as a duplicate of {kept_key} by the nightly reconciliation: both were raised "
        f"for {source}. Please carry on in {kept_key}; this issue's comments were copied "
        f"there.\n\n{duplicate_marker(kept_key)}"
    )


def plan_duplicates(group: Group) -> Plan:
    kept, why = choose_kept(group)
    if kept is None:
        return Plan(None, why, False, (), 0, (), (), blocked=why)
    duplicates: list[Duplicate] = []
    left_alone: list[tuple[IssueRef, str]] = []
    moved: list[tuple[str, Fact]] = []
    others = sorted((s for s in group.siblings if s is not kept), key=_order)
    for sibling in others:
        cloned_from = sorted(sibling.clone_links & {s.issue.key for s in group.siblings})
        if cloned_from:
            left_alone.append(
                (sibling.issue, f"a person cloned it from {', '.join(cloned_from)}: left as it is")
            )
            continue
        closed_before = any(
            duplicate_marker(kept.issue.key) in comment.body for comment in sibling.comments
        )
        if closed_before and not sibling.done:
            left_alone.append(
                (sibling.issue, "a person reopened it after it was closed as a duplicate")
            )
            continue
        duplicates.append(
            Duplicate(
                issue=sibling.issue,
                link=kept.issue.key not in sibling.duplicate_links,
                close=not sibling.done,
                pointer=None if sibling.done else pointer_comment(kept.issue.key, group.source),
            )
        )
        moved.extend((sibling.issue.key, fact) for fact in facts_to_move(sibling, kept))
    comments = merge_comments(kept.issue.key, group.source, moved)
    record = group.ledger_issue is None or group.ledger_issue.id != kept.issue.id
    return Plan(
        kept=kept.issue,
        why_kept=why,
        record_kept=record,
        merge_comments=comments,
        moved_facts=len(moved),
        duplicates=tuple(duplicates),
        left_alone=tuple(left_alone),
    )


def describe(plan: Plan, *, linked_by: str) -> str:
    """What the plan does, in words a person reads (also what a dry run would do)."""
    if plan.kept is None:
        return ""
    done: list[str] = [f"keep {plan.kept.key} ({plan.why_kept})"]
    link = [d.issue.key for d in plan.duplicates if d.link]
    close = [d.issue.key for d in plan.duplicates if d.close]
    if link:
        done.append(f"link {', '.join(link)} to it as {linked_by}")
    if close:
        done.append(f"close {', '.join(close)} with a comment pointing to {plan.kept.key}")
    if plan.moved_facts:
        done.append(f"copy {plan.moved_facts} comment(s) to {plan.kept.key}")
    if plan.record_kept:
        done.append(f"record {plan.kept.key} in the store's ledger")
    for issue, why in plan.left_alone:
        done.append(f"leave {issue.key} alone ({why})")
    return "; ".join(done)
