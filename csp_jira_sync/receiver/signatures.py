"""Who may send: Standard Webhooks signatures (NOC, requests), PagerDuty's v1 HMAC, and
Alertmanager's bearer token. Every check runs over the raw body bytes, before any parsing:
a receiver that re-serialises JSON before checking breaks every signature."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence

from pydantic import SecretStr
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from csp_jira_sync.errors import ConfigError
from csp_jira_sync.receiver.problems import Problem

STANDARD_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


def _unauthorized(message: str, *, scheme: str | None = None) -> Problem:
    headers = {"WWW-Authenticate": scheme} if scheme else None
    return Problem(401, "signature", message, headers=headers)


class StandardWebhooksVerifier:
    """Accepts a body signed with any of `secrets` (the current and, while rotating, the
    previous one). The `standardwebhooks` package does the cryptography and enforces its
    five-minute timestamp tolerance, which stops replays of captured deliveries."""

    def __init__(self, secrets: Sequence[tuple[str, SecretStr]]) -> None:
        self._webhooks: list[Webhook] = []
        for setting, secret in secrets:
            try:
                self._webhooks.append(Webhook(secret.get_secret_value()))
            except Exception:
                raise ConfigError(
                    f"{setting} is not a Standard Webhooks secret; use whsec_ followed by "
                    "base64 (at least 24 random bytes), as the sender was given it."
                ) from None
        if not self._webhooks:
            raise ConfigError("no Standard Webhooks secret configured (CSP_WEBHOOK_SECRET)")

    def verify(self, body: str, headers: Mapping[str, str]) -> None:
        missing = [name for name in STANDARD_HEADERS if not headers.get(name)]
        if missing:
            raise _unauthorized(
                f"missing {', '.join(missing)} header(s): sign every delivery per the Standard "
                "Webhooks spec (webhook-id, webhook-timestamp, webhook-signature)."
            )
        wanted = {name: headers[name] for name in STANDARD_HEADERS}
        reason = ""
        for webhook in self._webhooks:
            try:
                webhook.verify(body, wanted, json_parse=False)
                return
            except WebhookVerificationError as exc:
                reason = str(exc)
            except ValueError:  # a signature that is not `v1,<base64>`
                reason = "Malformed signature"
        if "timestamp too" in reason or "Invalid Signature Headers" in reason:
            raise _unauthorized(
                "webhook-timestamp is not within five minutes of the receiver's clock "
                f"({reason.lower()}): check the sender's clock, and sign each delivery afresh."
            )
        raise _unauthorized(
            "the webhook-signature does not match the body: sign "
            "'<webhook-id>.<webhook-timestamp>.<raw body>' with the shared secret (HMAC-SHA256, "
            "base64) and send the body byte for byte as signed."
        )


def verify_pagerduty(body: bytes, header: str | None, secret: SecretStr) -> None:
    """`X-PagerDuty-Signature: v1=<hex>[,v1=<hex>...]`: HMAC-SHA256 of the raw body. Several
    signatures arrive while PagerDuty rotates the subscription's secret; one match is enough."""
    if not header:
        raise _unauthorized(
            "missing X-PagerDuty-Signature header: deliveries must come from the PagerDuty v3 "
            "webhook subscription whose secret is CSP_PAGERDUTY_SECRET."
        )
    expected = (
        b"v1="
        + hmac.new(secret.get_secret_value().encode(), body, hashlib.sha256).hexdigest().encode()
    )
    matched = False
    for candidate in header.split(","):
        # Compare every candidate (constant time each) rather than stopping at the first hit.
        matched |= hmac.compare_digest(candidate.strip().encode(), expected)
    if not matched:
        raise _unauthorized(
            "X-PagerDuty-Signature does not match the body: check that CSP_PAGERDUTY_SECRET "
            "is the secret of this webhook subscription."
        )


def verify_bearer(header: str | None, token: SecretStr) -> None:
    """`Authorization: Bearer <token>` (Alertmanager's http_config.authorization)."""
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        value.strip().encode(), token.get_secret_value().encode()
    ):
        raise _unauthorized(
            "missing or wrong bearer token: set http_config.authorization.credentials in the "
            "Alertmanager receiver to CSP_ALERTMANAGER_TOKEN.",
            scheme='Bearer realm="csp-jira-sync"',
        )
