"""Atlassian's published Jira REST contracts, loaded once and shaped for validation.

Three validation specs come out of the two vendor files in `../shared/contracts/`:

- Cloud v3: the Cloud platform file as published, with its rich-text properties typed as
  Atlassian Document Format (the file leaves them untyped, so a plain string would pass; real
  Jira Cloud v3 rejects it, alertmanager #4585).
- Cloud v2: the same file with `/rest/api/3/` rewritten to `/rest/api/2/` and the same rich-text
  properties typed as `string` (wiki markup), as the contracts README says.
- Data Center: the DC 10.3 file, re-rooted from `{baseurl}/rest` + `/api/2/...` to `/rest/api/2/...`.
  Its bodies are unreliable (issue `fields` typed as objects), so it is used for paths and
  parameters only; bodies are checked against Cloud v2 (see `contract_validator`).

The vendor files are never modified on disk or copied into the repository; the shaping happens on
an in-memory copy, by walking the schema and touching only the named properties.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from jsonschema_path import SchemaPath

from tests.support.contract_deviations import (
    DC_GROUP_MEMBER_GROUPNAME,
    DC_PERSONAL_ACCESS_TOKENS,
    DC_STRING_LIST_PARAMETERS,
    ParameterRelocation,
    SecuritySchemeAddition,
)

CLOUD_FILE = "jira-cloud-platform-v3.openapi.json"
DC_FILE = "jira-software-dc-10.3.openapi.json"
CHECKSUM_FILE = "SHA256SUMS"

Json = dict[str, Any]

# Properties that carry rich text: ADF in v3, wiki-markup strings in v2. The Cloud file describes
# them as "in Atlassian Document Format" but gives no type.
RICH_TEXT_PROPERTIES: dict[str, frozenset[str]] = {
    "Comment": frozenset({"body"}),
    "Worklog": frozenset({"comment"}),
}
# System issue fields that are rich text; multi-line text (textarea) custom fields are added per
# load, because their ids are site data, not contract (`load_jira_contracts(textarea_fields=...)`).
RICH_TEXT_ISSUE_FIELDS = ("description", "environment")
# Schemas whose `fields` map holds issue field values (responses and create/edit requests).
ISSUE_FIELD_MAPS = ("IssueBean", "IssueUpdateDetails")

# Fields every real Jira response carries and the product relies on, which the vendor file
# nonetheless leaves optional (it lists `required` almost nowhere). Making them required lets the
# contract catch a sandbox that drops them. This only ever tightens the contract.
REQUIRED_IN_RESPONSES: dict[str, tuple[str, ...]] = {
    # Only `id`: /search/jql answers `{"id": ...}` alone unless fields are asked for.
    "IssueBean": ("id",),
    "CreatedIssue": ("id", "key", "self"),
    "SearchResults": ("startAt", "maxResults", "total", "issues"),
    "SearchAndReconcileResults": ("issues",),
    "PageOfComments": ("startAt", "maxResults", "total", "comments"),
    "PageOfWorklogs": ("startAt", "maxResults", "total", "worklogs"),
    "ChangedWorklogs": ("values", "since", "until", "lastPage"),
    "ChangedWorklog": ("worklogId", "updatedTime"),
    # `id` is readOnly in both schemas, so requiring it binds responses only (OpenAPI 3.0).
    "Comment": ("id",),
    "Worklog": ("id",),
}

ADF_NODE = "CspAdfNode"
ADF_DOC = "CspAdfDocument"
# The document structure Atlassian publishes for ADF: a `doc` root at version 1 whose content is
# a list of nodes, each of which names its `type`; text nodes carry `text`.
ADF_SCHEMAS: dict[str, Json] = {
    ADF_DOC: {
        "type": "object",
        "required": ["type", "version", "content"],
        "properties": {
            "type": {"type": "string", "enum": ["doc"]},
            "version": {"type": "integer", "enum": [1]},
            "content": {"type": "array", "items": {"$ref": f"#/components/schemas/{ADF_NODE}"}},
        },
    },
    ADF_NODE: {
        "type": "object",
        "required": ["type"],
        "properties": {
            "type": {"type": "string"},
            "text": {"type": "string"},
            "attrs": {"type": "object"},
            "marks": {
                "type": "array",
                "items": {"type": "object", "required": ["type"]},
            },
            "content": {"type": "array", "items": {"$ref": f"#/components/schemas/{ADF_NODE}"}},
        },
    },
}


class ContractsUnavailable(RuntimeError):
    """The contracts directory or one of its files is missing or not the pinned version."""


@dataclass
class ValidationStats:
    """Counts and time spent validating exchanges, for the session summary."""

    exchanges: int = 0
    seconds: float = 0.0

    def add(self, seconds: float) -> None:
        self.exchanges += 1
        self.seconds += seconds

    @property
    def mean_ms(self) -> float:
        return 1000 * self.seconds / self.exchanges if self.exchanges else 0.0


@dataclass(frozen=True)
class JiraContracts:
    """The three validation specs, loaded once per process (see `load_jira_contracts`)."""

    directory: Path
    cloud_v3: SchemaPath
    cloud_v2: SchemaPath
    datacenter: SchemaPath
    textarea_fields: tuple[str, ...]
    load_seconds: float
    stats: ValidationStats = field(default_factory=ValidationStats, compare=False)


# RFC 3339 `date-time` (what the contract's format means), plus Jira's own form, whose offset has
# no colon (`2026-11-25T10:00:00.000+0000`): Cloud and DC answer with it and accept it, and the
# `jira` package sends it for worklog `started` (contract_deviations.JIRA_DATE_TIME).
_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?(?P<offset>[Zz]|[+-]\d{2}:\d{2}|[+-]\d{4})$"
)


def is_jira_date_time(value: Any) -> bool:
    """`date-time` as RFC 3339 or as Jira's own `2026-11-25T10:00:00.000+0000`."""
    if not isinstance(value, str):
        return True  # formats only constrain strings; the type check reports anything else
    match = _DATE_TIME.match(value)
    if match is None:
        return False
    offset = match.group("offset")
    if offset in ("Z", "z"):
        offset = "+00:00"
    elif ":" not in offset:
        offset = f"{offset[:3]}:{offset[3:]}"
    try:
        # Checks the calendar (no 30 February) and the ranges of hours, minutes and offset.
        datetime.fromisoformat(value[:19].replace("t", "T") + offset)
    except ValueError:
        return False
    return True


