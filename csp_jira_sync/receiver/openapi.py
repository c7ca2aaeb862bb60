"""The receiver's OpenAPI document: the answer bodies, the documented error codes and headers,
and each webhook's request body (handlers read raw bytes, so FastAPI cannot infer it)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel


class EventOutcome(BaseModel):
    event_id: str
    duplicate: bool


class AcceptedBody(BaseModel):
    accepted: bool
    duplicate: bool
    event_id: str | None
    events: list[EventOutcome] | None = None
    ignored: str | None = None


class FieldProblem(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    error: str
    problems: list[FieldProblem] | None = None
    known_customers: list[str] | None = None


_WHAT = {
    400: "Malformed JSON (or not UTF-8).",
    401: "Missing or invalid signature or token.",
    404: "This intake is not enabled (its secret or token is not configured).",
    413: "Body larger than CSP_MAX_BODY_BYTES.",
    415: "Body not declared as JSON in UTF-8 (Content-Type: application/json).",
    422: "Invalid fields, unknown customer or unknown severity; nothing was stored.",
    503: "The event store is unavailable; retry after Retry-After seconds.",
}


def error_responses(codes: Iterable[int]) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorBody, "description": _WHAT[code]} for code in codes}


def header_parameters(names: Iterable[str]) -> list[dict[str, Any]]:
    return [
        {"name": name, "in": "header", "required": True, "schema": {"type": "string"}}
        for name in names
    ]


def document_request_bodies(app: FastAPI, bodies: Mapping[str, type[BaseModel]]) -> None:
    """Make `app`'s OpenAPI document show `bodies[path]` as the JSON body of each POST."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for path, model in bodies.items():
            body_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(body_schema.pop("$defs", {}))
            components[model.__name__] = body_schema
            schema["paths"][path]["post"]["requestBody"] = {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": f"#/components/schemas/{model.__name__}"}
                    }
                },
            }
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
