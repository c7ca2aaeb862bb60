"""Atlassian Document Format <-> plain text, for the v3 API's rich-text fields.

v3 takes and returns descriptions, comment bodies and worklog comments as ADF documents; v2 uses
plain strings (wiki markup). The sandbox stores the text (what JQL's `~` searches) and, when a
client sent ADF, the document itself, so a v3 client reads back exactly what it wrote.
"""

from __future__ import annotations

from typing import Any


def text_to_adf(text: str) -> dict[str, Any]:
    """One paragraph per blank-line-separated block; single newlines become hard breaks."""
    content: list[dict[str, Any]] = []
    for block in text.split("\n\n"):
        if not block:
            continue
        inline: list[dict[str, Any]] = []
        for index, line in enumerate(block.split("\n")):
            if index:
                inline.append({"type": "hardBreak"})
            if line:
                inline.append({"type": "text", "text": line})
        content.append({"type": "paragraph", "content": inline})
    return {"type": "doc", "version": 1, "content": content}


def adf_to_text(document: dict[str, Any]) -> str:
    """The visible text of an ADF document: blocks separated by blank lines."""
    blocks: list[str] = []
    for node in document.get("content", []):
        if isinstance(node, dict):
            blocks.append(_node_text(node))
    return "\n\n".join(block for block in blocks if block)


def _node_text(node: dict[str, Any]) -> str:
    kind = node.get("type")
    attrs = node.get("attrs") if isinstance(node.get("attrs"), dict) else {}
    assert isinstance(attrs, dict)
    if kind == "text":
        return str(node.get("text", ""))
    if kind == "hardBreak":
        return "\n"
    if kind in ("mention", "emoji", "status", "date", "placeholder"):
        return str(attrs.get("text", attrs.get("shortName", attrs.get("timestamp", ""))))
    if kind in ("inlineCard", "blockCard"):
        return str(attrs.get("url", ""))
    children = [child for child in node.get("content", []) if isinstance(child, dict)]
    if kind in ("bulletList", "orderedList", "taskList", "decisionList", "tableRow", "table"):
        return "\n".join(_node_text(child) for child in children)
    return "".join(_node_text(child) for child in children)


def adf_problem(value: object) -> str | None:
    """Why `value` is not an ADF document, or None when it is one."""
    if not isinstance(value, dict):
        return "not an object"
    if value.get("type") != "doc":
        return "the top-level node must have type 'doc'"
    if value.get("version") != 1:
        return "the document version must be 1"
    content = value.get("content")
    if not isinstance(content, list):
        return "the document must have a content array"
    return _nodes_problem(content)


def _nodes_problem(nodes: list[Any]) -> str | None:
    for node in nodes:
        if not isinstance(node, dict) or not isinstance(node.get("type"), str):
            return "every node must be an object with a type"
        if node["type"] == "text" and not isinstance(node.get("text"), str):
            return "a text node must carry a text string"
        children = node.get("content")
        if children is not None:
            if not isinstance(children, list):
                return f"the content of a '{node['type']}' node must be an array"
            problem = _nodes_problem(children)
            if problem:
                return problem
    return None
