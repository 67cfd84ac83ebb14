"""Which email a meeting event asks for, to whom, and the key that makes it one logical send.

A logical send is (kind, meeting, version) for booking emails and (meeting, planned start,
offset) for reminders; its key is the unique key of the send log and the provider's
Idempotency-Key, so a redelivered event, a restart or a second instance finds the same send.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from dealflow_libs.domains import normalise_email
from dealflow_schemas.meetings import (
    MeetingBooked,
    MeetingCancelled,
    MeetingEvent,
    MeetingRescheduled,
    MeetingSnapshot,
    ReminderDue,
)
from dealflow_schemas.notifications import NotificationKind
from notifications.domain.versions import meeting_version

#: Resend accepts Idempotency-Keys of 1-256 characters.
MAX_IDEMPOTENCY_KEY = 256

_BOOKING_KINDS: dict[type[MeetingEvent], NotificationKind] = {
    MeetingBooked: NotificationKind.CONFIRMATION,
    MeetingRescheduled: NotificationKind.RESCHEDULE,
    MeetingCancelled: NotificationKind.CANCELLATION,
}


@dataclass(frozen=True)
class LogicalSend:
    """One email a meeting event asks for. `version` is the meeting's at the event (the key's
    for booking emails); reminders carry the start they were planned for and when they were due.
    """

    kind: NotificationKind
    meeting_id: UUID
    version: int
    recipients: tuple[str, ...]
    key: str
    offset_minutes: int | None = None
    planned_start: datetime | None = None
    due_at: datetime | None = None


def kind_for(event: MeetingEvent) -> NotificationKind | None:
    """The kind of email `event` asks for; None for events that send nothing (confirmed,
    attended, no-show, outcome recorded)."""
    if isinstance(event, ReminderDue):
        return NotificationKind.REMINDER
    return _BOOKING_KINDS.get(type(event))


def send_for(event: MeetingEvent) -> LogicalSend | None:
    """The logical send `event` asks for, or None. Whether it is still worth sending is
    `staleness.stale_reason`'s question (asked at intake and before every attempt)."""
    kind = kind_for(event)
    if kind is None:
        return None
    meeting = event.meeting
    recipients = recipients_of(meeting)
    version = meeting_version(meeting)
    if isinstance(event, ReminderDue):
        # The start this reminder was planned for: a moved meeting has another start now.
        planned_start = event.due_at + timedelta(minutes=event.offset_minutes)
        return LogicalSend(
            kind=kind,
            meeting_id=event.meeting_id,
            version=version,
            recipients=recipients,
            key=reminder_key(event.meeting_id, planned_start, event.offset_minutes),
            offset_minutes=event.offset_minutes,
            planned_start=planned_start,
            due_at=event.due_at,
        )
    return LogicalSend(
        kind=kind,
        meeting_id=event.meeting_id,
        version=version,
        recipients=recipients,
        key=booking_key(kind, event.meeting_id, version),
    )


def recipients_of(meeting: MeetingSnapshot) -> tuple[str, ...]:
    """The attendees' addresses, primary first, each once (case-insensitive). Addresses that
    are no valid email are left out (one would make the provider refuse the whole email), and
    so is the organizer: the email is on their behalf, and replies go to them."""
    organizer = meeting.organizer.email if meeting.organizer else None
    excluded = {normalise_email(organizer)} if organizer else set()
    seen: list[str] = []
    for attendee in meeting.attendees:
        address = normalise_email(attendee.email) if attendee.email else None
        if address and address not in excluded and address not in seen:
            seen.append(address)
    return tuple(seen)


def booking_key(kind: NotificationKind, meeting_id: UUID, version: int) -> str:
    """`confirmation/{meeting_id}/v{version}` (likewise `reschedule/`, `cancellation/`)."""
    return f"{kind.value}/{meeting_id}/v{version}"


def reminder_key(meeting_id: UUID, planned_start: datetime, offset_minutes: int) -> str:
    """`reminder/{meeting_id}/{start as 2025-12-09T09:00:00Z}/{offset}`."""
    start = planned_start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"reminder/{meeting_id}/{start}/{offset_minutes}"


def idempotency_key(send_key: str, *, resend: int = 0) -> str:
    """The provider's Idempotency-Key for a send: its key, so a retry after a crash between the
    provider's answer and our commit is recognised. A manual resend (`resend` = 1, 2, ...) asks
    for a new email, so it gets a key of its own. Never over 256 characters (hashed if longer,
    which no key built here comes near)."""
    key = send_key if resend == 0 else f"{send_key}/resend-{resend}"
    if len(key) <= MAX_IDEMPOTENCY_KEY:
        return key
    return f"sha256/{hashlib.sha256(key.encode()).hexdigest()}"
