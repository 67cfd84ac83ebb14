"""An email's content for one meeting: the placeholder values and the `{details}` block.

Everything comes from the meeting snapshot (and, for a reschedule, the start it had before), so
rendering the same send again gives the same text: a retry re-sends the same body under the
same Idempotency-Key. Times are in the recipient's zone (else the organizer's, else UTC).
The provider's reschedule and cancel links are rendered when given: meeting snapshots do not
carry them today, so `links` is empty unless a caller has them.
"""

import html
from dataclasses import dataclass
from datetime import datetime

from dealflow_schemas.bookings import Attendee
from dealflow_schemas.meetings import MeetingSnapshot
from dealflow_schemas.notifications import NotificationKind
from notifications.domain.default_templates import default_template
from notifications.domain.templates import Blocks, RenderedEmail, Template, fill
from notifications.domain.zones import When, describe, display_zone


@dataclass(frozen=True)
class ManageLinks:
    """The provider's self-service links for the booking, when known."""

    reschedule_url: str | None = None
    cancel_url: str | None = None


def _link(url: str | None) -> str:
    """Only web links are offered: a `javascript:` or `data:` URL in a template is an attack."""
    url = (url or "").strip()
    return url if url.lower().startswith(("https://", "http://")) else ""


def starts_in(offset_minutes: int) -> str:
    """`in 3 days`, `in 24 hours`, `in 2 hours`, `in 1 hour`, `in 45 minutes`."""
    days, hours = divmod(offset_minutes, 24 * 60)
    if days >= 2 and hours == 0:
        return f"in {days} days"
    if offset_minutes % 60 == 0:
        n = offset_minutes // 60
        return f"in {n} hour{'s' if n != 1 else ''}"
    return f"in {offset_minutes} minute{'s' if offset_minutes != 1 else ''}"


def _duration(meeting: MeetingSnapshot) -> str:
    minutes = meeting.duration_minutes
    if not minutes and meeting.scheduled_at and meeting.ends_at:
        minutes = int((meeting.ends_at - meeting.scheduled_at).total_seconds() // 60)
    return f"{minutes} minutes" if minutes else ""


@dataclass(frozen=True)
class MailInput:
    """What one email is rendered from."""

    kind: NotificationKind
    meeting: MeetingSnapshot
    recipient: str | None = None
    offset_minutes: int | None = None
    previous_start: datetime | None = None
    links: ManageLinks = ManageLinks()


def _recipient(mail: MailInput) -> Attendee | None:
    """The attendee the email is written for: `recipient`, else the primary attendee."""
    attendees = mail.meeting.attendees
    if mail.recipient is None:
        return attendees[0] if attendees else None
    wanted = mail.recipient.lower()
    return next((a for a in attendees if (a.email or "").lower() == wanted), None)


def _when(mail: MailInput, recipient: Attendee | None) -> tuple[When | None, When | None]:
    meeting = mail.meeting
    attendees = meeting.attendees
    is_primary = recipient is not None and bool(attendees) and recipient is attendees[0]
    zone = display_zone(
        recipient.time_zone if recipient else None,
        meeting.time_zone if is_primary else None,  # the booking's zone is the booker's
        meeting.organizer.time_zone if meeting.organizer else None,
    )
    now = describe(meeting.scheduled_at, meeting.ends_at, zone) if meeting.scheduled_at else None
    before = describe(mail.previous_start, None, zone) if mail.previous_start else None
    return now, before


def placeholder_values(mail: MailInput) -> dict[str, str]:
    """Every value placeholder's text for this email ("" where the meeting has none)."""
    meeting, recipient = mail.meeting, _recipient(mail)
    organizer = meeting.organizer
    when, before = _when(mail, recipient)
    name = ((recipient.name if recipient else None) or "").strip()
    join_url = _link(meeting.meeting_url)
    location = (meeting.location or "").strip()
    return {
        "attendee_name": name or "there",
        "attendee_first_name": name.split()[0] if name else "there",
        "organizer_name": (organizer.name or organizer.email if organizer else None) or "your host",
        "organizer_email": (organizer.email or "") if organizer else "",
        "title": meeting.title or "meeting",
        "when": when.text if when else "",
        "date": when.date if when else "",
        "start_time": when.start_time if when else "",
        "end_time": when.end_time if when else "",
        "time_zone": when.time_zone if when else "",
        "duration": _duration(meeting),
        "join_url": join_url,
        "location": "" if location == join_url else location,
        "reschedule_url": _link(mail.links.reschedule_url),
        "cancel_url": _link(mail.links.cancel_url),
        "previous_when": before.text if before else "",
        "cancellation_reason": (meeting.cancellation_reason or "").strip(),
        "starts_in": starts_in(mail.offset_minutes) if mail.offset_minutes else "",
    }


def _detail_rows(kind: NotificationKind, values: dict[str, str]) -> list[tuple[str, str, bool]]:
    """(label, value, is a link) for the `{details}` block, only those with a value."""
    rows = [
        ("When", values["when"], False),
        ("Was", values["previous_when"] if kind is NotificationKind.RESCHEDULE else "", False),
    ]
    if kind is NotificationKind.CANCELLATION:
        rows.append(("Reason", values["cancellation_reason"], False))
    else:
        rows += [
            ("Where", values["location"], False),
            ("Join", values["join_url"], True),
            ("Need another time?", values["reschedule_url"], True),
            ("Can't make it?", values["cancel_url"], True),
        ]
    return [row for row in rows if row[1]]


def detail_blocks(kind: NotificationKind, values: dict[str, str]) -> Blocks:
    rows = _detail_rows(kind, values)
    text = "\n".join(f"{label}: {value}" for label, value, _ in rows)
    cells = []
    for label, value, is_link in rows:
        shown = html.escape(value, quote=True)
        cell = f'<a href="{shown}">{shown}</a>' if is_link else shown
        cells.append(f"<tr><td><strong>{html.escape(label)}</strong></td><td>{cell}</td></tr>")
    table = f'<table cellpadding="4">{"".join(cells)}</table>' if cells else ""
    return Blocks(html={"details": table}, text={"details": text})


def render_email(mail: MailInput, template: Template | None = None) -> RenderedEmail:
    """The email for `mail`, from the tenant's `template` (parts it leaves out: the default)."""
    default = default_template(mail.kind, mail.offset_minutes)
    complete = template.over(default) if template else default
    values = placeholder_values(mail)
    return fill(complete, values, detail_blocks(mail.kind, values))
