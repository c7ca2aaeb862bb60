"""Text to syntax tree, with Jira's syntax-error wording.

The grammar (grammar.lark) is run by lark's LALR parser over its basic (context-free) lexer, as
Jira's ANTLR grammar runs over its lexer. The whole query is lexed once before parsing so that
lexical errors (an unfinished string, a reserved character or word, an illegal escape) win
over grammar errors further left, as they do in Jira. Grammar errors are told apart by the set
of terminals the parser expected at the failing token.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import cast

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

from . import errors
from .errors import JqlError
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
    Operand,
    Or,
    Position,
    QueryTree,
    SortKey,
    ValueList,
)

_GRAMMAR = Path(__file__).with_name("grammar.lark")
_LARK = Lark(_GRAMMAR.read_text(encoding="utf-8"), parser="lalr", lexer="basic")

# Words Jira's lexer reserves (JqlStringSupportImpl, less those that are JQL keywords): used
# unquoted they are refused, so a label called `update` must be written "update".
_RESERVED = """
    abort access add alias all alter any as audit avg begin between boolean break byte catch
    char character check checkpoint collate collation column commit connect continue count
    create current date decimal declare decrement default defaults define delete delimiter
    difference distinct divide do double drop else encoding end equals escape exclusive exec
    execute exists explain false fetch file field first float for function go goto grant
    greater group having identified if immediate increment index initial inner inout input
    insert int integer intersect intersection into isempty isnull join last left less like
    limit lock long max min minus mode modify modulo more multiply next noaudit notin nowait
    number object of option outer output power previous prior privileges public raise raw
    remainder rename resource return returns revoke right row rowid rownum rows select session
    set share size sqrt start strict string subtract sum synonym table then trans transaction
    trigger true uid union unique update user validate values view when whenever where while
    with
"""
RESERVED_WORDS = frozenset(_RESERVED.split())

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_NUMBER = re.compile(r"-?\d+")
_HEX = frozenset("0123456789abcdefABCDEF")
_SIMPLE_ESCAPES = {"'": "'", '"': '"', "t": "\t", "n": "\n", "r": "\r", "\\": "\\", " ": " "}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

_OPERATORS = {
    ("EQ",): EQ,
    ("NE",): NE,
    ("LIKE",): LIKE,
    ("NOT_LIKE",): NOT_LIKE,
    ("LT",): LT,
    ("LE",): LE,
    ("GT",): GT,
    ("GE",): GE,
    ("IN",): IN,
    ("KW_NOT", "IN"): NOT_IN,
    ("IS",): IS,
    ("IS", "KW_NOT"): IS_NOT,
}
_AND_TERMINALS = {"KW_AND", "AMPAMP", "AMP"}
_OPERATOR_TERMINALS = {"EQ", "NE", "LIKE", "NOT_LIKE", "LT", "LE", "GT", "GE"}
_OPERAND_TERMINALS = {"EMPTY", "NULL"}
_NAME_TERMINALS = {"WORD", "STRING"}


def parse_tree(text: str) -> QueryTree:
    """Parse JQL text into a syntax tree; raise JqlError with Jira's syntax message."""
    tokens = _lex(text)
    try:
        tree = _LARK.parse(text)
    except UnexpectedToken as exc:
        # LALR merges lookaheads across contexts, so `exc.expected` can be too broad;
        # accepts() replays the parser state to find what this prefix really allows.
        accepts = cast(Callable[[], set[str]], exc.interactive_parser.accepts)
        expected = accepts()
        raise JqlError(_grammar_error(exc.token, expected or set(exc.expected), tokens)) from None
    except UnexpectedEOF as exc:  # pragma: no cover - LALR reports the end as a $END token
        raise JqlError(_grammar_error(None, set(exc.expected), tokens)) from None
    return _Builder().query(tree)


# --- lexical level -------------------------------------------------------------------------