FORMAT_VALIDATORS: dict[str, Callable[[Any], bool]] = {"date-time": is_jira_date_time}


_cache: dict[tuple[Path, tuple[str, ...]], JiraContracts] = {}


def load_jira_contracts(directory: Path, textarea_fields: tuple[str, ...] = ()) -> JiraContracts:
    """Load and shape the contracts once per process; later calls return the same object.

    `textarea_fields` names multi-line text custom fields (e.g. `customfield_10050`) whose values
    are rich text like `description`.
    """
    key = (directory.resolve(), tuple(textarea_fields))
    if key not in _cache:
        _cache[key] = _load(directory, tuple(textarea_fields))
    return _cache[key]


def loaded_jira_contracts() -> list[JiraContracts]:
    """The contracts loaded so far in this process."""
    return list(_cache.values())


def _load(directory: Path, textarea_fields: tuple[str, ...]) -> JiraContracts:
    started = time.perf_counter()
    _verify_checksums(directory)
    cloud = _read_json(directory / CLOUD_FILE)
    datacenter = _read_json(directory / DC_FILE)
    v2 = copy.deepcopy(cloud)
    contracts = JiraContracts(
        directory=directory,
        cloud_v3=SchemaPath.from_dict(
            _shape_cloud(cloud, api_version=3, textarea_fields=textarea_fields)
        ),
        cloud_v2=SchemaPath.from_dict(
            _shape_cloud(v2, api_version=2, textarea_fields=textarea_fields)
        ),
        datacenter=SchemaPath.from_dict(_shape_datacenter(datacenter)),
        textarea_fields=textarea_fields,
        load_seconds=0.0,
    )
    return _with_load_time(contracts, time.perf_counter() - started)


def _with_load_time(contracts: JiraContracts, seconds: float) -> JiraContracts:
    object.__setattr__(contracts, "load_seconds", seconds)
    return contracts


def _read_json(path: Path) -> Json:
    if not path.is_file():
        raise ContractsUnavailable(f"{path} is missing")
    data = json.loads(path.read_bytes())
    if not isinstance(data, dict):
        raise ContractsUnavailable(f"{path} is not an OpenAPI document")
    return data


def _verify_checksums(directory: Path) -> None:
    """The tests are only meaningful against the pinned vendor files; refuse anything else."""
    sums = directory / CHECKSUM_FILE
    if not sums.is_file():
        raise ContractsUnavailable(f"{sums} is missing")
    for line in sums.read_text().splitlines():
        if not line.strip():
            continue
        expected, name = line.split(maxsplit=1)
        target = directory / name.lstrip("*")
        if not target.is_file():
            raise ContractsUnavailable(f"{target} is missing")
        actual = hashlib.sha256(target.read_bytes()).hexdigest()
        if actual != expected:
            raise ContractsUnavailable(
                f"{target} does not match {sums} (sha256 {actual}, pinned {expected})"
            )


