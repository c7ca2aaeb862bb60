"""`csp-jira-sync check`: which classifier model `serve` uses (issue 11), read from the model
directory without training or loading it."""

from __future__ import annotations

from pathlib import Path

from csp_jira_sync.classify.model_files import MODEL_FILE, current_version, read_info
from csp_jira_sync.errors import ConfigError

Row = tuple[str, bool, str]
CLASSIFIER = "classifier"


def classifier_row(model_dir: Path) -> Row:
    try:
        version = current_version(model_dir)
        if version is None:
            return (
                CLASSIFIER,
                True,
                f"no model yet in {model_dir}: `serve` trains one from mappings/examples when it "
                "starts (or run `csp-jira-sync classify train`)",
            )
        info = read_info(model_dir, version)
    except ConfigError as exc:
        return (CLASSIFIER, False, str(exc))
    if not (model_dir / version / MODEL_FILE).exists():
        return (
            CLASSIFIER,
            False,
            f"{model_dir / version / MODEL_FILE}: missing; run `classify train`",
        )
    held = [
        f"{name} {figures['activities']:.1%} activities, {figures['out_of_scope_forced']} forced"
        for name, figures in info.evaluation.items()
        if name != "cross_validated"
    ]
    detail = (
        f"model {version} ({model_dir}), trained {info.trained_at} on {info.examples} examples "
        f"({info.corrections} corrections)"
    )
    if held:
        detail += "; held-out: " + "; ".join(held)
    return (CLASSIFIER, True, detail)
