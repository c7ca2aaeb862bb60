"""Reading customer requests from a file (JSON Lines or CSV) for `import-requests`: every row is
validated before anything is stored, so a file is imported whole or not at all."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from csp_jira_sync.config.events import CustomerRequest
from csp_jira_sync.config.mappings import Mappings

FIELDS = ("id", "customer", "requester", "channel", "received_at", "subject", "body")


@dataclass(frozen=True)
class RowProblem:
    line: int
    request_id: str
    problem: str


@dataclass(frozen=True)
class ParsedFile:
    requests: list[CustomerRequest]
    problems: list[RowProblem]
    rows: int


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line number, record or the reason it is not one)."""
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [
                f
                for f in ("id", "customer", "requester", "channel", "received_at")
                if f not in (reader.fieldnames or [])
            ]
            if missing:
                yield 1, f"the CSV header lacks {', '.join(missing)} (columns: {', '.join(FIELDS)})"
                return
            for record in reader:
                extra = record.pop(None, None)
                if extra:
                    yield reader.line_num, "the row has more cells than the header"
                    continue
                yield (
                    reader.line_num,
                    {
                        k: v
                        for k, v in record.items()
                        if v not in (None, "") or k in ("subject", "body")
                    },
                )
        return
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, f"not valid JSON ({exc.msg} at column {exc.colno})"
                continue
            yield number, record if isinstance(record, dict) else "not a JSON object"


def _explain(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'record'}: {e['msg']}"
        for e in error.errors(include_input=False)
    )


def parse_request_file(
    path: Path, mappings: Mappings, progress: Callable[[int], None] | None = None
) -> ParsedFile:
    requests: list[CustomerRequest] = []
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    rows = 0
    for number, record in _rows(path):
        rows += 1
        if progress:
            progress(rows)
        if isinstance(record, str):
            problems.append(RowProblem(number, "", record))
            continue
        ident = str(record.get("id", ""))
        try:
            request = CustomerRequest.model_validate(record)
        except ValidationError as exc:
            problems.append(RowProblem(number, ident, _explain(exc)))
            continue
        if mappings.customer(request.customer) is None:
            known = ", ".join(sorted(mappings.customers))
            problems.append(
                RowProblem(number, ident, f"unknown customer {request.customer!r} (known: {known})")
            )
            continue
        if request.id in seen:
            problems.append(
                RowProblem(
                    number, ident, f"id {request.id!r} is already used on line {seen[request.id]}"
                )
            )
            continue
        seen[request.id] = number
        requests.append(request)
    return ParsedFile(requests, problems, rows)
