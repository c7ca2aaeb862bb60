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


def fit_description(text: str) -> str:
    return fit(text, DESCRIPTION_LIMIT, marker="\n" + ELLIPSIS + " (cut to Jira's limit)")


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
