"""Every point where real Jira traffic and Atlassian's published contract disagree: the one list.

Each entry names the deployment, methods and contract path templates it covers, the exact field or
status it touches, and why real Jira (or the `jira` package 3.10.5 talking to it) does this. An
entry never switches validation off: it either rewrites one known value into the form the
contract expects and validates the result, or replaces the contract's check for one status or
body with a stricter check of what real Jira does. Add to this list only with a reason someone
can verify; a sandbox that departs from the contract gets a failing test, not an entry here.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Final, TypeVar


class Deployment(enum.StrEnum):
    CLOUD = "cloud"
    DATA_CENTER = "datacenter"


ANY_PATH: Final = "*"
BOTH: Final = frozenset({Deployment.CLOUD, Deployment.DATA_CENTER})
CLOUD_ONLY: Final = frozenset({Deployment.CLOUD})
DC_ONLY: Final = frozenset({Deployment.DATA_CENTER})


@dataclass(frozen=True)
class Allowance:
    key: str
    deployments: frozenset[Deployment]
    methods: frozenset[str]
    # Contract path templates (`/rest/api/2/issue/{issueIdOrKey}`), or, for paths the contract
    # does not know, the literal path.
    paths: frozenset[str]
    reason: str

    def covers(self, deployment: Deployment, method: str, path: str) -> bool:
        return (
            deployment in self.deployments
            and method in self.methods
            and (path in self.paths or ANY_PATH in self.paths)
        )


@dataclass(frozen=True)
class DateTimeFormat:
    """Documented here; enforced by `contract_specs.is_jira_date_time` for every `date-time`."""

    key: str
    reason: str


@dataclass(frozen=True)
class QueryValueRewrite(Allowance):
    """Rewrite exact values of one query parameter before the contract checks it."""

    parameter: str
    rewrites: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class DigitStringToInteger(Allowance):
    """Read one top-level JSON body field, when it is a string of digits, as the integer it spells."""

    field: str


@dataclass(frozen=True)
class NullField(Allowance):
    """Drop one top-level JSON body field when it is null, as Jira reads it: absent."""

    field: str


@dataclass(frozen=True)
class UndocumentedStatus(Allowance):
    """A status real Jira answers that the operation does not list; its body is checked instead."""

    statuses: frozenset[int]
    # Body must be Jira's `ErrorCollection` when True; when False the status alone is checked
    # (real Jira's answer there is not JSON, e.g. a proxy page or an empty 404).
    error_collection_body: bool
    # Headers real Jira always sends with this status.
    required_headers: tuple[str, ...] = ()
    # Only honoured when the test says it caused this (e.g. it set a rate limit in the sandbox);
    # otherwise the status is a failure like any undocumented answer.
    opt_in: str | None = None


@dataclass(frozen=True)
class MultipartUpload(Allowance):
    """Check an upload as the multipart form real Jira takes, in place of the file's body schema."""

    part: str
    required_headers: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class EmptyBody(Allowance):
    """An answer the file gives an untyped JSON body but real Jira sends without any body."""

    statuses: frozenset[int]


@dataclass(frozen=True)
class ParameterRetype:
    """Retype query parameters whose schema in a vendor file is a reference to `schema_ref`."""

    key: str
    deployments: frozenset[Deployment]
    schema_ref: str
    parameters: frozenset[str]
    as_type: str
    reason: str


@dataclass(frozen=True)
class ParameterRelocation:
    """Move one parameter of one operation in a vendor file to where Jira reads it."""

    key: str
    deployments: frozenset[Deployment]
    method: str
    path: str
    parameter: str
    from_location: str
    to_location: str
    reason: str


@dataclass(frozen=True)
class SecuritySchemeAddition:
    """Offer one more way to authenticate beside what a vendor file declares."""

    key: str
    deployments: frozenset[Deployment]
    scheme_name: str
    scheme: dict[str, str]
    alongside: str  # added to every operation that accepts this scheme
    reason: str


def _v2_and_v3(*templates: str) -> frozenset[str]:
    return frozenset(t.replace("{v}", v) for t in templates for v in ("2", "3"))


JIRA_DATE_TIME: Final = DateTimeFormat(
    key="jira-date-time",
    reason=(
        "Jira writes timestamps as 2026-11-25T10:00:00.000+0000 (no colon in the offset), in "
        "responses and in the `started` it accepts; RFC 3339 `date-time` wants +00:00. Both "
        "forms are accepted; anything else still fails."
    ),
)

VALIDATE_QUERY_PYTHON_BOOL: Final = QueryValueRewrite(
    key="validateQuery-python-bool",
    deployments=CLOUD_ONLY,
    methods=frozenset({"GET"}),
    paths=_v2_and_v3("/rest/api/{v}/search"),
    parameter="validateQuery",
    rewrites=(("True", "true"), ("False", "false")),
    reason=(
        "jira 3.10.5 `search_issues` passes validate_query as a Python bool, which requests "
        "renders `True`/`False`; the Cloud file's enum is strict|warn|none|true|false and Jira "
        "reads the value case-insensitively. (The DC file types it boolean, which already "
        "reads `True`, so DC needs no allowance.)"
    ),
)

