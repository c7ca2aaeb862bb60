"""Hand-built `requests` exchanges, for proving that the contract harness can fail."""

from __future__ import annotations

import json
from typing import Any

import requests

BASE = "http://127.0.0.1:8089"
AUTH = ("csp-sync", "csp-sync-token")


def exchange(
    method: str,
    path: str,
    status: int,
    body: Any = None,
    *,
    json_body: Any = None,
    headers: dict[str, str] | None = None,
    response_headers: dict[str, str] | None = None,
    content_type: str = "application/json",
    files: dict[str, Any] | None = None,
    auth: tuple[str, str] | None = AUTH,
) -> tuple[requests.PreparedRequest, requests.Response]:
    """A prepared request to the loopback Jira and the response it is said to have had."""
    request = requests.Request(
        method,
        BASE + path,
        json=json_body,
        headers=headers or {},
        files=files,
        auth=auth,
    ).prepare()
    response = requests.Response()
    response.status_code = status
    response.request = request
    response.url = request.url or ""
    if body is not None:
        response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
        response.headers["Content-Type"] = content_type
    else:
        response._content = b""
    for name, value in (response_headers or {}).items():
        response.headers[name] = value
    return request, response


def issue(**overrides: Any) -> dict[str, Any]:
    """An issue as Jira answers GET /issue/{key}, with `overrides` applied (None removes)."""
    fields: dict[str, Any] = {
        "summary": "Disk full on db-01",
        "labels": ["csp-noc"],
        "description": "Raised by NOC",
        "created": "2026-11-25T10:00:00.000+0000",
    }
    data: dict[str, Any] = {
        "id": "10001",
        "key": "CSP-1",
        "self": f"{BASE}/rest/api/2/issue/10001",
        "fields": fields,
    }
    for name, value in overrides.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def adf(text: str) -> dict[str, Any]:
    return {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}],
    }


def worklog(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "20001",
        "issueId": "10001",
        "self": f"{BASE}/rest/api/2/issue/10001/worklog/20001",
        "timeSpent": "1h",
        "timeSpentSeconds": 3600,
        "started": "2026-11-25T10:00:00.000+0000",
        "created": "2026-11-25T10:05:00.000+0000",
        "updated": "2026-11-25T10:05:00.000+0000",
        "comment": "Checked the disks",
    }
    data.update(overrides)
    return data
