"""Jira's text limits and formats.

Jira rejects summaries over 255 characters and descriptions over 32,767 (jiralert #146, #123,
#41); it counts UTF-16 code units, as Java strings do, so an emoji counts twice. Cutting must not
split a surrogate pair or leave a combining mark without its base. v3 wants Atlassian Document
Format for rich text (alertmanager #4585); v2 takes wiki-markup strings.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

SUMMARY_LIMIT = 255
DESCRIPTION_LIMIT = 32_767
COMMENT_LIMIT = 32_767
ELLIPSIS = "…"
_ZWJ = "\u200d"


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def fit(text: str, limit: int, *, marker: str = ELLIPSIS) -> str:
    """`text` cut to at most `limit` UTF-16 units (marker included), on a character boundary."""
    if utf16_length(text) <= limit:
        return text
    budget = limit - utf16_length(marker)
    used = 0
    end = 0
    for index, char in enumerate(text):
        width = 2 if ord(char) > 0xFFFF else 1
        if used + width > budget:
            break
        used += width
        end = index + 1
    # Never leave a dangling combining mark or joiner: back up to the start of the cluster.
    while (
        end > 0
        and end < len(text)
        and (unicodedata.combining(text[end]) or text[end] == _ZWJ or text[end - 1] == _ZWJ)
    ):
        end -= 1
    return text[:end].rstrip() + marker


def fit_summary(text: str) -> str:
    """One line, no control characters, at most 255 characters (Jira's summary rule)."""
    one_line = re.sub(r"\s+", " ", text).strip()
    return fit(one_line, SUMMARY_LIMIT)


CUT_NOTE = "\n" + ELLIPSIS + " (cut to Jira's limit)"

# The daemon ends a description or comment with a marker line ("[csp-event kind:id]",
# "[csp-allowance ...]") that it later searches for to tell whether a call landed (exactly
# once after a crash). The marker must survive the cut to Jira's limit, and no text a sender
# wrote may contain one, or a search would take a sender's copy for the daemon's.
_FINAL_MARKER = re.compile(r"(?:\A|\n)[ \t]*(\[csp-[a-z]+ [^\[\]\n]*\])\s*\Z")
_MARKER_START = "[csp-"
_DEFUSED_MARKER_START = "[\u200bcsp-"  # a zero-width space: reads the same, matches nothing


def split_marker(text: str) -> tuple[str, str]:
    """`text` as (body, final marker line), the marker "" when the last line is not one."""
    found = _FINAL_MARKER.search(text)
    if found is None:
        return text, ""
    return text[: found.start()].rstrip(), found.group(1)


def _join(body: str, marker: str) -> str:
    return f"{body}\n\n{marker}" if marker else body


def fit_description(text: str) -> str:
    """At most Jira's 32,767 characters, with a note where it was cut; a final marker line
    is kept whole after the cut."""
    if utf16_length(text) <= DESCRIPTION_LIMIT:
        return text
    body, marker = split_marker(text)
    budget = DESCRIPTION_LIMIT - (utf16_length(marker) + 2 if marker else 0)
    return _join(fit(body.rstrip(), budget, marker=CUT_NOTE), marker)


def plain_text(text: str) -> str:
    """Text for a Jira text field as it is, except that no marker but the final line's can
    be found in it; within Jira's limit (defusing a marker lengthens the text)."""
    body, marker = split_marker(text)
    return fit_description(_join(body.replace(_MARKER_START, _DEFUSED_MARKER_START), marker))


# v2 renders descriptions and comments as wiki markup. A sender's text must stay text: no
# macro ({noformat}, {code}, {color:...}, {html}), link or mention ([text|url], [~user]),
# image or attachment (!url!), table (|) of its making. Each of those characters is escaped
# with a backslash, as Jira's own editor does; a backslash itself is written as an entity,
# since two backslashes are a line break in wiki markup (and would undo the next escape).
_WIKI_SPECIAL = re.compile(r"[{}\[\]!|]")
_WIKI_BACKSLASH = "&#92;"


def wiki_text(text: str) -> str:
    """Plain text as v2 wiki markup that renders as the same text, within Jira's limit, with
    the final marker line kept as it is (the daemon searches comments for it verbatim)."""
    body, marker = split_marker(plain_text(text))
    escaped = _WIKI_SPECIAL.sub(
        lambda match: "\\" + match.group(), body.replace("\\", _WIKI_BACKSLASH)
    )
    budget = DESCRIPTION_LIMIT - (utf16_length(marker) + 2 if marker else 0)
    if utf16_length(escaped) > budget:
        cut = fit(escaped.rstrip(), budget - utf16_length(CUT_NOTE), marker="")
        # Never end on half an escape: a lone backslash or a partial entity.
        cut = re.sub(r"(?:\\|&(?:#\d*)?)\Z", "", cut).rstrip()
        escaped = cut + CUT_NOTE
    return _join(escaped, marker)


def to_adf(text: str) -> dict[str, Any]:
    """Plain text as an Atlassian Document Format document: one paragraph per block, hard
    breaks inside a block."""
    content: list[dict[str, Any]] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        nodes: list[dict[str, Any]] = []
        for i, line in enumerate(block.split("\n")):
            if i:
                nodes.append({"type": "hardBreak"})
            if line:
                nodes.append({"type": "text", "text": line})
        if nodes:
            content.append({"type": "paragraph", "content": nodes})
    return {"type": "doc", "version": 1, "content": content}


def from_adf(node: Any) -> str:
    """The plain text of an ADF document (or a v2 string, returned as is)."""
    if node is None:
        return ""
    if isinstance(node, str):
        return node
    if not isinstance(node, dict):
        return ""
    kind = node.get("type")
    if kind == "text":
        return str(node.get("text", ""))
    if kind == "hardBreak":
        return "\n"
    inner = "".join(from_adf(child) for child in node.get("content", []) or [])
    if kind in {"paragraph", "heading", "blockquote", "listItem", "codeBlock"}:
        return inner + "\n"
    if kind == "doc":
        return inner.strip("\n")
    return inner
