"""Everything a CSP lead configures, read from `mappings/*.yaml` into frozen, validated models.

Unknown keys are rejected and every error names the file and the line, so a typo in a mapping
stops the daemon at start-up (`csp-jira-sync check`) instead of mislabelling issues for a month.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from csp_jira_sync.config.catalog import SLUG, Activity, Catalog, Category, check_label
from csp_jira_sync.config.yaml_source import load_yaml
from csp_jira_sync.errors import ConfigError

Severity = Literal["sev1", "sev2", "sev3", "sev4"]
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
SEVERITIES: tuple[Severity, ...] = ("sev1", "sev2", "sev3", "sev4")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# Jira refuses issue type names over 60 characters; one that differs from Jira's only by
# surrounding spaces would never match in `check --live`, so it is refused here.
ISSUE_TYPE_MAX = 60


def _issue_type_name(value: str) -> str:
    if not value.strip():
        raise ValueError("an issue type name is needed, e.g. Task")
    if value != value.strip():
        raise ValueError(f"{value!r} has spaces around it; write the name as Jira shows it")
    if len(value) > ISSUE_TYPE_MAX:
        raise ValueError(f"Jira issue type names have at most {ISSUE_TYPE_MAX} characters")
    return value


IssueTypeName = Annotated[str, AfterValidator(_issue_type_name)]


class Contact(_Frozen):
    name: str = Field(min_length=1)
    email: str = Field(pattern=EMAIL, description="compared case-insensitively")
    role: str = ""


class CustomerJira(_Frozen):
    """How the customer shows in Jira: a label (default `csp-customer-<alias>`)."""

    label: str | None = None

    _check_label = field_validator("label")(lambda v: None if v is None else check_label(v))


class Customer(_Frozen):
    alias: str = Field(pattern=SLUG, max_length=60)
    display_name: str = Field(min_length=1)
    timezone: str
    package: str
    contacts: tuple[Contact, ...] = ()
    jira: CustomerJira = CustomerJira()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name like Europe/London"
            ) from exc
        return value

    @property
    def label(self) -> str:
        return self.jira.label or f"csp-customer-{self.alias}"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_authorized(self, email: str) -> bool:
        wanted = email.strip().casefold()
        return any(c.email.casefold() == wanted for c in self.contacts)


OveragePolicy = Literal["notify", "require-approval", "bill-overage"]


class CarryOver(_Frozen):
    """Unused hours of a month stay usable for `months` more months, oldest used first."""

    months: int = Field(ge=1, le=12)


class Borrowing(_Frozen):
    """Work on issues carrying any of `labels` may borrow up to `max_hours` from next month
    once this month's hours are used up (e.g. sev1 escalations only)."""

    max_hours: float = Field(gt=0)
    labels: tuple[str, ...] = Field(min_length=1)

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_label(v) for v in value)


