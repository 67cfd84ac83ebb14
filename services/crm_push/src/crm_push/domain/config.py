"""A tenant's push settings: where deals go in the CRM and which fields travel with them.

Stored on the connection (so a reconnect keeps them) and served by `GET/PUT /v1/crm/config`.
"""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from dealflow_schemas.deals import DealStage

CrmName = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]

#: Dealflow fields a field mapping may send, and where each comes from.
CONTACT_FIELDS: dict[str, str] = {
    "utm_source": "the booking's utm_source",
    "utm_medium": "the booking's utm_medium",
    "utm_campaign": "the booking's utm_campaign",
    "utm_term": "the booking's utm_term",
    "utm_content": "the booking's utm_content",
    "first_touch_channel": "attribution: channel of the person's first touch",
    "converting_channel": "attribution: channel of the touch before the booking",
    "converting_activity_id": "attribution: touch_id of that touch",
    "touches_before_booking": "attribution: touches before the booking",
    "days_to_booking": "attribution: days from the first touch to the booking",
    "meeting_type": "Dealflow's meeting type (discovery, demo, ...)",
    "booking_method": "how the meeting was booked",
}
DEAL_FIELDS: dict[str, str] = {
    "utm_source": "the source meeting's utm_source",
    "utm_campaign": "the source meeting's utm_campaign",
    "converting_channel": "the deal's converting channel",
    "converting_activity_id": "the deal's converting touch",
    "probability": "Dealflow's stage probability (percent)",
    "weighted_value": "value x probability",
    "dealflow_stage": "Dealflow's stage name",
    "lost_notes": "notes given with a lost reason",
}


class FieldMapping(BaseModel):
    """Dealflow field -> CRM property (HubSpot property name, Pipedrive field key, Close
    `custom.cf_...`)."""

    model_config = ConfigDict(extra="forbid")

    contact: dict[Literal[tuple(CONTACT_FIELDS)], CrmName] = Field(default_factory=dict)  # type: ignore[valid-type]
    deal: dict[Literal[tuple(DEAL_FIELDS)], CrmName] = Field(default_factory=dict)  # type: ignore[valid-type]


class RateLimit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    requests: int = Field(ge=1, le=100_000)
    per_seconds: float = Field(gt=0, le=86_400)


class CrmConfig(BaseModel):
    """Where new deals go and how Dealflow's stages and fields map onto the CRM's."""

    model_config = ConfigDict(extra="forbid")

    pipeline_id: CrmName | None = Field(
        default=None, description="The CRM pipeline for new deals; null = the CRM's default."
    )
    new_deal_stage_id: CrmName | None = Field(
        default=None,
        description="The stage new deals start in when stage_mapping has none for theirs.",
    )
    default_owner_id: CrmName | None = Field(
        default=None, description="Owner when the meeting's host is not a CRM user."
    )
    stage_mapping: dict[DealStage, CrmName] = Field(
        default_factory=dict,
        description="Dealflow stage -> CRM stage id; unmapped open stages leave the CRM stage "
        "as it is, unmapped won/lost use the pipeline's own won/lost stage.",
    )
    field_mapping: FieldMapping = Field(default_factory=FieldMapping)
    rate_limit: RateLimit | None = Field(
        default=None,
        description="Requests this connection may send; null = the provider's documented limit.",
    )


class NotionMapping(BaseModel):
    """Which Notion properties a meeting sets, per kind of change. Values are the option or
    text to set; `{date}` stands for the meeting's date in the attendee's time zone."""

    model_config = ConfigDict(extra="forbid")

    email_property: CrmName = "Email"
    on_booked: dict[CrmName, str] = Field(
        default_factory=lambda: {
            "Booking Status": "Booked",
            "Diagnostic Call Date": "{date}",
            "Christmas Campaign Status": "Pre-Call Prep",
        }
    )
    on_cancelled: dict[CrmName, str] = Field(
        default_factory=lambda: {"Booking Status": "Not Booked"}
    )
    on_attended: dict[CrmName, str] = Field(
        default_factory=lambda: {"Christmas Campaign Status": "Call Done"}
    )
    rate_limit: RateLimit | None = None


#: A placeholder in NotionMapping values.
MEETING_DATE = "{date}"
