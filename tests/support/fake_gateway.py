"""An in-memory Jira behind the `Gateway` Protocol (csp_jira_sync/jira/port.py), for unit tests
of the delivery core. It keeps issues, comments and statuses, reads a clock the test moves, and
can be told, per call:

- to fail transiently before the write happened (`before`, the request never reached Jira) or
  after it landed (`after`: the write is done, the answer is lost), with `may_have_landed` set
  as `jira/retry.py` would set it;
- to fail permanently (Jira refused it; nothing is written);
- to hide issues from search for `index_lag` after they were created (search is eventually
  consistent; comments are not).

Every call is counted in `calls`, so a test can say which calls a branch makes and which not.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from csp_jira_sync.errors import JiraPermanent, JiraTransient
from csp_jira_sync.jira.model import FoundIssue, IssueDraft, IssueRef

Operation = Literal[
    "create", "search", "comments", "comment", "delete_comment", "transition", "edit"
]
FaultKind = Literal["transient-before", "transient-after", "permanent"]


@dataclass
class FakeIssue:
    ref: IssueRef
    draft: IssueDraft
    created_at: datetime
    status: str = "To Do"
    labels: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)


@dataclass
class Fault:
    kind: FaultKind
    may_have_landed: bool


class FakeGateway:
    def __init__(
        self,
        clock: Callable[[], datetime],
        *,
        index_lag: timedelta = timedelta(0),
        statuses: Sequence[str] = ("To Do", "In Progress", "Done"),
    ) -> None:
        self.clock = clock
        self.index_lag = index_lag
        self.statuses = tuple(statuses)
        # status -> the statuses a transition leads to from there; default: every other one.
        self.transitions: dict[str, set[str]] = {
            s: {t for t in self.statuses if t != s} for s in self.statuses
        }
        self.issues: dict[str, FakeIssue] = {}
        self.calls: Counter[str] = Counter()
        self._faults: dict[str, list[Fault]] = {}
        self._hooks: dict[str, list[Callable[[], None]]] = {}

    # -- what a test tells the fake --------------------------------------------------------

    def fail_next(
        self, operation: Operation, kind: FaultKind, *, may_have_landed: bool | None = None
    ) -> None:
        """The next `operation` fails. A transient failure before the write says by default
        that it did not land (a refused connection, a 429); one after the write says it may
        have (a 5xx or a timeout). `may_have_landed` overrides that: a 502 from a proxy that
        never forwarded the request is `transient-before` with `may_have_landed=True`."""
        landed = kind == "transient-after" if may_have_landed is None else may_have_landed
        self._faults.setdefault(operation, []).append(Fault(kind, landed))

    def on_next(self, operation: Operation, hook: Callable[[], None]) -> None:
        """Run `hook` when `operation` is next called, before it does anything (for races:
        another worker acting while this one waits for Jira)."""
        self._hooks.setdefault(operation, []).append(hook)

    def add_issue(self, draft: IssueDraft, *, status: str = "To Do") -> FakeIssue:
        """An issue as if created earlier (e.g. by an attempt that crashed before recording)."""
        number = len(self.issues) + 1
        ref = IssueRef(id=str(10000 + number), key=f"{draft.project}-{number}")
        issue = FakeIssue(ref, draft, self.clock(), status=status, labels=list(draft.labels))
        self.issues[ref.id] = issue
        return issue

    def issue(self, ref: IssueRef) -> FakeIssue:
        return self.issues[ref.id]

    # -- plumbing --------------------------------------------------------------------------

    def _enter(self, operation: Operation) -> Fault | None:
        self.calls[operation] += 1
        for hook in self._hooks.pop(operation, []):
            hook()
        queue = self._faults.get(operation)
        fault = queue.pop(0) if queue else None
        if fault is not None and fault.kind != "transient-after":
            self._raise(operation, fault)
        return fault

    @staticmethod
    def _raise(operation: str, fault: Fault) -> None:
        if fault.kind == "permanent":
            raise JiraPermanent(f"{operation}: Jira answered 400: refused by the fake", status=400)
        raise JiraTransient(
            f"{operation}: Jira answered 503 (fake)",
            status=503,
            may_have_landed=fault.may_have_landed,
        )

    def _landed(self, operation: str, fault: Fault | None) -> None:
        if fault is not None:
            self._raise(operation, fault)

    def _visible(self, issue: FakeIssue) -> bool:
        return self.clock() >= issue.created_at + self.index_lag

    # -- the Gateway Protocol --------------------------------------------------------------

    def create_issue(self, draft: IssueDraft) -> IssueRef:
        fault = self._enter("create")
        ref = self.add_issue(draft).ref
        self._landed("create", fault)
        return ref

    def find_by_label(self, label: str, *, reconcile: Sequence[str] = ()) -> list[IssueRef]:
        self._enter("search")
        return [
            i.ref
            for i in sorted(self.issues.values(), key=lambda i: i.created_at)
            if label in i.labels and (self._visible(i) or i.ref.id in reconcile)
        ]

    def comments_containing(self, issue: IssueRef, marker: str) -> bool:
        self._enter("comments")
        return any(marker in c for c in self.issues[issue.id].comments)

    def add_comment(self, issue: IssueRef, body: str) -> None:
        fault = self._enter("comment")
        self.issues[issue.id].comments.append(body)
        self._landed("comment", fault)

    def delete_comments_containing(self, issue: IssueRef, markers: Sequence[str]) -> int:
        self._enter("comments")
        found = self.issues[issue.id]
        doomed = [c for c in found.comments if any(marker in c for marker in markers)]
        for body in doomed:
            fault = self._enter("delete_comment")
            found.comments.remove(body)
            self._landed("delete_comment", fault)
        return len(doomed)

    def transition_to(self, issue: IssueRef, status: str, *, comment: str | None = None) -> bool:
        fault = self._enter("transition")
        found = self.issues[issue.id]
        if status not in self.transitions.get(found.status, set()):
            return False
        found.status = status
        if comment:
            found.comments.append(comment)
        self._landed("transition", fault)
        return True

    def search(
        self,
        jql: str,
        *,
        fields: Sequence[str] = (),
        reconcile: Sequence[str] = (),
        page_size: int = 100,
    ) -> Iterator[FoundIssue]:
        """Every visible issue; the fake does not evaluate JQL (the sandbox does)."""
        self._enter("search")
        for i in sorted(self.issues.values(), key=lambda i: i.created_at):
            if self._visible(i) or i.ref.id in reconcile:
                yield FoundIssue(
                    ref=i.ref,
                    labels=tuple(i.labels),
                    status=i.status,
                    summary=i.draft.summary,
                    description=i.draft.description,
                    created=i.created_at.isoformat(),
                    updated=i.created_at.isoformat(),
                    fields={},
                )

    def edit_labels(
        self, issue: IssueRef, *, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> None:
        fault = self._enter("edit")
        found = self.issues[issue.id]
        found.labels = [label for label in found.labels if label not in remove]
        found.labels += [label for label in add if label not in found.labels]
        self._landed("edit", fault)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by
