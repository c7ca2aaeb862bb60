"""Requests read from JSON Lines files: labelled ones for `--evaluate`, plain ones for `--file`.

Reading is all or nothing: the first bad line stops it with the file, the line number and what
is wrong, so an evaluation never runs on half a file.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from csp_jira_sync.config.catalog import Catalog
from csp_jira_sync.errors import InputError

Channel = Literal["email", "portal", "phone", "chat"]
OUT_OF_SCOPE = "out-of-scope"


class RequestText(BaseModel):
    """A request to classify; other fields of an intake record (customer, requester...) are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str | None = None
    channel: Channel | None = None
    subject: str = ""
    body: str = ""


class LabelledRequest(BaseModel):
    """A request with the answer a CSP lead expects: an activity slug or `out-of-scope`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str | None = None
    channel: Channel | None = None
    subject: str
    body: str
    expected_activity: str = Field(min_length=1)
    note: str = ""


R = TypeVar("R", bound=BaseModel)


def read_requests(path: Path) -> tuple[RequestText, ...]:
    return _read(path, RequestText)


def read_labelled(
    path: Path, known_activities: Collection[str] | Catalog | None = None
) -> tuple[LabelledRequest, ...]:
    """Read a labelled set; with `known_activities`, an unknown expected activity is an error.

    Given the catalog, an activity may be named by its slug, its catalog title or its Jira label
    (any case); the records come back naming it by slug."""
    records = _read(path, LabelledRequest)
    if isinstance(known_activities, Catalog):
        names = activity_names(known_activities)
        records = tuple(
            r.model_copy(
                update={
                    "expected_activity": names.get(
                        _folded(r.expected_activity), r.expected_activity
                    )
                }
            )
            for r in records
        )
        known_activities = {a.slug for a in known_activities.activities()}
    if known_activities is not None:
        allowed = set(known_activities) | {OUT_OF_SCOPE}
        for number, record in enumerate(records, start=1):
            if record.expected_activity not in allowed:
                line = _line_numbers(path)[number - 1]
                raise InputError(
                    f"{path}:{line}: expected_activity {record.expected_activity!r} is not an activity "
                    f"of the catalog (by slug, title or label) nor 'out-of-scope' (known: {', '.join(sorted(allowed))})"
                )
    return records


def activity_names(catalog: Catalog) -> dict[str, str]:
    """Every way a labelled file may name an activity (slug, title, label), folded, to its slug."""
    names = {_folded(OUT_OF_SCOPE): OUT_OF_SCOPE, "out of scope": OUT_OF_SCOPE}
    for activity in catalog.activities():
        for name in (activity.slug, activity.title, activity.label):
            names[_folded(name)] = activity.slug
    return names


def _folded(name: str) -> str:
    return " ".join(name.casefold().split())


def _read(path: Path, model: type[R]) -> tuple[R, ...]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(
            f"{path}: no such file; give a JSON Lines file, one request per line"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read it as UTF-8 text ({exc})") from None
    records: list[R] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data: Any = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{path}:{number}: not valid JSON ({exc.msg} at column {exc.colno})"
            ) from None
        if not isinstance(data, dict):
            raise InputError(
                f"{path}:{number}: each line must be a JSON object with subject and body"
            )
        try:
            records.append(model.model_validate(data))
        except ValidationError as exc:
            problems = "; ".join(_describe(error) for error in exc.errors())
            raise InputError(f"{path}:{number}: {problems}") from None
    if not records:
        raise InputError(f"{path}: no requests in it (one JSON object per line expected)")
    return tuple(records)


def _line_numbers(path: Path) -> list[int]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [n for n, line in enumerate(lines, start=1) if line.strip()]


def _describe(error: Any) -> str:
    field = ".".join(str(p) for p in error["loc"]) or "(record)"
    if error["type"] == "missing":
        return f"{field} is missing"
    if error["type"] == "extra_forbidden":
        return f"{field} is not a known field (subject, body, expected_activity, channel, id, note)"
    return f"{field}: {error['msg']}"
