"""The one settings object, built at the entry point from the environment (prefix `CSP_`) and
an optional env file, then passed down. Nothing else in the package reads the environment.

Every key is listed and explained in `settings.example.env`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CSP_", env_file=None, extra="ignore", frozen=True, hide_input_in_errors=True
    )

    # Jira
    jira_url: str = "http://127.0.0.1:8090"
    jira_user: str = "csp-sync"
    jira_token: SecretStr = SecretStr("csp-sync-token")
    jira_auth: Literal["basic", "bearer"] = "basic"
    jira_deployment: Literal["auto", "cloud", "datacenter"] = "auto"
    jira_api_version: Literal["2", "3"] = "2"
    # A project key: a capital letter, then capitals, digits or underscores (Jira's rule). The
    # daemon's JQL names it unquoted (`project = CSP`), so nothing else may get in.
    jira_project: str = Field(default="CSP", pattern=r"^[A-Z][A-Z0-9_]{0,254}$")
    # A Jira field that names the customer on issues people create (e.g. customfield_10100).
    jira_customer_field: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_]+$")
    jira_timeout_seconds: float = Field(default=10.0, gt=0)
    jira_max_attempts: int = Field(default=6, ge=1)
    jira_max_backoff_seconds: float = Field(default=60.0, gt=0)
    jira_search_settle_seconds: float = Field(default=60.0, ge=0)
    # How many Jira calls may be in flight at once (the worker's lanes, and the ceiling of the
    # adaptive limit), and an optional ceiling on calls per second (see settings.example.env).
    jira_max_concurrency: int = Field(default=16, ge=1, le=256)
    jira_max_calls_per_second: float | None = Field(default=None, gt=0)

    # State store
    database_url: str = "sqlite:///var/csp-jira-sync.sqlite"

    # Receiver
    listen: str = "127.0.0.1:8080"
    webhook_secret: SecretStr | None = None
    webhook_secret_previous: SecretStr | None = None  # accepted too while secrets rotate
    alertmanager_token: SecretStr | None = None
    pagerduty_secret: SecretStr | None = None
    max_body_bytes: int = Field(default=256 * 1024, gt=0)

    # Mappings and data
    mappings_dir: Path = PROJECT_ROOT / "mappings"
    contracts_dir: Path = PROJECT_ROOT.parent / "shared" / "contracts"
    # The request classifier's saved models; unset: `models/` beside the SQLite database
    # (`var/models` for PostgreSQL). See `model_directory`.
    model_dir: Path | None = None
    classify_retrain_interval_seconds: float = Field(default=86400.0, gt=0)

    # Worker
    worker_batch: int = Field(default=200, ge=1)
    worker_poll_seconds: float = Field(default=0.2, gt=0)
    worker_retry_first_seconds: float = Field(default=2.0, gt=0)
    worker_retry_max_seconds: float = Field(default=900.0, gt=0)
    # How long a claimed event stays the claiming daemon's; another daemon sharing the database
    # picks up a killed daemon's events once it has run out (issue 10).
    worker_lease_seconds: float = Field(default=120.0, gt=0)
    triage_interval_seconds: float = Field(default=300.0, gt=0)
    # The allowance ledger (issue 8): the incremental worklog read, and the full re-read of the
    # current and previous month (which also sees issues relabelled by a person).
    allowance_interval_seconds: float = Field(default=300.0, gt=0)
    allowance_recompute_seconds: float = Field(default=3600.0, gt=0)
    # The time zone of the all-customer trend report's weeks and months (a customer's own
    # report uses the customer's zone from customers.yaml).
    report_timezone: str = "UTC"

    # Reports (issue 9)
    # The group each customer's saved filters are shared with; empty: the Jira project.
    report_filter_group: str | None = None
    # How often `serve` looks for a week or month whose report is due, and for recurring problems.
    report_interval_seconds: float = Field(default=3600.0, gt=0)

    # Several daemons on one database (issue 10): the lease of a periodic job's lock.
    job_lock_seconds: float = Field(default=30.0, gt=0)

    # The nightly reconciliation (issue 12): when `serve` runs it (a cron expression read in
    # UTC; empty: `serve` leaves it to cron, a systemd timer or a Kubernetes CronJob), how long
    # done events are kept whole, and when a pending event counts as stuck.
    reconcile_cron: str = "30 2 * * *"
    retention_days: int = Field(default=120, ge=100)
    reconcile_stuck_minutes: float = Field(default=60.0, gt=0)

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("jira_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("CSP_JIRA_URL must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("report_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (KeyError, ValueError):
            raise ValueError(
                "CSP_REPORT_TIMEZONE must be an IANA time zone name, e.g. UTC or Europe/London"
            ) from None
        return value

    @field_validator("reconcile_cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        from croniter import croniter

        value = value.strip()
        if not value:
            return value  # `serve` does not schedule it; an outside scheduler runs `reconcile`
        if len(value.split()) != 5 or not croniter.is_valid(value):
            raise ValueError(
                "CSP_RECONCILE_CRON must be a cron expression of five fields (minute hour day "
                "month weekday), read in UTC, e.g. '30 2 * * *' for 02:30 UTC every day"
            )
        return value

    @field_validator("model_dir", mode="before")
    @classmethod
    def _unset_when_empty(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ValueError("CSP_LISTEN must be host:port, e.g. 127.0.0.1:8080")
        return value

    @property
    def model_directory(self) -> Path:
        """Where trained classifier models live: CSP_MODEL_DIR, else beside the SQLite data."""
        if self.model_dir is not None:
            return self.model_dir
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix) and ":memory:" not in self.database_url:
            return Path(self.database_url.removeprefix(prefix)).parent / "models"
        return PROJECT_ROOT / "var" / "models"

    @property
    def listen_host(self) -> str:
        return self.listen.rpartition(":")[0]

    @property
    def listen_port(self) -> int:
        return int(self.listen.rpartition(":")[2])


def load_settings(env_file: Path | None = None) -> Settings:
    """Build the settings from the environment and, if given, an env file (environment wins)."""
    if env_file is not None:
        return Settings(_env_file=env_file)
    return Settings()
