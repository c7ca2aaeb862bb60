"""Check one Jira HTTP exchange (a `requests` request and its response) against the contract.

Which contract applies:
- Cloud: `/rest/api/3/...` against Cloud v3, `/rest/api/2/...` against Cloud v2.
- Data Center: `/rest/api/2/...`; the path, its parameters and auth against the DC file, the
  request and response bodies against Cloud v2 (the DC file mistypes bodies; contracts README).
- `/_sandbox/...` is the sandbox's own admin API: not Jira, not checked.
- Anything else is a path the contract does not know, and a violation.

Departures from the contract are taken from `contract_deviations.ALLOWED_DEVIATIONS` only.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

from jsonschema_path import SchemaPath
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.paths.exceptions import OperationNotFound, PathError
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.templating.responses.finders import ResponseFinder
from openapi_core.validation.request.exceptions import ParameterValidationError
from openapi_core.validation.request.validators import (
    V30RequestBodyValidator,
    V30RequestParametersValidator,
    V30RequestSecurityValidator,
)
from openapi_core.validation.response.validators import V30ResponseValidator
from openapi_core.validation.schemas import oas30_read_schema_validators_factory
from requests import PreparedRequest, Response
from requests.structures import CaseInsensitiveDict
from requests_toolbelt.multipart.decoder import MultipartDecoder  # type: ignore[import-untyped]
from requests_toolbelt.multipart.encoder import MultipartEncoder  # type: ignore[import-untyped]
from werkzeug.datastructures import Headers, ImmutableMultiDict

from tests.support.contract_deviations import (
    Allowance,
    Deployment,
    DigitStringToInteger,
    EmptyBody,
    MultipartUpload,
    NullField,
    QueryValueRewrite,
    UndocumentedStatus,
    allowances_of,
    is_digit_string,
)
from tests.support.contract_routes import MatchedPathFinder, RouteIndex
from tests.support.contract_specs import FORMAT_VALIDATORS, JiraContracts

SANDBOX_ADMIN_PREFIX = "/_sandbox/"
_MAX_MESSAGE = 400


@dataclass(frozen=True)
class Violation:
    """One way an exchange broke the contract."""

    method: str
    path: str
    operation: str | None  # the contract's path template, when the path matched one
    part: str  # "path", "request" or "response"
    message: str

    def __str__(self) -> str:
        where = f" (contract {self.method} {self.operation})" if self.operation else ""
        return f"{self.method} {self.path}{where}: {self.part}: {self.message}"


@dataclass(frozen=True)
class Exchange:
    """The outcome of checking one request and response."""

    method: str
    path: str
    operation: str | None
    status: int
    violations: tuple[Violation, ...]
    allowances: tuple[str, ...]  # keys of the allowed deviations that this exchange used
    seconds: float

    @property
    def exempt(self) -> bool:
        return self.path.startswith(SANDBOX_ADMIN_PREFIX)


class ContractViolation(AssertionError):
    """An exchange that broke the contract; the message names method, path and what failed."""

    def __init__(self, violations: Iterable[Violation]) -> None:
        self.violations = tuple(violations)
        super().__init__(
            "Jira contract violated:\n" + "\n".join(f"  - {v}" for v in self.violations)
        )


class ContractValidator:
    """Validates `requests` exchanges with a Jira (or the sandbox) against Atlassian's contract.

    `base_url` is the Jira base URL when it has a context path (`http://host/jira`); the path
    part is stripped before matching. `opt_ins` turns on the allowances that a test must claim
    (`"rate-limit"`, `"faults"`; see `contract_deviations`).
    """

    def __init__(
        self,
        contracts: JiraContracts,
        deployment: Deployment = Deployment.CLOUD,
        *,
        base_url: str | None = None,
        opt_ins: Collection[str] = (),
    ) -> None:
        self.contracts = contracts
        self.deployment = Deployment(deployment)
        self.context_path = urlsplit(base_url).path.rstrip("/") if base_url else ""
        self.opt_ins = frozenset(opt_ins)

    def validate(self, request: PreparedRequest, response: Response) -> Exchange:
        """Check the exchange; raise `ContractViolation` (an AssertionError) if it broke the contract."""
        exchange = self.check(request, response)
        if exchange.violations:
            raise ContractViolation(exchange.violations)
        return exchange

    def check(self, request: PreparedRequest, response: Response) -> Exchange:
        """Check the exchange and return the outcome, violations included, without raising."""
        # Read the body first: the hook runs before the client has read it, and the time to
        # receive it belongs to the server, not to validation.
        _ = response.content
        started = time.perf_counter()
        method = (request.method or "").upper()
        path = self._path_of(request)
        if path.startswith(SANDBOX_ADMIN_PREFIX):
            return Exchange(method, path, None, response.status_code, (), (), 0.0)
        check = _Check(self, method, path, request, response)
        check.run()
        seconds = time.perf_counter() - started
        self.contracts.stats.add(seconds)
        return Exchange(
            method=method,
            path=path,
            operation=check.operation,
            status=response.status_code,
            violations=tuple(check.violations),
            allowances=tuple(dict.fromkeys(check.allowances)),
            seconds=seconds,
        )

    def _path_of(self, request: PreparedRequest) -> str:
        path = urlsplit(request.url or "").path
        if self.context_path and path.startswith(self.context_path + "/"):
            path = path[len(self.context_path) :]
        return path

    def specs_for(self, path: str) -> tuple[SchemaPath, SchemaPath, str] | None:
        """(spec for path/parameters/auth, spec for bodies, contract name), or None if unknown."""
        c = self.contracts
        if self.deployment is Deployment.CLOUD:
            if path.startswith("/rest/api/3/"):
                return c.cloud_v3, c.cloud_v3, "Jira Cloud REST v3"
            if path.startswith("/rest/api/2/"):
                return c.cloud_v2, c.cloud_v2, "Jira Cloud REST v2"
            return None
        if path.startswith("/rest/api/2/"):
            return c.datacenter, c.cloud_v2, "Jira Data Center 10.3 REST v2"
        return None


@dataclass
class _Operation:
    spec: SchemaPath
    template: str
    variables: dict[str, Any]
    operation: SchemaPath


@dataclass
class _Check:
    """The checks of one exchange; collects violations rather than stopping at the first."""

    validator: ContractValidator
    method: str
    path: str
    request: PreparedRequest
    response: Response
    violations: list[Violation] = field(default_factory=list)
    allowances: list[str] = field(default_factory=list)
    operation: str | None = None

    @property
    def deployment(self) -> Deployment:
        return self.validator.deployment

    def fail(self, part: str, message: str) -> None:
        self.violations.append(
            Violation(self.method, self.path, self.operation, part, _clip(message))
        )

    def run(self) -> None:
        specs = self.validator.specs_for(self.path)
        if specs is None:
            self.unknown_path("no Jira REST contract covers this path")
            return
        param_spec, body_spec, contract = specs
        try:
            params_op = _find(param_spec, self.method, self.path)
        except PathError as exc:
            missing = "method not in" if isinstance(exc, OperationNotFound) else "path not in"
            self.unknown_path(f"{missing} the {contract} contract")
            return
        self.operation = params_op.template
        try:
            body_op = (
                params_op if body_spec is param_spec else _find(body_spec, self.method, self.path)
            )
        except PathError:
            body_op = params_op  # a DC-only operation: the DC file is all there is
        templates = {params_op.template, body_op.template}
        request = self.normalised_request(templates)
        self.check_request(request, params_op, body_op, templates)
        self.check_response(request, body_op, templates)

    def unknown_path(self, message: str) -> None:
        allowance = self.status_allowance({self.path})
        if allowance is not None:
            self.allowances.append(allowance.key)
            self.check_allowed_status(allowance)
            return
        self.fail("path", message)

    # -- request -------------------------------------------------------------------------

    def normalised_request(self, templates: set[str]) -> _OpenAPIRequest:
        request = _OpenAPIRequest.of(self.request, self.path)
        for rewrite in allowances_of(QueryValueRewrite):
            if not self.covered(rewrite, templates):
                continue
            values = request.query_values(rewrite.parameter)
            mapping = dict(rewrite.rewrites)
            if any(v in mapping for v in values):
                self.allowances.append(rewrite.key)
                request = request.with_query(rewrite.parameter, [mapping.get(v, v) for v in values])
        for nullable in allowances_of(NullField):
            if not self.covered(nullable, templates) or not request.body:
                continue
            body = _json_or_none(request.body)
            if isinstance(body, dict) and nullable.field in body and body[nullable.field] is None:
                self.allowances.append(nullable.key)
                del body[nullable.field]
                request = replace(request, body=json.dumps(body).encode())
        for coercion in allowances_of(DigitStringToInteger):
            if not self.covered(coercion, templates) or not request.body:
                continue
            body = _json_or_none(request.body)
            if isinstance(body, dict) and is_digit_string(body.get(coercion.field)):
                self.allowances.append(coercion.key)
                body[coercion.field] = int(body[coercion.field])
                request = replace(request, body=json.dumps(body).encode())
        return request

    def check_request(
        self,
        request: _OpenAPIRequest,
        params_op: _Operation,
        body_op: _Operation,
        templates: set[str],
    ) -> None:
        on_params = request.matched(params_op)
        for validator_cls in (V30RequestSecurityValidator, V30RequestParametersValidator):
            with warnings.catch_warnings():
                # The Cloud file offers OAuth2 beside basic auth and anonymous access; openapi-core
                # has no OAuth2 provider and warns before trying the next requirement.
                warnings.filterwarnings("ignore", "Unsupported scheme type", UserWarning)
                errors = list(_validator(validator_cls, params_op.spec).iter_errors(on_params))
            for error in errors:
                self.fail("request", _describe(error))
        upload = next(
            (a for a in allowances_of(MultipartUpload) if self.covered(a, templates)), None
        )
        if upload is not None:
            self.allowances.append(upload.key)
            self.check_upload(upload)
            return
        if request.body_unreadable:
            self.fail("request", "body is a stream that cannot be re-read for validation")
            return
        body_validator = _validator(V30RequestBodyValidator, body_op.spec)
        for error in body_validator.iter_errors(request.matched(body_op)):
            self.fail("request", _describe(error))

    def check_upload(self, upload: MultipartUpload) -> None:
        headers = self.request.headers
        content_type = headers.get("Content-Type", "")
        if not content_type.lower().startswith("multipart/form-data"):
            self.fail("request", f"upload is {content_type!r}, not multipart/form-data")
            return
        for name, value in upload.required_headers:
            if headers.get(name, "").lower() != value:
                self.fail("request", f"upload lacks header {name}: {value} that Jira requires")
        parts = _multipart_parts(self.request.body, content_type)
        if parts is None:
            self.fail("request", "multipart body could not be read back")
        elif not any(name == upload.part and filename for name, filename in parts):
            self.fail(
                "request",
                f"multipart body has no {upload.part!r} part with a filename "
                f"(parts: {[name for name, _ in parts]})",
            )

    # -- response ------------------------------------------------------------------------

    def check_response(
        self, request: _OpenAPIRequest, body_op: _Operation, templates: set[str]
    ) -> None:
        status = self.response.status_code
        try:
            documented = ResponseFinder(body_op.operation / "responses").find(str(status))
        except ResponseNotFound as exc:
            allowance = self.status_allowance(templates)
            if allowance is not None:
                self.allowances.append(allowance.key)
                self.check_allowed_status(allowance)
                return
            self.fail(
                "response",
                f"status {status} is not a documented answer (documented: "
                f"{', '.join(exc.availableresponses)})",
            )
            return
        if "content" in documented and not self.response.content:
            empty = next(
                (
                    a
                    for a in allowances_of(EmptyBody)
                    if status in a.statuses and self.covered(a, templates)
                ),
                None,
            )
            if empty is not None:
                self.allowances.append(empty.key)
                return
        if "content" not in documented and status >= 400:
            # The file documents most error statuses without a body; real Jira sends its
            # ErrorCollection, which the product parses (errorMessages/errors), so hold to it.
            self.check_error_collection(body_op.spec, allow_empty=True)
            return
        response_validator = _validator(V30ResponseValidator, body_op.spec)
        for error in response_validator.iter_errors(
            request.matched(body_op), _OpenAPIResponse(self.response)
        ):
            self.fail("response", _describe(error))

    def status_allowance(self, paths: set[str]) -> UndocumentedStatus | None:
        status = self.response.status_code
        for allowance in allowances_of(UndocumentedStatus):
            if allowance.opt_in is not None and allowance.opt_in not in self.validator.opt_ins:
                continue
            if status in allowance.statuses and self.covered(allowance, paths):
                return allowance
        return None

    def check_allowed_status(self, allowance: UndocumentedStatus) -> None:
        for header in allowance.required_headers:
            if header not in self.response.headers:
                self.fail("response", f"{self.response.status_code} without {header} header")
        if allowance.error_collection_body:
            spec = self.validator.contracts.cloud_v2
            self.check_error_collection(spec, allow_empty=False)

    def check_error_collection(self, spec: SchemaPath, *, allow_empty: bool) -> None:
        status = self.response.status_code
        if not self.response.content:
            if not allow_empty:
                self.fail("response", f"{status} without Jira's error body")
            return
        content_type = self.response.headers.get("Content-Type", "")
        if "json" not in content_type.lower():
            self.fail("response", f"{status} error body is {content_type!r}, not JSON")
            return
        body = _json_or_none(self.response.content)
        if body is None:
            self.fail("response", f"{status} error body is not valid JSON")
            return
        schema = spec / "components" / "schemas" / "ErrorCollection"
        checker = oas30_read_schema_validators_factory.create(
            spec, schema, extra_format_validators=FORMAT_VALIDATORS
        )
        try:
            checker.validate(body)
        except Exception as exc:  # openapi-core raises InvalidSchemaValue with the details
            self.fail(
                "response", f"{status} error body is not an ErrorCollection: {_describe(exc)}"
            )

    def covered(self, allowance: Allowance, paths: Iterable[str]) -> bool:
        return any(allowance.covers(self.deployment, self.method, p) for p in paths)


# -- openapi-core adapters -------------------------------------------------------------------


@dataclass(frozen=True)
class _OpenAPIRequest:
    """A `requests` PreparedRequest as openapi-core's Request protocol, path relative to Jira."""

    host_url: str
    path: str
    method: str
    body: bytes | None
    body_unreadable: bool
    content_type: str
    query: tuple[tuple[str, str], ...]
    headers: tuple[tuple[str, str], ...]
    path_pattern: str | None = None
    path_variables: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, request: PreparedRequest, path: str) -> _OpenAPIRequest:
        url = urlsplit(request.url or "")
        raw = request.body
        body: bytes | None
        unreadable = False
        if raw is None or isinstance(raw, bytes):
            body = raw
        elif isinstance(raw, str):
            body = raw.encode()
        else:
            body, unreadable = None, True
        headers = CaseInsensitiveDict(request.headers)
        return cls(
            host_url=f"{url.scheme}://{url.netloc}",
            path=path,
            method=(request.method or "").lower(),
            body=body,
            body_unreadable=unreadable,
            # A bodiless GET from `requests` still says Accept: */*; only Content-Type counts.
            content_type=str(headers.get("Content-Type") or ""),
            query=tuple(
                (name, value) for name, values in parse_qs(url.query).items() for value in values
            ),
            headers=tuple(headers.items()),
        )

    @property
    def parameters(self) -> RequestParameters:
        return RequestParameters(
            query=ImmutableMultiDict(list(self.query)),
            header=Headers(list(self.headers)),
            cookie=ImmutableMultiDict(),
            path=dict(self.path_variables),
        )

    def query_values(self, name: str) -> list[str]:
        return [value for key, value in self.query if key == name]

    def with_query(self, name: str, values: list[str]) -> _OpenAPIRequest:
        kept = tuple((n, v) for n, v in self.query if n != name)
        return replace(self, query=kept + tuple((name, v) for v in values))

    def matched(self, operation: _Operation) -> _MatchedRequest:
        return _MatchedRequest(
            replace(
                self,
                path_pattern=operation.template,
                path_variables=tuple(operation.variables.items()),
            )
        )


