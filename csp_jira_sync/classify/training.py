"""What the learned classifier is trained and gated on, read from the mappings directory.

- Training: every `examples/*.jsonl` (the shipped labelled requests, and the independent sets
  folded in after their first run), plus the corrections CSPs made in Jira (read from the store
  by the caller and passed in).
- The gate: every `heldout/*.jsonl`. Never trained on; a new model replaces the current one only
  if it scores at least as well on them, all of them together (`passes_gate`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from csp_jira_sync.classify.compiled import compile_rules
from csp_jira_sync.classify.dataset import OUT_OF_SCOPE, LabelledRequest, read_labelled
from csp_jira_sync.classify.evaluate import Evaluation, evaluate
from csp_jira_sync.classify.learned import LearnedClassifier
from csp_jira_sync.classify.loading import EXAMPLES_DIR, load_classification_rules, load_examples
from csp_jira_sync.classify.model import (
    FittedModel,
    ModelParams,
    Thresholds,
    decide,
    fingerprint,
    fit,
)
from csp_jira_sync.classify.model_files import (
    ModelInfo,
    current_version,
    libraries,
    load,
    params_json,
    promote,
    read_info,
    save,
)
from csp_jira_sync.classify.overrides import Overrides, load_overrides
from csp_jira_sync.config.catalog import Catalog
from csp_jira_sync.errors import ConfigError

log = logging.getLogger(__name__)

HELDOUT_DIR = "heldout"
# Chosen by cross-validation on the training data only: docs/classification.md, bench/cv_classify.py.
CHOSEN_PARAMS = ModelParams(ask_words=True)
CHOSEN_THRESHOLDS = Thresholds()
# The liblinear fits of a training run go to this many worker processes (`model.training_pool`)
# once the data is large enough for starting them to pay: on 2,268 records six fits take about
# 20 s on one core, and starting a worker about 1 s.
TRAINING_WORKERS = 2
WORKERS_FROM = 500  # records


def read_training_files(mappings_dir: Path, catalog: Catalog) -> tuple[LabelledRequest, ...]:
    examples = load_examples(mappings_dir / EXAMPLES_DIR, catalog)
    if not examples:
        raise ConfigError(
            f"{mappings_dir / EXAMPLES_DIR}: no labelled examples (*.jsonl); the classifier "
            "cannot be trained without them"
        )
    return examples


def read_heldout_files(
    mappings_dir: Path, catalog: Catalog
) -> dict[str, tuple[LabelledRequest, ...]]:
    """Each held-out set by file name (none when the folder is missing)."""
    directory = mappings_dir / HELDOUT_DIR
    if not directory.is_dir():
        return {}
    return {path.stem: read_labelled(path, catalog) for path in sorted(directory.glob("*.jsonl"))}


def combined(
    files: Sequence[LabelledRequest], corrections: Sequence[LabelledRequest]
) -> tuple[LabelledRequest, ...]:
    """The shipped examples, then the corrections; a correction of the same text replaces the
    example (the person's newer answer wins), and of several corrections the last one."""
    by_text: dict[tuple[str, str], LabelledRequest] = {}
    for record in (*files, *corrections):
        key = (record.subject.strip(), record.body.strip())
        by_text.pop(key, None)
        by_text[key] = record
    return tuple(by_text.values())


@dataclass(frozen=True)
class Trained:
    classifier: LearnedClassifier
    info: ModelInfo


def train(
    records: Sequence[LabelledRequest],
    heldout: Mapping[str, Sequence[LabelledRequest]],
    catalog: Catalog,
    *,
    now: datetime,
    corrections: int = 0,
    params: ModelParams = CHOSEN_PARAMS,
    thresholds: Thresholds = CHOSEN_THRESHOLDS,
    overrides: Overrides | None = None,
) -> Trained:
    """Fit a model on `records` and evaluate it: cross-validated on the records themselves, and
    on each held-out set (never trained on)."""
    model = fit(records, params, workers=TRAINING_WORKERS if len(records) >= WORKERS_FROM else 1)
    digest = fingerprint(records)
    version = f"{now.strftime('%Y%m%dT%H%M%SZ')}-{digest[:8]}"
    classifier = LearnedClassifier(model, thresholds, version, overrides or Overrides())
    evaluation: dict[str, Any] = {"cross_validated": _cross_validated(model, records, thresholds)}
    for name, held in heldout.items():
        evaluation[name] = summary(evaluate(held, classifier, catalog))
    info = ModelInfo(
        version=version,
        trained_at=now.isoformat(),
        fingerprint=digest,
        examples=len(records),
        corrections=corrections,
        libraries=libraries(),
        thresholds=asdict(thresholds),
        evaluation=evaluation,
        params=params_json(params),
    )
    return Trained(classifier, info)


def summary(result: Evaluation) -> dict[str, Any]:
    return {
        "total": result.total,
        "activities": round(result.activities.accuracy, 4),
        "activities_right": result.activities.correct,
        "activities_total": result.activities.total,
        "categories": round(result.categories.accuracy, 4),
        "out_of_scope_forced": result.out_of_scope_forced,
        "out_of_scope_total": result.out_of_scope.total,
        "triage": result.triage,
    }


def _cross_validated(
    model: FittedModel, records: Sequence[LabelledRequest], thresholds: Thresholds
) -> dict[str, Any]:
    if not len(model.out_of_fold):
        return {}
    activity_total = activity_right = forced = triaged = 0
    for row, record in zip(model.out_of_fold, records, strict=True):
        answer, _ = decide(list(row), model.classes, thresholds)
        triaged += answer == "triage"
        if record.expected_activity == OUT_OF_SCOPE:
            forced += answer not in ("triage", OUT_OF_SCOPE)
        else:
            activity_total += 1
            activity_right += answer == record.expected_activity
    return {
        "total": len(records),
        "activities": round(activity_right / activity_total, 4) if activity_total else 0.0,
        "out_of_scope_forced": forced,
        "triage": triaged,
    }


def passes_gate(new: ModelInfo, old: ModelInfo | None) -> tuple[bool, str]:
    """A new model replaces the current one only if, over every held-out set both were
    measured on taken together, it forces no more out-of-scope requests and gets at least as
    many activities right.

    Together means pooled: the requests of all the sets counted once each, so a set of 30
    requests weighs a fifth of one of 150, and one request's luck in a small set cannot veto a
    model that is better over all of them. Forcing is counted the same way: the customer pays
    for each forced request, whichever set it came from. The reason names each set's figures."""
    if old is None:
        return True, "no current model"
    names = [n for n in new.evaluation if n != "cross_validated" and n in old.evaluation]
    if not names:
        return True, "no held-out set both models were measured on"
    right_new = right_old = activities = forced_new = forced_old = 0.0
    each = []
    for name in names:
        after, before = new.evaluation[name], old.evaluation[name]
        now_right, total = _activity_counts(after)
        was_right, _ = _activity_counts(before)
        right_new, right_old, activities = (
            right_new + now_right,
            right_old + was_right,
            activities + total,
        )
        forced_new += after["out_of_scope_forced"]
        forced_old += before["out_of_scope_forced"]
        each.append(
            f"{name}: activities {after['activities']:.1%} (was {before['activities']:.1%}), "
            f"forced {after['out_of_scope_forced']} (was {before['out_of_scope_forced']})"
        )
    worse = []
    if forced_new > forced_old:
        worse.append(f"forces {forced_new:g} out-of-scope (was {forced_old:g})")
    if right_new < right_old - 1e-9:
        worse.append(f"{right_new:g} activities right (was {right_old:g})")
    together = (
        f"{len(names)} held-out set(s) together: {right_new:g}/{activities:g} activities right "
        f"(was {right_old:g}), {forced_new:g} forced (was {forced_old:g})"
    )
    verdict = "worse: " + ", ".join(worse) if worse else "at least as good"
    return not worse, f"{verdict} over {together}; " + "; ".join(each)


def _activity_counts(figures: Mapping[str, Any]) -> tuple[float, float]:
    """(activities right, activity requests) of one held-out set's figures. Figures saved
    before the counts were (a model.json from an older version) give the rate over the set's
    in-scope requests; `retrain` measures the current model afresh anyway."""
    if "activities_total" in figures:
        return float(figures["activities_right"]), float(figures["activities_total"])
    total = float(figures.get("total", 0) - figures.get("out_of_scope_total", 0)) or 1.0
    return float(figures["activities"]) * total, total


@dataclass(frozen=True)
class Retrained:
    old: ModelInfo | None
    new: ModelInfo | None  # None: the training data did not change, nothing was trained
    promoted: bool
    reason: str


def current_classifier(
    model_dir: Path,
    mappings_dir: Path,
    catalog: Catalog,
    *,
    now: Callable[[], datetime],
    corrections: Callable[[], Sequence[LabelledRequest]] = tuple,
) -> tuple[LearnedClassifier, ModelInfo]:
    """The model that passed the gate; on a machine with none yet, one trained now from the
    shipped labelled data (and any corrections), saved and made current."""
    overrides = load_overrides(mappings_dir, catalog)
    version = current_version(model_dir)
    if version is None:
        result = retrain(model_dir, mappings_dir, catalog, now=now(), corrections=corrections())
        assert result.new is not None
        log.info(
            "classify.model_trained version=%s examples=%d dir=%s reason=no model yet",
            result.new.version,
            result.new.examples,
            model_dir,
        )
        version = result.new.version
    saved = load(model_dir, version)
    rules = compile_rules(load_classification_rules(mappings_dir, catalog), catalog)
    classifier = LearnedClassifier(saved.model, saved.thresholds, version, overrides, rules)
    return classifier, saved.info


def retrain(
    model_dir: Path,
    mappings_dir: Path,
    catalog: Catalog,
    *,
    now: datetime,
    corrections: Sequence[LabelledRequest] = (),
    force: bool = False,
) -> Retrained:
    """Train on every labelled source and save the model; make it current only if it passes
    the gate (`passes_gate`) against the current one. Nothing is trained when the training data
    and the model's parameters are the current model's (unless `force`): a new version of the
    code that reads requests otherwise (`CHOSEN_PARAMS`) trains once, on the same data."""
    records = combined(read_training_files(mappings_dir, catalog), corrections)
    heldout = read_heldout_files(mappings_dir, catalog)
    version = current_version(model_dir)
    old = read_info(model_dir, version) if version is not None else None
    unchanged = (
        old is not None
        and old.fingerprint == fingerprint(records)
        and old.params == params_json(CHOSEN_PARAMS)
    )
    if unchanged and not force:
        assert old is not None
        return Retrained(
            old, None, False, "the training data and the model's parameters have not changed"
        )
    trained = train(
        records,
        heldout,
        catalog,
        now=now,
        corrections=len(corrections),
        overrides=load_overrides(mappings_dir, catalog),
    )
    if old is not None:
        # Measure the current model on today's held-out sets too, so the two are compared on
        # the same requests even when a set was added since it was trained.
        current = load(model_dir, old.version)
        current_classifier = LearnedClassifier(current.model, current.thresholds, old.version)
        old = replace(
            old,
            evaluation={
                **old.evaluation,
                **{
                    n: summary(evaluate(h, current_classifier, catalog)) for n, h in heldout.items()
                },
            },
        )
    info = save(model_dir, trained.classifier.model, trained.info)
    promoted, reason = passes_gate(info, old)
    if promoted:
        promote(model_dir, info.version)
    return Retrained(old, info, promoted, reason)
