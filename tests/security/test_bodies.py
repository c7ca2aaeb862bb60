"""Bad bodies on every webhook route: each gets the 4xx that says what is wrong (never a 5xx, a
RecursionError or a hung connection), and nothing is stored.

Long texts are accepted, not refused: a NOC alert's title or a customer's mail is what it is,
and the sender cannot shorten it sensibly. The receiver's own limits (title 2,000 characters,
description 200,000, the body limit) are far above Jira's; the cut to Jira's limits (summary
255, description 32,767) happens on the way to Jira, with a note (tests/security/test_markup.py).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest

from tests.receiver.server import RunningReceiver
from tests.security.conftest import inbox_rows
from tests.security.senders import NOC, REQUESTS, ROUTES, Route


def _post(receiver: RunningReceiver, route: Route, body: bytes, **headers: str) -> int:
    signed = route.sign(body)
    signed.update(headers)
    return receiver.post(route.path, body, signed).status_code


def _raw_exchange(receiver: RunningReceiver, head: bytes, body_parts: list[bytes]) -> bytes:
    """Send `head` and `body_parts` on a raw socket without finishing the body, and return
    what the receiver answers before it has the rest (a 10 s bound, not a speed claim)."""
    address = urlsplit(receiver.url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(head)
        for part in body_parts:
            connection.sendall(part)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
    return answer


def _declared_too_long(limit: int) -> tuple[str, list[bytes]]:
    """A length over the limit, declared up front: none of the body is sent."""
    return f"Content-Length: {limit + 1}", []


def _chunked_past_the_limit(limit: int) -> tuple[str, list[bytes]]:
    """Chunks past the limit, and never the final 0-length chunk."""
    chunk = b" " * 65536
    framed = b"%x\r\n%s\r\n" % (len(chunk), chunk)
    return "Transfer-Encoding: chunked", [framed] * (limit // len(chunk) + 2)


@pytest.mark.parametrize("route", ROUTES, ids=str)
@pytest.mark.parametrize(
    "framing",
    [_declared_too_long, _chunked_past_the_limit],
    ids=["declared-length-before-any-body-is-sent", "chunked-before-it-ends"],
)
def test_a_body_over_the_limit_is_413_before_it_is_all_sent(
    receiver: RunningReceiver, route: Route, framing: Callable[[int], tuple[str, list[bytes]]]
) -> None:
    framed_by, parts = framing(receiver.settings.max_body_bytes)
    headers = route.sign(b"{}")
    head = (
        f"POST {route.path} HTTP/1.1\r\nHost: receiver\r\n{framed_by}\r\n"
        + "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        + "\r\n"
    ).encode()
    answer = _raw_exchange(receiver, head, parts)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert inbox_rows(receiver.store) == 0


@pytest.mark.parametrize("route", ROUTES, ids=str)
@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "application/json; charset=iso-8859-1",
    ],
)
def test_a_body_not_declared_as_json_is_415_and_stores_nothing(
    receiver: RunningReceiver, route: Route, content_type: str
) -> None:
    body = route.valid("typed")
    response = receiver.post(route.path, body, {**route.sign(body), "content-type": content_type})
    assert response.status_code == 415
    assert "application/json" in response.json()["error"]
    assert inbox_rows(receiver.store) == 0


@pytest.mark.parametrize("route", ROUTES, ids=str)
@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=UTF-8", "application/cloudevents+json"],
)
def test_json_declared_in_any_usual_way_is_accepted(
    receiver: RunningReceiver, route: Route, content_type: str
) -> None:
    assert _post(receiver, route, route.valid("json"), **{"content-type": content_type}) == 202


@pytest.mark.parametrize("route", ROUTES, ids=str)
@pytest.mark.parametrize(
    "body",
    [
        b"[" * 10_000 + b"]" * 10_000,
        b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
        b'{"alerts":' + b"[" * 10_000 + b"]" * 10_000 + b"}",
    ],
    ids=["arrays", "objects", "inside-a-field"],
)
def test_json_nested_ten_thousand_deep_is_400_not_a_crash(
    receiver: RunningReceiver, route: Route, body: bytes
) -> None:
    response = receiver.post(route.path, body, route.sign(body))
    assert response.status_code == 400, response.text[:300]
    assert "JSON" in response.json()["error"]
    assert inbox_rows(receiver.store) == 0


@pytest.mark.parametrize("route", ROUTES, ids=str)
@pytest.mark.parametrize(
    "body",
    [
        b'{"id": "\xff\xfe"}',
        b'{"customer": "acme\xc3"}',
        b"\xef\xbb\xbf{}",
        b'{"x": "\xed\xa0\x80"}',
    ],
    ids=["invalid-bytes", "cut-sequence", "byte-order-mark", "encoded-surrogate"],
)
def test_a_body_that_is_not_utf8_json_is_400_and_stores_nothing(
    receiver: RunningReceiver, route: Route, body: bytes
) -> None:
    try:
        body.decode("utf-8")
        headers = route.sign(body)
    except UnicodeDecodeError:
        # Standard Webhooks sign text: no sender can sign these bytes, and the receiver
        # refuses them as malformed before it looks for a signature.
        headers = (
            {"content-type": "application/json"} if route.standard_webhooks else route.sign(body)
        )
    response = receiver.post(route.path, body, headers)
    assert response.status_code == 400, response.text[:300]
    assert inbox_rows(receiver.store) == 0


@pytest.mark.parametrize("route", ROUTES, ids=str)
@pytest.mark.parametrize("body", [b"", b" ", b"null", b"42", b'"text"', b"[]"])
def test_an_empty_or_non_object_body_is_a_4xx_saying_so(
    receiver: RunningReceiver, route: Route, body: bytes
) -> None:
    response = receiver.post(route.path, body, route.sign(body))
    assert response.status_code in {400, 422}, response.text[:300]
    assert response.json()["error"]
    assert inbox_rows(receiver.store) == 0


@pytest.mark.parametrize(
    ("route", "field", "limit"),
    [(NOC, "title", 2000), (NOC, "description", 200_000), (REQUESTS, "body", 200_000)],
    ids=["noc-title", "noc-description", "request-body"],
)
def test_texts_far_beyond_jiras_limits_are_accepted_up_to_the_receivers_own(
    receiver: RunningReceiver, route: Route, field: str, limit: int
) -> None:
    document = json.loads(route.valid("long"))
    document[field] = "x" * limit
    assert _post(receiver, route, json.dumps(document).encode()) == 202
    document[field] = "x" * (limit + 1)
    response = receiver.post(route.path, body := json.dumps(document).encode(), route.sign(body))
    assert response.status_code == 422
    assert response.json()["problems"][0]["field"] == field
    assert inbox_rows(receiver.store) == 1
