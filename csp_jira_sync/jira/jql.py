"""Values in JQL. Every text that goes into a JQL query is a string literal made here, or an
identifier validated where it is read (the project key in `Settings`; numbers; issue ids
read from Jira).

Labels come from the mappings (`check_label` allows any character but white space, so a
quote can reach a label), customer names, services and fingerprints from senders: pasted
into a query unquoted, `acme"||labels="globex` would widen a search to another customer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["string", "strings"]

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_NEEDS_ESCAPE = re.compile(r'[\\"\n\r\t]')


def string(value: str) -> str:
    """`value` as one JQL string literal: double-quoted, with backslash, double quote and line
    breaks escaped, so that nothing in it can end the literal or add a clause."""
    return '"' + _NEEDS_ESCAPE.sub(lambda match: _ESCAPES[match.group()], value) + '"'


def strings(values: Iterable[str]) -> str:
    """A JQL list of string literals, for `in (...)`; at least one value."""
    literals = [string(value) for value in values]
    if not literals:
        raise ValueError("a JQL list needs at least one value")
    return "(" + ", ".join(literals) + ")"
