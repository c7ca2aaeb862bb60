"""What the receiver knows about one sender: where it posts, how its deliveries are verified
and parsed, and how the endpoint is documented. One module in `senders/` builds each."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from csp_jira_sync.receiver.problems import Problem
from csp_jira_sync.store import InboxItem


@dataclass(frozen=True)
class Intake:
    """What one delivery turned into: items to store, or an event type to ignore."""

    items: Sequence[InboxItem] = ()
    ignored: str | None = None
    event_id: str | None = None


# Checks the raw body against the request headers (401, or 404 when the intake is off) and
# returns the body as text when the parser wants text ("" when it reads the bytes).
Verify = Callable[[bytes, Mapping[str, str]], str]
# The verified body (bytes and text) as items to store (400, 422).
Parse = Callable[[bytes, str], Intake]


@dataclass(frozen=True)
class Sender:
    source: str  # the `source` label of the intake metrics
    path: str
    name: str  # the endpoint's name in the OpenAPI document
    summary: str
    body: type[BaseModel]  # the request body, for the OpenAPI document
    codes: tuple[int, ...]  # the error answers it can give
    headers: tuple[str, ...]  # the headers it requires
    verify: Verify
    parse: Parse
    many: bool = False  # one delivery may carry several events (answer lists each)


STANDARD_WEBHOOK_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


def not_enabled(what: str, setting: str) -> Problem:
    return Problem(
        404,
        "not_enabled",
        f"{what} intake is not enabled on this receiver: set {setting} to enable it.",
    )
