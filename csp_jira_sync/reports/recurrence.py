"""Recurring problems: escalations that are the same problem again. Pure.

Two escalations are the same problem when they have the same customer and the same NOC
`fingerprint`; where the first event carries none, the same customer, service and normalised
title (lower case, digits and hex ids masked, punctuation and spacing folded), so that
"Disk 91% full on db-07" and "disk 97% full on db-12" recur. Groups are per customer: a Problem
record is raised and labelled for one customer (issue 9), and a fingerprint that two customers'
alerts share is two customers' problems.

`recurring_groups` is what the trend report shows and what the Problem records (h7) are raised
from: call it with the threshold's window and `minimum` = the threshold.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from csp_jira_sync.reports.facts import EscalationFacts

_HEX = re.compile(r"\b(?=[0-9a-f]*\d)[0-9a-f]{6,}\b")
_DIGITS = re.compile(r"\d+")
_PUNCT = re.compile(r"[^\w#]+")


def normalise_title(title: str) -> str:
    text = _HEX.sub("#", title.lower())
    text = _DIGITS.sub("#", text)
    return " ".join(_PUNCT.sub(" ", text).split())


def problem_key(facts: EscalationFacts) -> str:
    """`fingerprint:<fp>`, or `title:<service>:<normalised title>` where there is no fingerprint."""
    first = facts.first
    if first.fingerprint:
        return f"fingerprint:{first.fingerprint}"
    return f"title:{first.service}:{normalise_title(first.title)}"


@dataclass(frozen=True)
class RecurringGroup:
    customer: str
    key: str  # problem_key
    fingerprint: str | None
    service: str
    title: str  # the first escalation's title, for people
    category: str | None  # Jira's category of the newest escalation
    escalation_ids: tuple[str, ...]  # by first event
    issue_keys: tuple[str, ...]  # every generation of each, in the same order
    seen: tuple[datetime, ...]  # each escalation's first event, same order

    @property
    def first_seen(self) -> datetime:
        return self.seen[0]

    @property
    def last_seen(self) -> datetime:
        return self.seen[-1]


def recurring_groups(
    escalations: Iterable[EscalationFacts],
    start: datetime,
    end: datetime,
    *,
    minimum: int = 2,
) -> list[RecurringGroup]:
    """Groups of at least `minimum` escalations of one problem whose first events fall in
    [start, end), ordered by first seen."""
    grouped: dict[tuple[str, str], list[EscalationFacts]] = {}
    for facts in escalations:
        if start <= facts.first.occurred_at < end:
            grouped.setdefault((facts.customer, problem_key(facts)), []).append(facts)
    out = []
    for (customer, key), members in grouped.items():
        if len(members) < minimum:
            continue
        members.sort(key=lambda f: (f.first.occurred_at, f.escalation_id))
        first, newest = members[0].first, members[-1]
        out.append(
            RecurringGroup(
                customer=customer,
                key=key,
                fingerprint=first.fingerprint,
                service=first.service,
                title=first.title,
                category=newest.jira.category if newest.jira else None,
                escalation_ids=tuple(f.escalation_id for f in members),
                issue_keys=tuple(k for f in members for k in f.issue_keys),
                seen=tuple(f.first.occurred_at for f in members),
            )
        )
    out.sort(key=lambda g: (g.first_seen, g.customer, g.key))
    return out
