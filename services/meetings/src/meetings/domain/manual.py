"""Meetings booked outside Cal.com and Calendly (phone, email, events): entered by a person."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from dealflow_schemas.bookings import Attendee, Person, Tracking
from dealflow_schemas.meetings import MeetingProvider, MeetingStatus, MeetingType
from meetings.domain.bookings import Identify
from meetings.domain.meeting import Change, Happened, Meeting
from meetings.domain.settings import MeetingSettings, meeting_type_for


@dataclass(frozen=True)
class ManualBooking:
    title: str
    start: datetime
    duration_minutes: int
    attendee: Attendee
    organizer: Person | None = None
    meeting_type: MeetingType | None = None
    meeting_url: str | None = None
    location: str | None = None
    time_zone: str | None = None
    booked_by: str | None = None
    notes: str | None = None
    tracking: Tracking = field(default_factory=Tracking)


def manual_meeting(
    tenant_id: str,
    booking: ManualBooking,
    *,
    settings: MeetingSettings,
    identify: Identify,
    now: datetime,
) -> tuple[Meeting, Happened]:
    email = booking.attendee.email
    company, personal = identify(email, settings.personal_domains) if email else (None, False)
    meeting = Meeting(
        tenant_id=tenant_id,
        provider=MeetingProvider.MANUAL,
        provider_uid=None,
        meeting_type=booking.meeting_type
        or meeting_type_for(settings, slug=None, name=None, title=booking.title),
        status=MeetingStatus.SCHEDULED,
        created_at=now,
        updated_at=now,
        title=booking.title,
        time_zone=booking.time_zone or booking.attendee.time_zone,
        organizer=booking.organizer,
        attendees=[booking.attendee],
        primary_email=email,
        company_domain=company,
        is_personal_email=personal,
        meeting_url=booking.meeting_url,
        location=booking.location,
        booked_by=booking.booked_by,
        booking_method="manual",
        notes=booking.notes,
        tracking=booking.tracking,
    )
    meeting._set_times(booking.start, booking.start + timedelta(minutes=booking.duration_minutes))
    return meeting, Happened(Change.BOOKED)
