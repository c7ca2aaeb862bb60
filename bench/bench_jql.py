"""How fast the sandbox's JQL engine parses and searches 10,000 issues.

Run: .venv/bin/python bench/bench_jql.py [--issues N] [--repeat R]

Prints the median milliseconds of R runs per query: a full scan (what search() costs when
the server hands it every document), the same query over the label index's pre-filtered
candidates (JqlQuery.label_equalities), and the parse time with and without the cache.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from jira_sandbox.jql import IssueDoc, JqlContext, JqlQuery, UserRef, parse_jql

QUERIES = [
    'project = CSP AND labels = "csp-ref-00042" ORDER BY created DESC',
    'project = CSP AND updated >= "2026-11-01 00:00" ORDER BY updated ASC',
    "project = CSP AND statusCategory != Done AND assignee = currentUser() "
    "ORDER BY priority DESC, updated DESC",
    "issuetype in (Incident, Problem) AND resolution = Unresolved AND created >= startOfMonth(-1)",
    'text ~ "disk full"',
    "",
]
USERS = [
    UserRef(f"acc-{name}", name, f"{name}@csp.example", name.replace(".", " ").title())
    for name in ("csp-sync", "csp.alice", "csp.bob", "csp.chen", "noc.dave", "noc.erin")
]
STATUSES = [
    ("To Do", "To Do"),
    ("In Progress", "In Progress"),
    ("Awaiting approval", "In Progress"),
    ("Done", "Done"),
]
TYPES = ["Task", "Incident", "Problem", "Service Request", "Report"]
PRIORITIES = ["Highest", "High", "Medium", "Low", "Lowest", None]
_VOCABULARY = "disk full database restart latency backup certificate expired network outage"
WORDS = _VOCABULARY.split()


def build_docs(count: int, rng: random.Random) -> list[IssueDoc]:
    start = datetime(2026, 6, 1, tzinfo=UTC)
    docs = []
    for n in range(1, count + 1):
        status, category = rng.choice(STATUSES)
        created = start + timedelta(minutes=rng.randrange(0, 240 * 24 * 60))
        updated = created + timedelta(minutes=rng.randrange(0, 30 * 24 * 60))
        resolved = updated if category == "Done" else None
        labels = tuple(
            f"csp-ref-{rng.randrange(count // 2):05d}" for _ in range(rng.choice((0, 1, 1, 2)))
        ) + (("csp",) if rng.random() < 0.8 else ())
        docs.append(
            IssueDoc(
                id=10000 + n,
                key=f"CSP-{n}",
                project_key="CSP",
                project_id=10000,
                issuetype=rng.choice(TYPES),
                status=status,
                status_category=category,
                labels=labels,
                summary=" ".join(rng.choices(WORDS, k=6)),
                description=" ".join(rng.choices(WORDS, k=40)),
                comments=tuple(" ".join(rng.choices(WORDS, k=15)) for _ in range(rng.randrange(3))),
                created=created,
                updated=updated,
                resolutiondate=resolved,
                resolution="Done" if resolved else None,
                priority=rng.choice(PRIORITIES),
                assignee=rng.choice([*USERS, None]),
                reporter=rng.choice(USERS),
            )
        )
    return docs


def median_ms(run: Callable[[], object], repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        timings.append((time.perf_counter() - began) * 1000)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args()

    docs = build_docs(args.issues, random.Random(20261118))
    by_label: dict[str, list[IssueDoc]] = {}
    for doc in docs:
        for label in doc.labels:
            by_label.setdefault(label.casefold(), []).append(doc)
    ctx = JqlContext(
        now=datetime(2026, 11, 18, 15, 30, tzinfo=ZoneInfo("Europe/Berlin")),
        timezone=ZoneInfo("Europe/Berlin"),
        current_user=USERS[1],
    )

    print(f"JQL over {len(docs):,} issues, median of {args.repeat} runs\n")
    print(f"{'query':<72} {'hits':>6} {'scan ms':>9} {'index ms':>9}")
    for text in QUERIES:
        query = parse_jql(text)
        hits = len(query.search(docs, ctx))  # also warms the text analysis cache
        scan = median_ms(partial(query.search, docs, ctx), args.repeat)
        labels = query.label_equalities()
        indexed = "-"
        if labels is not None:
            candidates = list({id(d): d for lb in labels for d in by_label.get(lb, [])}.values())
            indexed = f"{median_ms(partial(query.search, candidates, ctx), args.repeat):.3f}"
        shown = text if len(text) <= 70 else text[:67] + "..."
        print(
            f"{shown or '(empty: every issue, key DESC)':<72} {hits:>6} {scan:>9.2f} {indexed:>9}"
        )

    print()
    for text in QUERIES[:3]:
        cold = median_ms(partial(parse_uncached, text), args.repeat)
        warm = median_ms(partial(parse_jql, text), args.repeat)
        print(f"parse {text[:60]!r:<64} uncached {cold:6.3f} ms   cached {warm * 1000:6.2f} µs")


def parse_uncached(text: str) -> JqlQuery:
    parse_jql.cache_clear()
    return parse_jql(text)


if __name__ == "__main__":
    main()
