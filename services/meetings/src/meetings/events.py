"""From the Meeting aggregate to the events other services read (full state in each).

Every contract field is named here, one builder per event: mypy (pydantic plugin) flags a new
required field, and tests check that no field is left to its default.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

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


def snapshot(meeting: Meeting) -> MeetingSnapshot:
    return MeetingSnapshot(
        meeting_id=meeting.id,
        tenant_id=meeting.tenant_id,
        provider=meeting.provider,
        provider_uid=meeting.provider_uid,
        previous_provider_uids=list(meeting.previous_uids),
        title=meeting.title,
        meeting_type=meeting.meeting_type,
        event_type_slug=meeting.event_type_slug,
        scheduled_at=meeting.scheduled_at,
        ends_at=meeting.ends_at,
        duration_minutes=meeting.duration_minutes,
        time_zone=meeting.time_zone,
        organizer=meeting.organizer,
        attendees=list(meeting.attendees),
        primary_email=meeting.primary_email,
        company_domain=meeting.company_domain,
        is_personal_email=meeting.is_personal_email,
        meeting_url=meeting.meeting_url,
        location=meeting.location,
        booked_by=meeting.booked_by,
        booking_method=meeting.booking_method,
        status=meeting.status,
        confirmed=meeting.confirmed,
        confirmed_at=meeting.confirmed_at,
        reminder_sent=meeting.reminder_sent,
        reminder_sent_at=meeting.reminder_sent_at,
        showed_up=meeting.showed_up,
        showed_up_at=meeting.showed_up_at,
        attendance_confirmed_by=meeting.attendance_confirmed_by,
        no_show_reason=meeting.no_show_reason,
        meeting_outcome=meeting.meeting_outcome,
        notes=meeting.notes,
        next_steps=meeting.next_steps,
        rescheduled_count=meeting.rescheduled_count,
        original_scheduled_at=meeting.original_scheduled_at,
        cancellation_reason=meeting.cancellation_reason,
        cancelled_at=meeting.cancelled_at,
        tracking=meeting.tracking,
        deal_id=meeting.deal_id,
        touches_before_booking=meeting.touches_before_booking,
        days_to_booking=meeting.days_to_booking,
        converting_activity_id=meeting.converting_activity_id,
        converting_channel=meeting.converting_channel,
        first_touch_channel=meeting.first_touch_channel,
        notification_sent_at=meeting.notification_sent_at,
        created_at=meeting.created_at,
        updated_at=meeting.updated_at,
    )


@dataclass(frozen=True)
class DealRequest:
    """What a rep asked for with a good outcome (policy on_good_outcome)."""

    create_deal: bool = False
    deal_value: float | None = None
    deal_name: str | None = None


@dataclass(frozen=True)
class _Context:
    meeting: Meeting
    happened: Happened
    caused_by: str | None
    now: datetime
    deal: DealRequest


class _Header(TypedDict):
    """The fields every meeting event has (mypy checks the ** below against each event)."""

    meeting_id: uuid.UUID
    tenant_id: str
    occurred_at: datetime
    caused_by: str | None
    meeting: MeetingSnapshot


def _header(c: _Context) -> _Header:
    return _Header(
        meeting_id=c.meeting.id,
        tenant_id=c.meeting.tenant_id,
        occurred_at=c.now,
        caused_by=c.caused_by,
        meeting=snapshot(c.meeting),
    )


def _booked(c: _Context) -> MeetingBooked:
    return MeetingBooked(**_header(c))


def _rescheduled(c: _Context) -> MeetingRescheduled:
    return MeetingRescheduled(
        **_header(c),
        previous_scheduled_at=c.happened.details["previous_scheduled_at"],
        previous_provider_uid=c.happened.details["previous_provider_uid"],
    )


def _cancelled(c: _Context) -> MeetingCancelled:
    return MeetingCancelled(
        **_header(c),
        reason=c.happened.details["reason"],
    )


def _confirmed(c: _Context) -> MeetingConfirmed:
    return MeetingConfirmed(**_header(c))


def _attended(c: _Context) -> MeetingAttended:
    return MeetingAttended(**_header(c))


def _no_show(c: _Context) -> MeetingNoShow:
    return MeetingNoShow(**_header(c))


def _outcome_recorded(c: _Context) -> MeetingOutcomeRecorded:
    return MeetingOutcomeRecorded(
        **_header(c),
        outcome=c.happened.details["outcome"],
        create_deal=c.deal.create_deal,
        deal_value=c.deal.deal_value,
        deal_name=c.deal.deal_name,
    )


_BUILDERS: dict[Change, Callable[[_Context], MeetingEvent]] = {
    Change.BOOKED: _booked,
    Change.RESCHEDULED: _rescheduled,
    Change.CANCELLED: _cancelled,
    Change.CONFIRMED: _confirmed,
    Change.ATTENDED: _attended,
    Change.NO_SHOW: _no_show,
    Change.OUTCOME_RECORDED: _outcome_recorded,
}


def meeting_event(
    meeting: Meeting,
    happened: Happened,
    *,
    caused_by: str | None,
    now: datetime,
    deal: DealRequest | None = None,
) -> MeetingEvent:
    """The event describing `happened`, with the meeting's state after it."""
    context = _Context(meeting, happened, caused_by, now, deal or DealRequest())
    return _BUILDERS[happened.change](context)


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
