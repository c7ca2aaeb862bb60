"""Validation of a parsed query: what Jira refuses after the query has parsed.

Checks run per clause in Jira's order: the field must exist; the operator must fit the shape
of the operand (list, single value, EMPTY); the field must support the operator; each value
must make sense for the field (a date, an issue key, a status category, a text query), and
each function must exist, take those arguments and return the field's kind of value.
All messages are collected, as Jira lists every problem in `errorMessages`.

Whether a project, status, user... *exists* depends on the server's state; JqlQuery.check_values
lets the server ask that afterwards.
"""

from __future__ import annotations

import re

from . import errors, functions, text_search
from .dates import parse_date_literal
from .fields import STATUS_CATEGORIES, FieldSpec, Kind, lookup
from .nodes import (
    IN,
    IS,
    IS_NOT,
    NOT_IN,
    RELATIONAL,
    Clause,
    EmptyValue,
    FunctionCall,
    Literal,
    QueryTree,
    ValueList,
    clauses,
    operand_items,
)

_ISSUE_KEY = re.compile(r"([A-Za-z][A-Za-z0-9_]*)-(\d+)")


def issue_ref(value: str) -> tuple[str, int] | int | None:
    """("CSP", 12) for an issue key, 10001 for a numeric issue id, None if it is neither."""
    value = value.strip()
    if value.isdigit():
        return int(value)
    match = _ISSUE_KEY.fullmatch(value)
    return (match.group(1).upper(), int(match.group(2))) if match else None


def validate(tree: QueryTree) -> list[str]:
    messages: list[str] = []
    for clause in clauses(tree.where):
        messages.extend(_clause(clause))
    messages.extend(_order_by(tree))
    return messages


def _clause(clause: Clause) -> list[str]:
    spec = lookup(clause.field)
    if spec is None:
        return [errors.field_does_not_exist(clause.field)]
    usage = _operator_usage(clause)
    if usage:
        return [usage]
    if clause.operator not in spec.operators:
        return [errors.operator_not_supported(clause.operator, clause.field)]
    messages: list[str] = []
    for item in operand_items(clause.operand):
        if isinstance(item, FunctionCall):
            messages.extend(functions.validate(item, clause.field, spec.kind))
        elif isinstance(item, Literal):
            messages.extend(_literal(spec, clause.field, item))
    return messages


def _operator_usage(clause: Clause) -> str | None:
    """Jira's DefaultOperatorUsageValidator: does the operand's shape fit the operator?"""
    op, operand, field = clause.operator, clause.operand, clause.field
    if op in (IN, NOT_IN):
        if isinstance(operand, EmptyValue):
            return _empty_not_supported(op, field)
        if not isinstance(operand, ValueList):
            return (
                f"Operator '{op}' does not support the non-list value '{operand.display()}' "
                f"for field '{field}'."
            )
        return None
    if isinstance(operand, ValueList):
        return (
            f"Operator '{op}' does not support the list value '{operand.display()}' "
            f"for field '{field}'."
        )
    if op in (IS, IS_NOT) and not isinstance(operand, EmptyValue):
        return (
            f"Operator '{op}' does not support searching for non-empty values for field '{field}'."
        )
    if op in RELATIONAL and isinstance(operand, EmptyValue):
        return _empty_not_supported(op, field)
    return None


def _empty_not_supported(op: str, field: str) -> str:
    return (
        f"Operator '{op}' does not support the empty value representation 'EMPTY' "
        f"for field '{field}'."
    )


def _literal(spec: FieldSpec, field: str, literal: Literal) -> list[str]:
    value = literal.value
    if spec.kind == Kind.DATE and parse_date_literal(value) is None:
        return [errors.invalid_date(field, value)]
    if spec.kind == Kind.KEY and issue_ref(value) is None:
        return [errors.invalid_issue_key(field, value)]
    if spec.kind == Kind.STATUS_CATEGORY and value.strip().casefold() not in STATUS_CATEGORIES:
        return [errors.value_does_not_exist(field, value)]
    if spec.kind == Kind.TEXT:
        return text_search.validate(value, field)
    return []


def _order_by(tree: QueryTree) -> list[str]:
    messages: list[str] = []
    seen: dict[str, str] = {}  # canonical name -> spelling first used
    for key in tree.order_by:
        spec = lookup(key.field)
        if spec is None:
            messages.append(f"Not able to sort using field '{key.field}'.")
            continue
        if not spec.sortable:
            messages.append(f"Field '{key.field}' does not support sorting.")
            continue
        if spec.name in seen:
            first = seen[spec.name]
            message = f"The sort field '{key.field}' is referenced multiple times in the JQL sort."
            if first.casefold() != key.field.casefold():
                message += f" Field '{key.field}' is an alias for field '{first}'."
            messages.append(message)
            continue
        seen[spec.name] = key.field
    return messages
