"""The search index: what JQL sees, which trails the issues by the index lag.

Jira's search runs on an index that catches up with writes after a moment; right after a create
or an edit, JQL may miss the issue or see its old values (jiralert #73: duplicates when a label
search missed a just-created issue). Here every write is queued with the time it becomes
searchable (now + lag); a search first applies what is due. Cloud's `reconcileIssues` asks for
named issues to be read fresh, which `view` does by overlaying their current documents.

Deletions apply at once: a search never returns an issue that no longer exists.
A label index (label -> issue ids) over the indexed documents keeps `labels = x` searches fast.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterable, Mapping
from typing import Generic, TypeVar

D = TypeVar("D")


class SearchIndex(Generic[D]):
    def __init__(
        self,
        now_ms: Callable[[], int],
        lag_ms: Callable[[], int],
        labels_of: Callable[[D], Iterable[str]],
    ) -> None:
        self._now_ms = now_ms
        self._lag_ms = lag_ms
        self._labels_of = labels_of
        self._docs: dict[int, D] = {}
        self._by_label: dict[str, set[int]] = {}
        self._pending: list[tuple[int, int, int, D]] = []
        self._sequence = itertools.count()

    def put(self, issue_id: int, doc: D) -> None:
        """Index `doc` for the issue now, or once the lag has passed."""
        lag = self._lag_ms()
        if lag <= 0 and not self._pending:
            self._apply(issue_id, doc)
            return
        ready = self._now_ms() + max(lag, 0)
        heapq.heappush(self._pending, (ready, next(self._sequence), issue_id, doc))

    def put_now(self, issue_id: int, doc: D) -> None:
        """Index at once whatever the lag (bulk loading, seeds), superseding queued writes."""
        self._drop_pending(issue_id)
        self._apply(issue_id, doc)

    def remove(self, issue_id: int) -> None:
        old = self._docs.pop(issue_id, None)
        if old is not None:
            self._unindex_labels(issue_id, old)
        self._drop_pending(issue_id)

    def _drop_pending(self, issue_id: int) -> None:
        if any(entry[2] == issue_id for entry in self._pending):
            self._pending = [entry for entry in self._pending if entry[2] != issue_id]
            heapq.heapify(self._pending)

    def catch_up(self) -> None:
        """Apply every queued write that is due."""
        now = self._now_ms()
        while self._pending and self._pending[0][0] <= now:
            _, _, issue_id, doc = heapq.heappop(self._pending)
            self._apply(issue_id, doc)

    def flush(self) -> None:
        """Apply every queued write (the lag was switched off)."""
        while self._pending:
            _, _, issue_id, doc = heapq.heappop(self._pending)
            self._apply(issue_id, doc)

    def clear(self) -> None:
        self._docs.clear()
        self._by_label.clear()
        self._pending.clear()

    def pending_count(self) -> int:
        return len(self._pending)

    def view(self, fresh: Mapping[int, D] | None = None) -> dict[int, D]:
        """The indexed documents, with `fresh` ones (reconciled issues) overlaid."""
        self.catch_up()
        if not fresh:
            return self._docs
        merged = dict(self._docs)
        merged.update(fresh)
        return merged

    def ids_with_label(self, label: str) -> set[int]:
        self.catch_up()
        return self._by_label.get(label, set())

    def _apply(self, issue_id: int, doc: D) -> None:
        old = self._docs.get(issue_id)
        if old is not None:
            self._unindex_labels(issue_id, old)
        self._docs[issue_id] = doc
        for label in self._labels_of(doc):
            self._by_label.setdefault(label, set()).add(issue_id)

    def _unindex_labels(self, issue_id: int, doc: D) -> None:
        for label in self._labels_of(doc):
            holders = self._by_label.get(label)
            if holders is not None:
                holders.discard(issue_id)
                if not holders:
                    del self._by_label[label]
