"""What the push service asks of a CRM or of Notion, whatever the provider.

An adapter turns these provider-neutral requests into the provider's HTTP calls, made through a
`ProviderHttp` (providers/transport.py), which records every call for the push log and turns
failures into a `ProviderError` the worker knows how to retry. Adapters hold no state of their
own: the ids Dealflow already knows come in, the ids found or created go out, and the push
service keeps them in its external-id map.

Finding before creating: a contact is found by email, a company by domain (or name) before one is
created, so a retry never makes a second. Deals and meeting activities have no natural key in a
CRM, so each carries a marker (the Dealflow id, see `marker`); with `recover=True` (set by the
worker on every attempt after one that failed, when the create may have happened without the
answer reaching us) the adapter looks for the marker before creating.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from dealflow_schemas.crm import CrmProvider

#: The systems pushed to, as the contract names them.
Provider = CrmProvider


CRM_PROVIDERS: tuple[Provider, ...] = (Provider.HUBSPOT, Provider.PIPEDRIVE, Provider.CLOSE)


class MeetingState(StrEnum):
    """Where the meeting stands, as the CRM activity should show it."""

    SCHEDULED = "scheduled"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"


class DealState(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


@dataclass(frozen=True)
class CompanyData:
    domain: str
    name: str


@dataclass(frozen=True)
class ContactData:
    """A contact as Dealflow knows it. A field that is None (or a property not given) leaves
    the CRM's value alone: an update never blanks what the CRM holds."""

    email: str
    first_name: str | None = None
    last_name: str | None = None
    full_name: str | None = None
    phone: str | None = None
    company: CompanyData | None = None
    time_zone: str | None = None
    #: Provider property / custom-field key -> value, from the tenant's field mapping (UTM and
    #: attribution fields). Values are text; the adapter writes them as the provider expects.
    properties: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DealData:
    deal_id: str
    """Dealflow's deal id: the marker that finds this deal again in the CRM."""
    name: str
    pipeline_id: str | None
    stage_id: str | None
    """The CRM stage, already mapped from Dealflow's stage; None = the pipeline's first."""
    state: DealState
    value: Decimal | None
    currency: str
    owner_id: str | None
    expected_close_date: date | None = None
    closed_at: datetime | None = None
    lost_reason: str | None = None
    properties: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MeetingData:
    meeting_id: str
    """Dealflow's meeting id: the marker that finds this activity again in the CRM."""
    title: str
    starts_at: datetime
    ends_at: datetime | None
    time_zone: str | None
    state: MeetingState
    owner_id: str | None
    location: str | None = None
    meeting_url: str | None = None
    outcome: str | None = None
    """Dealflow's recorded outcome (`qualified`, `not_a_fit`, ...), None while pending."""
    notes: str | None = None
    """Free text the activity shows (outcome notes, next steps, no-show reason)."""
    properties: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ContactRef:
    """The CRM ids of a contact and of what holds it (HubSpot company, Pipedrive organization,
    Close lead). `company_id` is None where the CRM has no company for this contact."""

    contact_id: str
    company_id: str | None = None


@dataclass(frozen=True)
class Stage:
    id: str
    name: str
    pipeline_id: str
    order: int = 0
    probability: int | None = None


@dataclass(frozen=True)
class Pipeline:
    id: str
    name: str
    stages: tuple[Stage, ...] = ()


@dataclass(frozen=True)
class CrmUser:
    id: str
    email: str
    name: str | None = None


def marker(kind: str, dealflow_id: str) -> str:
    """The text a deal or activity carries so an uncertain create can be found again."""
    return f"dealflow:{kind}:{dealflow_id}"


class CrmAdapter(Protocol):
    """One CRM account, reached with one connection's credentials."""

    provider: Provider

    async def verify(self) -> None:
        """A cheap authenticated read (listing pipelines); raises ProviderError when refused."""

    async def pipelines(self) -> list[Pipeline]:
        """Every deal pipeline with its stages in order."""
        ...

    async def users(self) -> list[CrmUser]:
        """The CRM users a deal or activity can be owned by."""
        ...

    async def upsert_contact(self, contact: ContactData, known: ContactRef | None) -> ContactRef:
        """The contact (and its company where the CRM has one): found by id, else by email, else
        created; its fields are brought up to date. Never creates a second contact for an email."""
        ...

    async def upsert_deal(
        self, deal: DealData, contact: ContactRef, known_id: str | None, *, recover: bool
    ) -> str:
        """The CRM deal / opportunity for `deal.deal_id`, created or updated to `deal`;
        associated with the contact (and company). Returns its CRM id."""
        ...

    async def upsert_meeting(
        self,
        meeting: MeetingData,
        contact: ContactRef,
        deal_id: str | None,
        known_id: str | None,
        *,
        recover: bool,
    ) -> str:
        """The meeting activity, created or updated (time, state, outcome, notes), associated with
        the contact and, when given, the CRM deal. Returns its CRM id."""
        ...


@dataclass(frozen=True)
class NotionUpdate:
    """Properties to set on the row whose email property equals `email`."""

    email: str
    properties: Mapping[str, "NotionValue"]


@dataclass(frozen=True)
class NotionValue:
    """A value for one Notion property; `kind` is the property's type (select, status, date,
    rich_text, ...) as the table declares it, checked by the adapter before writing."""

    kind: str
    value: str | None


class NotionTarget(Protocol):
    provider: Provider

    async def verify(self) -> None:
        """Reads the database (schema); raises ProviderError when refused or missing."""

    async def property_types(self) -> dict[str, str]:
        """Property name -> Notion type of the target database."""
        ...

    async def update_by_email(self, update: NotionUpdate) -> str | None:
        """Finds the page by its email property and sets the properties; returns the page id,
        or None when no page has that email (nothing is created)."""
        ...