class _MatchedRequest:
    """The request with its operation already found, so openapi-core does not search again."""

    def __init__(self, request: _OpenAPIRequest) -> None:
        self._request = request
        self.parameters = request.parameters
        self.host_url = request.host_url
        self.path = request.path
        self.path_pattern = request.path_pattern
        self.method = request.method
        self.body = request.body
        self.content_type = request.content_type


class _OpenAPIResponse:
    def __init__(self, response: Response) -> None:
        self._response = response
        self.status_code = response.status_code
        self.content_type = str(response.headers.get("Content-Type", ""))
        self.headers = Headers(list(response.headers.items()))

    @property
    def data(self) -> bytes:
        return self._response.content or b""


# Keyed by spec identity: the specs live for the whole process (`load_jira_contracts` caches).
_routes: dict[int, RouteIndex] = {}
_validators: dict[tuple[type[Any], int], Any] = {}


def _find(spec: SchemaPath, method: str, path: str) -> _Operation:
    if id(spec) not in _routes:
        _routes[id(spec)] = RouteIndex(spec)
    route = _routes[id(spec)].find(method, path)
    return _Operation(
        spec=spec,
        template=route.template,
        variables=dict(route.variables),
        operation=route.operation,
    )


def _validator(cls: type[Any], spec: SchemaPath) -> Any:
    key = (cls, id(spec))
    if key not in _validators:
        _validators[key] = cls(
            spec,
            path_finder_cls=MatchedPathFinder,
            extra_format_validators=FORMAT_VALIDATORS,
        )
    return _validators[key]


