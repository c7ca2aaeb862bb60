"""`csp-jira-sync classify` through typer's CliRunner: tables for people, JSON for machines."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from csp_jira_sync.cli import app
from tests.classify.conftest import MAPPINGS

runner = CliRunner()
WIDE = {"COLUMNS": "200", "CSP_MAPPINGS_DIR": str(MAPPINGS)}
INVOICE_TWICE = (
    "Hi Sam, our invoice shows the backup line twice this month - can you check?\nThanks\nDan"
)


def _jsonl(tmp_path: Path, *records: dict[str, str]) -> Path:
    path = tmp_path / "requests.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_one_request_as_a_table_shows_answer_labels_confidence_and_evidence() -> None:
    result = runner.invoke(
        app, ["classify", "--subject", "Re: quick q", "--body", INVOICE_TWICE], env=WIDE
    )
    assert result.exit_code == 0, result.output
    assert "billing-enquiries" in result.output
    assert "csp-cat-finance, csp-act-billing-enquiries" in result.output
    assert "Confidence" in result.output
    # The evidence: the words that weighed for the winner, and the closest labelled examples.
    assert "invoice" in result.output and "example:" in result.output


def test_one_request_as_json_carries_the_whole_decision() -> None:
    result = runner.invoke(
        app,
        ["classify", "--subject", "Invoice", "--body", INVOICE_TWICE, "--format", "json"],
        env=WIDE,
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["outcome"] == "activity"
    assert (data["activity"], data["category"]) == ("billing-enquiries", "finance")
    assert data["labels"] == ["csp-cat-finance", "csp-act-billing-enquiries"]
    assert 0 < data["confidence"] <= 1
    assert {"rule", "target", "field", "words", "weight"} <= set(data["evidence"][0])
    assert data["explanation"].startswith("billing-enquiries")


def test_out_of_scope_shows_its_kind_and_label() -> None:
    result = runner.invoke(
        app,
        [
            "classify",
            "--subject",
            "down",
            "--body",
            "web02 is down, please reboot it",
            "--format",
            "json",
        ],
        env=WIDE,
    )
    data = json.loads(result.stdout)
    assert (data["outcome"], data["out_of_scope_kind"], data["labels"]) == (
        "out-of-scope",
        "technical-support",
        ["csp-out-of-scope"],
    )


def test_a_file_of_requests_is_classified_row_by_row(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path,
        {
            "id": "r-1",
            "subject": "Tour",
            "body": "Can we visit the GB3 data centre in May?",
            "customer": "acme",
        },
        {"id": "r-2", "subject": "hello", "body": "hello"},
    )
    table = runner.invoke(app, ["classify", "--file", str(path)], env=WIDE)
    assert table.exit_code == 0, table.output
    assert "datacenter-tours" in table.output and "triage" in table.output
    data = json.loads(
        runner.invoke(app, ["classify", "--file", str(path), "--format", "json"], env=WIDE).stdout
    )
    assert [(row["id"], row["outcome"]) for row in data] == [("r-1", "activity"), ("r-2", "triage")]


def test_evaluate_prints_accuracy_by_activity_and_category_confusions_and_misses(
    tmp_path: Path,
) -> None:
    path = _jsonl(
        tmp_path,
        {
            "id": "e-1",
            "subject": "Firewall",
            "body": "Can we review our firewall rules?",
            "expected_activity": "firewall-review",
        },
        {
            "id": "e-2",
            "subject": "x",
            "body": "Can we review our firewall rules?",
            "expected_activity": "service-reviews",
        },
    )
    result = runner.invoke(app, ["classify", "--evaluate", str(path)], env=WIDE)
    assert result.exit_code == 0, result.output
    for heading in ("By category", "By activity", "Confusion", "Misses"):
        assert heading in result.output
    assert "activities 50.0% (1/2)" in result.output
    assert "e-2" in result.output


def test_evaluate_as_json_has_the_figures(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path,
        {
            "subject": "Quote",
            "body": "please send a quote for 10 more VMs",
            "expected_activity": "out-of-scope",
        },
    )
    data = json.loads(
        runner.invoke(
            app, ["classify", "--evaluate", str(path), "--format", "json"], env=WIDE
        ).stdout
    )
    assert data["accuracy"] == 1.0
    assert data["out_of_scope_forced"] == 0
    assert data["confusion"] == {"out-of-scope": {"out-of-scope": 1}}


def test_a_bad_jsonl_line_exits_2_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"subject": "a", "body": "b", "expected_activity": "service-reviews"}\n{oops\n'
    )
    result = runner.invoke(app, ["classify", "--evaluate", str(path)], env=WIDE)
    assert result.exit_code == 2
    assert f"{path}:2: not valid JSON" in result.stderr


def test_an_unknown_expected_activity_exits_2(tmp_path: Path) -> None:
    path = _jsonl(tmp_path, {"subject": "a", "body": "b", "expected_activity": "coffee-runs"})
    result = runner.invoke(app, ["classify", "--evaluate", str(path)], env=WIDE)
    assert result.exit_code == 2
    assert f"{path}:1: expected_activity 'coffee-runs'" in result.stderr


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["classify", "--file", str(tmp_path / "absent.jsonl")], env=WIDE)
    assert result.exit_code == 2
    assert "no such file" in result.stderr


def test_no_mode_or_two_modes_exit_2(tmp_path: Path) -> None:
    assert runner.invoke(app, ["classify"], env=WIDE).exit_code == 2
    both = runner.invoke(
        app, ["classify", "--subject", "x", "--file", str(tmp_path / "f")], env=WIDE
    )
    assert both.exit_code == 2
    assert "give either" in both.stderr


def test_mappings_default_to_the_settings_directory(tmp_path: Path) -> None:
    env = {**WIDE, "CSP_MAPPINGS_DIR": str(tmp_path / "nowhere")}
    result = runner.invoke(app, ["classify", "--subject", "x", "--body", "y"], env=env)
    assert result.exit_code == 2
    assert str(tmp_path / "nowhere") in result.stderr


def test_mappings_option_overrides_the_settings(tmp_path: Path) -> None:
    env = {**WIDE, "CSP_MAPPINGS_DIR": str(tmp_path / "nowhere")}
    args = [
        "classify",
        "--subject",
        "x",
        "--body",
        "y",
        "--mappings",
        str(MAPPINGS),
        "--format",
        "json",
    ]
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["outcome"] == "triage"


def test_evaluate_prints_precision_recall_reliability_and_the_rules_side_by_side(
    tmp_path: Path,
) -> None:
    path = _jsonl(
        tmp_path,
        {
            "subject": "Invoice",
            "body": INVOICE_TWICE,
            "expected_activity": "Resolve Billing enquiries",
        },
        {
            "subject": "down",
            "body": "web02 is down, please reboot it",
            "expected_activity": "out-of-scope",
        },
    )
    result = runner.invoke(app, ["classify", "--evaluate", str(path)], env=WIDE)
    assert result.exit_code == 0, result.output
    for heading in ("Precision and recall by activity", "Reliability", "Side by side"):
        assert heading in result.output
    assert "rules" in result.output and "model " in result.output
    data = json.loads(
        runner.invoke(
            app, ["classify", "--evaluate", str(path), "--format", "json"], env=WIDE
        ).stdout
    )
    assert data["classifier"].startswith("model ")
    assert set(data["compared"]) >= {"rules"}
    by_name = {row["name"]: row for row in data["precision_recall"]}
    assert by_name["billing-enquiries"]["expected"] == 1
    assert sum(band["answers"] for band in data["reliability"]) == 2 - data["triage"]


def test_train_saves_a_model_and_shows_current_against_new(tmp_path: Path) -> None:
    from tests.classify.test_model_files import small_mappings

    mappings = small_mappings(tmp_path)
    env = {
        **WIDE,
        "CSP_MAPPINGS_DIR": str(mappings),
        "CSP_MODEL_DIR": str(tmp_path / "models"),
        "CSP_DATABASE_URL": f"sqlite:///{tmp_path / 'state.sqlite'}",
    }
    first = runner.invoke(app, ["classify", "train", "--format", "json"], env=env)
    assert first.exit_code == 0, first.output
    data = json.loads(first.stdout)
    assert data["promoted"] is True and data["old"] is None
    assert data["new"]["examples"] > 0 and data["new"]["sha256"]
    again = runner.invoke(app, ["classify", "train"], env=env)
    assert again.exit_code == 0, again.output
    assert "Nothing trained" in again.output
    forced = runner.invoke(app, ["classify", "train", "--force"], env=env)
    assert "Current" in forced.output and "New" in forced.output
    check = runner.invoke(app, ["check", "--format", "json"], env=env)
    [row] = [c for c in json.loads(check.stdout)["checks"] if c["check"] == "classifier"]
    assert (row["ok"] and data["new"]["version"] in row["detail"]) or "model " in row["detail"]


def _set(path: Path, *records: dict[str, str]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_several_sets_are_evaluated_side_by_side_and_together(tmp_path: Path) -> None:
    first = _set(
        tmp_path / "first.jsonl",
        {"subject": "Invoice", "body": INVOICE_TWICE, "expected_activity": "billing-enquiries"},
        {
            "subject": "down",
            "body": "web02 is down, please reboot it",
            "expected_activity": "out-of-scope",
        },
    )
    second = _set(
        tmp_path / "second.jsonl",
        {
            "subject": "Tour",
            "body": "Could two of our auditors visit the GB3 data centre in May?",
            "expected_activity": "datacenter-tours",
        },
    )
    args = ["classify", "--evaluate", str(first), "--evaluate", str(second)]
    result = runner.invoke(app, args, env=WIDE)
    assert result.exit_code == 0, result.output
    assert "side by side" in result.output
    for name in ("first", "second", "together", "rules"):
        assert name in result.output
    data = json.loads(runner.invoke(app, [*args, "--format", "json"], env=WIDE).stdout)
    assert set(data["sets"]) == {"first", "second"}
    assert data["sets"]["first"]["total"] == 2 and data["sets"]["second"]["total"] == 1
    assert "rules" in data["sets"]["first"]["compared"]
    together = data["together"][data["classifier"]]
    assert together["total"] == 3
    assert together["activities"]["total"] == 2
    assert together["activities"]["correct"] == sum(
        data["sets"][n]["activities"]["correct"] for n in ("first", "second")
    )


def test_heldout_evaluates_every_held_out_set_of_the_mappings(tmp_path: Path) -> None:
    from tests.classify.test_model_files import small_mappings

    mappings = small_mappings(tmp_path)
    (mappings / "heldout" / "other.jsonl").write_text(
        json.dumps(
            {"subject": "Invoice", "body": INVOICE_TWICE, "expected_activity": "billing-enquiries"}
        )
        + "\n"
    )
    env = {**WIDE, "CSP_MAPPINGS_DIR": str(mappings), "CSP_MODEL_DIR": str(tmp_path / "models")}
    result = runner.invoke(app, ["classify", "--heldout", "--format", "json"], env=env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data["sets"]) == {"heldout/other", "heldout/small"}
    assert data["sets"]["heldout/other"]["total"] == 1


def test_heldout_without_held_out_sets_exits_2(tmp_path: Path) -> None:
    from tests.classify.test_model_files import small_mappings

    mappings = small_mappings(tmp_path)
    for path in (mappings / "heldout").iterdir():
        path.unlink()
    env = {**WIDE, "CSP_MAPPINGS_DIR": str(mappings), "CSP_MODEL_DIR": str(tmp_path / "models")}
    result = runner.invoke(app, ["classify", "--heldout"], env=env)
    assert result.exit_code == 2
    assert "no held-out sets" in result.output
