"""Saved models: what is saved with them, the sha256 check, the gate, retraining."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from csp_jira_sync.classify import LabelledRequest, read_labelled
from csp_jira_sync.classify.model_files import (
    INFO_FILE,
    MODEL_FILE,
    ModelInfo,
    current_version,
    load,
    read_info,
)
from csp_jira_sync.classify.training import current_classifier, passes_gate, retrain
from csp_jira_sync.config.catalog import Catalog
from csp_jira_sync.errors import ConfigError
from tests.classify.conftest import MAPPINGS, REQUESTS

NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


def small_mappings(tmp_path: Path, examples: int = 72) -> Path:
    """The shipped mappings with a small training set (three activities and out-of-scope) and
    a small held-out set, so that training takes a moment."""
    target = tmp_path / "mappings"
    shutil.copytree(MAPPINGS, target, ignore=shutil.ignore_patterns("examples", "heldout"))
    wanted = {"billing-enquiries", "service-reviews", "datacenter-tours", "out-of-scope"}
    records = [r for r in read_labelled(REQUESTS / "tuning.jsonl") if r.expected_activity in wanted]
    held = [r for r in read_labelled(REQUESTS / "heldout.jsonl") if r.expected_activity in wanted]
    write(target / "examples" / "requests.jsonl", records[:examples])
    write(target / "heldout" / "small.jsonl", held)
    return target


def write(path: Path, records: list[LabelledRequest]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(r.model_dump_json(exclude_defaults=True) + "\n" for r in records))


def test_a_fresh_machine_trains_saves_and_makes_current_one_model(
    tmp_path: Path, catalog: Catalog
) -> None:
    mappings = small_mappings(tmp_path)
    models = tmp_path / "models"
    classifier, info = current_classifier(models, mappings, catalog, now=lambda: NOW)
    assert current_version(models) == info.version == classifier.version
    assert info.version.startswith("20261202T030000Z-")
    saved = json.loads((models / info.version / INFO_FILE).read_text())
    assert saved["fingerprint"] == info.fingerprint and len(info.fingerprint) == 64
    assert {"scikit-learn", "numpy", "scipy", "joblib", "python"} <= set(saved["libraries"])
    assert set(saved["evaluation"]) == {"cross_validated", "small"}
    assert saved["thresholds"]["out_of_scope_guard"] < saved["thresholds"]["activity"]
    # A second start loads it; nothing is trained again.
    _, same = current_classifier(models, mappings, catalog, now=lambda: NOW)
    assert same.version == info.version and len(list(models.iterdir())) == 2


def test_a_changed_model_file_is_refused_before_it_is_loaded(
    tmp_path: Path, catalog: Catalog
) -> None:
    mappings = small_mappings(tmp_path)
    models = tmp_path / "models"
    _, info = current_classifier(models, mappings, catalog, now=lambda: NOW)
    path = models / info.version / MODEL_FILE
    path.write_bytes(path.read_bytes() + b"tampered")
    fresh = tmp_path / "copy"
    shutil.copytree(models, fresh)  # a new process: nothing cached for this directory
    with pytest.raises(ConfigError, match="sha256") as caught:
        load(fresh, info.version)
    assert "classify train" in str(caught.value)


def info(**evaluation: dict[str, Any]) -> ModelInfo:
    return ModelInfo(
        version="v",
        trained_at="",
        fingerprint="f",
        examples=1,
        corrections=0,
        libraries={},
        thresholds={},
        evaluation=evaluation,
    )


def figures(activities: float, forced: int, total: int = 100) -> dict[str, Any]:
    return {
        "activities": activities,
        "activities_right": round(activities * total),
        "activities_total": total,
        "out_of_scope_forced": forced,
    }


@pytest.mark.parametrize(
    ("new", "old", "passes"),
    [
        (info(a=figures(0.95, 0)), None, True),
        (info(a=figures(0.95, 0)), info(a=figures(0.95, 0)), True),
        (info(a=figures(0.97, 0)), info(a=figures(0.95, 0)), True),
        (info(a=figures(0.94, 0)), info(a=figures(0.95, 0)), False),
        (info(a=figures(0.99, 1)), info(a=figures(0.95, 0)), False),
        # Several sets are decided together: two more right on one set and one fewer on the
        # other is one more right in all.
        (
            info(a=figures(0.97, 0), b=figures(0.90, 0)),
            info(a=figures(0.95, 0), b=figures(0.91, 0)),
            True,
        ),
        # ... and fewer right in all is worse, however the rates average.
        (
            info(a=figures(0.90, 0, total=100), b=figures(1.0, 0, total=10)),
            info(a=figures(0.95, 0, total=100), b=figures(0.8, 0, total=10)),
            False,
        ),
        # A forced request counts wherever it is: one more on one set, one fewer on another.
        (
            info(a=figures(0.95, 1), b=figures(0.95, 0)),
            info(a=figures(0.95, 0), b=figures(0.95, 1)),
            True,
        ),
        (
            info(a=figures(0.99, 1), b=figures(0.99, 1)),
            info(a=figures(0.95, 0), b=figures(0.95, 1)),
            False,
        ),
        # The cross-validated figure is over different data each time: not part of the gate.
        (
            info(cross_validated=figures(0.5, 9), a=figures(0.95, 0)),
            info(cross_validated=figures(0.9, 0), a=figures(0.95, 0)),
            True,
        ),
        # Figures saved before the counts were: the rate over the set's in-scope requests.
        (
            info(
                a={
                    "activities": 0.96,
                    "out_of_scope_forced": 0,
                    "total": 60,
                    "out_of_scope_total": 10,
                }
            ),
            info(
                a={
                    "activities": 0.94,
                    "out_of_scope_forced": 0,
                    "total": 60,
                    "out_of_scope_total": 10,
                }
            ),
            True,
        ),
    ],
)
def test_the_gate_decides_on_every_held_out_set_together(
    new: ModelInfo, old: ModelInfo | None, passes: bool
) -> None:
    assert passes_gate(new, old)[0] is passes


def test_the_gates_reason_names_each_set_and_the_pooled_figures() -> None:
    passed, reason = passes_gate(
        info(a=figures(0.97, 0), b=figures(0.90, 1, total=10)),
        info(a=figures(0.95, 0), b=figures(1.0, 0, total=10)),
    )
    assert not passed
    assert "forces 1 out-of-scope (was 0)" in reason
    assert "2 held-out set(s) together: 106/110 activities right (was 105)" in reason
    assert "a: activities 97.0% (was 95.0%), forced 0 (was 0)" in reason
    assert "b: activities 90.0% (was 100.0%), forced 1 (was 0)" in reason


def test_retraining_with_corrections_gates_the_new_model_and_skips_unchanged_data(
    tmp_path: Path, catalog: Catalog
) -> None:
    mappings = small_mappings(tmp_path)
    models = tmp_path / "models"
    _, first = current_classifier(models, mappings, catalog, now=lambda: NOW)
    unchanged = retrain(models, mappings, catalog, now=NOW)
    assert unchanged.new is None and "not changed" in unchanged.reason
    correction = LabelledRequest(
        id="jira:CSP-7",
        subject="Visit",
        body="Could our auditors come and see the hall where our racks are, in March?",
        expected_activity="datacenter-tours",
    )
    later = NOW.replace(hour=4)
    result = retrain(models, mappings, catalog, now=later, corrections=[correction])
    assert result.new is not None and result.new.corrections == 1
    assert result.old is not None and result.old.version == first.version
    assert result.new.fingerprint != first.fingerprint
    # Saved either way; current only if it passed the gate.
    assert read_info(models, result.new.version).sha256
    expected = result.new.version if result.promoted else first.version
    assert current_version(models) == expected
    assert result.promoted == passes_gate(result.new, result.old)[0]


def test_a_model_trained_with_other_parameters_is_retrained_on_the_same_data(
    tmp_path: Path, catalog: Catalog
) -> None:
    """New code that reads requests otherwise (`training.CHOSEN_PARAMS`) trains once, though the
    labelled data has not changed: else `serve` would keep the old model until it did."""
    mappings = small_mappings(tmp_path)
    models = tmp_path / "models"
    _, first = current_classifier(models, mappings, catalog, now=lambda: NOW)
    assert first.params["ask_words"] is True
    # As a model.json written before the parameters were recorded, or by other parameters.
    path = models / first.version / INFO_FILE
    saved = json.loads(path.read_text())
    del saved["params"]
    path.write_text(json.dumps(saved))
    result = retrain(models, mappings, catalog, now=NOW.replace(hour=4))
    assert result.new is not None and result.new.fingerprint == first.fingerprint
    assert result.new.params == first.params
    assert retrain(models, mappings, catalog, now=NOW.replace(hour=5)).new is None
