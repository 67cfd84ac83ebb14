"""The iCalendar invite a booking email carries (RFC 5545 objects, RFC 5546 iTIP methods).

- METHOD:REQUEST for a confirmation and a reschedule (an update is a REQUEST with the same UID),
  METHOD:CANCEL with STATUS:CANCELLED for a cancellation.
- One UID per meeting for its whole life, derived from Dealflow's meeting id (the provider's
  booking uid changes on a reschedule; a new UID would put a second event in the calendar).
- SEQUENCE = the meeting version (`versions.meeting_version`): it strictly rises over
  book -> reschedule -> cancel, and clients ignore a CANCEL not above the last REQUEST.
- Times in UTC, so no VTIMEZONE blocks are needed; the client shows them in its own zone.
- Reminders carry no invite: the attendee has the event from the confirmation, and sending the
  same REQUEST again re-prompts RSVPs and can re-add an event the attendee removed.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from icalendar import Calendar, Event, vCalAddress, vText

from dealflow_schemas.meetings import MeetingSnapshot
from dealflow_schemas.notifications import NotificationKind
from notifications.domain.versions import meeting_version

PRODID = "-//Dealflow//Notifications//EN"
FILENAME = "invite.ics"

_METHODS = {
    NotificationKind.CONFIRMATION: "REQUEST",
    NotificationKind.RESCHEDULE: "REQUEST",
    NotificationKind.CANCELLATION: "CANCEL",
}


@dataclass(frozen=True)
class Invite:
    """An .ics attachment: `content_type` carries the method, as calendar clients expect."""

    method: str
    content: bytes
    filename: str = FILENAME

    @property
    def content_type(self) -> str:
        return f"text/calendar; method={self.method}; charset=UTF-8"


def meeting_uid(meeting_id: UUID) -> str:
    """The meeting's UID for its whole life."""
    return f"{meeting_id}@dealflow"


def _address(email: str, name: str | None, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = vText(name)
    for key, value in params.items():
        address.params[key.replace("_", "-").upper()] = vText(value)
    return address


def _end(meeting: MeetingSnapshot, start: datetime) -> datetime | None:
    if meeting.ends_at is not None and meeting.ends_at > start:
        return meeting.ends_at
    if meeting.duration_minutes:
        return start + timedelta(minutes=meeting.duration_minutes)
    return None


def invite_for(
    kind: NotificationKind,
    meeting: MeetingSnapshot,
    *,
    recipients: tuple[str, ...],
    organizer_fallback: str,
    stamp: datetime,
) -> Invite | None:
    """The invite for a booking email (None for a reminder or a meeting without a start).

    `organizer_fallback` (the sender's address) stands in when the organizer has no email, as
    iTIP requires an ORGANIZER. `stamp` (DTSTAMP) should be the time of the change the email
    tells about, not the time of rendering, so that rendering again after a failed attempt gives
    the same bytes (Resend refuses a reused Idempotency-Key with a different body).
    """
    method = _METHODS.get(kind)
    start = meeting.scheduled_at
    if method is None or start is None:
        return None
    event = Event()
    event.add("uid", meeting_uid(meeting.meeting_id))
    event.add("sequence", meeting_version(meeting))
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("dtstart", start.astimezone(UTC))
    end = _end(meeting, start)
    if end is not None:
        event.add("dtend", end.astimezone(UTC))
    event.add("summary", meeting.title or "Meeting")
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    if meeting.location or meeting.meeting_url:
        event.add("location", meeting.location or meeting.meeting_url)
    if meeting.meeting_url and meeting.meeting_url.startswith(("https://", "http://")):
        event.add("url", meeting.meeting_url)
        event.add("description", f"Join: {meeting.meeting_url}")
    organizer = meeting.organizer
    event.add(
        "organizer",
        _address(
            organizer.email if organizer and organizer.email else organizer_fallback,
            organizer.name if organizer else None,
        ),
    )
    names = {a.email.lower(): a.name for a in meeting.attendees if a.email}
    for email in recipients:
        event.add(
            "attendee",
            _address(
                email,
                names.get(email),
                role="REQ-PARTICIPANT",
                partstat="NEEDS-ACTION",
                rsvp="TRUE",
            ),
        )
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    calendar.add_component(event)
    return Invite(method=method, content=calendar.to_ical())
