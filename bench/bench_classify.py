"""How fast the request classifier is, with the shipped rules, over the labelled requests.

Run: .venv/bin/python bench/bench_classify.py [--repeat R]

Prints the time to compile the rules, and the median per-request time and requests per second
of R passes over tests/data/requests/*.jsonl (the typo cache warmed by one pass first, as it is
in a running daemon).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from csp_jira_sync.classify import classify, compile_rules, load_classification_rules, read_requests
from csp_jira_sync.config.mappings import load_mappings

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    mappings = load_mappings(REPO / "mappings")
    rules = load_classification_rules(REPO / "mappings", mappings.catalog)
    started = time.perf_counter()
    compiled = compile_rules(rules, mappings.catalog)
    compile_ms = (time.perf_counter() - started) * 1000
    requests = [
        r for f in sorted((REPO / "tests/data/requests").glob("*.jsonl")) for r in read_requests(f)
    ]
    for request in requests:
        classify(request.subject, request.body, compiled, mappings.catalog)
    per_request: list[float] = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        for request in requests:
            classify(request.subject, request.body, compiled, mappings.catalog)
        per_request.append((time.perf_counter() - started) / len(requests))
    median = statistics.median(per_request)
    print(f"rules compiled in {compile_ms:.1f} ms ({len(compiled.rules)} rules)")
    print(
        f"{len(requests)} requests x {args.repeat}: median {median * 1000:.3f} ms per request, "
        f"{1 / median:,.0f} requests/s"
    )


if __name__ == "__main__":
    main()