def _shape_cloud(spec: Json, *, api_version: int, textarea_fields: tuple[str, ...]) -> Json:
    # Requests are matched on their path alone: a loopback sandbox is not your-domain.atlassian.net.
    spec["servers"] = [{"url": "/"}]
    if api_version == 2:
        spec["paths"] = {
            path.replace("/rest/api/3/", "/rest/api/2/", 1): item
            for path, item in spec["paths"].items()
        }
    schemas: dict[str, Json] = spec["components"]["schemas"]
    if api_version == 3:
        schemas.update(copy.deepcopy(ADF_SCHEMAS))
    for schema_name, properties in RICH_TEXT_PROPERTIES.items():
        for prop in _untyped_rich_text(schemas[schema_name], properties):
            _retype_rich_text(prop, api_version=api_version, nullable=False)
    for schema_name in ISSUE_FIELD_MAPS:
        field_map = schemas[schema_name]["properties"]["fields"]
        if field_map.get("type") != "object" or field_map.get("additionalProperties") != {}:
            raise ContractsUnavailable(
                f"{schema_name}.fields is no longer an open map; revisit contract_specs"
            )
        typed: Json = field_map.setdefault("properties", {})
        for field_id in (*RICH_TEXT_ISSUE_FIELDS, *textarea_fields):
            # Jira answers `null` for an empty description, environment or textarea field.
            typed[field_id] = _rich_text_schema(api_version=api_version, nullable=True)
    for schema_name, required in REQUIRED_IN_RESPONSES.items():
        schema = schemas[schema_name]
        missing = [name for name in required if name not in schema.get("properties", {})]
        if missing:
            raise ContractsUnavailable(f"{schema_name} has no properties {missing}")
        schema["required"] = sorted({*schema.get("required", []), *required})
    return spec


def _untyped_rich_text(schema: Json, names: frozenset[str]) -> Iterator[Json]:
    """The named properties of `schema`, each of which must be an untyped rich-text property."""
    props: Json = schema.get("properties", {})
    for name in sorted(names):
        prop = props.get(name)
        if prop is None or "type" in prop or "Document Format" not in prop.get("description", ""):
            raise ContractsUnavailable(
                f"property {name!r} is not the untyped ADF property this harness expects"
            )
        yield prop


def _retype_rich_text(prop: Json, *, api_version: int, nullable: bool) -> None:
    description = prop.get("description")
    prop.clear()
    prop.update(_rich_text_schema(api_version=api_version, nullable=nullable))
    if description:
        prop["description"] = description


def _rich_text_schema(*, api_version: int, nullable: bool) -> Json:
    # Inlined rather than referenced: OpenAPI 3.0 `nullable` only acts beside a `type`, and a
    # `null` would still fail a referenced object schema.
    schema: Json = {"type": "string"} if api_version == 2 else copy.deepcopy(ADF_SCHEMAS[ADF_DOC])
    if nullable:
        schema["nullable"] = True
    return schema


def _shape_datacenter(spec: Json) -> Json:
    # The DC file is served from `{baseurl}/rest` with paths `/api/2/...`; re-root it at `/` so
    # that its paths read `/rest/api/2/...` like the requests do.
    spec["servers"] = [{"url": "/"}]
    spec["paths"] = {f"/rest{path}": item for path, item in spec["paths"].items()}
    retype = DC_STRING_LIST_PARAMETERS
    touched = 0
    for parameter in _query_parameters(spec):
        schema = parameter.get("schema", {})
        if schema.get("$ref") == retype.schema_ref:
            target = parameter
        elif (
            schema.get("type") == "array"
            and schema.get("items", {}).get("$ref") == retype.schema_ref
        ):
            target = schema
        else:
            continue
        if parameter["name"] not in retype.parameters:
            raise ContractsUnavailable(
                f"DC parameter {parameter['name']!r} is typed {retype.schema_ref}; "
                f"decide whether {retype.key} should cover it"
            )
        target["schema" if target is parameter else "items"] = {"type": retype.as_type}
        touched += 1
    if touched == 0:
        raise ContractsUnavailable(f"{retype.key} found nothing to retype; revisit it")
    _relocate(spec, DC_GROUP_MEMBER_GROUPNAME)
    _add_security_scheme(spec, DC_PERSONAL_ACCESS_TOKENS)
    return spec


def _add_security_scheme(spec: Json, addition: SecuritySchemeAddition) -> None:
    schemes: Json = spec["components"].setdefault("securitySchemes", {})
    if addition.alongside not in schemes:
        raise ContractsUnavailable(f"{addition.key}: no {addition.alongside!r} scheme to join")
    schemes[addition.scheme_name] = dict(addition.scheme)
    for item in spec["paths"].values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            requirements = operation.get("security", [])
            if any(addition.alongside in r for r in requirements):
                requirements.append({addition.scheme_name: []})


def _relocate(spec: Json, fix: ParameterRelocation) -> None:
    operation = spec["paths"].get(fix.path, {}).get(fix.method.lower(), {})
    matching = [
        p
        for p in operation.get("parameters", [])
        if p.get("name") == fix.parameter and p.get("in") == fix.from_location
    ]
    if len(matching) != 1:
        raise ContractsUnavailable(f"{fix.key} no longer matches the file; revisit it")
    matching[0]["in"] = fix.to_location


def _query_parameters(spec: Json) -> Iterator[Json]:
    for item in spec["paths"].values():
        for key, operation in item.items():
            if key == "parameters":
                yield from (p for p in operation if p.get("in") == "query")
            elif isinstance(operation, dict):
                yield from (p for p in operation.get("parameters", []) if p.get("in") == "query")