def _json_or_none(raw: bytes | str) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None


def _multipart_parts(body: object, content_type: str) -> list[tuple[str, str | None]] | None:
    """(field name, filename) of each part, from bytes or from a requests-toolbelt encoder."""
    if isinstance(body, MultipartEncoder):
        # The `jira` package streams uploads through an encoder, already consumed by now;
        # its field list is what was sent.
        fields = body.fields.items() if hasattr(body.fields, "items") else body.fields
        return [
            (str(name), str(value[0]) if isinstance(value, tuple) and value[0] else None)
            for name, value in fields
        ]
    if isinstance(body, str):
        body = body.encode()
    if not isinstance(body, bytes):
        return None
    parts: list[tuple[str, str | None]] = []
    for part in MultipartDecoder(body, content_type).parts:
        disposition = part.headers.get(b"Content-Disposition", b"").decode()
        params = dict(_disposition_params(disposition))
        parts.append((params.get("name", ""), params.get("filename")))
    return parts


def _disposition_params(disposition: str) -> Iterator[tuple[str, str]]:
    for item in disposition.split(";")[1:]:
        key, _, value = item.strip().partition("=")
        yield key.lower(), value.strip().strip('"')


def _describe(error: BaseException) -> str:
    """A short account of an openapi-core error, with the JSON path of each schema failure."""
    chain: list[BaseException] = []
    link: BaseException | None = error
    while link is not None:
        chain.append(link)
        link = link.__cause__
    schema_errors = [e for link in chain for e in _schema_errors(link)]
    if not schema_errors:
        return "; ".join(dict.fromkeys(_clip(str(link)) for link in chain))
    head = (
        _clip(str(error))
        if isinstance(error, ParameterValidationError)
        else _LABELS.get(type(error).__name__, type(error).__name__)
    )
    details = [
        f"at {getattr(e, 'json_path', '$')}: {_clip(getattr(e, 'message', str(e)))}"
        for e in schema_errors
    ]
    return f"{head}: " + "; ".join(details)


_LABELS = {
    "InvalidData": "body does not match the contract",
    "InvalidRequestBody": "body does not match the contract",
    "InvalidSchemaValue": "body does not match the schema",
}


def _schema_errors(error: BaseException) -> list[Any]:
    return list(getattr(error, "schema_errors", None) or [])


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."
