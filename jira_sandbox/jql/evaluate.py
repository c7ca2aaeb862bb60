"""A validated syntax tree compiled into Python closures, once per query text.

compile_where() walks the tree once and returns a *binder*: given a JqlContext it resolves
everything that depends on the clock, time zone or searcher (now(), "-7d", currentUser(),
date literals read in the searcher's zone) and returns a plain predicate over IssueDoc.
Searching 10,000 issues then costs one bind plus one cheap call per issue, with no tree walk.

Semantics that differ from a naive reading, all Jira's:
- `!=` and `NOT IN` never match an empty field ("assignee != bob" leaves out unassigned
  issues); `labels != x` means "has labels, none of them x".
- names (project key, issue type, status, priority, resolution, status category, users) and
  labels compare case-insensitively; Jira folds labels for search since 7.10 (JRASERVER-29120).
- `resolution = Unresolved` means no resolution.
- `key > CSP-5` compares within project CSP by issue number.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from .dates import ONE_MS, EpochMillis, Period, WallClock, parse_date_literal
from .fields import STATUS_CATEGORIES, FieldSpec, Kind, lookup
from .functions import resolve_date, resolve_user
from .model import IssueDoc, JqlContext, UserRef
from .nodes import (
    EQ,
    GE,
    GT,
    IN,
    IS,
    IS_NOT,
    LE,
    LIKE,
    LT,
    NE,
    NOT_IN,
    NOT_LIKE,
    And,
    Clause,
    EmptyValue,
    FunctionCall,
    Literal,
    Node,
    Not,
    operand_items,
)
from .text_search import analyse, compile_text_query
from .validate import issue_ref

Predicate = Callable[[IssueDoc], bool]
Binder = Callable[[JqlContext], Predicate]
Value = Literal | FunctionCall

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    LT: operator.lt,
    LE: operator.le,
    GT: operator.gt,
    GE: operator.ge,
}


def _always(doc: IssueDoc) -> bool:
    return True


def _never(doc: IssueDoc) -> bool:
    return False


def compile_where(node: Node | None) -> Binder:
    if node is None:
        return lambda ctx: _always
    if isinstance(node, Clause):
        return _clause(node)
    if isinstance(node, Not):
        inner = compile_where(node.child)

        def bind_not(ctx: JqlContext) -> Predicate:
            predicate = inner(ctx)
            return lambda doc: not predicate(doc)

        return bind_not
    binders = [compile_where(child) for child in node.children]
    combine = _all_of if isinstance(node, And) else _any_of
    return lambda ctx: combine([bind(ctx) for bind in binders])


def _all_of(predicates: Sequence[Predicate]) -> Predicate:
    if len(predicates) == 1:
        return predicates[0]
    if len(predicates) == 2:
        first, second = predicates
        return lambda doc: first(doc) and second(doc)
    return lambda doc: all(p(doc) for p in predicates)


def _any_of(predicates: Sequence[Predicate]) -> Predicate:
    if len(predicates) == 2:
        first, second = predicates
        return lambda doc: first(doc) or second(doc)
    return lambda doc: any(p(doc) for p in predicates)


# --- one clause ---------------------------------------------------------------------------


def _clause(clause: Clause) -> Binder:
    spec = lookup(clause.field)
    assert spec is not None, "validated before compiling"
    if spec.kind == Kind.TEXT:
        return _text_clause(spec, clause)
    if spec.name == "worklogDate":
        return _worklog_date_clause(clause)
    empty = _EMPTY_TESTS[spec.kind](spec)
    op = clause.operator
    if op == IS:
        return lambda ctx: empty
    if op == IS_NOT:
        return lambda ctx: lambda doc: not empty(doc)
    items = operand_items(clause.operand)
    values: list[Value] = [i for i in items if not isinstance(i, EmptyValue)]
    wants_empty = len(values) < len(items)
    if spec.kind == Kind.NAME and spec.name == "resolution":
        # Jira's `resolution = Unresolved` is "no resolution", not a resolution named so.
        unresolved = [v for v in values if isinstance(v, Literal) and _is_unresolved(v)]
        wants_empty = wants_empty or bool(unresolved)
        values = [v for v in values if v not in unresolved]
    if op in (LT, LE, GT, GE):
        return _RELATIONAL[spec.kind](spec, _COMPARE[op], values[0])
    member = _MEMBERSHIP[spec.kind](spec, values) if values else (lambda ctx: _never)
    if op in (EQ, IN):
        if not wants_empty:
            return member

        def bind_eq_or_empty(ctx: JqlContext) -> Predicate:
            is_member = member(ctx)
            return lambda doc: empty(doc) or is_member(doc)

        return bind_eq_or_empty
    assert op in (NE, NOT_IN), op

    def bind_not_equal(ctx: JqlContext) -> Predicate:
        is_member = member(ctx)
        return lambda doc: not empty(doc) and not is_member(doc)

    return bind_not_equal


def _is_unresolved(value: Literal) -> bool:
    return value.value.strip().casefold() == "unresolved"


def _folded(values: Sequence[Value]) -> frozenset[str]:
    return frozenset(v.value.strip().casefold() for v in values if isinstance(v, Literal))


# --- emptiness ----------------------------------------------------------------------------


def _empty_attribute(spec: FieldSpec) -> Predicate:
    get = operator.attrgetter(_ATTRIBUTE[spec.name])
    return lambda doc: get(doc) is None


_ATTRIBUTE = {
    "issuetype": "issuetype",
    "status": "status",
    "priority": "priority",
    "resolution": "resolution",
    "created": "created",
    "updated": "updated",
    "resolutiondate": "resolutiondate",
    "assignee": "assignee",
    "reporter": "reporter",
}

_EMPTY_TESTS: dict[Kind, Callable[[FieldSpec], Predicate]] = {
    Kind.PROJECT: lambda spec: _never,
    Kind.KEY: lambda spec: _never,
    Kind.STATUS_CATEGORY: lambda spec: _never,
    Kind.LABELS: lambda spec: lambda doc: not doc.labels,
    Kind.NAME: _empty_attribute,
    Kind.DATE: _empty_attribute,
    Kind.USER: _empty_attribute,
}


# --- "equals one of" per kind -------------------------------------------------------------


def _with_aliases(folded: frozenset[str], field: str, ctx: JqlContext) -> frozenset[str]:
    """`folded` plus the doc-side values its aliases (ids, project names) stand for."""
    aliases = ctx.value_aliases.get(field)
    if not aliases:
        return folded
    lookup_folded = {alias.casefold(): value.casefold() for alias, value in aliases.items()}
    return folded | {lookup_folded[v] for v in folded if v in lookup_folded}


def _memo_folded_in(folded: frozenset[str]) -> Callable[[str], bool]:
    """`name.casefold() in folded`, remembered per name: a search meets few distinct names."""
    memo: dict[str, bool] = {}

    def folded_in(name: str) -> bool:
        known = memo.get(name)
        if known is None:
            known = memo[name] = name.casefold() in folded
        return known

    return folded_in


def _project_member(spec: FieldSpec, values: Sequence[Value]) -> Binder:
    folded = _folded(values)
    keys = frozenset(v for v in folded if not v.isdigit())
    ids = frozenset(int(v) for v in folded if v.isdigit())

    def bind(ctx: JqlContext) -> Predicate:
        key_in = _memo_folded_in(_with_aliases(keys, spec.name, ctx))
        return lambda doc: key_in(doc.project_key) or doc.project_id in ids

    return bind


def _key_member(spec: FieldSpec, values: Sequence[Value]) -> Binder:
    keys: set[str] = set()
    ids: set[int] = set()
    for value in values:
        assert isinstance(value, Literal)
        ref = issue_ref(value.value)
        if isinstance(ref, int):
            ids.add(ref)
        elif ref is not None:
            keys.add(f"{ref[0]}-{ref[1]}".casefold())

    def matches(doc: IssueDoc) -> bool:
        return doc.key.casefold() in keys or doc.id in ids

    return lambda ctx: matches


def _name_member(spec: FieldSpec, values: Sequence[Value]) -> Binder:
    folded = _folded(values)
    get = operator.attrgetter(_ATTRIBUTE[spec.name])

    def bind(ctx: JqlContext) -> Predicate:
        name_in = _memo_folded_in(_with_aliases(folded, spec.name, ctx))

        def matches(doc: IssueDoc) -> bool:
            value = get(doc)
            return value is not None and name_in(value)

        return matches

    return bind


def _status_category_member(spec: FieldSpec, values: Sequence[Value]) -> Binder:
    wanted = frozenset(STATUS_CATEGORIES[v] for v in _folded(values))
    # The doc carries the category's name; accept its key or id spelling too.
    names = frozenset(alias for alias, name in STATUS_CATEGORIES.items() if name in wanted)

    def bind(ctx: JqlContext) -> Predicate:
        category_in = _memo_folded_in(names)
        return lambda doc: category_in(doc.status_category)

    return bind


def _labels_member(spec: FieldSpec, values: Sequence[Value]) -> Binder:
    folded = _folded(values)

    def matches(doc: IssueDoc) -> bool:
        return not folded.isdisjoint(map(str.casefold, doc.labels))

    return lambda ctx: matches


def _user_member(spec: FieldSpec, values: Sequence[Value]) -> Binder:
    folded = _folded(values)
    get = operator.attrgetter(_ATTRIBUTE[spec.name])
    calls = [v for v in values if isinstance(v, FunctionCall)]

    def bind(ctx: JqlContext) -> Predicate:
        current: set[str] = set()
        for call in calls:
            user = resolve_user(call, ctx)
            if user is not None:
                current.add(user.account_id)

        memo: dict[UserRef, bool] = {}  # a search meets few distinct users

        def user_matches(user: UserRef) -> bool:
            return user.account_id in current or not folded.isdisjoint(
                (
                    user.account_id.casefold(),
                    user.name.casefold(),
                    user.email.casefold(),
                    user.display_name.casefold(),
                )
            )

        def matches(doc: IssueDoc) -> bool:
            user: UserRef | None = get(doc)
            if user is None:
                return False
            known = memo.get(user)
            if known is None:
                known = memo[user] = user_matches(user)
            return known

        return matches

    return bind


def _date_member(spec: FieldSpec, values: Sequence[Value]) -> Binder:
    get = operator.attrgetter(_ATTRIBUTE[spec.name])

    def bind(ctx: JqlContext) -> Predicate:
        ranges = [_date_bounds(value, ctx) for value in values]
        if len(ranges) == 1:
            [(start, end)] = ranges

            def in_range(doc: IssueDoc) -> bool:
                moment = get(doc)
                return moment is not None and start <= moment < end

            return in_range

        def in_any_range(doc: IssueDoc) -> bool:
            moment = get(doc)
            return moment is not None and any(lo <= moment < hi for lo, hi in ranges)

        return in_any_range

    return bind


_MEMBERSHIP: dict[Kind, Callable[[FieldSpec, Sequence[Value]], Binder]] = {
    Kind.PROJECT: _project_member,
    Kind.KEY: _key_member,
    Kind.NAME: _name_member,
    Kind.STATUS_CATEGORY: _status_category_member,
    Kind.LABELS: _labels_member,
    Kind.USER: _user_member,
    Kind.DATE: _date_member,
}


# --- <, <=, >, >= per kind ----------------------------------------------------------------


def _date_bounds(value: Value, ctx: JqlContext) -> tuple[datetime, datetime]:
    """[start, end) in UTC: comparing datetimes that share a tzinfo skips utcoffset() calls."""
    start, end = _local_bounds(value, ctx)
    return start.astimezone(UTC), end.astimezone(UTC)


def _local_bounds(value: Value, ctx: JqlContext) -> tuple[datetime, datetime]:
    if isinstance(value, FunctionCall):
        moment = resolve_date(value, ctx)
        return moment, moment + ONE_MS
    literal = parse_date_literal(value.value)
    if isinstance(literal, WallClock):
        return literal.bounds(ctx.timezone)
    if isinstance(literal, EpochMillis):
        return literal.bounds()
    assert isinstance(literal, Period), "validated before compiling"
    now = ctx.now if ctx.now.tzinfo is not None else ctx.now.replace(tzinfo=ctx.timezone)
    return literal.bounds(now)


def _date_compare(spec: FieldSpec, compare: Callable[[Any, Any], bool], value: Value) -> Binder:
    get = operator.attrgetter(_ATTRIBUTE[spec.name])

    def bind(ctx: JqlContext) -> Predicate:
        start, _ = _date_bounds(value, ctx)

        def matches(doc: IssueDoc) -> bool:
            moment = get(doc)
            return moment is not None and compare(moment, start)

        return matches

    return bind


def _key_compare(spec: FieldSpec, compare: Callable[[Any, Any], bool], value: Value) -> Binder:
    assert isinstance(value, Literal)
    ref = issue_ref(value.value)
    if isinstance(ref, int):

        def by_id(doc: IssueDoc) -> bool:
            return compare(doc.id, ref)

        return lambda ctx: by_id
    assert ref is not None, "validated before compiling"
    project, number = ref[0].casefold(), ref[1]

    def by_key(doc: IssueDoc) -> bool:
        own_project, own_number = key_parts(doc.key)
        return own_project == project and compare(own_number, number)

    return lambda ctx: by_key


def _priority_compare(spec: FieldSpec, compare: Callable[[Any, Any], bool], value: Value) -> Binder:
    assert isinstance(value, Literal)
    wanted = value.value.strip().casefold()

    def bind(ctx: JqlContext) -> Predicate:
        # Higher priority is "greater": `priority > Medium` finds High and Highest.
        rank = priority_ranks(ctx.priority_order)
        names = {wanted} if wanted in rank else _with_aliases(frozenset({wanted}), spec.name, ctx)
        ranked = [rank[name] for name in names if name in rank]
        if not ranked:
            return _never
        threshold = ranked[0]

        def matches(doc: IssueDoc) -> bool:
            own = doc.priority
            if own is None:
                return False
            own_rank = rank.get(own.casefold())
            return own_rank is not None and compare(own_rank, threshold)

        return matches

    return bind


# Validation lets <, <=, >, >= through for dates, issue keys and priority only.
_RELATIONAL: dict[Kind, Callable[[FieldSpec, Callable[[Any, Any], bool], Value], Binder]] = {
    Kind.DATE: _date_compare,
    Kind.KEY: _key_compare,
    Kind.NAME: _priority_compare,  # priority is the only NAME field with <, >
}


def _worklog_date_clause(clause: Clause) -> Binder:
    """`worklogDate`: true when *some* worklog of the issue satisfies the clause, each clause on
    its own, as Jira indexes one date per worklog (so `worklogDate >= A AND worklogDate < B`
    also finds an issue with one worklog before A and another after B; readers filter).
    `!=` / `NOT IN` hold when some worklog started outside the dates; no worklogs, no match."""
    op = clause.operator
    values = [i for i in operand_items(clause.operand) if not isinstance(i, EmptyValue)]

    def bind(ctx: JqlContext) -> Predicate:
        if op in (LT, LE, GT, GE):
            compare = _COMPARE[op]
            start = _epoch_ms(_date_bounds(values[0], ctx)[0])
            return lambda doc: any(compare(moment, start) for moment in doc.worklog_started_ms)
        ranges = [
            (_epoch_ms(lo), _epoch_ms(hi)) for lo, hi in (_date_bounds(v, ctx) for v in values)
        ]

        def on_one_of(moment: int) -> bool:
            return any(lo <= moment < hi for lo, hi in ranges)

        if op in (EQ, IN):
            return lambda doc: any(on_one_of(moment) for moment in doc.worklog_started_ms)
        assert op in (NE, NOT_IN), op
        return lambda doc: any(not on_one_of(moment) for moment in doc.worklog_started_ms)

    return bind


def _epoch_ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


@lru_cache(maxsize=65536)
def key_parts(key: str) -> tuple[str, int]:
    """("csp", 12) for "CSP-12": issue keys order by project, then by number."""
    project, _, number = key.rpartition("-")
    return project.casefold(), int(number) if number.isdigit() else 0


@lru_cache(maxsize=64)
def priority_ranks(order: tuple[str, ...]) -> dict[str, int]:
    """Folded priority name -> rank, the highest priority ranking highest."""
    return {name.casefold(): len(order) - index for index, name in enumerate(order)}


# --- text fields --------------------------------------------------------------------------


def _texts(spec: FieldSpec) -> Callable[[IssueDoc], Sequence[str]]:
    if spec.name == "summary":
        return lambda doc: (doc.summary,)
    if spec.name == "description":
        return lambda doc: (doc.description,)
    if spec.name == "comment":
        return lambda doc: doc.comments
    # `text` is Jira's master field over the issue's text fields.
    return lambda doc: (doc.summary, doc.description, *doc.comments)


def _text_clause(spec: FieldSpec, clause: Clause) -> Binder:
    texts = _texts(spec)

    def empty(doc: IssueDoc) -> bool:
        return not any(text.strip() for text in texts(doc))

    operand = clause.operand
    op = clause.operator
    if isinstance(operand, EmptyValue) or op in (IS, IS_NOT):
        wants_empty = op in (IS, LIKE)
        return lambda ctx: empty if wants_empty else (lambda doc: not empty(doc))
    assert isinstance(operand, Literal), "validated before compiling"
    query = compile_text_query(operand.value)

    def contains(doc: IssueDoc) -> bool:
        # A plain loop: any() over a generator costs more than the match itself here.
        for text in texts(doc):  # noqa: SIM110
            if query(analyse(text)):
                return True
        return False

    if op == LIKE:
        return lambda ctx: contains
    assert op == NOT_LIKE, op
    return lambda ctx: lambda doc: not empty(doc) and not contains(doc)
