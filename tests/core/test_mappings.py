"""Mappings are validated; every error names the file and the line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from csp_jira_sync.config.mappings import load_mappings
from csp_jira_sync.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
SEED = Path(__file__).resolve().parents[3] / "shared" / "seed" / "000_18845396ce4463f5.txt"


@pytest.fixture
def mappings_dir(tmp_path: Path) -> Path:
    target = tmp_path / "mappings"
    shutil.copytree(ROOT / "mappings", target)
    return target


def test_the_shipped_catalog_has_5_categories_and_23_activities() -> None:
    catalog = load_mappings(ROOT / "mappings").catalog
    assert len(catalog.categories) == 5
    assert len(list(catalog.activities())) == 23


def test_activity_titles_are_worded_as_the_seed_words_them() -> None:
    if not SEED.exists():
        pytest.skip(f"seed catalog not found at {SEED}")
    import html

    seed = html.unescape(SEED.read_text(encoding="utf-8"))
    catalog = load_mappings(ROOT / "mappings").catalog
    for category in catalog.categories:
        assert f"<strong>{category.title}</strong>" in seed
    for activity in catalog.activities():
        assert f"<li>{activity.title}</li>" in seed


def test_an_unknown_key_is_rejected_with_file_and_line(mappings_dir: Path) -> None:
    path = mappings_dir / "customers.yaml"
    text = path.read_text().replace(
        "    package: gold\n", "    package: gold\n    pakage: gold\n", 1
    )
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_mappings(mappings_dir)
    message = str(caught.value)
    line = text.splitlines().index("    pakage: gold") + 1
    assert f"customers.yaml:{line}" in message
    assert "unknown key" in message


def test_a_customer_on_an_undefined_package_names_the_known_ones(mappings_dir: Path) -> None:
    path = mappings_dir / "customers.yaml"
    path.write_text(path.read_text().replace("package: gold", "package: diamond", 1))
    with pytest.raises(ConfigError, match=r"diamond.*known: bronze, gold, platinum, silver"):
        load_mappings(mappings_dir)


def test_a_label_with_a_space_is_rejected_before_jira_sees_it(mappings_dir: Path) -> None:
    path = mappings_dir / "catalog.yaml"
    path.write_text(
        path.read_text().replace("label: csp-act-service-credits", "label: csp act service credits")
    )
    with pytest.raises(ConfigError, match="not a valid Jira label"):
        load_mappings(mappings_dir)


def test_invalid_yaml_names_the_line(mappings_dir: Path) -> None:
    (mappings_dir / "packages.yaml").write_text("packages:\n  - tier: [bronze\n")
    with pytest.raises(ConfigError, match=r"packages.yaml:\d+: not valid YAML"):
        load_mappings(mappings_dir)


def test_every_issue_type_the_daemon_creates_comes_from_the_mappings(mappings_dir: Path) -> None:
    (mappings_dir / "issue_types.yaml").write_text(
        "request: Task\nreport: Report\nproblem: Bug\nallowance: Allowance\n"
    )
    path = mappings_dir / "escalation.yaml"
    path.write_text(path.read_text().replace("issue_type: Incident", "issue_type: Outage"))
    assert load_mappings(mappings_dir).created_issue_types == {
        "escalation": "Outage",
        "request": "Task",
        "report": "Report",
        "problem": "Bug",
        "allowance": "Allowance",
    }


def test_without_issue_types_yaml_the_documented_defaults_apply(mappings_dir: Path) -> None:
    (mappings_dir / "issue_types.yaml").unlink()
    assert load_mappings(mappings_dir).created_issue_types == {
        "escalation": "Incident",
        "request": "Service Request",
        "report": "Report",
        "problem": "Problem",
        "allowance": "Task",
    }


@pytest.mark.parametrize(
    ("line", "complaint"),
    [
        ("request: ''", "an issue type name is needed"),
        ("request: ' Task'", "spaces around it"),
        ("request: " + "x" * 61, "at most 60 characters"),
        ("requests: Task", "unknown key"),
    ],
)
def test_a_bad_issue_type_is_refused_naming_the_file_line_and_key(
    mappings_dir: Path, line: str, complaint: str
) -> None:
    path = mappings_dir / "issue_types.yaml"
    path.write_text("report: Report\n" + line + "\n")
    with pytest.raises(ConfigError) as caught:
        load_mappings(mappings_dir)
    message = str(caught.value)
    assert "issue_types.yaml:2" in message
    assert complaint in message
    assert ("requests" if "requests" in line else "request") in message


def test_contract_options_are_off_by_default() -> None:
    package = load_mappings(ROOT / "mappings").packages["gold"]
    assert package.overage == "notify"
    assert package.carry_over is None
    assert package.borrowing is None


def test_contract_options_are_read(mappings_dir: Path) -> None:
    path = mappings_dir / "packages.yaml"
    path.write_text(
        path.read_text().replace(
            "  - tier: silver\n",
            "  - tier: silver\n    overage: require-approval\n    carry_over: {months: 2}\n"
            "    borrowing: {max_hours: 3, labels: [csp-act-escalation-management]}\n",
        )
    )
    package = load_mappings(mappings_dir).packages["silver"]
    assert package.overage == "require-approval"
    assert package.carry_over is not None and package.carry_over.months == 2
    assert package.borrowing is not None
    assert package.borrowing.labels == ("csp-act-escalation-management",)


@pytest.mark.parametrize(
    ("option", "complaint"),
    [
        ("    overage: refuse\n", "overage"),
        ("    carry_over: {months: 0}\n", "carry_over.months"),
        ("    borrowing: {max_hours: 2, labels: []}\n", "borrowing.labels"),
        ("    borrowing: {max_hours: 2, labels: [sev 1]}\n", "not a valid Jira label"),
    ],
)
def test_a_bad_contract_option_names_file_line_and_key(
    mappings_dir: Path, option: str, complaint: str
) -> None:
    path = mappings_dir / "packages.yaml"
    text = path.read_text().replace("  - tier: gold\n", "  - tier: gold\n" + option)
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_mappings(mappings_dir)
    line = text.splitlines().index(option.rstrip("\n")) + 1
    assert f"packages.yaml:{line}" in str(caught.value)
    assert complaint in str(caught.value)


def test_allowance_mapping_defaults_without_the_file(mappings_dir: Path) -> None:
    (mappings_dir / "allowance.yaml").unlink()
    allowance = load_mappings(mappings_dir).allowance
    assert allowance.staff_group == "csp-staff"
    assert allowance.approval_status == "Awaiting approval"


def test_allowance_mapping_needs_someone_who_counts(mappings_dir: Path) -> None:
    (mappings_dir / "allowance.yaml").write_text("staff_group: null\nstaff_users: []\n")
    with pytest.raises(ConfigError, match="no CSP staff"):
        load_mappings(mappings_dir)
