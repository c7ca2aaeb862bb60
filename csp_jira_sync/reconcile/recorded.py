"""What the create ledger says the daemon raised for a source item: the one value every
reconciliation step reads it as (`synced.py` reads it from the store; the pure decisions take
it). Pure."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from csp_jira_sync.jira.model import IssueRef

BATCH = 50  # reference labels per search; Cloud reconciles at most 50 issues a call


@dataclass(frozen=True)
class Recorded:
    """One create-ledger row: the issue raised (or being raised) for a source item."""

    kind: str
    subject: str
    generation: int
    ref_label: str
    state: str  # "creating" (the outcome of the create is not known) or "created"
    issue: IssueRef | None  # None while "creating"

    @property
    def source(self) -> str:
        """The source item as a person names it: "escalation NOC-1042", "request REQ-7"."""
        return f"{self.kind} {self.subject}"

    @property
    def created_issue(self) -> IssueRef:
        """The issue of a "created" row, for steps that read only those."""
        if self.issue is None:
            raise ValueError(
                f"the ledger row of {self.source} (generation {self.generation}) has no issue: "
                f"its create is {self.state!r}; read only created rows here"
            )
        return self.issue


def batches(items: Sequence[Recorded], size: int = BATCH) -> Iterator[Sequence[Recorded]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
