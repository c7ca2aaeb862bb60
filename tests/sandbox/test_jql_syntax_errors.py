"""A query Jira cannot read is refused with Jira's own syntax message, position included.

Expected wording is what Jira answers (its TestJqlParsing expectations and the
`/rest/api/3/jql/parse` example in the Cloud contract), so a client that shows or matches
Jira's message sees the same text from the sandbox.
"""

from __future__ import annotations

import pytest

from jira_sandbox.jql import JqlError, parse_jql

OPERATORS = (
    "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', "
    "'IS' and 'IS NOT'."
)
ESCAPES = "The valid escape sequences are \\', \\\", \\t, \\n, \\r, \\\\, '\\ ' and \\uXXXX."
NUMBERS = "Numbers must be between -9,223,372,036,854,775,808 and 9,223,372,036,854,775,807."


def refusal(jql: str) -> list[str]:
    with pytest.raises(JqlError) as caught:
        parse_jql(jql)
    return caught.value.messages


SYNTAX_CASES = [
    # unfinished strings
    ("comment ~ 'test", "The quoted string 'test' has not been completed. (line 1, character 11)"),
    (
        "comment ~ 'test\n",
        "The quoted string 'test ' has not been completed. (line 1, character 11)",
    ),
    (
        'priority="test\nword',
        "The quoted string 'test word' has not been completed. (line 1, character 10)",
    ),
    ("comment ~ '", "The quoted string has not been completed. (line 1, character 11)"),
    # escapes
    (
        "comme\\unt ~ 'test",
        f"'\\un' is an illegal JQL escape sequence. {ESCAPES} (line 1, character 6)",
    ),
    (
        'summary ~ "a\\qb"',
        f"'\\q' is an illegal JQL escape sequence. {ESCAPES} (line 1, character 13)",
    ),
    (
        "status = \\",
        f"The escape sequence has not been completed. {ESCAPES} (line 1, character 10)",
    ),
    # reserved and control characters
    (
        "mine{www = qwwr",
        "The character '{' is a reserved JQL character. You must enclose it in a string or use "
        "the escape '\\u007b' instead. (line 1, character 5)",
    ),
    (
        "minewww# = qwwr",
        "The character '#' is a reserved JQL character. You must enclose it in a string or use "
        "the escape '\\u0023' instead. (line 1, character 8)",
    ),
    (
        "summary ~ win*",
        "The character '*' is a reserved JQL character. You must enclose it in a string or use "
        "the escape '\\u002a' instead. (line 1, character 14)",
    ),
    (
        "minewww =\x7fqwwr",
        "The character 'U+007F' on line 1 at position 10 must be escaped. "
        "Use the escape '\\u007f' instead. (line 1, character 10)",
    ),
    (
        'mqwwr="\x7f this is broken"',
        "The character 'U+007F' on line 1 at position 8 must be escaped. "
        "Use the escape '\\u007f' instead. (line 1, character 8)",
    ),
    # numbers and reserved words
    (
        "aaaaa=-3482094382084092840932809482",
        f"'-3482094382084092840932809482' is not a valid number. {NUMBERS} (line 1, character 7)",
    ),
    (
        "summary ~ select",
        "'select' is a reserved JQL word. You must surround it in quotation marks to use it in "
        "a query. (line 1, character 11)",
    ),
    (
        "labels = Update",
        "'Update' is a reserved JQL word. You must surround it in quotation marks to use it in "
        "a query. (line 1, character 10)",
    ),
    # ORDER BY
    ("a =b order", "Expecting 'by' before the end of the query."),
    ("a =b order summary", "Expecting 'by' but got 'summary'. (line 1, character 12)"),
    ("a =b order by", "Expecting a field name at the end of the query."),
    (
        "a =b order by asc",
        "Expecting a field name but got 'asc'. You must surround 'asc' in quotation marks to "
        "use it as a field name. (line 1, character 15)",
    ),
    (
        "a =b order by ajsks blah",
        "Expecting either 'ASC' or 'DESC' but got 'blah'. (line 1, character 21)",
    ),
    ("order by a desc d", "Expecting ',' but got 'd'. (line 1, character 17)"),
    # empty names
    ('a =b order by "" desc', "A field name cannot be empty. (line 1, character 15)"),
    ("'' = c", "A field name cannot be empty. (line 1, character 1)"),
    ("a = ''()", "A function name cannot be empty. (line 1, character 5)"),
    # operators
    ("a", f"Expecting operator before the end of the query. {OPERATORS}"),
    ("a blah >", f"Expecting operator but got 'blah'. {OPERATORS} (line 1, character 3)"),
    ("invalid query", f"Expecting operator but got 'query'. {OPERATORS} (line 1, character 9)"),
    ("a =a and j not is empty", "Expecting 'IN' but got 'is'. (line 1, character 16)"),
    ("a =a and j is ! empty", "Expecting 'NOT' but got '!'. (line 1, character 15)"),
    # function arguments
    ("a = func(", "Expecting ')' before the end of the query."),
    ("a = func(, and not (a = x)", "Expecting ')' but got ','. (line 1, character 10)"),
    ("b=func(bad", "Expecting ')' before the end of the query."),
    ("bas=func(bad,)", "Function argument must be specified. (line 1, character 14)"),
    ("bas=func(bad,", "Expecting a function argument at the end of the query."),
    (
        "k = func(!",
        "Expecting a function argument but got '!'. You must surround '!' in quotation marks "
        "to use it as an argument. (line 1, character 10)",
    ),
    ("k = func(abc, jk!)", "Expecting ')' or ',' but got '!'. (line 1, character 17)"),
    # brackets
    ("(a=b and c = d", "Expecting ')' before the end of the query."),
    ("a=b or (c=d and not l ~ kate", "Expecting ')' before the end of the query."),
    ("b in ((12, (288)", "Expecting ')' before the end of the query."),
    ("abc IN ((foo) abc = a", "Expecting ')' but got 'abc'. (line 1, character 15)"),
    # operands and connectives
    ("a=", "Expecting either a value, list or function before the end of the query."),
    (
        "a=!",
        "Expecting either a value, list or function but got '!'. You must surround '!' in "
        "quotation marks to use it as a value. (line 1, character 3)",
    ),
    (
        "status = = Done",
        "Expecting either a value, list or function but got '='. You must surround '=' in "
        "quotation marks to use it as a value. (line 1, character 10)",
    ),
    (
        "labels = and",
        "Expecting either a value, list or function but got 'and'. You must surround 'and' in "
        "quotation marks to use it as a value. (line 1, character 10)",
    ),
    ("a=b c=d", "Expecting either 'OR' or 'AND' but got 'c'. (line 1, character 5)"),
    ("a=b !c=d", "Expecting either 'OR' or 'AND' but got '!'. (line 1, character 5)"),
    ("a=(a,", "Expecting either a value, list or function before the end of the query."),
    (
        "a=(a,(,bad))",
        "Expecting either a value, list or function but got ','. You must surround ',' in "
        "quotation marks to use it as a value. (line 1, character 7)",
    ),
    ("a = ((c,d), d, e, f, yyy) and", "Expecting a field name at the end of the query."),
    ('comment !~ "brenden" and', "Expecting a field name at the end of the query."),
    (
        'comment !~ "brenden" jack = jill',
        "Expecting either 'OR' or 'AND' but got 'jack'. (line 1, character 22)",
    ),
    (
        ", a = b",
        "Expecting a field name but got ','. You must surround ',' in quotation marks to use it "
        "as a field name. (line 1, character 1)",
    ),
    ("project = CSP\nAND ) ", "(line 2, character 5)"),
]


