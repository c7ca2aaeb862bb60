"""Pure decisions of the deleted-issues step (`deleted.py`): which recorded issues a search
missed (to be confirmed one by one: search is eventually consistent, a miss proves nothing),
which event an issue is raised again from, and the note the new issue carries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from csp_jira_sync.jira.model import IssueDraft
from csp_jira_sync.reconcile.recorded import Recorded


def labels_query(batch: Sequence[Recorded]) -> str:
    """JQL for the issues carrying any of the batch's reference labels. Labels, not keys: a key
    or id that no longer exists makes Jira refuse the whole query ("An issue with key ... does
    not exist"), and Data Center and jira820 have no `reconcileIssues`; reference labels are
    `csp-ref-` and hex digits, so quoting is enough."""
    labels = ", ".join(f'"{entry.ref_label}"' for entry in batch)
    return f"labels in ({labels})"


def missed(batch: Sequence[Recorded], found_labels: Iterable[str]) -> list[Recorded]:
    seen = set(found_labels)
    return [entry for entry in batch if entry.ref_label not in seen]


def source_payload(kind: str, payloads: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The event an issue is raised again from, among its subject's events in order: for an
    escalation the latest `open` (the one a generation starts with), else the first event; for
    a request its one event. None when retention has emptied them (a person must raise it)."""
    kept = [payload for payload in payloads if payload]
    if not kept:
        return None
    if kind == "escalation":
        opens = [payload for payload in kept if payload.get("status") == "open"]
        return opens[-1] if opens else kept[0]
    return kept[0]


def replacement_draft(draft: IssueDraft, old_key: str, found_at: datetime) -> IssueDraft:
    note = (
        f"Raised again by the nightly reconciliation on {found_at.date().isoformat()}: "
        f"{old_key}, the issue first raised for this, was deleted in Jira. Comments made there "
        "before it was deleted are not restored."
    )
    return replace(draft, description=f"{note}\n\n{draft.description}")


__all__ = [
    "labels_query",
    "missed",
    "replacement_draft",
    "source_payload",
]
