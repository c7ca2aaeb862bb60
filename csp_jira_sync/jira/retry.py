"""The one place that decides which Jira failures are worth a retry, and how long to wait.

- 429: Jira Cloud says when to come back (`Retry-After` seconds, or `X-RateLimit-Reset` as an
  ISO time); waiting less just burns budget (jiralert #97 retried without honouring it).
- 5xx, timeouts, dropped connections: transient, but the request may have been carried out, so
  a create is never repeated blindly (see `may_have_landed`).
- 401: a bad or expired token; transient so that nothing is dead-lettered while an operator
  fixes the setting.
- Other 4xx: permanent; the reason goes to the dead-letter list. Treating every 400 as "no data"
  hid missing data in airbyte's source-jira.

The `jira` package's own session retries POSTs on 503 and can retry too early, so it is built
with `max_retries=0` and this policy wraps every call. Note: `str(JIRAError)` includes the
request headers, i.e. the Authorization header, so it is never logged or re-raised as text.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import requests
import tenacity
from jira.exceptions import JIRAError

from csp_jira_sync.errors import JiraError, JiraPermanent, JiraTransient

T = TypeVar("T")
AUTH_RETRY_SECONDS = 60.0


@dataclass(frozen=True)
class Failure:
    error: JiraError
    may_have_landed: bool


def retry_after(headers: Any, now: datetime) -> float | None:
    """Seconds until Jira said to come back (`Retry-After`, else `X-RateLimit-Reset`)."""
    if headers is None:
        return None
    value = headers.get("Retry-After")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                return max(0.0, (parsedate_to_datetime(value) - now).total_seconds())
            except (TypeError, ValueError):
                pass
    reset = headers.get("X-RateLimit-Reset")
    if reset:
        try:
            moment = datetime.fromisoformat(reset.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return max(0.0, (moment - now).total_seconds())
        except ValueError:
            return None
    return None


def jira_messages(response: requests.Response | None) -> str:
    """Jira's own error text from `{"errorMessages": [...], "errors": {...}}`, never headers."""
    if response is None:
        return ""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300].strip()
    if not isinstance(body, dict):
        return ""
    parts = [str(m) for m in body.get("errorMessages") or []]
    errors = body.get("errors") or {}
    if isinstance(errors, dict):
        parts += [f"{field}: {message}" for field, message in errors.items()]
    return "; ".join(parts)


def classify_response(
    status: int, response: requests.Response | None, operation: str, now: datetime
) -> Failure:
    detail = jira_messages(response)
    text = f"{operation}: Jira answered {status}" + (f": {detail}" if detail else "")
    headers = response.headers if response is not None else None
    if status == 429:
        reason = headers.get("RateLimit-Reason", "") if headers is not None else ""
        return Failure(
            JiraTransient(
                text + (f" ({reason})" if reason else ""),
                status=status,
                retry_after=retry_after(headers, now),
            ),
            may_have_landed=False,
        )
    if status >= 500:
        return Failure(
            JiraTransient(text, status=status, retry_after=retry_after(headers, now)),
            may_have_landed=True,
        )
    if status == 401:
        return Failure(
            JiraTransient(
                text + " (check CSP_JIRA_USER, CSP_JIRA_TOKEN and CSP_JIRA_AUTH)",
                status=status,
                # Retrying at once cannot fix a token: hand it to the worker's slower backoff.
                retry_after=AUTH_RETRY_SECONDS,
            ),
            may_have_landed=False,
        )
    return Failure(JiraPermanent(text, status=status), may_have_landed=False)


def classify_failure(exc: BaseException, operation: str, now: datetime | None = None) -> Failure:
    """Turn whatever a Jira call raised into our error, and say whether it might have landed."""
    moment = now or datetime.now(UTC)
    if isinstance(exc, JIRAError):
        status = exc.status_code or 0
        if status == 0:
            return Failure(JiraTransient(f"{operation}: no answer from Jira"), may_have_landed=True)
        return classify_response(status, exc.response, operation, moment)
    if isinstance(exc, requests.ConnectionError | requests.Timeout):
        kind = "timed out" if isinstance(exc, requests.Timeout) else "connection failed"
        # A refused connection never reached Jira; anything later might have.
        landed = not isinstance(exc, requests.ConnectTimeout) and "refused" not in str(exc).lower()
        return Failure(JiraTransient(f"{operation}: {kind}"), may_have_landed=landed)
    if isinstance(exc, requests.RequestException):
        return Failure(JiraTransient(f"{operation}: {type(exc).__name__}"), may_have_landed=True)
    raise exc


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long one gateway call is retried before the worker takes over (the
    worker re-queues the event with its own, longer backoff, so a long outage loses nothing)."""

    max_attempts: int = 4
    initial_wait: float = 0.5
    max_wait: float = 30.0
    sleep: Callable[[float], None] = time.sleep

    def wait_for(self, attempt: int, error: JiraTransient) -> float:
        backoff = min(self.max_wait, self.initial_wait * 2.0 ** (attempt - 1))
        jittered = backoff * (0.5 + random.random() / 2)
        if error.retry_after is not None:
            # Never earlier than Jira asked for; a little later spreads out competing clients.
            asked = float(error.retry_after)
            return min(max(self.max_wait, asked), asked + jittered / 4)
        return jittered

    def run(self, operation: str, call: Callable[[], T], *, idempotent: bool) -> T:
        """Run `call`, retrying transient failures with tenacity. A call that is not idempotent
        (a create, a comment) is retried only when the failure proves it did not land (429,
        a refused connection)."""

        def attempt() -> T:
            try:
                return call()
            except Exception as exc:
                failure = classify_failure(exc, operation)
                if isinstance(failure.error, JiraTransient):
                    failure.error.may_have_landed = failure.may_have_landed
                raise failure.error from None

        def worth_retrying(exc: BaseException) -> bool:
            if not isinstance(exc, JiraTransient):
                return False
            if exc.may_have_landed and not idempotent:
                return False
            # A wait longer than max_wait is the worker's to schedule (the event goes back to
            # the queue with a due time), not a thread to park here.
            return exc.retry_after is None or exc.retry_after <= self.max_wait

        def wait(state: tenacity.RetryCallState) -> float:
            assert state.outcome is not None
            error = state.outcome.exception()
            assert isinstance(error, JiraTransient)
            return self.wait_for(state.attempt_number, error)

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(worth_retrying),
            stop=tenacity.stop_after_attempt(self.max_attempts),
            wait=wait,
            sleep=self.sleep,
            reraise=True,
        )
        result: T = retrying(attempt)
        return result
