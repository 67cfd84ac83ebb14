"""Whether a send is still worth making, given the meeting's state and the time.

Asked when the send is recorded and again just before every attempt, with the newest meeting
snapshot known (the event's own, or a later one): a cancelled or moved meeting never gets a stale
reminder, and an email the meeting has moved past is dropped rather than sent late.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from dealflow_schemas.meetings import MeetingSnapshot, MeetingStatus
from dealflow_schemas.notifications import NotificationKind
from notifications.domain.sends import LogicalSend
from notifications.domain.versions import meeting_version


class StaleReason(StrEnum):
    NO_RECIPIENTS = "no_recipients"
    NO_START = "no_start"
    SUPERSEDED = "superseded"
    CANCELLED = "cancelled"
    NOT_CANCELLED = "not_cancelled"
    NOT_SCHEDULED = "not_scheduled"
    MOVED = "moved"
    STARTED = "started"
    ENDED = "ended"
    BOOKED_TOO_LATE = "booked_too_late"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class Stale:
    """Why a send is skipped: a code to filter on and a sentence for the send log."""

    reason: StaleReason
    detail: str


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def stale_reason(send: LogicalSend, meeting: MeetingSnapshot, *, now: datetime) -> Stale | None:
    """Why `send` should not go out any more, or None when it should."""
    if not send.recipients:
        return Stale(StaleReason.NO_RECIPIENTS, "no attendee has a valid email address")
    if send.kind is NotificationKind.REMINDER:
        return _reminder_stale(send, meeting, now)
    return _booking_email_stale(send, meeting, now)


def _booking_email_stale(
    send: LogicalSend, meeting: MeetingSnapshot, now: datetime
) -> Stale | None:
    current = meeting_version(meeting)
    if current > send.version:
        # A later change will send its own email; this one would show an outdated state.
        return Stale(StaleReason.SUPERSEDED, f"meeting is at version {current}, not {send.version}")
    start = meeting.scheduled_at
    if send.kind is NotificationKind.CANCELLATION:
        if meeting.status != MeetingStatus.CANCELLED:
            return Stale(StaleReason.NOT_CANCELLED, f"meeting is {meeting.status.value}")
        over = meeting.ends_at or start
        if over is not None and over <= now:
            return Stale(StaleReason.ENDED, f"meeting was due to end {_iso(over)}")
        return None
    if meeting.status == MeetingStatus.CANCELLED:
        return Stale(StaleReason.CANCELLED, "meeting was cancelled")
    if meeting.status != MeetingStatus.SCHEDULED:
        return Stale(StaleReason.NOT_SCHEDULED, f"meeting is {meeting.status.value}")
    if start is None:
        return Stale(StaleReason.NO_START, "meeting has no start time")
    if start <= now:
        return Stale(StaleReason.STARTED, f"meeting started {_iso(start)}")
    return None


def _reminder_stale(send: LogicalSend, meeting: MeetingSnapshot, now: datetime) -> Stale | None:
    start, planned = meeting.scheduled_at, send.planned_start
    offset = timedelta(minutes=send.offset_minutes or 0)
    if meeting.status == MeetingStatus.CANCELLED:
        return Stale(StaleReason.CANCELLED, "meeting was cancelled")
    if meeting.status != MeetingStatus.SCHEDULED:
        return Stale(StaleReason.NOT_SCHEDULED, f"meeting is {meeting.status.value}")
    if start is None or planned is None:
        return Stale(StaleReason.NO_START, "meeting has no start time")
    if start != planned:
        return Stale(StaleReason.MOVED, f"planned for {_iso(planned)}, meeting is {_iso(start)}")
    if start <= now:
        return Stale(StaleReason.STARTED, f"meeting started {_iso(start)}")
    if start - meeting.created_at < offset:
        # The meetings service never plans these; a reminder "3 days before" a meeting booked
        # yesterday for tomorrow would be wrong, so it is checked here too.
        return Stale(
            StaleReason.BOOKED_TOO_LATE,
            f"booked {_iso(meeting.created_at)}, less than {send.offset_minutes} min ahead",
        )
    due = send.due_at or start - offset
    if now - due > offset / 2:
        # Held up (outage, quota wait) past half its lead: its wording ("in 3 days") is wrong
        # and a shorter reminder, or the meeting itself, follows soon.
        return Stale(StaleReason.OVERDUE, f"due {_iso(due)}, now {_iso(now)}")
    return None
