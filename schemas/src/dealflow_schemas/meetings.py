"""Meeting events: published by the meetings service to `dealflow.meetings.v1`, keyed by meeting id.

Every event carries the meeting's full current state (`meeting`), so consumers need no lookups.
"""

from datetime import datetime
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from dealflow_schemas.base import AwareDatetime, EventModel
from dealflow_schemas.bookings import Attendee, Person, Tracking

MEETINGS_TOPIC = "dealflow.meetings.v1"


class MeetingProvider(StrEnum):
    CALCOM = "calcom"
    CALENDLY = "calendly"
    MANUAL = "manual"


class MeetingType(StrEnum):
    DISCOVERY = "discovery"
    DEMO = "demo"
    FOLLOW_UP = "follow_up"
    CLOSE = "close"
    ONBOARDING = "onboarding"
    OTHER = "other"


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


def is_upcoming(status: str, scheduled_at: datetime | None, now: datetime) -> bool:
    """The one definition of an upcoming meeting: still scheduled, starting after `now`.

    Meetings' `upcoming` filter is the same rule in SQL (tested to agree with this one).
    """
    return status == MeetingStatus.SCHEDULED and scheduled_at is not None and scheduled_at > now


class MeetingOutcome(StrEnum):
    GOOD = "good"
    BAD = "bad"
    RESCHEDULED = "rescheduled"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    PENDING = "pending"


class MeetingSnapshot(EventModel):
    """The meeting as it is after the change the event describes."""

    meeting_id: UUID
    tenant_id: str
    provider: MeetingProvider
    provider_uid: str | None = Field(description="Current provider booking uid.")
    previous_provider_uids: list[str] = Field(
        default_factory=list,
        description="Earlier uids of this meeting (reschedule chain), oldest first.",
    )
    title: str | None = None
    meeting_type: MeetingType
    event_type_slug: str | None = None
    scheduled_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    duration_minutes: int | None = None
    time_zone: str | None = None
    organizer: Person | None = None
    attendees: list[Attendee] = Field(default_factory=list, description="Primary attendee first.")
    primary_email: str | None = None
    company_domain: str | None = Field(
        default=None,
        description="Registrable domain of the primary attendee; null for personal email.",
    )
    is_personal_email: bool = False
    meeting_url: str | None = None
    location: str | None = None
    booked_by: str | None = None
    booking_method: str | None = None
    status: MeetingStatus
    confirmed: bool = False
    confirmed_at: AwareDatetime | None = None
    reminder_sent: bool = False
    reminder_sent_at: AwareDatetime | None = None
    showed_up: bool | None = None
    showed_up_at: AwareDatetime | None = None
    attendance_confirmed_by: str | None = None
    no_show_reason: str | None = None
    meeting_outcome: MeetingOutcome = MeetingOutcome.PENDING
    notes: str | None = None
    next_steps: str | None = None
    rescheduled_count: int = 0
    original_scheduled_at: AwareDatetime | None = None
    cancellation_reason: str | None = None
    cancelled_at: AwareDatetime | None = None
    tracking: Tracking = Field(default_factory=Tracking)
    deal_id: UUID | None = None
    touches_before_booking: int | None = Field(
        default=None, description="From MeetingAttributed: touches before the booking."
    )
    days_to_booking: int | None = Field(
        default=None, description="From MeetingAttributed: whole days from the first touch."
    )
    converting_activity_id: str | None = Field(
        default=None, description="From MeetingAttributed: touch_id of the converting touch."
    )
    converting_channel: str | None = Field(
        default=None, description="From MeetingAttributed: channel of the converting touch."
    )
    first_touch_channel: str | None = Field(
        default=None, description="From MeetingAttributed: channel of the first touch."
    )
    notification_sent_at: AwareDatetime | None = Field(
        default=None,
        description="From NotificationSent: when the latest email about it was accepted for "
        "delivery (confirmation, reschedule, cancellation or reminder).",
    )
    created_at: AwareDatetime
    updated_at: AwareDatetime


class MeetingEvent(EventModel):
    ce_type: ClassVar[str]

    meeting_id: UUID
    tenant_id: str
    occurred_at: AwareDatetime
    caused_by: str | None = Field(
        default=None, description="Id of the event or request that caused this change."
    )
    meeting: MeetingSnapshot


class MeetingBooked(MeetingEvent):
    ce_type: ClassVar[str] = "dealflow.meeting.booked.v1"


class MeetingRescheduled(MeetingEvent):
    ce_type: ClassVar[str] = "dealflow.meeting.rescheduled.v1"

    previous_scheduled_at: AwareDatetime | None = None
    previous_provider_uid: str | None = None


class MeetingCancelled(MeetingEvent):
    ce_type: ClassVar[str] = "dealflow.meeting.cancelled.v1"

    reason: str | None = None


class MeetingConfirmed(MeetingEvent):
    ce_type: ClassVar[str] = "dealflow.meeting.confirmed.v1"


class MeetingAttended(MeetingEvent):
    ce_type: ClassVar[str] = "dealflow.meeting.attended.v1"


class MeetingNoShow(MeetingEvent):
    ce_type: ClassVar[str] = "dealflow.meeting.no_show.v1"


class MeetingOutcomeRecorded(MeetingEvent):
    ce_type: ClassVar[str] = "dealflow.meeting.outcome_recorded.v1"

    outcome: MeetingOutcome
    create_deal: bool = Field(
        default=False, description="The rep asked for a deal (policy on_good_outcome)."
    )
    deal_value: float | None = None
    deal_name: str | None = None


class ReminderDue(MeetingEvent):
    ce_type: ClassVar[str] = "dealflow.meeting.reminder_due.v1"

    reminder_id: UUID
    offset_minutes: int = Field(description="How long before the start this reminder is due.")
    due_at: AwareDatetime


MEETING_EVENTS: tuple[type[MeetingEvent], ...] = (
    MeetingBooked,
    MeetingRescheduled,
    MeetingCancelled,
    MeetingConfirmed,
    MeetingAttended,
    MeetingNoShow,
    MeetingOutcomeRecorded,
    ReminderDue,
)
