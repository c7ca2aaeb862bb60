"""The syntax tree of a parsed JQL query: plain frozen data, no behaviour beyond display.

`display()` renders an operand the way Jira quotes it back in messages, e.g.
"Operator 'in' does not support the non-list value '\"test\"' for field 'summary'."
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeAlias

NUMBER = re.compile(r"-?\d+")

# Operators, spelled as Jira displays them in messages.
EQ, NE, LIKE, NOT_LIKE = "=", "!=", "~", "!~"
LT, LE, GT, GE = "<", "<=", ">", ">="
IN, NOT_IN, IS, IS_NOT = "in", "not in", "is", "is not"
RELATIONAL = frozenset({LT, LE, GT, GE})


@dataclass(frozen=True, slots=True)
class Position:
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Literal:
    """A bare word, quoted string or number; `value` has its escapes resolved."""

    value: str
    quoted: bool
    position: Position

    @property
    def is_number(self) -> bool:
        return not self.quoted and NUMBER.fullmatch(self.value) is not None

    def display(self) -> str:
        return self.value if self.is_number else f'"{self.value}"'


@dataclass(frozen=True, slots=True)
class EmptyValue:
    """EMPTY or NULL."""

    position: Position

    def display(self) -> str:
        return "EMPTY"


@dataclass(frozen=True, slots=True)
class FunctionCall:
    name: str
    args: tuple[str, ...]
    position: Position

    def display(self) -> str:
        return f"{self.name}({', '.join(self.args)})"


@dataclass(frozen=True, slots=True)
class ValueList:
    items: tuple[Operand, ...]
    position: Position

    def display(self) -> str:
        return "(" + ", ".join(item.display() for item in self.items) + ")"


Operand: TypeAlias = Literal | EmptyValue | FunctionCall | ValueList


@dataclass(frozen=True, slots=True)
class Clause:
    """`field operator operand`; `field` is spelled as the user typed it (messages echo it)."""

    field: str
    operator: str
    operand: Operand
    position: Position


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


Node: TypeAlias = Clause | And | Or | Not


@dataclass(frozen=True, slots=True)
class SortKey:
    field: str
    direction: str | None  # "asc" | "desc" | None for the field's default
    position: Position


@dataclass(frozen=True, slots=True)
class QueryTree:
    where: Node | None
    order_by: tuple[SortKey, ...]


def clauses(node: Node | None) -> list[Clause]:
    """Every clause under `node`, left to right."""
    if node is None:
        return []
    if isinstance(node, Clause):
        return [node]
    if isinstance(node, Not):
        return clauses(node.child)
    return [c for child in node.children for c in clauses(child)]


def operand_items(operand: Operand) -> list[Literal | EmptyValue | FunctionCall]:
    """The leaves of an operand, with lists flattened (Jira allows nested lists)."""
    if isinstance(operand, ValueList):
        return [leaf for item in operand.items for leaf in operand_items(item)]
    return [operand]
