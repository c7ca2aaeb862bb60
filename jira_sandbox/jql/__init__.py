"""The sandbox's JQL engine: a lark grammar, Jira's error wording, closures for speed.

    query = parse_jql('project = CSP AND labels = "csp-ref-abc" ORDER BY created DESC')
    query.check_values(server_knows)        # 400s that depend on state: unknown project...
    hits = query.search(docs, JqlContext(now=..., timezone=ZoneInfo("Europe/Berlin"),
                                         current_user=caller))

parse_jql raises JqlError (Jira's messages in `.messages`) for anything Jira answers with 400;
the engine never falls back to matching everything. Module map: parser (grammar.lark to a
syntax tree, syntax errors), validate (fields, operators, values, functions), evaluate (tree
to closures), ordering (ORDER BY), text_search (~), dates and functions (date arithmetic).
"""

from .errors import JqlError
from .model import DEFAULT_PRIORITY_ORDER, IssueDoc, JqlContext, UserRef
from .ordering import SortField
from .query import JqlQuery, parse_jql

__all__ = [
    "DEFAULT_PRIORITY_ORDER",
    "IssueDoc",
    "JqlContext",
    "JqlError",
    "JqlQuery",
    "SortField",
    "UserRef",
    "parse_jql",
]
