"""Deterministic labels that let the daemon find what it created, and name what it is about.

JQL cannot search issue properties without an installed app, so the reference that makes a
create findable after a crash is a label; it is a hash so that any source id fits Jira's label
rules (no spaces, at most 255 characters).
"""

from __future__ import annotations

import hashlib
import re

_UNSAFE = re.compile(r"[^a-z0-9._-]+")


def ref_label(kind: str, subject: str, generation: int = 1) -> str:
    digest = hashlib.sha256(f"{kind}\x00{subject}\x00{generation}".encode()).hexdigest()
    return f"csp-ref-{digest[:20]}"


def slug_label(prefix: str, value: str, *, limit: int = 80) -> str | None:
    """`prefix-value` made label-safe (lower case, no spaces), or None when nothing is left."""
    cleaned = _UNSAFE.sub("-", value.strip().lower()).strip("-.")[:limit].strip("-.")
    return f"{prefix}-{cleaned}" if cleaned else None


def event_marker(kind: str, event_id: str) -> str:
    """Text that a comment carries so a crashed or unanswered post can be found, not repeated."""
    return f"[csp-event {kind}:{event_id}]"