DELETE_SUBTASKS_PYTHON_BOOL: Final = QueryValueRewrite(
    key="deleteSubtasks-python-bool",
    deployments=CLOUD_ONLY,
    methods=frozenset({"DELETE"}),
    paths=_v2_and_v3("/rest/api/{v}/issue/{issueIdOrKey}"),
    parameter="deleteSubtasks",
    rewrites=(("True", "true"), ("False", "false")),
    reason=(
        "jira 3.10.5 `Issue.delete(deleteSubtasks=False)` sends the Python bool as "
        "`deleteSubtasks=False`; the Cloud file's enum is true|false and Jira reads the value "
        "case-insensitively. (The DC file types it string, so DC needs no allowance.)"
    ),
)

TIME_SPENT_SECONDS_AS_STRING: Final = DigitStringToInteger(
    key="timeSpentSeconds-string",
    deployments=BOTH,
    methods=frozenset({"POST", "PUT"}),
    paths=_v2_and_v3(
        "/rest/api/{v}/issue/{issueIdOrKey}/worklog",
        "/rest/api/{v}/issue/{issueIdOrKey}/worklog/{id}",
    ),
    field="timeSpentSeconds",
    reason=(
        "jira 3.10.5 `add_worklog(timeSpentSeconds=...)` is typed `str` and sends it as given; "
        "Jira's JSON reader accepts a numeric string for the integer field."
    ),
)

LINK_COMMENT_NULL: Final = NullField(
    key="issueLink-comment-null",
    deployments=BOTH,
    methods=frozenset({"POST"}),
    paths=_v2_and_v3("/rest/api/{v}/issueLink"),
    field="comment",
    reason=(
        'jira 3.10.5 `create_issue_link` always sends `"comment": null` when no comment is '
        "given; the file's `comment` is a non-nullable Comment object, and Jira treats null as "
        "absent. Only a null is dropped; a comment that is sent is checked as usual."
    ),
)

CLOUD_SEARCH_REMOVED: Final = UndocumentedStatus(
    key="cloud-search-410",
    deployments=CLOUD_ONLY,
    methods=frozenset({"GET", "POST"}),
    paths=_v2_and_v3("/rest/api/{v}/search"),
    statuses=frozenset({410}),
    error_collection_body=True,
    reason=(
        "Atlassian removed /rest/api/{2,3}/search from Jira Cloud (CHANGE-2046, in favour of "
        "/search/jql); the published file still lists it, deprecated, with 200/400/401 only. "
        "Real Cloud answers 410 Gone with an error collection (jiralert #203, pycontribs/jira "
        "#2367)."
    ),
)

DC_HAS_NO_ENHANCED_SEARCH: Final = UndocumentedStatus(
    key="datacenter-search-jql-404",
    deployments=DC_ONLY,
    methods=frozenset({"GET", "POST"}),
    paths=frozenset({"/rest/api/2/search/jql"}),
    statuses=frozenset({404}),
    error_collection_body=False,
    reason=(
        "/search/jql exists only on Cloud; the DC file does not list it and Data Center answers "
        "404 as for any unknown REST resource. Only the 404 is accepted: any other answer on "
        "this path fails as an unknown path."
    ),
)

RATE_LIMITED: Final = UndocumentedStatus(
    key="rate-limited-429",
    deployments=BOTH,
    methods=frozenset({"GET", "POST", "PUT", "DELETE"}),
    paths=frozenset({ANY_PATH}),
    statuses=frozenset({429}),
    error_collection_body=False,
    required_headers=("Retry-After",),
    opt_in="rate-limit",
    reason=(
        "Jira Cloud's rate-limiting guide: any operation may answer 429 with Retry-After; the "
        "operations in the file do not list it. Honoured only in tests that set a rate limit."
    ),
)

INJECTED_SERVER_FAULTS: Final = UndocumentedStatus(
    key="injected-5xx",
    deployments=BOTH,
    methods=frozenset({"GET", "POST", "PUT", "DELETE"}),
    paths=frozenset({ANY_PATH}),
    statuses=frozenset({500, 502, 503}),
    error_collection_body=False,
    opt_in="faults",
    reason=(
        "No operation documents 5xx, yet Jira and the proxies in front of it answer them under "
        "load or outage. Honoured only in tests that injected faults into the sandbox; anywhere "
        "else a 5xx is a sandbox failure."
    ),
)

ATTACHMENT_UPLOAD_FORM: Final = MultipartUpload(
    key="attachment-multipart",
    deployments=BOTH,
    methods=frozenset({"POST"}),
    paths=_v2_and_v3("/rest/api/{v}/issue/{issueIdOrKey}/attachments"),
    part="file",
    required_headers=(("X-Atlassian-Token", "no-check"),),
    reason=(
        "The Cloud file types the upload as a JSON array of MultipartFile (the server's Java "
        "type), which no multipart/form-data body can match. Jira's documented upload is a form "
        "with one or more `file` parts and the X-Atlassian-Token: no-check header (XSRF); that "
        "is what is checked instead."
    ),
)