@pytest.mark.parametrize(("jql", "message"), SYNTAX_CASES)
def test_unreadable_query_is_refused_with_jiras_syntax_message(jql: str, message: str) -> None:
    messages = refusal(jql)
    assert len(messages) == 1
    assert messages[0].startswith("Error in the JQL Query: ")
    assert messages[0].endswith(message)


def test_position_counts_lines_and_characters_from_one() -> None:
    [message] = refusal("project = CSP\nAND status = Done\n  AND ) ")
    assert message.endswith("(line 3, character 7)")


def test_the_leftmost_lexical_error_wins_over_a_later_one() -> None:
    [message] = refusal("summ\\qary ~ 'unclosed")
    assert "'\\q' is an illegal JQL escape sequence" in message


@pytest.mark.parametrize(
    "jql",
    [
        "",
        "   ",
        "ORDER BY created",
        'labels = "update"',
        'summary ~ "it\'s"',
        "key = CSP-12 AND project = csp",
        "status = In\\ Progress",
        "text ~ 'caf\\u00e9'",
        'summary ~ "win*" && labels in (a, "b c") || !(status = Done)',
    ],
)
def test_well_formed_queries_parse(jql: str) -> None:
    parse_jql(jql)


def test_escapes_are_resolved_in_bare_words_and_strings() -> None:
    query = parse_jql("status = In\\ Progress AND summary ~ 'caf\\u00e9 \\'x\\''")
    assert query.values_for("status") == frozenset({"In Progress"})
