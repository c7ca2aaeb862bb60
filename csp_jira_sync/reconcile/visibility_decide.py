"""Which of the issues the daemon raised Jira no longer shows it, and why: a pure function over
what a bulk search found and what reading each missed issue by id answered.

Search is eventually consistent, so a miss proves nothing on its own: every issue a search
missed is read by id (consistent), and only that read says what happened:

- 404: deleted, or hidden from the daemon's user (Jira answers the same "Issue does not
  exist or you do not have permission to see it" for both);
- 403: the daemon's user may no longer see it;
- read, but without its reference label: a person removed the label, so nothing that looks
  for the source item's issue by label (after a crash, or for duplicates) finds it;
- read with its label: the search index has not caught up (Data Center has no
  `reconcileIssues`), or the search cannot see it; looked at again next run.

Shared by the visibility step (`visibility.py`, which reports) and the deleted-issues step
(which repairs `deleted`): first `missed_by_search`, then read those, then `classify_missing`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, Literal, Protocol, TypeVar

from csp_jira_sync.jira.model import IssueRef

ReadOutcome = Literal["found", "found-without-label", "not-found", "forbidden"]
Why = Literal["deleted", "forbidden", "unlabelled", "unindexed"]


class KnownIssue(Protocol):
    """An issue the create ledger records for a source item (`recorded.Recorded` is one)."""

    @property
    def kind(self) -> str: ...

    @property
    def subject(self) -> str: ...

    @property
    def ref_label(self) -> str: ...

    @property
    def issue(self) -> IssueRef | None: ...


K = TypeVar("K", bound=KnownIssue)


@dataclass(frozen=True)
class Missing(Generic[K]):
    known: K
    why: Why

    @property
    def needs_person(self) -> bool:
        """An unindexed issue is looked at again next run; the rest a person must see to
        (or, for `deleted`, the deleted-issues step repairs)."""
        return self.why != "unindexed"


def missed_by_search(known: Sequence[K], found_ids: Collection[str]) -> list[K]:
    """The known issues a search did not return (by issue id: a duplicate carrying the same
    reference label says nothing about the recorded issue itself)."""
    found = set(found_ids)
    return [entry for entry in known if entry.issue is not None and entry.issue.id not in found]


_WHY: dict[ReadOutcome, Why] = {
    "found": "unindexed",
    "found-without-label": "unlabelled",
    "not-found": "deleted",
    "forbidden": "forbidden",
}


def classify_missing(
    known: Sequence[K], found_ids: Collection[str], reads: Mapping[str, ReadOutcome]
) -> list[Missing[K]]:
    """Each known issue the search missed, with why, from `reads` (issue id -> what reading
    it by id answered). A missed issue not in `reads` is a caller's mistake: it raises."""
    missing: list[Missing[K]] = []
    for entry in missed_by_search(known, found_ids):
        assert entry.issue is not None
        outcome = reads.get(entry.issue.id)
        if outcome is None:
            raise KeyError(
                f"{entry.issue.key} was missed by the search but not read by id: read every "
                "issue `missed_by_search` returns before classifying"
            )
        missing.append(Missing(entry, _WHY[outcome]))
    return missing