def _lex(text: str) -> list[Token]:
    """All tokens, checked one by one so that the leftmost lexical error is the one reported."""
    tokens: list[Token] = []
    try:
        for token in _LARK.lex(text):
            if token.type == "STRING":
                _unescape(token.value[1:-1], token.line or 1, (token.column or 1) + 1)
            elif token.type == "WORD":
                _check_word(token)
            tokens.append(token)
    except UnexpectedCharacters as exc:
        raise JqlError(_lexical_error(text, cast(int, exc.pos_in_stream))) from None
    return tokens


def _check_word(token: Token) -> None:
    line, column = token.line or 1, token.column or 1
    value = _unescape(token.value, line, column)
    if value.casefold() in RESERVED_WORDS:
        raise JqlError(
            errors.syntax(
                f"'{value}' is a reserved JQL word. You must surround it in quotation marks "
                "to use it in a query.",
                line,
                column,
            )
        )
    if _NUMBER.fullmatch(value) and not _INT64_MIN <= int(value) <= _INT64_MAX:
        raise JqlError(
            errors.syntax(
                f"'{value}' is not a valid number. Numbers must be between "
                "-9,223,372,036,854,775,808 and 9,223,372,036,854,775,807.",
                line,
                column,
            )
        )


def _unescape(raw: str, line: int, column: int) -> str:
    """Resolve JQL escapes in `raw`, which starts at (line, column) of the query."""
    if "\\" not in raw:
        return raw
    out: list[str] = []
    i = 0
    while i < len(raw):
        char = raw[i]
        if char != "\\":
            out.append(char)
            i += 1
            continue
        escape_line, escape_column = _advance(raw[:i], line, column)
        following = raw[i + 1 : i + 2]
        if following in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[following])
            i += 2
        elif following == "u":
            digits = raw[i + 2 : i + 6]
            valid = len(digits) == 4 and all(d in _HEX for d in digits)
            if not valid:
                shown = "\\u"
                for d in digits:
                    shown += d
                    if d not in _HEX:
                        break
                raise JqlError(_illegal_escape(shown, escape_line, escape_column))
            out.append(chr(int(digits, 16)))
            i += 6
        else:
            raise JqlError(_illegal_escape("\\" + following, escape_line, escape_column))
    return "".join(out)


def _illegal_escape(shown: str, line: int, column: int) -> str:
    message = f"'{shown}' is an illegal JQL escape sequence. {errors.VALID_ESCAPES}"
    return errors.syntax(message, line, column)


def _advance(passed: str, line: int, column: int) -> tuple[int, int]:
    """The (line, column) reached after reading `passed` from (line, column)."""
    newlines = passed.count("\n")
    if newlines:
        return line + newlines, len(passed) - passed.rfind("\n")
    return line, column + len(passed)


def _position_of(text: str, index: int) -> tuple[int, int]:
    return _advance(text[:index], 1, 1)


def _lexical_error(text: str, index: int) -> str:
    char = text[index]
    line, column = _position_of(text, index)
    if char in "\"'":
        return _unfinished_string(text, index)
    if char == "\\":
        if index == len(text) - 1:
            return errors.syntax(
                f"The escape sequence has not been completed. {errors.VALID_ESCAPES}",
                line,
                column,
            )
        return _illegal_escape("\\" + text[index + 1], line, column)
    if _CONTROL.match(char):
        return _control_character(char, line, column)
    return errors.syntax(
        f"The character '{char}' is a reserved JQL character. You must enclose it in a "
        f"string or use the escape '\\u{ord(char):04x}' instead.",
        line,
        column,
    )


def _unfinished_string(text: str, start: int) -> str:
    quote = text[start]
    i = start + 1
    while i < len(text) and text[i] != quote:
        if _CONTROL.match(text[i]):
            # The string is closed later on: what stopped it is a raw control character.
            return _control_character(text[i], *_position_of(text, i))
        i += 2 if text[i] == "\\" else 1
    line, column = _position_of(text, start)
    content = re.sub(r"[\r\n]", " ", text[start + 1 :])
    if not content:
        return errors.syntax("The quoted string has not been completed.", line, column)
    return errors.syntax(f"The quoted string '{content}' has not been completed.", line, column)


