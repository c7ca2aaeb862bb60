"""Reading request files for import: every bad row reported by line, nothing half-read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from csp_jira_sync.config.mappings import Mappings, load_mappings
from csp_jira_sync.customer_requests.files import parse_request_file

ROOT = Path(__file__).resolve().parents[2]
GOOD = {
    "id": "R-1",
    "customer": "acme",
    "requester": "tom.hale@acme-logistics.example",
    "channel": "email",
    "received_at": "2026-11-24T09:15:00+00:00",
    "subject": "Invoice",
    "body": "Twice billed",
}


@pytest.fixture(scope="module")
def mappings() -> Mappings:
    return load_mappings(ROOT / "mappings")


def test_jsonl_rows_are_parsed_and_bad_ones_named_by_line(
    tmp_path: Path, mappings: Mappings
) -> None:
    path = tmp_path / "requests.jsonl"
    rows = [
        json.dumps(GOOD),
        "{not json",
        json.dumps({**GOOD, "id": "R-2", "customer": "nosuchco"}),
        json.dumps({**GOOD, "id": "R-3", "received_at": "2026-11-24 09:15"}),
        json.dumps({**GOOD}),
    ]
    path.write_text("\n".join(rows) + "\n")
    parsed = parse_request_file(path, mappings)
    assert [r.id for r in parsed.requests] == ["R-1"]
    problems = {p.line: p.problem for p in parsed.problems}
    assert "not valid JSON" in problems[2]
    assert "unknown customer 'nosuchco'" in problems[3]
    assert "received_at" in problems[4]
    assert "already used on line 1" in problems[5]


def test_csv_with_the_documented_header_is_read(tmp_path: Path, mappings: Mappings) -> None:
    path = tmp_path / "requests.csv"
    path.write_text(
        "id,customer,requester,channel,received_at,subject,body\n"
        'R-9,globex,m.gonzales@globex.example,phone,2026-11-24T09:15:00-05:00,"Tour, please","Auditors, GB3"\n'
    )
    parsed = parse_request_file(path, mappings)
    assert parsed.problems == []
    assert parsed.requests[0].subject == "Tour, please"


def test_a_csv_without_required_columns_is_rejected_whole(
    tmp_path: Path, mappings: Mappings
) -> None:
    path = tmp_path / "requests.csv"
    path.write_text("id,subject\nR-1,Hello\n")
    parsed = parse_request_file(path, mappings)
    assert parsed.requests == []
    assert "lacks customer, requester, channel, received_at" in parsed.problems[0].problem
