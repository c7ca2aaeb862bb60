"""Who is calling: basic auth (user name or email + API token) and bearer personal access tokens.

Jira Cloud takes email + API token over basic auth and refuses bearer personal access tokens with
403 "Failed to parse Connect Session Auth Token" (jiralert #177); Data Center takes both. Bad
credentials get 401 with `X-Seraph-LoginReason: AUTHENTICATED_FAILED`, as Jira sends.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from jira_sandbox import errors as msg
from jira_sandbox.errors import JiraApiError
from jira_sandbox.model import User
from jira_sandbox.state import SandboxState


def _bad_credentials() -> JiraApiError:
    return JiraApiError(
        401, [msg.BAD_CREDENTIALS], headers={"X-Seraph-LoginReason": "AUTHENTICATED_FAILED"}
    )


def authenticate(headers: Mapping[str, str], state: SandboxState[Any], cloud: bool) -> User | None:
    """The calling user, None for an anonymous call; raises 401/403 as Jira answers."""
    header = headers.get("authorization")
    if not header:
        return None
    scheme, _, credentials = header.partition(" ")
    scheme = scheme.lower()
    credentials = credentials.strip()
    if scheme == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise _bad_credentials() from None
        login, separator, token = decoded.partition(":")
        user = state.find_user(login) if separator else None
        if user is None or not user.active or user.token != token:
            raise _bad_credentials()
        return user
    if scheme == "bearer":
        if cloud:
            raise JiraApiError(403, body={"error": msg.CLOUD_BEARER_REJECTED})
        user = state.user_for_token(credentials)
        if user is None or not user.active:
            raise _bad_credentials()
        return user
    raise _bad_credentials()


def authentication_required() -> JiraApiError:
    return JiraApiError(401, [msg.NOT_AUTHENTICATED])