def _control_character(char: str, line: int, column: int) -> str:
    code = f"{ord(char):04X}"
    return errors.syntax(
        f"The character 'U+{code}' on line {line} at position {column} must be escaped. "
        f"Use the escape '\\u{code.lower()}' instead.",
        line,
        column,
    )


# --- grammar level -------------------------------------------------------------------------


def _grammar_error(token: Token | None, expected: set[str], tokens: list[Token]) -> str:
    at_end = token is None or token.type == "$END"
    in_function = _innermost_paren_is_function(tokens, None if at_end else token)
    if at_end:
        return errors.syntax(_at_end_message(expected, in_function))
    assert token is not None
    got = _shown(token)
    message = _unexpected_message(expected, got, token, in_function)
    return errors.syntax(message, token.line, token.column)


def _at_end_message(expected: set[str], in_function: bool) -> str:
    if "RPAR" in expected:
        return "Expecting ')' before the end of the query."
    if "BY" in expected:
        return "Expecting 'by' before the end of the query."
    if expected & _OPERATOR_TERMINALS:
        return f"Expecting operator before the end of the query. {errors.VALID_OPERATORS}"
    if expected & _OPERAND_TERMINALS:
        return "Expecting either a value, list or function before the end of the query."
    if expected == {"IN"}:
        return "Expecting 'IN' before the end of the query."
    if in_function:
        return "Expecting a function argument at the end of the query."
    return "Expecting a field name at the end of the query."


def _unexpected_message(expected: set[str], got: str, token: Token, in_function: bool) -> str:
    if expected & _AND_TERMINALS:
        return f"Expecting either 'OR' or 'AND' but got '{got}'."
    if "ASC" in expected:
        return f"Expecting either 'ASC' or 'DESC' but got '{got}'."
    if "COMMA" in expected and "$END" in expected:
        return f"Expecting ',' but got '{got}'."
    if "BY" in expected:
        return f"Expecting 'by' but got '{got}'."
    if expected & _OPERATOR_TERMINALS:
        return f"Expecting operator but got '{got}'. {errors.VALID_OPERATORS}"
    if expected == {"IN"}:
        return f"Expecting 'IN' but got '{got}'."
    if expected & _OPERAND_TERMINALS:
        if "KW_NOT" in expected:
            return f"Expecting 'NOT' but got '{got}'."
        return (
            f"Expecting either a value, list or function but got '{got}'. "
            f"You must surround '{got}' in quotation marks to use it as a value."
        )
    if in_function:
        return _function_argument_message(expected, got, token)
    if expected & _NAME_TERMINALS:
        return (
            f"Expecting a field name but got '{got}'. "
            f"You must surround '{got}' in quotation marks to use it as a field name."
        )
    return f"Expecting ')' but got '{got}'."


def _function_argument_message(expected: set[str], got: str, token: Token) -> str:
    if "COMMA" in expected:  # after an argument
        return f"Expecting ')' or ',' but got '{got}'."
    if "RPAR" in expected and token.type == "COMMA":  # right after the opening parenthesis
        return "Expecting ')' but got ','."
    if token.type == "RPAR":  # right after a comma
        return "Function argument must be specified."
    return (
        f"Expecting a function argument but got '{got}'. "
        f"You must surround '{got}' in quotation marks to use it as an argument."
    )


def _innermost_paren_is_function(tokens: list[Token], stop: Token | None) -> bool:
    """Whether the innermost unclosed '(' before `stop` opens a function's argument list."""
    stack: list[bool] = []
    previous: Token | None = None
    for token in tokens:
        if stop is not None and (token.start_pos or 0) >= (stop.start_pos or 0):
            break
        if token.type == "LPAR":
            stack.append(previous is not None and previous.type in _NAME_TERMINALS)
        elif token.type == "RPAR" and stack:
            stack.pop()
        previous = token
    return bool(stack) and stack[-1]


