"""What comes in: NOC escalation events and customer requests, as frozen, validated models.

The receiver turns each sender's payload (generic NOC, Alertmanager, PagerDuty, the request
channels) into one of these before anything is stored; the worker only ever sees these.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from csp_jira_sync.config.mappings import EMAIL, Severity

EscalationStatus = Literal["open", "acknowledged", "resolved"]
Channel = Literal["email", "portal", "phone"]
EventSource = Literal["noc", "alertmanager", "pagerduty"]

_ID = r"^[A-Za-z0-9][A-Za-z0-9._:@/+-]{0,199}$"


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class EscalationEvent(_Event):
    """One lifecycle event of a NOC escalation (`POST /webhooks/noc`, or mapped from a sender)."""

    event_id: str = Field(
        pattern=_ID, description="unique per delivery of this event; re-deliveries repeat it"
    )
    escalation_id: str = Field(pattern=_ID, description="the NOC's id, quoted back to the NOC")
    customer: str = Field(min_length=1, max_length=60, description="customer alias from mappings")
    title: str = Field(min_length=1, max_length=2000)
    description: str = Field(default="", max_length=200_000)
    severity: Severity
    status: EscalationStatus
    service: str = Field(default="", max_length=200)
    datacenter: str = Field(default="", max_length=50)
    occurred_at: AwareDatetime = Field(description="ISO-8601 with an offset")
    fingerprint: str | None = Field(
        default=None, max_length=200, description="the recurring problem"
    )
    source: EventSource = "noc"

    @field_validator("customer")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


class CustomerRequest(_Event):
    """A customer's request for CSP work (`POST /webhooks/requests`, `import-requests`)."""

    id: str = Field(pattern=_ID)
    customer: str = Field(min_length=1, max_length=60)
    requester: str = Field(pattern=EMAIL, max_length=320)
    channel: Channel
    received_at: AwareDatetime
    subject: str = Field(default="", max_length=2000)
    body: str = Field(default="", max_length=200_000)

    @field_validator("customer")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()
