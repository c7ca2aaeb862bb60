"""Turning a verified body into a validated event, with the 400 / 422 a sender can act on."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError

from csp_jira_sync.receiver.problems import field_problems, malformed_json, schema_problem

ModelT = TypeVar("ModelT", bound=BaseModel)


def decode_utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise malformed_json(f"not UTF-8 at byte {exc.start}") from None


def validate_json(model: type[ModelT], text: str, what: str) -> ModelT:
    """`text` as a `model`; 400 for JSON that does not parse, 422 naming every invalid field."""
    try:
        return model.model_validate_json(text)
    except ValidationError as exc:
        errors = exc.errors()
        if any(error["type"] == "json_invalid" for error in errors):
            raise malformed_json(errors[0]["msg"]) from None
        if errors and errors[0]["type"] == "model_type":
            raise schema_problem(
                what, [{"field": "(body)", "message": "expected a JSON object"}]
            ) from None
        raise schema_problem(what, field_problems(exc)) from None