DC_STRING_LIST_PARAMETERS: Final = ParameterRetype(
    key="datacenter-StringList-parameters",
    deployments=DC_ONLY,
    schema_ref="#/components/schemas/StringList",
    parameters=frozenset({"fields", "expand", "type", "state"}),
    as_type="string",
    reason=(
        "The DC file renders the server's StringList query parameters (comma-separated, e.g. "
        "fields=summary,labels or fields=*all on /search) as `{type: object}`, which no query "
        "string can satisfy; they are read as the strings Jira takes. Only those 17 parameters, "
        "named here, are touched."
    ),
)

NO_CONTENT_WITHOUT_BODY: Final = EmptyBody(
    key="204-without-body",
    deployments=BOTH,
    methods=frozenset({"PUT", "POST"}),
    paths=_v2_and_v3(
        "/rest/api/{v}/issue/{issueIdOrKey}",
        "/rest/api/{v}/issue/{issueIdOrKey}/assignee",
        "/rest/api/{v}/issue/{issueIdOrKey}/transitions",
        "/rest/api/{v}/issue/{issueIdOrKey}/watchers",
    ),
    statuses=frozenset({204}),
    reason=(
        "The Cloud file declares `application/json` with an empty schema on these 204 answers; "
        "204 No Content has no body by definition (RFC 9110 15.3.5) and Jira sends none. An "
        "empty 204 passes; a 204 with a body is still checked as JSON."
    ),
)

WRITTEN_WITHOUT_BODY: Final = EmptyBody(
    key="property-and-link-without-body",
    deployments=BOTH,
    methods=frozenset({"PUT", "POST"}),
    paths=_v2_and_v3(
        "/rest/api/{v}/issue/{issueIdOrKey}/properties/{propertyKey}",
        "/rest/api/{v}/issue/{issueIdOrKey}/worklog/{worklogId}/properties/{propertyKey}",
        "/rest/api/{v}/issueLink",
    ),
    statuses=frozenset({200, 201}),
    reason=(
        "The file declares an untyped JSON body for 200/201 of PUT issue and worklog property "
        "and 201 of POST issueLink; Jira answers them with an empty body (entity properties "
        "share one resource in Jira; the property or link is read back with GET). An empty "
        "answer passes; a body is still checked as JSON."
    ),
)

DC_GROUP_MEMBER_GROUPNAME: Final = ParameterRelocation(
    key="datacenter-group-member-groupname",
    deployments=DC_ONLY,
    method="GET",
    path="/rest/api/2/group/member",
    parameter="groupname",
    from_location="path",
    to_location="query",
    reason=(
        "The DC file declares `groupname` of GET /group/member as a required path parameter, "
        "but the path has no {groupname}; Data Center reads it from the query string "
        "(?groupname=...), as the Cloud file says. Moved to the query, still required."
    ),
)

DC_PERSONAL_ACCESS_TOKENS: Final = SecuritySchemeAddition(
    key="datacenter-bearer-pat",
    deployments=DC_ONLY,
    scheme_name="CspBearerPersonalAccessToken",
    scheme={"type": "http", "scheme": "bearer"},
    alongside="basic",
    reason=(
        "The DC file declares only basic auth, yet Jira Data Center (8.14 and later) takes "
        "personal access tokens as `Authorization: Bearer <token>`, which the product uses "
        "when JIRA_AUTH=bearer. Wherever the file accepts basic, Bearer is accepted too; a "
        "request with neither still fails."
    ),
)

ALLOWED_DEVIATIONS: Final[
    tuple[
        Allowance | DateTimeFormat | ParameterRetype | ParameterRelocation | SecuritySchemeAddition,
        ...,
    ]
] = (
    JIRA_DATE_TIME,
    DC_STRING_LIST_PARAMETERS,
    DC_GROUP_MEMBER_GROUPNAME,
    DC_PERSONAL_ACCESS_TOKENS,
    VALIDATE_QUERY_PYTHON_BOOL,
    DELETE_SUBTASKS_PYTHON_BOOL,
    TIME_SPENT_SECONDS_AS_STRING,
    LINK_COMMENT_NULL,
    CLOUD_SEARCH_REMOVED,
    DC_HAS_NO_ENHANCED_SEARCH,
    RATE_LIMITED,
    INJECTED_SERVER_FAULTS,
    ATTACHMENT_UPLOAD_FORM,
    NO_CONTENT_WITHOUT_BODY,
    WRITTEN_WITHOUT_BODY,
)

_DIGITS = re.compile(r"^[0-9]+$")


def is_digit_string(value: object) -> bool:
    return isinstance(value, str) and bool(_DIGITS.match(value))


_A = TypeVar("_A", bound=Allowance)


def allowances_of(kind: type[_A]) -> tuple[_A, ...]:
    """The allowed deviations of one kind, in list order."""
    return tuple(a for a in ALLOWED_DEVIATIONS if isinstance(a, kind))
