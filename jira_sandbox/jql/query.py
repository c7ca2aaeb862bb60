"""parse_jql() and JqlQuery: the one object the sandbox server holds per query text."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache

from .errors import JqlError, issue_does_not_exist, value_does_not_exist
from .evaluate import compile_where
from .fields import lookup
from .model import IssueDoc, JqlContext
from .nodes import (
    EQ,
    IN,
    And,
    Clause,
    EmptyValue,
    FunctionCall,
    Literal,
    QueryTree,
    clauses,
    operand_items,
)
from .ordering import SortField, resolve_order, sort_docs
from .parser import parse_tree
from .validate import validate

# Fields whose literal values name things that exist (or not) in the server's state.
STATEFUL_FIELDS = (
    "project",
    "key",
    "issuetype",
    "status",
    "priority",
    "resolution",
    "assignee",
    "reporter",
)


@lru_cache(maxsize=1024)
def parse_jql(text: str) -> JqlQuery:
    """Parse and validate JQL; raise JqlError with Jira's messages if Jira would answer 400.

    Cached, since sync clients send the same few queries over and over. The empty query (or
    one that is only ORDER BY) matches every issue, as Jira's does.
    """
    tree = parse_tree(text)
    messages = validate(tree)
    if messages:
        raise JqlError(messages)
    return JqlQuery(text, tree)


class JqlQuery:
    """A parsed, validated query, compiled once into closures; safe to share and reuse."""

    __slots__ = ("_bind", "_order", "_tree", "text")

    def __init__(self, text: str, tree: QueryTree) -> None:
        self.text = text
        self._tree = tree
        self._bind = compile_where(tree.where)
        self._order = resolve_order(tree.order_by)

    def __repr__(self) -> str:
        return f"JqlQuery({self.text!r})"

    @property
    def is_bounded(self) -> bool:
        """Whether the query restricts the search at all.

        Jira Cloud's /search/jql refuses an unbounded query ("" or only ORDER BY) with 400
        "Unbounded JQL queries are not allowed here. Please add a search restriction to your
        query."; the server decides where that applies.
        """
        return self._tree.where is not None

    @property
    def order_by(self) -> tuple[SortField, ...]:
        """The ORDER BY as written (canonical field names, directions resolved to Jira's
        defaults); empty when there is none, in which case search() orders by key DESC.
        Jira Cloud's /search/jql allows at most 7 sort fields."""
        return resolve_order(self._tree.order_by) if self._tree.order_by else ()

    def matches(self, doc: IssueDoc, ctx: JqlContext) -> bool:
        return self._bind(ctx)(doc)

    def search(self, docs: Iterable[IssueDoc], ctx: JqlContext) -> list[IssueDoc]:
        """The docs that match, in ORDER BY order (key DESC when there is no ORDER BY)."""
        predicate = self._bind(ctx)
        return sort_docs(filter(predicate, docs), self._order, ctx)

    def values_for(self, field: str) -> frozenset[str]:
        """Literal values the query compares `field` (any alias) against, as written.

        EMPTY, functions and `resolution = Unresolved` are not values of the field and are
        left out. Raises ValueError for a name that is not a JQL field.
        """
        spec = lookup(field)
        if spec is None:
            raise ValueError(f"{field!r} is not a JQL field")
        return frozenset(
            value for clause, value in self._literals() if _canonical(clause) == spec.name
        )

    def referenced_values(self) -> dict[str, frozenset[str]]:
        """values_for() of every field whose values must exist in the server's state."""
        found: dict[str, set[str]] = {}
        for clause, value in self._literals():
            name = _canonical(clause)
            if name in STATEFUL_FIELDS:
                found.setdefault(name, set()).add(value)
        return {name: frozenset(values) for name, values in found.items()}

    def check_values(self, exists: Callable[[str, str], bool]) -> None:
        """Refuse values that name nothing, with Jira's messages.

        `exists(field, value)` is asked for each literal compared against a stateful field
        (canonical names: project, key, issuetype, status, priority, resolution, assignee,
        reporter); for "key" the value is an issue key or a numeric issue id. Raises JqlError
        listing e.g. "The value 'NOPE' does not exist for the field 'project'." or "An issue
        with key 'CSP-999' does not exist for field 'key'.", the field spelled as the query
        spelled it.
        """
        messages: list[str] = []
        for clause, value in self._literals():
            name = _canonical(clause)
            if name not in STATEFUL_FIELDS or exists(name, value):
                continue
            if name == "key":
                message = issue_does_not_exist(clause.field, value)
            else:
                message = value_does_not_exist(clause.field, value)
            if message not in messages:
                messages.append(message)
        if messages:
            raise JqlError(messages)

    def label_equalities(self) -> frozenset[str] | None:
        """Labels that let the server pre-filter with a label index, or None.

        When not None, every issue the query matches carries at least one of these labels,
        compared case-insensitively: the values are casefolded, so index labels by
        `label.casefold()`. Derived from top-level AND clauses `labels = x` and
        `labels in (x, y)`; the narrowest one is returned.
        """
        where = self._tree.where
        conjuncts = [where] if isinstance(where, Clause) else []
        if isinstance(where, And):
            conjuncts = [c for c in where.children if isinstance(c, Clause)]
        best: frozenset[str] | None = None
        for clause in conjuncts:
            if _canonical(clause) != "labels" or clause.operator not in (EQ, IN):
                continue
            items = operand_items(clause.operand)
            if not all(isinstance(item, Literal) for item in items):
                continue  # `labels in (x, EMPTY)` also matches unlabelled issues
            group = frozenset(item.value.casefold() for item in items if isinstance(item, Literal))
            if best is None or len(group) < len(best):
                best = group
        return best

    def _literals(self) -> list[tuple[Clause, str]]:
        found = []
        for clause in clauses(self._tree.where):
            for item in operand_items(clause.operand):
                if isinstance(item, EmptyValue | FunctionCall):
                    continue
                if (
                    _canonical(clause) == "resolution"
                    and item.value.strip().casefold() == "unresolved"
                ):
                    continue
                found.append((clause, item.value))
        return found


def _canonical(clause: Clause) -> str:
    spec = lookup(clause.field)
    assert spec is not None, "validated before use"
    return spec.name
