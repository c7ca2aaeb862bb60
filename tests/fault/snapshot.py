"""What landed in Jira, normalised so that two runs of one stream can be compared: the synced
issues by their reference label (keys, ids and times differ between runs and are left out),
each with its labels, status, summary, description and comment texts; and the counts the
harness requires to be zero.

Two things depend on timing, not on correctness, and are normalised away:
- the order of an issue's comments, and the "(arrived late: ...)" notes: when an acknowledgement
  is delivered after the resolve, the daemon notes it as late if the resolve was applied first,
  but applies both in `occurred_at` order when both are waiting (after a restart, say); a late
  event that changes the outcome (a resolve before an applied reopen) is noted as applied in
  the NOC's order. The comments are compared as a sorted list, without those notes;
- a Problem record's description (see `snapshot`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

REF_PREFIX = "csp-ref-"
PROBLEM_LABEL = "csp-problem-record"
LATE_NOTE = "(arrived late: a newer update is already applied, status unchanged)\n\n"
REPLAYED_NOTE = "(arrived late: applied in the NOC's order)\n\n"
_KEY = re.compile(r"\b[A-Z][A-Z0-9]+-\d+\b")
_MARKER = re.compile(r"\[csp-event [^\]\s]+\]")


@dataclass(frozen=True)
class IssueFacts:
    labels: tuple[str, ...]
    status: str
    summary: str
    description: str
    comments: tuple[str, ...]

    @property
    def texts(self) -> tuple[str, ...]:
        return (self.description, *self.comments)


# Every issue carrying a reference label, under that label (more than one is a duplicate).
Snapshot = dict[str, list[IssueFacts]]


def snapshot(issues: Iterable[Mapping[str, Any]]) -> Snapshot:
    """From the sandbox's admin view (`sandbox.admin.issues()`): issues without a reference
    label (made by people, or by the seed) are not the daemon's and are left out."""
    issues = list(issues)
    # Issue keys differ between runs: a text naming another synced issue names it by reference.
    refs_by_key = {
        str(issue["key"]): next(label for label in issue["labels"] if label.startswith(REF_PREFIX))
        for issue in issues
        if any(label.startswith(REF_PREFIX) for label in issue["labels"])
    }

    def by_reference(key: re.Match[str]) -> str:
        ref = refs_by_key.get(key.group(0))
        return f"<{ref}>" if ref else key.group(0)

    def text(value: Any) -> str:
        return _KEY.sub(by_reference, _text(value))

    found: Snapshot = {}
    for issue in issues:
        refs = [label for label in issue["labels"] if label.startswith(REF_PREFIX)]
        if not refs:
            continue
        description = text(issue.get("description"))
        if PROBLEM_LABEL in issue["labels"]:
            # A Problem record's description lists the escalations seen when the periodic pass
            # raised it (later ones are linked, not added), and every daemon start runs that
            # pass: where kills fall moves it. Compared: that it exists, its labels and status.
            description = PROBLEM_LABEL
        facts = IssueFacts(
            labels=tuple(sorted(issue["labels"])),
            status=str(issue["status"]),
            summary=str(issue.get("summary") or ""),
            description=description,
            comments=tuple(
                sorted(
                    text(comment["body"]).replace(LATE_NOTE, "").replace(REPLAYED_NOTE, "")
                    for comment in issue["comments"]
                )
            ),
        )
        for ref in refs:
            found.setdefault(ref, []).append(facts)
    return found


def duplicate_issues(found: Snapshot) -> int:
    """Issues beyond the first for one reference label."""
    return sum(len(issues) - 1 for issues in found.values())


def duplicate_comments(found: Snapshot) -> int:
    """Texts beyond the first that carry one event's marker (across all of an item's issues),
    plus comments repeated word for word on one issue."""
    distinct = _distinct_issues(found)
    by_marker = Counter(
        marker for issue in distinct for text in issue.texts for marker in _markers(text)
    )
    repeated = sum(n - 1 for issue in distinct for n in Counter(issue.comments).values())
    return repeated + sum(n - 1 for n in by_marker.values())


def lost_events(found: Snapshot, markers: Iterable[str]) -> list[str]:
    """The markers of accepted events that no issue text carries."""
    seen = {
        marker
        for issue in _distinct_issues(found)
        for text in issue.texts
        for marker in _markers(text)
    }
    return sorted(set(markers) - seen)


def differences(expected: Snapshot, actual: Snapshot, *, limit: int = 10) -> list[str]:
    """How `actual` differs from `expected`: one line per reference and differing field, at
    most `limit` lines."""
    lines: list[str] = []
    for ref in sorted(set(expected) | set(actual)):
        want, got = expected.get(ref, []), actual.get(ref, [])
        if want == got:
            continue
        if len(want) != len(got):
            lines.append(f"{ref}: {len(want)} issue(s) expected, {len(got)} found: {got or want}")
        for wanted, found in zip(want, got, strict=False):
            for name in ("labels", "status", "summary", "description", "comments"):
                if getattr(wanted, name) != getattr(found, name):
                    lines.append(
                        f"{ref} {name}: expected {getattr(wanted, name)!r}, "
                        f"found {getattr(found, name)!r}"
                    )
        if len(lines) >= limit:
            return [*lines[:limit], "..."]
    return lines


def _distinct_issues(found: Snapshot) -> list[IssueFacts]:
    seen: dict[int, IssueFacts] = {}
    for issues in found.values():
        for issue in issues:
            seen.setdefault(id(issue), issue)
    return list(seen.values())


def _markers(text: str) -> list[str]:
    return _MARKER.findall(text)


def _text(value: Any) -> str:
    """Plain text of a wiki-markup string or an ADF document (the v3 API's shape)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        if value.get("type") == "text":
            return str(value.get("text", ""))
        return "".join(_text(child) for child in value.get("content", []))
    if isinstance(value, list):
        return "".join(_text(child) for child in value)
    return str(value)
