"""ORDER BY: sort keys per field, and Jira's defaults.

- No ORDER BY means `ORDER BY key DESC`: Jira's SearchSortUtilImpl falls back to the issue key,
  descending, "when there is no text searcher to rank the results". With a `~` clause Jira
  ranks by relevance instead; the sandbox does not score relevance and keeps key DESC.
- A sort key without ASC/DESC takes the field's default direction (descending for created,
  updated, resolutiondate, status and priority; ascending otherwise).
- Empty values sort as greater than any value: last when ascending, first when descending
  (`ORDER BY resolutiondate ASC` lists unresolved issues at the end).
- Ties keep a deterministic order, issue id ascending, so that paging through a result with
  nextPageToken or startAt never repeats or skips an issue.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .evaluate import key_parts, priority_ranks
from .fields import Kind, lookup
from .model import IssueDoc, JqlContext, UserRef
from .nodes import SortKey

SortValue = Callable[[IssueDoc], Any]

_CATEGORY_RANK = {"to do": 0, "in progress": 1, "done": 2}


@dataclass(frozen=True, slots=True)
class SortField:
    """One resolved ORDER BY entry: canonical field name and direction."""

    field: str
    descending: bool


DEFAULT_ORDER = (SortField("key", descending=True),)


def resolve_order(keys: tuple[SortKey, ...]) -> tuple[SortField, ...]:
    if not keys:
        return DEFAULT_ORDER
    resolved = []
    for key in keys:
        spec = lookup(key.field)
        assert spec is not None and spec.sortable, "validated before resolving"
        descending = (
            spec.descending_by_default if key.direction is None else key.direction == "desc"
        )
        resolved.append(SortField(spec.name, descending))
    return tuple(resolved)


def sort_docs(
    docs: Iterable[IssueDoc], order: tuple[SortField, ...], ctx: JqlContext
) -> list[IssueDoc]:
    result = list(docs)
    if order[-1].field != "key":  # the key is unique: no ties left to break
        result.sort(key=_by_id)
    # Python's sort is stable: sorting by the last key first leaves the first key in charge.
    for sort_field in reversed(order):
        result.sort(key=_sort_value(sort_field.field, ctx), reverse=sort_field.descending)
    return result


def _by_id(doc: IssueDoc) -> int:
    return doc.id


def _sort_value(field: str, ctx: JqlContext) -> SortValue:
    if field == "key":
        return lambda doc: key_parts(doc.key)
    if field == "created":
        return lambda doc: doc.created
    if field == "updated":
        return lambda doc: doc.updated
    if field == "resolutiondate":
        return lambda doc: _maybe(doc.resolutiondate)
    if field == "project":
        return lambda doc: doc.project_key.casefold()
    if field == "status":
        return lambda doc: (
            _CATEGORY_RANK.get(doc.status_category.casefold(), 3),
            doc.status.casefold(),
        )
    if field == "statusCategory":
        return lambda doc: _CATEGORY_RANK.get(doc.status_category.casefold(), 3)
    if field == "priority":
        ranks = priority_ranks(ctx.priority_order)
        return lambda doc: _maybe(
            None if doc.priority is None else ranks.get(doc.priority.casefold(), 0)
        )
    if field == "labels":
        return lambda doc: _maybe(" ".join(sorted(map(str.casefold, doc.labels))) or None)
    if field == "summary":
        return lambda doc: doc.summary.casefold()
    if field in ("issuetype", "resolution"):
        return lambda doc: _maybe_text(getattr(doc, field))
    spec = lookup(field)
    assert spec is not None and spec.kind == Kind.USER, field
    return lambda doc: _maybe_user(getattr(doc, field))


def _maybe(value: Any) -> tuple[int, Any]:
    """Empty sorts after every value (the 1 beats any 0 before the value is compared)."""
    return (1, 0) if value is None else (0, value)


def _maybe_text(value: str | None) -> tuple[int, Any]:
    return _maybe(None if value is None else value.casefold())


def _maybe_user(user: UserRef | None) -> tuple[int, Any]:
    # Jira sorts users by display name.
    return _maybe(None if user is None else user.display_name.casefold())