class Package(_Frozen):
    tier: str = Field(pattern=SLUG)
    hours_per_month: float = Field(gt=0)
    warn_at: tuple[float, ...] = (0.75, 0.9)
    # What happens past 100%: contract options, off by default and always shown in the ledger.
    overage: OveragePolicy = "notify"
    carry_over: CarryOver | None = None
    borrowing: Borrowing | None = None

    @field_validator("warn_at")
    @classmethod
    def _fractions(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(not 0 < v <= 1 for v in value) or list(value) != sorted(value):
            raise ValueError(
                "warn_at must be ascending fractions between 0 and 1, e.g. [0.75, 0.9]"
            )
        return value


class EscalationStatuses(_Frozen):
    acknowledged: str = "In Progress"
    resolved: str = "Done"
    reopened: str = "To Do"


class EscalationMapping(_Frozen):
    issue_type: IssueTypeName = "Incident"
    severity_priority: dict[Severity, str]
    service_components: dict[str, str] = {}
    reopen_window_days: float = Field(default=7, ge=0)
    link_type: str = "Relates"
    statuses: EscalationStatuses = EscalationStatuses()
    # PagerDuty v3 webhooks name the service (`event.data.service.id`), not the customer:
    # service id -> customer alias.
    pagerduty_services: dict[str, str] = {}

    @field_validator("severity_priority")
    @classmethod
    def _every_severity(cls, value: dict[Severity, str]) -> dict[Severity, str]:
        missing = [s for s in SEVERITIES if s not in value]
        if missing:
            raise ValueError(f"no Jira priority for {', '.join(missing)}")
        return value

    @property
    def reopen_window(self) -> timedelta:
        return timedelta(days=self.reopen_window_days)


class IssueTypes(_Frozen):
    """`issue_types.yaml`: the Jira issue type of everything the daemon creates, except
    escalations, whose type is `issue_type` in `escalation.yaml` beside the rest of their
    mapping. "Service Request" exists only in Jira Service Management projects: a Jira
    Software project refuses it, so it is set here rather than assumed."""

    request: IssueTypeName = "Service Request"
    report: IssueTypeName = "Report"
    problem: IssueTypeName = "Problem"
    allowance: IssueTypeName = "Task"


class AllowanceMapping(_Frozen):
    """`allowance.yaml` (optional): who counts as CSP staff and how enforcement shows in Jira."""

    staff_group: str | None = "csp-staff"
    staff_users: tuple[str, ...] = ()  # account ids (Cloud) or user keys/names (Data Center)
    approval_status: str = "Awaiting approval"

    @model_validator(mode="after")
    def _someone_counts(self) -> AllowanceMapping:
        if not self.staff_group and not self.staff_users:
            raise ValueError(
                "no CSP staff: set staff_group (a Jira group, default csp-staff) or staff_users"
            )
        return self


class _CustomersFile(_Frozen):
    customers: tuple[Customer, ...]


class _PackagesFile(_Frozen):
    packages: tuple[Package, ...]


class Mappings(_Frozen):
    """All mappings, cross-checked: every customer's package exists, aliases are unique."""

    source: Path
    catalog: Catalog
    customers: dict[str, Customer]
    packages: dict[str, Package]
    escalation: EscalationMapping
    issue_types: IssueTypes = IssueTypes()

    @property
    def created_issue_types(self) -> dict[str, str]:
        """What the daemon creates -> the Jira issue type it creates it as, for every kind."""
        return {
            "escalation": self.escalation.issue_type,
            "request": self.issue_types.request,
            "report": self.issue_types.report,
            "problem": self.issue_types.problem,
            "allowance": self.issue_types.allowance,
        }

    allowance: AllowanceMapping = AllowanceMapping()

    def customer(self, alias: str) -> Customer | None:
        return self.customers.get(alias.strip().lower())

    def package_of(self, customer: Customer) -> Package:
        return self.packages[customer.package]

    @property
    def escalation_activity(self) -> Activity:
        return self.catalog.activity("escalation-management")

    @property
    def escalation_category(self) -> Category:
        return self.catalog.category_of("escalation-management")


M = TypeVar("M", bound=BaseModel)
ISSUE_TYPES_FILE = "issue_types.yaml"


def _load(directory: Path, name: str, model: type[M]) -> M:
    path = directory / name
    if not path.exists():
        raise ConfigError(f"{path}: missing; every mappings directory needs {name}.")
    document = load_yaml(path)
    try:
        # A file of comments only is an empty mapping: every key takes its default.
        return model.model_validate({} if document.data is None else document.data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            location = tuple(error["loc"])
            line = document.line_of(location)
            where = f"{path}:{line}" if line else str(path)
            dotted = ".".join(str(p) for p in location) or "(top level)"
            problems.append(f"{where}: {dotted}: {_explain(error)}")
        raise ConfigError("invalid mappings:\n  " + "\n  ".join(problems)) from None


def _explain(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key (check its spelling against docs/mappings.md)"
    message: str = error["msg"]
    return message.removeprefix("Value error, ")


def load_mappings(directory: Path) -> Mappings:
    """Load and cross-check every mappings file in `directory`."""
    if not directory.is_dir():
        raise ConfigError(
            f"{directory}: the mappings directory does not exist (set CSP_MAPPINGS_DIR)."
        )
    catalog = _load(directory, "catalog.yaml", Catalog)
    customers = _load(directory, "customers.yaml", _CustomersFile).customers
    packages = _load(directory, "packages.yaml", _PackagesFile).packages
    escalation = _load(directory, "escalation.yaml", EscalationMapping)
    # Optional: a mappings directory from before it existed keeps today's types.
    issue_types = (
        _load(directory, ISSUE_TYPES_FILE, IssueTypes)
        if (directory / ISSUE_TYPES_FILE).exists()
        else IssueTypes()
    )
    allowance = (
        _load(directory, "allowance.yaml", AllowanceMapping)
        if (directory / "allowance.yaml").exists()
        else AllowanceMapping()
    )
    by_tier = {p.tier: p for p in packages}
    if len(by_tier) != len(packages):
        raise ConfigError(f"{directory / 'packages.yaml'}: a package tier is listed twice.")
    by_alias: dict[str, Customer] = {}
    for customer in customers:
        if customer.alias in by_alias:
            raise ConfigError(
                f"{directory / 'customers.yaml'}: customer {customer.alias!r} is listed twice."
            )
        if customer.package not in by_tier:
            raise ConfigError(
                f"{directory / 'customers.yaml'}: customer {customer.alias!r} has package "
                f"{customer.package!r}, which packages.yaml does not define "
                f"(known: {', '.join(sorted(by_tier))})."
            )
        by_alias[customer.alias] = customer
    for service, alias in escalation.pagerduty_services.items():
        if alias not in by_alias:
            raise ConfigError(
                f"{directory / 'escalation.yaml'}: pagerduty_services maps {service!r} to "
                f"customer {alias!r}, which customers.yaml does not define "
                f"(known: {', '.join(sorted(by_alias))})."
            )
    try:
        catalog.activity("escalation-management")
    except KeyError:
        raise ConfigError(
            f"{directory / 'catalog.yaml'}: the activity 'escalation-management' is required; "
            "escalations are labelled with it."
        ) from None
    return Mappings(
        source=directory,
        catalog=catalog,
        customers=by_alias,
        packages=by_tier,
        escalation=escalation,
        issue_types=issue_types,
        allowance=allowance,
    )
