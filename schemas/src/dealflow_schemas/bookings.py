"""The normalized booking event: every Cal.com and Calendly booking trigger, in one shape."""

from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from dealflow_schemas.base import EventModel
from dealflow_schemas.bounded import (
    MAX_ATTENDEES,
    Email,
    Id,
    Instant,
    Int32,
    JsonObject,
    Name,
    Text,
)

BOOKINGS_TOPIC = "dealflow.bookings.v1"


class Provider(StrEnum):
    CALCOM = "calcom"
    CALENDLY = "calendly"


class BookingTrigger(StrEnum):
    """What happened to the booking, independent of the provider's wording."""

    CREATED = "created"
    REQUESTED = "requested"
    REJECTED = "rejected"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    MEETING_STARTED = "meeting_started"
    MEETING_ENDED = "meeting_ended"
    NO_SHOW_UPDATED = "no_show_updated"


class Person(EventModel):
    email: Email | None = Field(default=None, description="Lower-cased email address.")
    name: Name | None = None
    time_zone: Name | None = Field(default=None, description="IANA time zone, e.g. Europe/Berlin.")


class Attendee(Person):
    phone: Name | None = None
    no_show: bool | None = Field(
        default=None,
        description="True when marked as a no-show, False when unmarked, null when unknown.",
    )


class EventType(EventModel):
    id: Id | None = Field(default=None, description="Provider id or URI of the event type.")
    slug: Name | None = Field(default=None, examples=["discovery-call"])
    name: Name | None = Field(default=None, examples=["Discovery Call"])
    length_minutes: Int32 | None = None


class Tracking(EventModel):
    """Marketing attribution data carried by the booking (UTM parameters and friends)."""

    utm_source: Text | None = None
    utm_medium: Text | None = None
    utm_campaign: Text | None = None
    utm_term: Text | None = None
    utm_content: Text | None = None
    salesforce_uuid: Id | None = None
    extra: dict[Name, Text] = Field(
        default_factory=dict, description="Other tracking keys found (e.g. ref, gclid)."
    )


class BookingEvent(EventModel):
    """One booking-related delivery from a scheduling provider, normalized.

    Published to `dealflow.bookings.v1`, keyed by the lower-cased primary attendee email.
    """

    ce_type: ClassVar[str] = "dealflow.booking.v1"

    tenant_id: Id = Field(examples=["demo"])
    provider: Provider
    trigger: BookingTrigger
    provider_trigger: Name = Field(
        description="The provider's own trigger name.", examples=["BOOKING_CREATED"]
    )
    raw_event_id: UUID = Field(description="Id of the stored delivery in the ingest audit log.")
    occurred_at: Instant = Field(description="When the provider emitted the delivery.")
    received_at: Instant

    booking_uid: Id = Field(
        description="Provider id of the booking this event is about: "
        "Cal.com uid, Calendly invitee URI."
    )
    previous_booking_uid: Id | None = Field(
        default=None,
        description="For a reschedule, the uid of the booking it replaces "
        "(Cal.com rescheduleUid, Calendly old_invitee).",
    )
    next_booking_uid: Id | None = Field(
        default=None,
        description="Calendly cancel half of a reschedule: the invitee that replaces this one.",
    )
    is_reschedule: bool = Field(
        default=False,
        description="True for both halves of a reschedule, including Calendly's invitee.canceled "
        "with rescheduled=true: consumers must not treat it as a cancellation.",
    )
    provider_booking_id: Id | None = Field(default=None, description="Cal.com numeric booking id.")
    status: Name | None = Field(default=None, examples=["ACCEPTED", "active", "canceled"])

    event_type: EventType = Field(default_factory=EventType)
    title: Name | None = None
    description: Text | None = None
    start_time: Instant | None = None
    end_time: Instant | None = None
    time_zone: Name | None = Field(default=None, description="The primary attendee's time zone.")
    organizer: Person | None = None
    attendees: list[Attendee] = Field(
        default_factory=list,
        max_length=MAX_ATTENDEES,
        description="Primary attendee (the booker) first, then guests.",
    )
    location: Text | None = None
    meeting_url: Text | None = None

    cancellation_reason: Text | None = None
    cancelled_by: Name | None = None
    rejection_reason: Text | None = None
    rescheduled_by: Name | None = None
    previous_start_time: Instant | None = None
    previous_end_time: Instant | None = None

    booked_by: Name | None = Field(
        default=None, description="Who created the booking when not the attendee."
    )
    booking_method: Name | None = Field(
        default=None, examples=["booking_page", "instant_book", "api", "webapp"]
    )
    tracking: Tracking = Field(default_factory=Tracking)
    answers: JsonObject = Field(
        default_factory=dict, description="Booking form answers (question -> answer)."
    )

    @property
    def primary_email(self) -> str | None:
        return self.attendees[0].email if self.attendees else None

    @property
    def partition_key(self) -> str:
        """Keeps everything about one booker in one partition, in order."""
        return self.primary_email or self.booking_uid
