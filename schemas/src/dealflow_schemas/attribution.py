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
    occurred_at: Instant = Field(
        description="When it happened; must carry a time zone.",
        examples=["2026-11-02T09:30:00Z"],
    )
    activity_type: ActivityType = Field(
        description="What kind of interaction it was (email_opened is ignored by default).",
        examples=["email_replied"],
    )
    channel: Name | None = Field(
        default=None,
        description="Explicit channel; when absent the tenant's channel rules classify the touch.",
        examples=["Partners"],
    )
    utm_source: Name | None = Field(
        default=None, description="utm_source of the visit or link.", examples=["google"]
    )
    utm_medium: Name | None = Field(
        default=None, description="utm_medium of the visit or link.", examples=["cpc"]
    )
    utm_campaign: Name | None = Field(
        default=None, description="utm_campaign of the visit or link.", examples=["q4-launch"]
    )
    utm_content: Name | None = Field(
        default=None, description="utm_content of the visit or link.", examples=["banner-a"]
    )
    utm_term: Name | None = Field(
        default=None, description="utm_term of the visit or link.", examples=["crm software"]
    )
    campaign_id: Id | None = Field(
        default=None, description="The sender's campaign id, kept as given.", examples=["cmp-42"]
    )
    external_activity_id: Id | None = Field(
        default=None,
        description="The activity's id in the sending system (CRM, ad platform).",
        examples=["0010X00004ab3"],
    )
    metadata: JsonObject = Field(
        default_factory=dict,
        description="Anything else the sender keeps with the touch; stored, not interpreted.",
        examples=[{"sequence": "outbound-3", "step": 2}],
    )


class TouchSubmitted(TouchIn):
    """A touch sent on `dealflow.touches.v1` (the same fields as the HTTP item, plus tenant)."""

    ce_type: ClassVar[str] = "dealflow.touch.submitted.v1"

    tenant_id: Id = Field(
        description="The tenant the touch belongs to (equals the record's ce_tenantid).",
        examples=["acme"],
    )


class MeetingAttributed(EventModel):
    """The journey that led to a booking: what came before it and which touch converted."""

    ce_type: ClassVar[str] = "dealflow.meeting.attributed.v1"

    tenant_id: str = Field(description="The meeting's tenant.", examples=["acme"])
    meeting_id: UUID = Field(
        description="The meeting (the meetings service's id).",
        examples=["0b9e2c4e-8a51-4f8e-9d7e-3f1c2a6b5d40"],
    )
    person_email: str = Field(
        description="Who booked it, as touches are keyed (lower-cased).",
        examples=["jane@acme.com"],
    )
    booked_at: Instant = Field(
        description="When the meeting was booked.", examples=["2026-11-20T14:05:00Z"]
    )
    touches_before_booking: int = Field(
        description="Touches of the person before the booking.", examples=[4]
    )
    days_to_booking: int | None = Field(
        description="Whole days from the first touch to the booking; null without touches.",
        examples=[12],
    )
    first_touch_channel: str | None = Field(
        description="Channel of the person's first touch; null without touches.",
        examples=["Paid Search"],
    )
    converting_activity_id: str | None = Field(
        description="touch_id of the last touch before the booking.",
        examples=["hubspot-email-8812"],
    )
    converting_channel: str | None = Field(
        description="Channel of that last touch; null without touches.", examples=["Email"]
    )
    rule_version: int = Field(
        description="Version of the channel rules that classified.", examples=[3]
    )
    caused_by: str | None = Field(
        default=None,
        description="Id of the MeetingBooked event.",
        examples=["5f0c1d2e-6a7b-4c8d-9e0f-1a2b3c4d5e6f"],
    )


class ChannelShare(EventModel):
    """One channel's credit in a run; the shares sum to the deal's value to the cent."""

    channel: str = Field(
        description='The channel; "(unattributed)" holds value no eligible touch earned.',
        examples=["Paid Search"],
    )
    minor_units: int = Field(
        description="Credit in the currency's minor unit (cents).", examples=[40000]
    )
    weight: str = Field(
        description="Exact share of the deal as a fraction, e.g. '2/5'.", examples=["2/5"]
    )
    touches: int = Field(description="How many of the deal's touches earned it.", examples=[2])


class DealAttributed(EventModel):
    """One attribution run of a won deal under one model; a later run supersedes it."""

    ce_type: ClassVar[str] = "dealflow.deal.attributed.v1"

    tenant_id: str = Field(description="The deal's tenant.", examples=["acme"])
    deal_id: UUID = Field(
        description="The won deal (the deals service's id).",
        examples=["7c1d9a4b-2e3f-4a5b-8c6d-0e1f2a3b4c5d"],
    )
    run_id: UUID = Field(
        description="This run; a later run of the deal and model names it in `supersedes`.",
        examples=["a3b4c5d6-e7f8-4a9b-8c0d-1e2f3a4b5c6d"],
    )
    model: str = Field(
        description="The attribution model (first_touch, linear, time_decay, markov, ...).",
        examples=["time_decay"],
    )
    parameters: JsonObject = Field(
        default_factory=dict,
        description="The model's parameters as used, exact numbers as text.",
        examples=[{"half_life_days": "7/1"}],
    )
    rule_version: int = Field(
        description="Version of the tenant's channel rules that classified the touches.",
        examples=[3],
    )
    value_minor: int = Field(
        description="The deal's value in the currency's minor unit (cents).", examples=[100000]
    )
    currency: str = Field(description="ISO 4217 code of the value.", examples=["USD"])
    channels: list[ChannelShare] = Field(
        description="Credit per channel, summing to value_minor.",
        examples=[[{"channel": "Email", "minor_units": 100000, "weight": "1/1", "touches": 2}]],
    )
    unattributed_reason: str | None = Field(
        default=None,
        description="Why the value went to (unattributed); null when touches earned it.",
        examples=["no eligible touch"],
    )
    supersedes: UUID | None = Field(
        default=None,
        description="The run this one replaces.",
        examples=["5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b"],
    )
    input_hash: str = Field(
        description="SHA-256 of the run's canonical inputs: equal inputs, equal hash.",
        examples=["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"],
    )
    computed_at: Instant = Field(
        description="When the run was computed.", examples=["2026-11-25T12:00:03Z"]
    )
    caused_by: str | None = Field(
        default=None,
        description="Id of the deal event behind it.",
        examples=["2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a"],
    )


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
