"""JSON Lines requests are read whole or not at all, with the line of the first problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from csp_jira_sync.classify import read_labelled, read_requests
from csp_jira_sync.errors import InputError

GOOD = {"subject": "SLA", "body": "send the SLA report", "expected_activity": "sla-reporting"}


def _file(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "requests.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_labelled_records_are_read_skipping_blank_lines(tmp_path: Path) -> None:
    path = _file(
        tmp_path, json.dumps(GOOD), "", json.dumps({**GOOD, "channel": "phone", "id": "x"})
    )
    records = read_labelled(path, {"sla-reporting"})
    assert [r.channel for r in records] == [None, "phone"]


@pytest.mark.parametrize(
    ("bad_line", "problem"),
    [
        ("{not json", "2: not valid JSON"),
        ("[1, 2]", "2: each line must be a JSON object"),
        (json.dumps({"subject": "x", "body": "y"}), "2: expected_activity is missing"),
        (json.dumps({**GOOD, "expected": "x"}), "2: expected is not a known field"),
        (json.dumps({**GOOD, "channel": "fax"}), "2: channel:"),
    ],
)
def test_a_bad_line_is_reported_with_its_number(
    tmp_path: Path, bad_line: str, problem: str
) -> None:
    path = _file(tmp_path, json.dumps(GOOD), bad_line, json.dumps(GOOD))
    with pytest.raises(InputError, match=f"{path}:{problem}"):
        read_labelled(path)


def test_an_unknown_expected_activity_names_its_line(tmp_path: Path) -> None:
    path = _file(
        tmp_path, json.dumps(GOOD), "", json.dumps({**GOOD, "expected_activity": "coffee"})
    )
    with pytest.raises(
        InputError, match=f"{path}:3: expected_activity 'coffee' is not an activity"
    ):
        read_labelled(path, {"sla-reporting"})


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_requests(tmp_path / "absent.jsonl")


def test_an_empty_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no requests in it"):
        read_requests(_file(tmp_path, ""))


def test_plain_requests_ignore_intake_fields(tmp_path: Path) -> None:
    record = {
        "id": "r-1",
        "customer": "acme",
        "requester": "a@b.example",
        "subject": "s",
        "body": "b",
    }
    (request,) = read_requests(_file(tmp_path, json.dumps(record)))
    assert (request.id, request.subject, request.body) == ("r-1", "s", "b")
