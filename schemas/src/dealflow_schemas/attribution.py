"""Attribution contracts.

- `dealflow.touches.v1` (in): marketing and sales touches sent by other systems, keyed by the
  lower-cased person email. `TouchSubmitted` is the Kafka form of one `POST /v1/touches` item.
- `dealflow.attribution.v1` (out, published by attribution): how a meeting was reached
  (`MeetingAttributed`, keyed by meeting id) and how a won deal's value is credited per model
  (`DealAttributed`, keyed by deal id).
"""

from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from dealflow_schemas.base import EventModel
from dealflow_schemas.bounded import Email, Id, Instant, JsonObject, Name

TOUCHES_TOPIC = "dealflow.touches.v1"
ATTRIBUTION_TOPIC = "dealflow.attribution.v1"

#: The most touches one `POST /v1/touches` request may carry.
MAX_TOUCHES_PER_BATCH = 1000


class ActivityType(StrEnum):
    EMAIL_SENT = "email_sent"
    EMAIL_OPENED = "email_opened"
    EMAIL_REPLIED = "email_replied"
    EMAIL_CLICKED = "email_clicked"
    LINKEDIN_MESSAGE = "linkedin_message"
    LINKEDIN_CONNECT = "linkedin_connect"
    CALL = "call"
    SMS = "sms"
    WEB_VISIT = "web_visit"
    AD_CLICK = "ad_click"
    FORM_SUBMIT = "form_submit"
    EVENT = "event"
    REFERRAL = "referral"
    MEETING_BOOKED = "meeting_booked"
    OTHER = "other"


class TouchIn(EventModel):
    """One interaction of one person, as a sender reports it (an item of `POST /v1/touches`)."""

    touch_id: Id = Field(
        min_length=1,
        description="The sender's id of the touch: sending it again (per tenant) changes nothing.",
        examples=["hubspot-email-8812"],
    )
    person_email: Email = Field(
        pattern=r"^\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*$",
        description="The person's email (compared lower-cased).",
        examples=["jane@acme.com"],
    )
    occurred_at: Instant = Field(description="When it happened; must carry a time zone.")
    activity_type: ActivityType
    channel: Name | None = Field(
        default=None,
        description="Explicit channel; when absent the tenant's channel rules classify the touch.",
    )
    utm_source: Name | None = None
    utm_medium: Name | None = None
    utm_campaign: Name | None = None
    utm_content: Name | None = None
    utm_term: Name | None = None
    campaign_id: Id | None = None
    external_activity_id: Id | None = None
    metadata: JsonObject = Field(default_factory=dict)


class TouchSubmitted(TouchIn):
    """A touch sent on `dealflow.touches.v1` (the same fields as the HTTP item, plus tenant)."""

    ce_type: ClassVar[str] = "dealflow.touch.submitted.v1"

    tenant_id: Id


class MeetingAttributed(EventModel):
    """The journey that led to a booking: what came before it and which touch converted."""

    ce_type: ClassVar[str] = "dealflow.meeting.attributed.v1"

    tenant_id: str
    meeting_id: UUID
    person_email: str
    booked_at: Instant
    touches_before_booking: int = Field(description="Touches of the person before the booking.")
    days_to_booking: int | None = Field(
        description="Whole days from the first touch to the booking; null without touches."
    )
    first_touch_channel: str | None
    converting_activity_id: str | None = Field(
        description="touch_id of the last touch before the booking."
    )
    converting_channel: str | None
    rule_version: int = Field(description="Version of the channel rules that classified.")
    caused_by: str | None = Field(default=None, description="Id of the MeetingBooked event.")


class ChannelShare(EventModel):
    channel: str
    minor_units: int = Field(description="Credit in the currency's minor unit (cents).")
    weight: str = Field(description="Exact share of the deal as a fraction, e.g. '2/5'.")
    touches: int


class DealAttributed(EventModel):
    """One attribution run of a won deal under one model; a later run supersedes it."""

    ce_type: ClassVar[str] = "dealflow.deal.attributed.v1"

    tenant_id: str
    deal_id: UUID
    run_id: UUID
    model: str
    parameters: JsonObject = Field(default_factory=dict)
    rule_version: int
    value_minor: int
    currency: str
    channels: list[ChannelShare]
    unattributed_reason: str | None = None
    supersedes: UUID | None = Field(default=None, description="The run this one replaces.")
    input_hash: str
    computed_at: Instant
    caused_by: str | None = Field(default=None, description="Id of the deal event behind it.")


class DealAttributionVoided(EventModel):
    """A won deal was reopened: its current runs no longer count (a later win runs afresh)."""

    ce_type: ClassVar[str] = "dealflow.deal.attribution_voided.v1"

    tenant_id: str
    deal_id: UUID
    run_ids: list[UUID] = Field(description="The runs voided, one per model.")
    reason: str
    voided_at: Instant
    caused_by: str | None = Field(default=None, description="Id of the DealReopened event.")


ATTRIBUTION_EVENTS: tuple[type[EventModel], ...] = (
    MeetingAttributed,
    DealAttributed,
    DealAttributionVoided,
)
