"""JqlError and Jira's own wording for every way a query can be refused.

Two families, as in Jira:
- syntax errors, prefixed "Error in the JQL Query:" and ending in "(line L, character C)" when
  there is a position (Jira's JqlParseErrorMessages);
- validation errors on a query that parsed (unknown field, operator or function, bad value),
  without prefix; Jira reports all of them at once, so JqlError carries a list.

The wording is taken from Jira's answers (the `/rest/api/3/jql/parse` example in the Cloud
contract, Atlassian's TestJqlParsing / TestDefaultOperatorUsageValidator expectations).
"""

from __future__ import annotations

from collections.abc import Iterable

SYNTAX_PREFIX = "Error in the JQL Query: "
VALID_OPERATORS = (
    "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', "
    "'IS' and 'IS NOT'."
)
VALID_ESCAPES = "The valid escape sequences are \\', \\\", \\t, \\n, \\r, \\\\, '\\ ' and \\uXXXX."
DATE_FORMATS = (
    "Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', "
    "'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."
)


class JqlError(Exception):
    """A query Jira would refuse with 400; `messages` holds Jira's own wording."""

    def __init__(self, messages: str | Iterable[str]) -> None:
        self.messages: list[str] = [messages] if isinstance(messages, str) else list(messages)
        super().__init__(" ".join(self.messages))


def syntax(message: str, line: int | None = None, column: int | None = None) -> str:
    where = f" (line {line}, character {column})" if line is not None else ""
    return f"{SYNTAX_PREFIX}{message}{where}"


def field_does_not_exist(field: str) -> str:
    return f"Field '{field}' does not exist or you do not have permission to view it."


def operator_not_supported(operator: str, field: str) -> str:
    return f"The operator '{operator}' is not supported by the '{field}' field."


def value_does_not_exist(field: str, value: str) -> str:
    return f"The value '{value}' does not exist for the field '{field}'."


def issue_does_not_exist(field: str, key: str) -> str:
    return f"An issue with key '{key}' does not exist for field '{field}'."


def invalid_issue_key(field: str, key: str) -> str:
    return f"The issue key '{key}' for field '{field}' is invalid."


def invalid_date(field: str, value: str) -> str:
    return f"Date value '{value}' for field '{field}' is invalid. {DATE_FORMATS}"


def unknown_function(display: str) -> str:
    return f"Unable to find JQL function '{display}'."
