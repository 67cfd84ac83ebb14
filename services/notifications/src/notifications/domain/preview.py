"""Sample data for `POST /v1/templates/{kind}/preview`: a template shown on a realistic meeting
without sending anything (or on a real meeting's snapshot, when the caller names one)."""

import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from dealflow_schemas.meetings import MeetingSnapshot
from dealflow_schemas.notifications import NotificationKind
from notifications.domain.compose import ComposedEmail, compose
from notifications.domain.senders import SenderTable
from notifications.domain.sends import LogicalSend, booking_key, recipients_of, reminder_key
from notifications.domain.templates import Template
from notifications.domain.versions import meeting_version

SAMPLE_MEETING_ID = uuid.UUID("00000000-0000-4000-8000-00000000beef")
#: The reminder shown when a preview names none: the day-before one.
SAMPLE_OFFSET_MINUTES = 24 * 60


def sample_meeting(kind: NotificationKind, *, now: datetime) -> MeetingSnapshot:
    """A 30-minute call with a Berlin prospect three days after `now`, at 10:00 Berlin time,
    in the state `kind` describes (moved once for a reschedule, cancelled for a cancellation)."""
    berlin = ZoneInfo("Europe/Berlin")
    day = (now.astimezone(berlin) + timedelta(days=3)).date()
    start = datetime.combine(day, time(10, 0), tzinfo=berlin)
    cancelled = kind is NotificationKind.CANCELLATION
    return MeetingSnapshot(
        meeting_id=SAMPLE_MEETING_ID,
        tenant_id="preview",
        provider="calcom",
        provider_uid="sample-booking",
        title="Diagnostic call",
        meeting_type="discovery",
        scheduled_at=start,
        ends_at=start + timedelta(minutes=30),
        duration_minutes=30,
        time_zone="Europe/Berlin",
        organizer={
            "email": "benjamin.crane@revenueengineer.com",
            "name": "Benjamin Crane",
            "time_zone": "America/New_York",
        },
        attendees=[{"email": "jane@prospect.io", "name": "Jane Doe", "time_zone": "Europe/Berlin"}],
        primary_email="jane@prospect.io",
        meeting_url="https://meet.example.com/abc-defg-hij",
        status="cancelled" if cancelled else "scheduled",
        rescheduled_count=1 if kind is NotificationKind.RESCHEDULE else 0,
        cancellation_reason="Something came up on my side." if cancelled else None,
        created_at=now,
        updated_at=now,
    )


def preview(
    kind: NotificationKind,
    *,
    senders: SenderTable,
    now: datetime,
    template: Template | None = None,
    meeting: MeetingSnapshot | None = None,
    offset_minutes: int | None = None,
) -> ComposedEmail:
    """`template` (else the default) rendered for `meeting`, else for the sample meeting."""
    sample = meeting is None
    meeting = meeting or sample_meeting(kind, now=now)
    version = meeting_version(meeting)
    offset = (
        (offset_minutes or SAMPLE_OFFSET_MINUTES) if kind is NotificationKind.REMINDER else None
    )
    start = meeting.scheduled_at or now
    key = (
        reminder_key(meeting.meeting_id, start, offset)
        if offset is not None
        else booking_key(kind, meeting.meeting_id, version)
    )
    send = LogicalSend(
        kind=kind,
        meeting_id=meeting.meeting_id,
        version=version,
        recipients=recipients_of(meeting),
        key=key,
        offset_minutes=offset,
        planned_start=start if offset is not None else None,
    )
    moved_from = (
        start - timedelta(days=1) if sample and kind is NotificationKind.RESCHEDULE else None
    )
    return compose(
        send,
        meeting,
        senders=senders,
        template=template,
        stamp=meeting.updated_at,
        previous_start=moved_from,
    )
