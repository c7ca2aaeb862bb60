"""classification.yaml is validated on load: unknown keys, slugs and bad phrases name file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from csp_jira_sync.classify import RULES_FILE, load_classification_rules
from csp_jira_sync.config.catalog import Catalog
from csp_jira_sync.errors import ConfigError
from tests.classify.conftest import MAPPINGS

MINIMAL_ACTIVITIES = "\n".join(
    f'  {slug}:\n    rules:\n      - id: r-{slug}\n        weight: 3\n        phrases: ["{slug}"]'
    for slug in [
        "proactive-calls",
        "product-information",
        "datacenter-tours",
        "contact-management",
        "customer-queries",
        "service-guide",
        "customer-advocate",
        "contractual-queries",
        "change-information",
        "portal-training",
        "trending-reporting",
        "escalation-management",
        "firewall-review",
        "infrastructure-review",
        "monitoring-review",
        "contact-list-review",
        "service-reviews",
        "sla-reporting",
        "executive-reviews",
        "sdp-implementation",
        "bill-production",
        "service-credits",
        "billing-enquiries",
    ]
)
OUT_OF_SCOPE = "out_of_scope:\n  sales:\n    rules:\n      - id: oos-quote\n        weight: 5\n        phrases: [quote]\n"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / RULES_FILE
    path.write_text(text, encoding="utf-8")
    return path


def _error(tmp_path: Path, catalog: Catalog, text: str) -> str:
    _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_classification_rules(tmp_path, catalog)
    return str(caught.value)


def test_the_shipped_rules_load(catalog: Catalog) -> None:
    rules = load_classification_rules(MAPPINGS, catalog)
    assert set(rules.activities) == {a.slug for a in catalog.activities()}
    assert {"technical-support", "sales", "spam", "auto-reply"} <= set(rules.out_of_scope)


def test_a_minimal_valid_file_loads(tmp_path: Path, catalog: Catalog) -> None:
    _write(tmp_path, f"activities:\n{MINIMAL_ACTIVITIES}\n{OUT_OF_SCOPE}")
    rules = load_classification_rules(tmp_path, catalog)
    assert rules.scoring.min_score == 2.5  # defaults apply


def test_a_missing_file_says_where_it_was_expected(tmp_path: Path, catalog: Catalog) -> None:
    with pytest.raises(ConfigError, match=f"{tmp_path / RULES_FILE}: missing"):
        load_classification_rules(tmp_path, catalog)


def test_an_unknown_key_names_file_and_line(tmp_path: Path, catalog: Catalog) -> None:
    text = f"scoring:\n  min_scor: 3\nactivities:\n{MINIMAL_ACTIVITIES}\n{OUT_OF_SCOPE}"
    message = _error(tmp_path, catalog, text)
    assert f"{tmp_path / RULES_FILE}:2: scoring.min_scor: unknown key" in message


def test_an_unknown_activity_slug_names_its_line(tmp_path: Path, catalog: Catalog) -> None:
    extra = (
        "  coffee-runs:\n    rules:\n      - id: cr\n        weight: 3\n        phrases: [coffee]"
    )
    text = f"activities:\n{MINIMAL_ACTIVITIES}\n{extra}\n{OUT_OF_SCOPE}"
    line = text.splitlines().index("  coffee-runs:") + 1
    message = _error(tmp_path, catalog, text)
    assert (
        f"{RULES_FILE}:{line}: activities.coffee-runs: not an activity of catalog.yaml" in message
    )


def test_an_activity_without_rules_is_an_error(tmp_path: Path, catalog: Catalog) -> None:
    activities = MINIMAL_ACTIVITIES.replace(
        "  sla-reporting:\n    rules:\n      - id: r-sla-reporting\n        weight: 3\n"
        '        phrases: ["sla-reporting"]\n',
        "",
    )
    message = _error(tmp_path, catalog, f"activities:\n{activities}\n{OUT_OF_SCOPE}")
    assert "no rules for catalog activity 'sla-reporting'" in message


def test_a_rule_id_used_twice_names_both_places(tmp_path: Path, catalog: Catalog) -> None:
    duplicate = OUT_OF_SCOPE.replace("oos-quote", "r-service-guide")
    message = _error(tmp_path, catalog, f"activities:\n{MINIMAL_ACTIVITIES}\n{duplicate}")
    assert "rule id 'r-service-guide' is already used at" in message


def test_a_malformed_phrase_names_its_line_and_the_problem(
    tmp_path: Path, catalog: Catalog
) -> None:
    broken = OUT_OF_SCOPE.replace("[quote]", '["... quote"]')
    text = f"activities:\n{MINIMAL_ACTIVITIES}\n{broken}"
    line = next(n for n, row in enumerate(text.splitlines(), start=1) if "... quote" in row)
    message = _error(tmp_path, catalog, text)
    assert f"{RULES_FILE}:{line}: out_of_scope.sales.rules.0.phrases" in message
    assert "'...' belongs between two words" in message


def test_a_zero_weight_is_rejected(tmp_path: Path, catalog: Catalog) -> None:
    zero = OUT_OF_SCOPE.replace("weight: 5", "weight: 0")
    message = _error(tmp_path, catalog, f"activities:\n{MINIMAL_ACTIVITIES}\n{zero}")
    assert "a weight of 0 makes the rule do nothing" in message


def test_a_compound_must_join_two_words(tmp_path: Path, catalog: Catalog) -> None:
    text = f"words:\n  compounds:\n    data: datacenter\nactivities:\n{MINIMAL_ACTIVITIES}\n{OUT_OF_SCOPE}"
    message = _error(tmp_path, catalog, text)
    assert f"{RULES_FILE}:3: words.compounds" in message


def test_invalid_yaml_names_the_line(tmp_path: Path, catalog: Catalog) -> None:
    message = _error(tmp_path, catalog, "activities:\n  - [unclosed\n")
    assert f"{RULES_FILE}:" in message and "not valid YAML" in message


def test_the_shipped_files_copied_elsewhere_load_the_same(tmp_path: Path, catalog: Catalog) -> None:
    shutil.copy(MAPPINGS / RULES_FILE, tmp_path / RULES_FILE)
    shutil.copytree(MAPPINGS / "examples", tmp_path / "examples")
    assert load_classification_rules(tmp_path, catalog) == load_classification_rules(
        MAPPINGS, catalog
    )


def test_examples_are_loaded_from_the_examples_folder(tmp_path: Path, catalog: Catalog) -> None:
    _write(tmp_path, f"activities:\n{MINIMAL_ACTIVITIES}\n{OUT_OF_SCOPE}")
    assert load_classification_rules(tmp_path, catalog).examples == ()
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "a.jsonl").write_text(
        '{"id": "x-1", "subject": "s", "body": "b", "expected_activity": "service-guide"}\n'
    )
    (example,) = load_classification_rules(tmp_path, catalog).examples
    assert (example.id, example.expected_activity) == ("x-1", "service-guide")


def test_a_bad_example_line_names_its_file_and_line(tmp_path: Path, catalog: Catalog) -> None:
    _write(tmp_path, f"activities:\n{MINIMAL_ACTIVITIES}\n{OUT_OF_SCOPE}")
    (tmp_path / "examples").mkdir()
    path = tmp_path / "examples" / "a.jsonl"
    path.write_text(
        '{"id": "x-1", "subject": "s", "body": "b", "expected_activity": "service-guide"}\n'
        '{"id": "x-2", "subject": "s", "body": "b", "expected_activity": "coffee"}\n'
    )
    with pytest.raises(ConfigError, match=f"{path}:2: expected_activity 'coffee'"):
        load_classification_rules(tmp_path, catalog)


def test_examples_need_unique_ids(tmp_path: Path, catalog: Catalog) -> None:
    _write(tmp_path, f"activities:\n{MINIMAL_ACTIVITIES}\n{OUT_OF_SCOPE}")
    (tmp_path / "examples").mkdir()
    line = '{"id": "x-1", "subject": "s", "body": "b", "expected_activity": "service-guide"}\n'
    (tmp_path / "examples" / "a.jsonl").write_text(line + line)
    with pytest.raises(ConfigError, match="example id 'x-1' is used twice"):
        load_classification_rules(tmp_path, catalog)


def test_examples_are_not_accepted_inside_the_yaml(tmp_path: Path, catalog: Catalog) -> None:
    text = f"examples: []\nactivities:\n{MINIMAL_ACTIVITIES}\n{OUT_OF_SCOPE}"
    message = _error(tmp_path, catalog, text)
    assert f"{RULES_FILE}:1: examples: labelled examples live in" in message
