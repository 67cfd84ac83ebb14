"""How each normalized booking event changes the meetings. Pure: the caller loads and saves.

Providers deliver out of order and twice. The rules here make every event safe to apply late or
again: an event about a meeting not seen yet creates it when it carries enough to do so, and is
otherwise deferred until the meeting appears.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from dealflow_schemas.bookings import BookingEvent, BookingTrigger
from dealflow_schemas.meetings import MeetingProvider, MeetingStatus
from meetings.domain.meeting import Change, Happened, Meeting
from meetings.domain.settings import MeetingSettings, meeting_type_for

#: (email, tenant's extra personal domains) -> (company domain, is personal)
Identify = Callable[[str, tuple[str, ...]], tuple[str | None, bool]]


@dataclass
class MeetingBook:
    """The meetings a batch of events may touch, findable by any uid of their reschedule chain."""

    by_uid: dict[tuple[str, str], Meeting] = field(default_factory=dict)
    created: list[Meeting] = field(default_factory=list)
    new_aliases: list[tuple[str, str, Meeting]] = field(default_factory=list)

    def find(self, tenant_id: str, *uids: str | None) -> Meeting | None:
        for uid in uids:
            if uid and (meeting := self.by_uid.get((tenant_id, uid))):
                return meeting
        return None

    def alias(self, meeting: Meeting, uid: str | None) -> None:
        if uid and (meeting.tenant_id, uid) not in self.by_uid:
            self.by_uid[(meeting.tenant_id, uid)] = meeting
            self.new_aliases.append((meeting.tenant_id, uid, meeting))

    def add(self, meeting: Meeting) -> None:
        self.created.append(meeting)
        for uid in meeting.all_uids:
            self.alias(meeting, uid)


@dataclass
class Applied:
    meeting: Meeting | None
    happened: list[Happened] = field(default_factory=list)
    deferred: bool = False


def _can_create_from(event: BookingEvent) -> bool:
    return event.start_time is not None and bool(event.attendees)


def new_meeting(
    event: BookingEvent, settings: MeetingSettings, identify: Identify, now: datetime
) -> Meeting:
    primary = event.primary_email
    company, personal = identify(primary, settings.personal_domains) if primary else (None, False)
    meeting = Meeting(
        tenant_id=event.tenant_id,
        provider=MeetingProvider(event.provider.value),
        provider_uid=event.booking_uid,
        meeting_type=meeting_type_for(
            settings, slug=event.event_type.slug, name=event.event_type.name, title=event.title
        ),
        status=MeetingStatus.SCHEDULED,
        created_at=now,
        updated_at=now,
        title=event.title,
        event_type_slug=event.event_type.slug,
        time_zone=event.time_zone,
        organizer=event.organizer,
        attendees=list(event.attendees),
        primary_email=primary,
        company_domain=company,
        is_personal_email=personal,
        meeting_url=event.meeting_url,
        location=event.location,
        booked_by=event.booked_by,
        booking_method=event.booking_method or "booking_page",
        provider_status=event.status,
        tracking=event.tracking,
    )
    meeting._set_times(event.start_time, event.end_time)
    return meeting


@dataclass(frozen=True)
class _Step:
    """What every handler works with besides the event itself."""

    book: MeetingBook
    settings: MeetingSettings
    identify: Identify
    now: datetime


def apply_booking(
    book: MeetingBook,
    event: BookingEvent,
    *,
    settings: MeetingSettings,
    identify: Identify,
    now: datetime,
) -> Applied:
    handler = _HANDLERS[event.trigger]
    return handler(_Step(book, settings, identify, now), event)


def _create(step: _Step, event: BookingEvent) -> Applied:
    meeting = new_meeting(event, step.settings, step.identify, step.now)
    step.book.add(meeting)
    return Applied(meeting, [Happened(Change.BOOKED)])


def _on_created(step: _Step, event: BookingEvent) -> Applied:
    if event.previous_booking_uid:
        return _on_rescheduled(step, event)
    meeting = step.book.find(event.tenant_id, event.booking_uid)
    if meeting is None:
        return _create(step, event)
    if event.trigger is BookingTrigger.CREATED and meeting.provider_status == "PENDING":
        meeting.provider_status, meeting.updated_at = (
            event.status or "ACCEPTED",
            step.now,
        )  # host accepted
    return Applied(meeting)


def _on_rescheduled(step: _Step, event: BookingEvent) -> Applied:
    meeting = step.book.find(event.tenant_id, event.previous_booking_uid, event.booking_uid)
    if meeting is None:
        # The original booking never reached us: this is the first we hear of the meeting.
        meeting = new_meeting(event, step.settings, step.identify, step.now)
        if event.previous_booking_uid:
            meeting.previous_uids = [event.previous_booking_uid]
            meeting.rescheduled_count = 1
            meeting.original_scheduled_at = event.previous_start_time
        step.book.add(meeting)
        return Applied(meeting, [Happened(Change.BOOKED)])
    happened = meeting.reschedule(
        new_uid=event.booking_uid, start=event.start_time, end=event.end_time, now=step.now
    )
    step.book.alias(meeting, event.booking_uid)
    return Applied(meeting, [happened] if happened else [])


def _find_or_create(step: _Step, event: BookingEvent) -> Applied:
    """The meeting an event is about; created from the event if it carries enough, else deferred."""
    meeting = step.book.find(event.tenant_id, event.booking_uid)
    if meeting is not None:
        return Applied(meeting)
    if not _can_create_from(event):
        return Applied(None, deferred=True)
    return _create(step, event)


def _on_cancelled(step: _Step, event: BookingEvent) -> Applied:
    found = _find_or_create(step, event)
    if found.meeting is None:
        return found
    meeting, happened = found.meeting, found.happened
    if event.is_reschedule:
        # Half of a reschedule (Calendly's cancel half, Cal.com's "request reschedule"):
        # never a cancellation.
        if event.next_booking_uid is None or meeting.provider_uid != event.next_booking_uid:
            if meeting.provider_uid == event.booking_uid:
                meeting.expect_reschedule(step.now)
            step.book.alias(meeting, event.next_booking_uid)
        return Applied(meeting, happened)
    reason = (
        event.rejection_reason
        if event.trigger is BookingTrigger.REJECTED
        else event.cancellation_reason
    )
    if meeting.provider_uid != event.booking_uid:
        return Applied(meeting, happened)  # an old uid of a meeting that has moved on
    cancelled = meeting.cancel(reason=reason, by=event.cancelled_by, now=step.now)
    return Applied(meeting, happened + ([cancelled] if cancelled else []))


def _on_started(step: _Step, event: BookingEvent) -> Applied:
    meeting = step.book.find(event.tenant_id, event.booking_uid)
    if meeting is None and _can_create_from(event):
        return _create(step, event)
    return Applied(meeting)


def _on_ended(step: _Step, event: BookingEvent) -> Applied:
    found = _find_or_create(step, event)
    if found.meeting is None:
        return found
    meeting, happened = found.meeting, found.happened
    ended = meeting.mark_ended(step.now)
    return Applied(meeting, happened + ([ended] if ended else []))


def _on_no_show(step: _Step, event: BookingEvent) -> Applied:
    meeting = step.book.find(event.tenant_id, event.booking_uid)
    if meeting is None:
        return Applied(None, deferred=True)
    marks = {a.email: a.no_show for a in event.attendees if a.email}
    if meeting.primary_email is None:
        flag = next(iter(marks.values()), None)
    elif meeting.primary_email in marks:
        flag = marks[meeting.primary_email]
    else:
        return Applied(meeting)  # only guests were (un)marked: the booker's attendance stands
    happened = meeting.set_provider_no_show(flag, source=event.provider.value, now=step.now)
    return Applied(meeting, [happened] if happened else [])


_HANDLERS = {
    BookingTrigger.CREATED: _on_created,
    BookingTrigger.REQUESTED: _on_created,
    BookingTrigger.RESCHEDULED: _on_rescheduled,
    BookingTrigger.CANCELLED: _on_cancelled,
    BookingTrigger.REJECTED: _on_cancelled,
    BookingTrigger.MEETING_STARTED: _on_started,
    BookingTrigger.MEETING_ENDED: _on_ended,
    BookingTrigger.NO_SHOW_UPDATED: _on_no_show,
}
