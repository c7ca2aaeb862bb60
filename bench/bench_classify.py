"""How fast the learned request classifier is: per request, loading, training.

Run: .venv/bin/python bench/bench_classify.py [--repeat R] [--train-size N]

Prints:
- p50 and p99 per request of the learned classifier over every labelled request in
  mappings/examples: overrides, model, decision, the explanation (words, runner-up, closest
  examples, the out-of-scope kind) and `explain()`, the sentence the daemon writes into every
  issue's description and the triage pass into its reason. The first pass is text the process
  has not seen (as every request the daemon gets); passes 2..R read the same text again, with
  the per-word caches warm, and are printed apart. The hand-written rules alone beside it;
- the time to load a saved model (sha256 check and joblib) in a fresh process;
- the time to train on N examples (default 5,000). The shipped data has fewer, so the set is
  synthesised by resampling it with replacement (seeded), which the output says.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from csp_jira_sync.classify import classify, compile_rules, load_classification_rules
from csp_jira_sync.classify.model import fit
from csp_jira_sync.classify.training import (
    CHOSEN_PARAMS,
    TRAINING_WORKERS,
    current_classifier,
    read_heldout_files,
    read_training_files,
)
from csp_jira_sync.config.mappings import load_mappings

REPO = Path(__file__).resolve().parent.parent


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--train-size", type=int, default=5000)
    args = parser.parse_args()
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min)")
    mappings = load_mappings(REPO / "mappings")
    catalog = mappings.catalog
    records = read_training_files(REPO / "mappings", catalog)
    with tempfile.TemporaryDirectory() as folder:
        models = Path(folder)
        started = time.perf_counter()
        learned, info = current_classifier(
            models, REPO / "mappings", catalog, now=lambda: datetime.now(UTC)
        )
        print(
            f"trained the shipped model on {info.examples} examples in "
            f"{time.perf_counter() - started:.1f} s (with its 5-fold temperature and evaluation)"
        )
        rules = compile_rules(load_classification_rules(REPO / "mappings", catalog), catalog)
        heldout = [
            r for held in read_heldout_files(REPO / "mappings", catalog).values() for r in held
        ]
        for name, classifier in (("learned", learned), ("rules alone", rules)):
            for record in heldout[:20]:  # first calls (imports, allocations), on other text
                classify(record.subject, record.body, classifier, catalog).explain()
            for number in range(args.repeat):
                times: list[float] = []
                for record in records:
                    one = time.perf_counter()
                    classify(record.subject, record.body, classifier, catalog).explain()
                    times.append(time.perf_counter() - one)
                what = "first reading" if number == 0 else f"read again ({number + 1})"
                print(
                    f"{name}, {what}: {len(records)} requests: "
                    f"p50 {statistics.median(times) * 1000:.2f} ms, "
                    f"p99 {percentile(times, 0.99) * 1000:.2f} ms, "
                    f"max {max(times) * 1000:.2f} ms per request"
                )
        load = (
            "import time, sys; from pathlib import Path; "
            "from csp_jira_sync.classify.model_files import load, current_version; "
            "from csp_jira_sync.classify.learned import LearnedClassifier; "
            "d = Path(sys.argv[1]); v = current_version(d); s = time.perf_counter(); "
            "m = load(d, v); LearnedClassifier(m.model, m.thresholds, v); "
            "print(f'{time.perf_counter() - s:.3f}')"
        )
        loaded = subprocess.run(
            [sys.executable, "-c", load, str(models)], capture_output=True, text=True, check=True
        )
        print(
            f"model load in a fresh process (sha256, joblib, the one-request scorer): {float(loaded.stdout):.3f} s"
        )
    rng = random.Random(20261202)
    resampled = [rng.choice(records) for _ in range(args.train_size)]
    started = time.perf_counter()
    fit(resampled, CHOSEN_PARAMS, workers=TRAINING_WORKERS)
    print(
        f"training on {args.train_size} examples, synthesised by resampling the "
        f"{len(records)} shipped ones with replacement, {TRAINING_WORKERS} worker processes "
        f"(as `classify train` and `serve`): {time.perf_counter() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
