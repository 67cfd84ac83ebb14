"""From the Meeting aggregate to the events other services read (full state in each)."""

import uuid
from datetime import datetime
from typing import Any

from dealflow_schemas.bookings import Attendee, Person, Tracking
from dealflow_schemas.meetings import (
    MeetingAttended,
    MeetingBooked,
    MeetingCancelled,
    MeetingConfirmed,
    MeetingEvent,
    MeetingNoShow,
    MeetingOutcomeRecorded,
    MeetingRescheduled,
    MeetingSnapshot,
    ReminderDue,
)
from meetings.domain.meeting import Change, Happened, Meeting

_EVENT_FOR: dict[Change, type[MeetingEvent]] = {
    Change.BOOKED: MeetingBooked,
    Change.RESCHEDULED: MeetingRescheduled,
    Change.CANCELLED: MeetingCancelled,
    Change.CONFIRMED: MeetingConfirmed,
    Change.ATTENDED: MeetingAttended,
    Change.NO_SHOW: MeetingNoShow,
    Change.OUTCOME_RECORDED: MeetingOutcomeRecorded,
}

_SNAPSHOT_FIELDS = [
    f
    for f in MeetingSnapshot.model_fields
    if f not in {"meeting_id", "previous_provider_uids", "organizer", "attendees", "tracking"}
]


def snapshot(meeting: Meeting) -> MeetingSnapshot:
    values: dict[str, Any] = {name: getattr(meeting, name) for name in _SNAPSHOT_FIELDS}
    return MeetingSnapshot(
        meeting_id=meeting.id,
        previous_provider_uids=list(meeting.previous_uids),
        organizer=Person.model_validate(meeting.organizer) if meeting.organizer else None,
        attendees=[Attendee.model_validate(a) for a in meeting.attendees],
        tracking=Tracking.model_validate(meeting.tracking or {}),
        **values,
    )


def meeting_event(
    meeting: Meeting, happened: Happened, *, caused_by: str | None, now: datetime, **extra: Any
) -> MeetingEvent:
    model = _EVENT_FOR[happened.change]
    return model(
        meeting_id=meeting.id,
        tenant_id=meeting.tenant_id,
        occurred_at=now,
        caused_by=caused_by,
        meeting=snapshot(meeting),
        **happened.details,
        **extra,
    )


def reminder_due(
    meeting: Meeting,
    *,
    reminder_id: uuid.UUID,
    offset_minutes: int,
    due_at: datetime,
    now: datetime,
) -> ReminderDue:
    return ReminderDue(
        meeting_id=meeting.id,
        tenant_id=meeting.tenant_id,
        occurred_at=now,
        caused_by=f"reminder:{reminder_id}",
        meeting=snapshot(meeting),
        reminder_id=reminder_id,
        offset_minutes=offset_minutes,
        due_at=due_at,
    )
