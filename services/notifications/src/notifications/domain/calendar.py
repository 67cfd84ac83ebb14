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
    organizer = meeting.organizer
    lines = [
        "BEGIN:VCALENDAR",
        f"PRODID:{PRODID}",
        "VERSION:2.0",
        f"METHOD:{method}",
        "BEGIN:VEVENT",
        f"UID:{_text(meeting_uid(meeting.meeting_id))}",
        f"SEQUENCE:{meeting_version(meeting)}",
        f"DTSTAMP:{_utc(stamp)}",
        f"DTSTART:{_utc(start)}",
    ]
    end = _end(meeting, start)
    if end is not None:
        lines.append(f"DTEND:{_utc(end)}")
    lines.append(f"SUMMARY:{_text(meeting.title or 'Meeting')}")
    lines.append(f"STATUS:{'CANCELLED' if method == 'CANCEL' else 'CONFIRMED'}")
    if meeting.location or meeting.meeting_url:
        lines.append(f"LOCATION:{_text(meeting.location or meeting.meeting_url or '')}")
    if meeting.meeting_url and meeting.meeting_url.startswith(("https://", "http://")):
        lines.append(f"URL:{_uri(meeting.meeting_url)}")
        lines.append(f"DESCRIPTION:{_text(f'Join: {meeting.meeting_url}')}")
    lines.append(
        _address(
            "ORGANIZER",
            organizer.email if organizer and organizer.email else organizer_fallback,
            organizer.name if organizer else None,
        )
    )
    names = {a.email.lower(): a.name for a in meeting.attendees if a.email}
    for email in recipients:
        lines.append(
            _address(
                "ATTENDEE",
                email,
                names.get(email),
                ROLE="REQ-PARTICIPANT",
                PARTSTAT="NEEDS-ACTION",
                RSVP="TRUE",
            )
        )
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return Invite(method=method, content=b"".join(_folded(line) for line in lines))


# Written by hand rather than through the icalendar library, whose generic objects cost about
# half a millisecond an invite (a sixth of the service's CPU at hundreds of emails a second);
# the tests parse every invite back with the library.


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _text(value: str) -> str:
    """A TEXT value (RFC 5545 §3.3.11): backslash, semicolon and comma escaped, newlines as
    `\\n`."""
    escaped = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    escaped = escaped.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")
    return "".join(c for c in escaped if (c >= " " and c != "\x7f") or c == "\t")  # no CTLs


def _uri(value: str) -> str:
    """A URI value: taken as is, without characters a content line cannot hold."""
    return "".join(c for c in value if c >= " " and c != "\x7f")


def _param(value: str) -> str:
    """A parameter value (§3.2): quoted when it holds `:`, `;` or `,`; it cannot hold a quote
    or a control character, so those go."""
    cleaned = "".join(c for c in value if c >= " " and c not in '"\x7f')
    return f'"{cleaned}"' if any(c in cleaned for c in ":;,") else cleaned


def _address(name: str, email: str, common_name: str | None, **params: str) -> str:
    """ORGANIZER or ATTENDEE: the mailto: address with its CN and other parameters."""
    shown = {"CN": common_name, **params} if common_name else params
    parameters = "".join(f";{key}={_param(value)}" for key, value in shown.items())
    return f"{name}{parameters}:{_uri(f'mailto:{email}')}"


def _folded(line: str) -> bytes:
    """One content line, CRLF-terminated and folded at 75 octets (§3.1) without splitting a
    UTF-8 character."""
    data = line.encode()
    if len(data) <= 75:
        return data + b"\r\n"
    parts, start, limit = [], 0, 75
    while start < len(data):
        cut = min(start + limit, len(data))
        while cut < len(data) and (data[cut] & 0xC0) == 0x80:  # inside a character
            cut -= 1
        parts.append(data[start:cut])
        start, limit = cut, 74  # a continuation line starts with the folding space
    return b"\r\n ".join(parts) + b"\r\n"
