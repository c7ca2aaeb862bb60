"""The JQL fields the sandbox knows: names and aliases, operators, sortability.

Supported operators follow Jira's JQL field reference; e.g. `status` takes no IS/IS NOT (a status
is never empty), `summary` only ~ and !~ ("The operator '=' is not supported by the 'summary'
field." in the Cloud contract's /jql/parse example), `text` only ~. Default sort directions
follow Jira's navigable fields: dates, status and priority sort descending unless told
otherwise (CreatedSystemField and friends pass ORDER_DESCENDING).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .nodes import EQ, GE, GT, IN, IS, IS_NOT, LE, LIKE, LT, NE, NOT_IN, NOT_LIKE


class Kind(Enum):
    PROJECT = "project"
    KEY = "key"
    NAME = "name"  # issuetype, status, priority, resolution: matched by name, case-insensitive
    STATUS_CATEGORY = "statusCategory"
    LABELS = "labels"
    TEXT = "text"
    DATE = "date"
    USER = "user"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str  # canonical JQL name, as values_for() and check_values() report it
    kind: Kind
    operators: frozenset[str]
    sortable: bool
    descending_by_default: bool = False


_EQUALITY = frozenset({EQ, NE, IN, NOT_IN})
_EMPTINESS = frozenset({IS, IS_NOT})
_ORDERED = frozenset({LT, LE, GT, GE})
_TEXT = frozenset({LIKE, NOT_LIKE})

FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("project", Kind.PROJECT, _EQUALITY | _EMPTINESS, sortable=True),
    FieldSpec("key", Kind.KEY, _EQUALITY | _ORDERED, sortable=True),
    FieldSpec("issuetype", Kind.NAME, _EQUALITY | _EMPTINESS, sortable=True),
    FieldSpec("status", Kind.NAME, _EQUALITY, sortable=True, descending_by_default=True),
    FieldSpec("statusCategory", Kind.STATUS_CATEGORY, _EQUALITY, sortable=True),
    FieldSpec("labels", Kind.LABELS, _EQUALITY | _EMPTINESS, sortable=True),
    FieldSpec("summary", Kind.TEXT, _TEXT, sortable=True),
    FieldSpec("description", Kind.TEXT, _TEXT | _EMPTINESS, sortable=False),
    FieldSpec("comment", Kind.TEXT, _TEXT, sortable=False),
    FieldSpec("text", Kind.TEXT, frozenset({LIKE}), sortable=False),
    FieldSpec(
        "created",
        Kind.DATE,
        _EQUALITY | _EMPTINESS | _ORDERED,
        sortable=True,
        descending_by_default=True,
    ),
    FieldSpec(
        "updated",
        Kind.DATE,
        _EQUALITY | _EMPTINESS | _ORDERED,
        sortable=True,
        descending_by_default=True,
    ),
    FieldSpec(
        "resolutiondate",
        Kind.DATE,
        _EQUALITY | _EMPTINESS | _ORDERED,
        sortable=True,
        descending_by_default=True,
    ),
    # Matches an issue when any of its worklogs started on a matching date (Jira's
    # WorklogDateClauseQueryFactory); no IS EMPTY, and not sortable.
    FieldSpec("worklogDate", Kind.DATE, _EQUALITY | _ORDERED, sortable=False),
    FieldSpec("resolution", Kind.NAME, _EQUALITY | _EMPTINESS, sortable=True),
    FieldSpec(
        "priority",
        Kind.NAME,
        _EQUALITY | _EMPTINESS | _ORDERED,
        sortable=True,
        descending_by_default=True,
    ),
    FieldSpec("assignee", Kind.USER, _EQUALITY | _EMPTINESS, sortable=True),
    FieldSpec("reporter", Kind.USER, _EQUALITY | _EMPTINESS, sortable=True),
)

_BY_NAME = {spec.name.casefold(): spec for spec in FIELDS}
_ALIASES = {
    "issuekey": "key",
    "id": "key",
    "issue": "key",
    "type": "issuetype",
    "createddate": "created",
    "updateddate": "updated",
    "resolved": "resolutiondate",
}
for _alias, _target in _ALIASES.items():
    _BY_NAME[_alias] = _BY_NAME[_target.casefold()]


def lookup(name: str) -> FieldSpec | None:
    """The field a JQL name (any alias, any case) refers to, or None if Jira has no such field."""
    return _BY_NAME.get(name.casefold())


# Status categories by name, key and id, as Jira accepts them in `statusCategory = ...`.
STATUS_CATEGORIES = {
    "to do": "to do",
    "new": "to do",
    "2": "to do",
    "in progress": "in progress",
    "indeterminate": "in progress",
    "4": "in progress",
    "done": "done",
    "3": "done",
    "no category": "no category",
    "undefined": "no category",
    "1": "no category",
}
