"""Reading `classification.yaml` and `examples/*.jsonl` (the classifier's only I/O), checked
against the catalog."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from csp_jira_sync.classify.dataset import LabelledRequest, read_labelled
from csp_jira_sync.classify.rules import ClassificationRules
from csp_jira_sync.config.catalog import Catalog
from csp_jira_sync.config.yaml_source import YamlDocument, load_yaml
from csp_jira_sync.errors import ConfigError, InputError

RULES_FILE = "classification.yaml"
EXAMPLES_DIR = "examples"


def load_classification_rules(directory: Path, catalog: Catalog) -> ClassificationRules:
    """Load `directory/classification.yaml` and the labelled examples in `directory/examples/`
    (JSON Lines: subject, body, expected_activity); every error names the file and the line."""
    path = directory / RULES_FILE
    if not path.exists():
        raise ConfigError(
            f"{path}: missing; the classifier needs {RULES_FILE} next to catalog.yaml."
        )
    document = load_yaml(path)
    if isinstance(document.data, dict) and "examples" in document.data:
        raise ConfigError(
            f"{_where(document, ('examples',))}: examples: labelled examples live in "
            f"{directory / EXAMPLES_DIR}/*.jsonl, not in {RULES_FILE}"
        )
    try:
        rules = ClassificationRules.model_validate(document.data)
    except ValidationError as exc:
        problems = [
            _where(document, tuple(error["loc"])) + f": {_dotted(error['loc'])}: {_explain(error)}"
            for error in exc.errors()
        ]
        raise ConfigError("invalid classification rules:\n  " + "\n  ".join(problems)) from None
    problems = _cross_check(rules, catalog, document)
    if problems:
        raise ConfigError("invalid classification rules:\n  " + "\n  ".join(problems))
    return rules.model_copy(update={"examples": load_examples(directory / EXAMPLES_DIR, catalog)})


def load_examples(directory: Path, catalog: Catalog) -> tuple[LabelledRequest, ...]:
    """Every labelled example under `directory` (none if it does not exist), ids unique."""
    if not directory.is_dir():
        return ()
    examples: list[LabelledRequest] = []
    for path in sorted(directory.glob("*.jsonl")):
        try:
            examples.extend(read_labelled(path, catalog))
        except InputError as exc:
            raise ConfigError(f"invalid classification example: {exc}") from None
    seen: set[str] = set()
    for number, example in enumerate(examples):
        if example.id is None:
            raise ConfigError(f"{directory}: example {number + 1} ({example.subject!r}) has no id")
        if example.id in seen:
            raise ConfigError(f"{directory}: example id {example.id!r} is used twice")
        seen.add(example.id)
    return tuple(examples)


def _cross_check(rules: ClassificationRules, catalog: Catalog, document: YamlDocument) -> list[str]:
    problems: list[str] = []
    known = {a.slug for a in catalog.activities()}
    for slug in rules.activities:
        if slug not in known:
            problems.append(
                f"{_key_where(document, 'activities', slug)}: activities.{slug}: not an activity of "
                f"catalog.yaml (known: {', '.join(sorted(known))})"
            )
    for slug in sorted(known - set(rules.activities)):
        problems.append(
            f"{_where(document, ('activities',))}: activities: no rules for catalog activity "
            f"{slug!r}; it could never be chosen. Add rules for it."
        )
    seen: dict[str, str] = {}
    for section in ("activities", "out_of_scope"):
        targets: dict[str, Any] = getattr(rules, section)
        for name, target in targets.items():
            for index, rule in enumerate(target.rules):
                where = _where(document, (section, name, "rules", index, "id"))
                if rule.id in seen:
                    problems.append(
                        f"{where}: rule id {rule.id!r} is already used at {seen[rule.id]}"
                    )
                else:
                    seen[rule.id] = where
    return problems


def _key_where(document: YamlDocument, section: str, key: str) -> str:
    """The line of a key itself (line_of gives its value's line, the one below a mapping key)."""
    root = document.root
    if isinstance(root, yaml.MappingNode):
        for section_key, section_value in root.value:
            if section_key.value == section and isinstance(section_value, yaml.MappingNode):
                for node, _ in section_value.value:
                    if isinstance(node, yaml.ScalarNode) and node.value == key:
                        return f"{document.path}:{node.start_mark.line + 1}"
    return _where(document, (section, key))


def _where(document: YamlDocument, location: Sequence[int | str]) -> str:
    line = document.line_of(location)
    return f"{document.path}:{line}" if line else str(document.path)


def _dotted(location: Sequence[Any]) -> str:
    return ".".join(str(p) for p in location) or "(top level)"


def _explain(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key (check its spelling against the header of classification.yaml)"
    message: str = error["msg"]
    return message.removeprefix("Value error, ")