def _shown(token: Token) -> str:
    if token.type == "STRING":
        return _unescape(token.value[1:-1], token.line or 1, (token.column or 1) + 1)
    if token.type == "WORD":
        return _unescape(token.value, token.line or 1, token.column or 1)
    return str(token.value)


# --- tree to nodes -------------------------------------------------------------------------


def _position(token: Token) -> Position:
    return Position(token.line or 1, token.column or 1)


def _text(token: Token) -> tuple[str, bool]:
    """The value of a WORD or STRING token, and whether it was quoted."""
    if token.type == "STRING":
        return _unescape(token.value[1:-1], token.line or 1, (token.column or 1) + 1), True
    return _unescape(token.value, token.line or 1, token.column or 1), False


class _Builder:
    def query(self, tree: Tree[Token]) -> QueryTree:
        where: Node | None = None
        order_by: tuple[SortKey, ...] = ()
        for child in tree.children:
            assert isinstance(child, Tree)
            if child.data == "order_by":
                order_by = tuple(
                    self.sort_key(c)
                    for c in child.children
                    if isinstance(c, Tree) and c.data == "sort_key"
                )
            else:
                where = self.node(child)
        return QueryTree(where, order_by)

    def node(self, tree: Tree[Token]) -> Node:
        subtrees = [c for c in tree.children if isinstance(c, Tree)]
        if tree.data == "or_expr":
            return Or(tuple(self.node(c) for c in subtrees))
        if tree.data == "and_expr":
            return And(tuple(self.node(c) for c in subtrees))
        if tree.data == "negation":
            return Not(self.node(subtrees[0]))
        if tree.data == "group":
            return self.node(subtrees[0])
        assert tree.data == "clause", tree.data
        field_tree, operator_tree, operand_tree = subtrees
        field, position = self.field(field_tree)
        kinds = tuple(str(t.type) for t in operator_tree.children if isinstance(t, Token))
        return Clause(field, _OPERATORS[kinds], self.operand(operand_tree), position)

    def field(self, tree: Tree[Token]) -> tuple[str, Position]:
        token = tree.children[0]
        assert isinstance(token, Token)
        name, _ = _text(token)
        if not name:
            raise JqlError(errors.syntax("A field name cannot be empty.", token.line, token.column))
        return name, _position(token)

    def operand(self, tree: Tree[Token]) -> Operand:
        tokens = [c for c in tree.children if isinstance(c, Token)]
        if tree.data == "value":
            value, quoted = _text(tokens[0])
            return Literal(value, quoted, _position(tokens[0]))
        if tree.data == "empty":
            return EmptyValue(_position(tokens[0]))
        if tree.data == "function":
            return self.function(tree)
        assert tree.data == "list", tree.data
        items = tuple(self.operand(c) for c in tree.children if isinstance(c, Tree))
        return ValueList(items, _position(tokens[0]))

    def function(self, tree: Tree[Token]) -> FunctionCall:
        subtrees = [c for c in tree.children if isinstance(c, Tree)]
        name_token = subtrees[0].children[0]
        assert isinstance(name_token, Token)
        name, _ = _text(name_token)
        if not name:
            raise JqlError(
                errors.syntax(
                    "A function name cannot be empty.", name_token.line, name_token.column
                )
            )
        args: list[str] = []
        for arg in subtrees[1:]:
            arg_token = arg.children[0]
            assert isinstance(arg_token, Token)
            args.append(_text(arg_token)[0])
        return FunctionCall(name, tuple(args), _position(name_token))

    def sort_key(self, tree: Tree[Token]) -> SortKey:
        field_tree = tree.children[0]
        assert isinstance(field_tree, Tree)
        name, position = self.field(field_tree)
        direction = None
        if len(tree.children) > 1:
            token = tree.children[1]
            assert isinstance(token, Token)
            direction = str(token.value).lower()
        return SortKey(name, direction, position)
